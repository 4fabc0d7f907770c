"""Headless Chromium (Debian's package) through pytest-playwright; skipped with a reason when absent."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + Django ORM


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="/usr/bin/chromium is missing: install Debian's chromium to run browser tests")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 860}, "locale": "en-US"}


@pytest.fixture
def shoot():
    """shoot(page, "07-demo"): a full-page screenshot under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


_CSP_INIT = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.fpCspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                        (e.sourceFile || document.location.href) + ":" + e.lineNumber);
});
"""


class CspWatch:
    """Collects Content-Security-Policy violations of every page of the contexts it is attached to: the
    page's own `securitypolicyviolation` events and Chromium's console reports ("Refused to ...")."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def attach(self, context) -> None:
        context.expose_binding("fpCspViolation", lambda _source, text: self.violations.append(text))
        context.add_init_script(_CSP_INIT)
        context.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append("console: " + message.text)


@pytest.fixture(autouse=True)
def csp_watch(request):
    """Every browser test fails on any CSP violation (htmx, Bootstrap and Chart.js must work under it).
    Tests that open another context call `csp_watch.attach(context)` for it."""
    if "page" not in request.fixturenames:
        yield None
        return
    page = request.getfixturevalue("page")
    watch = CspWatch()
    watch.attach(page.context)
    yield watch
    assert watch.violations == [], "Content-Security-Policy violations:\n" + "\n".join(watch.violations)
