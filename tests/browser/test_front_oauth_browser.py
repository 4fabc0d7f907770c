"""Front connected through OAuth in headless Chromium (issue 17, acceptance 1): "Connect with Front" leads to
the Front stand-in's authorize page, a non-admin is refused with Front's words, an admin approves, then
demo, payment (Stripe stand-in) and the full run go through a real worker on the OAuth connection alone,
its calls on Front's partner budget."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from sandbox.front import FrontStandin
from sandbox.front.oauth import NOT_ADMIN
from tests.support.worker import WorkerProcess
from wizard.models import FrontOAuthGrant, Migration

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "Lighthouse-keeper-42"
CLIENT_ID, SECRET = "browser-oauth-client", "browser-oauth-secret"
RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def oauth_front():
    with FrontStandin(token="no-token-used-here", rpm=6000, partner_rpm=6000, process_delay_s=0.05,  # noqa: S106
                      oauth_client_id=CLIENT_ID, oauth_client_secret=SECRET, oauth_token_ttl=60) as standin:
        yield standin


@pytest.fixture
def oauth_env(oauth_front, settings, live_server, monkeypatch):
    """The operator's OAuth app (the stand-in's), for the live server and the worker alike."""
    values = {"FRONT_OAUTH_CLIENT_ID": CLIENT_ID, "FRONT_OAUTH_CLIENT_SECRET": SECRET,
              "FRONT_OAUTH_URL": oauth_front.url, "FRONT_OAUTH_API_URL": oauth_front.url}
    for name, value in values.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, value)
    settings.SITE_URL = live_server.url
    return values


@pytest.fixture
def oauth_worker(transactional_db, tmp_path, oauth_env):
    worker = WorkerProcess(log_path=tmp_path / "worker.log", extra_env=oauth_env).start()
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def _wait_finished(page, state: str = "completed") -> None:
    page.wait_for_selector(f'[data-testid="progress-panel"][data-state="{state}"]', timeout=RUN_TIMEOUT_MS)


def test_connect_with_front_then_demo_pay_and_full_run(page, live_server, oauth_front, oauth_env, oauth_worker,
                                                      stripe_live_billing, shoot):
    base = live_server.url
    page.set_default_timeout(20_000)
    owner = get_user_model().objects.create_user(username="ada@acme.test", email="ada@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email="ada@acme.test", verified=True, primary=True)
    migration = Migration.objects.create(owner=owner, name="OAuth desk", source_type="sample",
                                         source_config={"tickets": 12, "seed": 7})
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "ada@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")

    # Connect: "Connect with Front" goes to Front's authorize page; a non-admin is refused there.
    page.goto(f"{base}/migrations/{migration.pk}/connect/?platform=sample")
    page.click('[data-testid="connect-with-front"]')
    expect(page).to_have_url(re.compile(r"/oauth/authorize\?"))
    shoot(page, "oauth-01-authorize")
    page.select_option("select[name=teammate]", label="Alice Agent (agent1@example.com)")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("alert")).to_have_text(NOT_ADMIN)
    shoot(page, "oauth-02-not-admin")
    assert not FrontOAuthGrant.objects.exists()
    page.go_back()
    page.select_option("select[name=teammate]", label="Ada Admin (admin@example.com) - admin")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(re.compile(rf"/migrations/{migration.pk}/connect/"))
    expect(page.locator('[data-testid="front-oauth-connected"]')).to_be_visible()
    shoot(page, "oauth-03-connected")
    page.click('[data-testid="save-connect"]')  # no API token typed: the OAuth connection is enough

    # Inbox, objects, teammates, tickets, options.
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    page.locator("input[name=inbox]").first.check()
    page.click('[data-testid="save-step"]')
    expect(page).to_have_url(re.compile(r"/objects/$"))
    page.click('[data-testid="save-step"]')
    expect(page).to_have_url(re.compile(r"/teammates/$"))
    page.click('[data-testid="save-step"]')
    expect(page).to_have_url(re.compile(r"/tickets/$"))
    page.click('[data-testid="save-step"]')
    expect(page).to_have_url(re.compile(r"/options/$"))
    expect(page.locator("input[name=token_share]")).to_be_visible()
    page.click('[data-testid="save-step"]')

    # Demo through the real worker on the OAuth connection.
    expect(page).to_have_url(re.compile(r"/demo/$"))
    page.click('[data-testid="start-demo"]')
    _wait_finished(page)
    expect(page.locator('[data-testid="budget-partner"]')).to_be_visible()
    shoot(page, "oauth-04-demo-done")

    # Pay through the Stripe stand-in, then the full run.
    page.goto(f"{base}/migrations/{migration.pk}/plan/")
    page.click('[data-testid="to-billing"]')
    page.click('[data-testid="plan-signature"]')
    page.click('[data-testid="pay-button"]')
    page.click('[data-testid="standin-pay"]')
    page.wait_for_selector('[data-testid="order-status"][data-status="paid"]', timeout=30_000)
    page.click('[data-testid="continue-full"]')
    expect(page).to_have_url(re.compile(r"/full/$"))
    page.check("input[name=confirm]")
    page.click('[data-testid="start-full"]')
    _wait_finished(page)
    expect(page.locator('[data-testid="budget-partner"]')).to_contain_text("calls")
    shoot(page, "oauth-05-full-done")

    counters = oauth_front.state()["counters"]
    assert counters["spent"].get("token", 0) == 0 and counters["spent"]["partner"] > 0
    assert counters["statuses"].get("401", 0) == 0
    conversations = oauth_front.state()["conversations"]
    assert len(conversations) == 12
