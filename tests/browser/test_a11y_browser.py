"""Accessibility (issue 15, acceptance 5): every wizard step page, in English and in French, has no serious
or critical axe-core violation; the connect step's platforms are a radio group a keyboard can drive."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from billing.models import Order
from migrations_engine.models import Run
from migrations_engine.services import start_run
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.browser.a11y import audit
from tests.engine.conftest import drive, make_migration
from wizard.models import Migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Lighthouse-keeper-42"
STEPS = ("connect", "inbox", "objects", "teammates", "tickets", "options", "demo", "plan", "full")


@pytest.fixture
def front():
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, latency_ms=0,
                      process_delay_s=0.02, validate_responses=False) as standin:
        yield standin


def _sign_in(page, base: str) -> object:
    owner = get_user_model().objects.create_user(username="ada@acme.test", email="ada@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email="ada@acme.test", verified=True, primary=True)
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "ada@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(base + "/migrations/")
    return owner


def _language(page, base: str, code: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": base}])


def _sweep(page, base: str, migration: Migration, lang: str, stage: str) -> None:
    for step in STEPS:
        page.goto(f"{base}/migrations/{migration.pk}/{step}/")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        audit(page, f"{lang}-{stage}-{step}")


def test_every_step_page_in_english_and_french_has_no_serious_violation(page, live_server, front, stripe_billing):
    base = live_server.url
    page.set_default_timeout(20_000)
    owner = _sign_in(page, base)
    migration = make_migration(owner=owner, front=front, source_config={"tickets": 25, "seed": 3},
                               furthest_step=Migration.Step.FULL, name="Sample desk → Front",
                               record_counts={"tickets": 25, "contacts": 9, "agents": 4})
    for lang in ("en", "fr"):
        _language(page, base, lang)
        page.goto(base + "/migrations/")
        audit(page, f"{lang}-dashboard")
        _sweep(page, base, migration, lang, "before-demo")

    drive(start_run(migration=migration, kind="demo"))
    for lang in ("en", "fr"):
        _language(page, base, lang)
        for path, name in ((f"/migrations/{migration.pk}/demo/", "demo-done"),
                           (f"/migrations/{migration.pk}/report/", "report"),
                           (f"/migrations/{migration.pk}/report/?entity=contact", "report-contacts"),
                           (f"/billing/migrations/{migration.pk}/plan/", "billing-plan"),
                           (f"/migrations/{migration.pk}/full/", "full-before-start"),
                           (f"/migrations/{migration.pk}/checklist/before/", "checklist-before")):
            page.goto(base + path)
            audit(page, f"{lang}-{name}")

    Order.objects.create(migration=migration, plan="signature", currency="usd", total=14900, status=Order.Status.PAID,
                         counts={"tickets": 25, "contacts": 9, "agents": 4}, stripe_session_id="cs_test_a11y")
    run = drive(start_run(migration=migration, kind="full", settle_demo=True))
    assert run.state == Run.State.COMPLETED
    for lang in ("en", "fr"):
        _language(page, base, lang)
        _sweep(page, base, migration, lang, "after-full")
        page.goto(f"{base}/migrations/{migration.pk}/checklist/after/")
        audit(page, f"{lang}-checklist-after")


def test_platforms_are_a_radio_group_for_keyboards_and_screen_readers(page, live_server):
    base = live_server.url
    owner = _sign_in(page, base)
    migration = Migration.objects.create(owner=owner, name="Keyboard only")
    page.goto(f"{base}/migrations/{migration.pk}/connect/")
    group = page.get_by_role("group", name="Source platform")
    radios = group.get_by_role("radio")
    expect(radios).to_have_count(len(page.locator("input[name=platform][type=radio]").all()))
    assert radios.count() >= 4
    expect(page.locator("input[name=source-tickets]")).to_have_count(0)
    # Tab into the group, choose with the keyboard: the platform's fields appear, focus stays on the choice.
    first = radios.first
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    chosen = first.get_attribute("value")
    expect(page.locator(f'#source-fields input[name="platform"][value="{chosen}"]')).to_have_count(1)
    page.keyboard.press("ArrowDown")
    second = radios.nth(1)
    expect(second).to_be_checked()
    expect(second).to_be_focused()
    second_key = second.get_attribute("value")
    expect(page.locator(f'#source-fields input[name="platform"][value="{second_key}"]')).to_have_count(1)
    expect(page).to_have_url(f"{base}/migrations/{migration.pk}/connect/?platform={second_key}")
    expect(page.locator("[data-testid=save-connect]")).to_be_enabled()
    audit(page, "en-connect-keyboard")
    # Every platform's own fields (the file import's upload panel included) pass the audit too.
    for key in [radio.get_attribute("value") for radio in radios.all()]:
        page.click(f'[data-testid="platform-{key}"]')
        expect(page.locator(f'#source-fields input[name="platform"][value="{key}"]')).to_have_count(1)
        audit(page, f"en-connect-{key}")
