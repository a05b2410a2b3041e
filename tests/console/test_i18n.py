"""The console speaks English and Simplified Chinese: a complete catalogue, chosen per request."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
IGNORE = [".venv/*", "var/*", "coslocal/*", "objects_app/cos/*", "tests/*", "bench/*", "stack/*",
          "staticfiles/*", "docs/*"]  # fmt: skip


def test_zh_hans_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is missing (make test installs it)"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert " translated message" in result.stderr


def test_catalogue_holds_every_marked_string(tmp_path: Path) -> None:
    """Re-extract from a copy of the source: the committed catalogue must already have it all."""
    for name in ("objects_app", "console", "templates", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    args = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete",
            "--no-location"] + [f"--ignore={pattern}" for pattern in IGNORE]  # fmt: skip
    subprocess.run(args, cwd=tmp_path, check=True, capture_output=True)
    fresh = {e.msgid for e in polib.pofile(str(tmp_path / CATALOGUE.relative_to(ROOT)))}
    committed = {e.msgid for e in polib.pofile(str(CATALOGUE)) if not e.obsolete}
    assert fresh - committed == set(), "run `make messages` and translate the new entries"
    assert committed - fresh == set(), "run `make messages` to drop entries nothing uses"


def test_compiled_catalogue_matches_the_po_file() -> None:
    from django.utils import translation

    po = polib.pofile(str(CATALOGUE))
    with translation.override("zh-hans"):
        for entry in po.translated_entries():
            if entry.msgid_plural:
                continue
            assert translation.gettext(entry.msgid) == entry.msgstr, entry.msgid


@pytest.mark.usefixtures("console_cos")
def test_accept_language_picks_chinese(client, bob, demo_bucket) -> None:  # type: ignore[no-untyped-def]
    client.force_login(bob)
    body = client.get(reverse("objects:bucket-list"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    text = body.content.decode()
    assert '<html lang="zh-hans">' in text
    assert "存储桶" in text and "退出登录" in text and "Log out" not in text


@pytest.mark.usefixtures("console_cos")
def test_language_switch_is_remembered(client, bob, demo_bucket) -> None:  # type: ignore[no-untyped-def]
    client.force_login(bob)
    switched = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert switched.status_code == 302
    # No Accept-Language at all: the cookie alone decides.
    text = client.get(reverse("objects:bucket-list")).content.decode()
    assert '<html lang="zh-hans">' in text and "审计日志" not in text and "存储桶" in text
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    text = client.get(reverse("objects:bucket-list"), HTTP_ACCEPT_LANGUAGE="zh-CN").content
    assert b'<html lang="en">' in text


def test_durations_and_sizes_follow_the_language() -> None:
    from django.template.defaultfilters import filesizeformat
    from django.utils import translation

    from objects_app.templatetags.console import duration_words

    with translation.override("zh-hans"):
        assert duration_words(900) == "15 分钟"
        assert duration_words(86400 * 7) == "7 天"
        assert "MB" in filesizeformat(5 * 1024 * 1024)
    with translation.override("en"):
        assert duration_words(900) == "15 minutes"
        assert duration_words(3600) == "1 hour"
