"""`make run`'s environment: each install gets its own Django secret key, kept in var/."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stack import run


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE", "COS_SECRET_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(run, "ROOT", tmp_path)  # no .env from the checkout
    monkeypatch.setattr(run, "VAR", tmp_path / "var")
    (tmp_path / "var").mkdir()
    return tmp_path / "var"


def test_each_install_generates_its_own_secret_key_once(var: Path, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    env, _ = run.stack_env()
    path = Path(env["DJANGO_SECRET_KEY_FILE"])
    key = path.read_text().strip()
    assert path.parent == var and len(key) >= 50 and "insecure" not in key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run.stack_env()[0]["DJANGO_SECRET_KEY_FILE"] == str(path)
    assert path.read_text().strip() == key  # kept across restarts: sessions survive

    other = tmp_path / "other-install"
    other.mkdir()
    monkeypatch.setattr(run, "VAR", other)
    assert Path(run.stack_env()[0]["DJANGO_SECRET_KEY_FILE"]).read_text().strip() != key


def test_a_key_given_by_the_operator_wins(var: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_SECRET_KEY", "operator-chosen-" + "k" * 40)
    env, _ = run.stack_env()
    assert "DJANGO_SECRET_KEY_FILE" not in env and not (var / "django-secret-key.txt").exists()
