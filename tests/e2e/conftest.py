"""Playwright driving Debian's Chromium (never a downloaded browser) against the live server."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fetch_axe import VERSION as AXE_VERSION

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are
# still synchronous, so Django's async-safety check does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


# Chromium logs every 4xx answer to a fetch/XHR as "Failed to load resource: ... status of 4xx".
# Those are the product's refusals (shown on screen, which the tests check), not script errors.
REFUSAL_LOG = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")
AXE = (
    Path(__file__).resolve().parents[2] / "var" / "cache" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
)


class PageErrors:
    """Every JavaScript error and console error a page produced; checked after each test."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def on_page_error(self, error: object) -> None:
        self.messages.append(f"JavaScript error: {error}")

    def on_console(self, message: Any) -> None:
        if message.type == "error" and not REFUSAL_LOG.match(message.text):
            self.messages.append(f"console.error: {message.text}")


def _new_page(browser, errors: PageErrors, **context_args: Any):  # type: ignore[no-untyped-def]
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", errors.on_page_error)
    page.on("console", errors.on_console)
    return context, page


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    assert errors.messages == [], "the page raised errors:\n" + "\n".join(errors.messages)


@pytest.fixture
def page(browser, page_errors) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context, page = _new_page(browser, page_errors)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, page_errors) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A 390 px wide screen (a phone held upright)."""
    context, page = _new_page(
        browser, page_errors, viewport={"width": 390, "height": 844}, device_scale_factor=1
    )
    yield page
    context.close()


@pytest.fixture
def zh_page(browser, page_errors) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A browser whose Accept-Language asks for Simplified Chinese."""
    context, page = _new_page(browser, page_errors, locale="zh-CN")
    yield page
    context.close()


def axe_violations(page) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Run axe-core (every rule, every impact) on the page as it is now."""
    assert AXE.exists(), f"{AXE} is missing: run `make axe` (part of `make test`)"
    # Evaluated through the DevTools protocol, not as a <script>: the console's CSP (rightly)
    # blocks inline scripts, and the page under test must keep its real CSP.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def assert_no_axe_violations(page) -> None:  # type: ignore[no-untyped-def]
    violations = axe_violations(page)
    assert violations == [], f"axe-core violations on {page.url}: {violations}"


def assert_no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport, f"{page.url} is {width}px wide in a {viewport}px window"


# Text a Chinese user may see in Latin letters: product and protocol names, units, codes.
LATIN_ALLOWED = {
    "COS", "CSV", "ETag", "CRC64", "UTC", "HTTP", "ID", "APPID", "ASCII", "B", "KB", "MB", "GB",
    "TB", "PB", "bytes", "Content-Type", "Cache-Control", "Content-Disposition",
    "Content-Encoding", "Content-Language", "Expires", "x-cos-meta-", "English",
}  # fmt: skip
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")


def english_left(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Latin-letter words in the visible UI text, outside data (translate="no", code, inputs).

    Labels such as "选择 readme.txt" mix words and data: words that appear in the page's data
    (keys, bucket names) are not counted there.
    """
    found = page.evaluate(
        """() => {
            const data = '[translate="no"], code, pre, script, style, [hidden], option';
            const ui = [], labels = [], values = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode;
                const el = node.parentElement;
                if (!el) continue;
                if (el.closest(data)) { values.push(node.textContent); continue; }
                if (!el.getClientRects().length) continue;
                ui.push(node.textContent);
            }
            for (const el of document.querySelectorAll('input[value]')) values.push(el.value);
            for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
                if (el.closest('[translate="no"]')) continue;
                for (const a of ['placeholder', 'aria-label', 'title']) {
                    if (el.getAttribute(a)) labels.push(el.getAttribute(a));
                }
            }
            return {ui, labels, values};
        }"""
    )
    data_words = {w for text in found["values"] for w in LATIN_WORD.findall(text)}
    words = [w for text in found["ui"] for w in LATIN_WORD.findall(text)]
    words += [
        w for text in found["labels"] for w in LATIN_WORD.findall(text) if w not in data_words
    ]
    return sorted({w for w in words if w not in LATIN_ALLOWED and not w.isupper()})


def log_in(page, live_server, user_model, *, username: str, role: str):  # type: ignore[no-untyped-def]
    """Create a user holding `role` and log in through the real login form."""
    from django.contrib.auth.models import Group

    password = f"s3cret-{username}-1"
    user = user_model.objects.create_user(username=username, password=password)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#bucket-table")
    return page


@pytest.fixture
def logged_in_page(page, live_server, console_cos, django_user_model):  # type: ignore[no-untyped-def]
    return log_in(page, live_server, django_user_model, username="olivia", role="operator")
