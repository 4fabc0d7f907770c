"""Organizations and contact fields in the wizard, in headless Chromium under the CSP (issue 18, acceptance
3): the objects step counts them, the demo makes the accounts of its tickets' requesters (and no other),
and the report lists the accounts (source id ↔ Front id, state, reason, source link). The run itself is
executed in this process (the engine, against the live Front stand-in), not by a Celery worker: what is
tested here is what the pages show."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from connectors.sample import SampleDataset
from migrations_engine.models import RecordMap, Run
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.engine.conftest import drive
from wizard.models import Migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Lighthouse-keeper-42"
CONFIG = {"tickets": 30, "seed": 7}


def test_objects_counts_demo_accounts_and_report(page, live_server, front_standin, shoot):
    base = live_server.url
    page.set_default_timeout(20_000)
    owner = get_user_model().objects.create_user(username="ada@acme.test", email="ada@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email="ada@acme.test", verified=True, primary=True)
    migration = Migration.objects.create(
        owner=owner, name="Accounts demo", source_type="sample", source_config=CONFIG,
        front_api_url=front_standin.url, front_token=FRONT_TEST_TOKEN, front_inbox_id=front_standin.inbox_id(),
        front_company_name="Acme Support (Front sandbox)", furthest_step=Migration.Step.DEMO,
        demo_ids=["1", "2", "3"], default_teammate_id=front_standin.teammate_id("agent1@example.com"))
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "ada@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")

    # The objects step counts organizations and contact fields, each on its own.
    page.goto(f"{base}/migrations/{migration.pk}/objects/")
    dataset = SampleDataset(**CONFIG)
    expect(page.locator('[data-testid="count-organizations"]')).to_have_text(str(dataset.organization_count()))
    expect(page.locator('[data-testid="count-contact_fields"]')).to_have_text("4")
    expect(page.locator("input[value=organizations]")).to_be_checked()
    expect(page.locator("input[value=contact_fields]")).to_be_checked()
    shoot(page, "accounts-01-objects")
    page.click('[data-testid="save-step"]')
    expect(page).to_have_url(re.compile(r"/teammates/$"))

    # The demo: started from its page, executed here; its results list the accounts it made.
    page.goto(f"{base}/migrations/{migration.pk}/demo/")
    page.click('[data-testid="start-demo"]')
    run = Run.objects.get(migration=migration, kind="demo")
    assert drive(run).state == "completed", run.recent_errors
    page.goto(f"{base}/migrations/{migration.pk}/demo/")
    wanted = {o for i in (1, 2, 3) for o in dataset.ticket(i).requester.organization_ids}
    expect(page.locator('[data-testid="done-accounts"]')).to_have_text(str(len(wanted)))
    shoot(page, "accounts-02-demo")

    # The report's accounts: every one of the demo's, linked to the source, with its Front id.
    page.click('tr[data-entity="accounts"] a')
    expect(page).to_have_url(re.compile(r"/report/\?entity=account"))
    rows = page.locator('[data-testid="report-table"] tbody tr')
    expect(rows).to_have_count(len(wanted))
    front_ids = set(RecordMap.objects.filter(migration=migration, entity="account").values_list("front_id", flat=True))
    assert front_ids == {a["id"] for a in front_standin.state()["accounts"]}
    for source_id in wanted:
        row = rows.filter(has_text=source_id)
        expect(row.locator("a[href^='https://sample.invalid/organizations/']")).to_be_visible()
        expect(row).to_contain_text("acc_")
        expect(row).to_contain_text("Created in Front.")
    expect(page.locator(".nav-link.active")).to_have_text("Accounts")
    shoot(page, "accounts-03-report")
