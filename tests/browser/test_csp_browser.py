"""The Content-Security-Policy is on every page and Chromium enforces it: an inline script injected into
a page is refused and reported, while our own scripts (static/js/frontport.js) and the vendored htmx and
Bootstrap run. The whole wizard path (test_wizard_path.py) runs under the same watch: no violation."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from migrations_engine.models import Run
from wizard.models import Migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Lighthouse-keeper-42"


def test_inline_code_is_refused_and_our_own_scripts_run(page, live_server, csp_watch):
    base = live_server.url
    response = page.goto(base + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # The watch itself works: an injected inline script is blocked and reported.
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.fpInlineRan = true"; document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.fpInlineRan === undefined")
    assert any("script-src" in v for v in csp_watch.violations), csp_watch.violations
    csp_watch.violations.clear()
    # htmx and Bootstrap are loaded and configured for the policy.
    assert page.evaluate("() => !!window.htmx && htmx.config.includeIndicatorStyles === false && htmx.config.allowEval === false")
    assert page.evaluate("() => !!window.bootstrap")


def test_progress_bars_and_handlers_work_without_inline_code(page, live_server):
    base = live_server.url
    owner = get_user_model().objects.create_user(username="o@acme.test", email="o@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email="o@acme.test", verified=True, primary=True)
    migration = Migration.objects.create(owner=owner, name="Acme", source_type="sample", front_token="tok",
                                         furthest_step=Migration.Step.FULL, front_inbox_id="inb_1")
    Run.objects.create(migration=migration, kind="full", state="running", lineage="g0",
                       counters={"tickets": {"total": 40, "done": 10, "failed": 0, "skipped": 0}})
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "o@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto(base + "/migrations/")
    bar = page.locator("[data-fp-width]").first
    expect(bar).to_have_attribute("data-fp-width", "25")
    assert bar.evaluate("el => el.style.width") == "25%"
    # The language menu submits on change (was an inline onchange handler).
    page.select_option("#fp-language", "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
