"""The knowledge base in the wizard, in headless Chromium under the CSP (issue 18, acceptance 3): the inbox
step picks a Front knowledge base (and says an API token is needed), the objects step counts the articles,
the demo moves its articles (up to 20: the sample help center has 5) into that knowledge base, and the
report lists them (source link ↔ Front article id, state, reason). The run is executed in this process (the
engine, against the live Front stand-in), not by a Celery worker: what is tested here is what the pages show."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from migrations_engine.models import RecordMap, Run
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.engine.conftest import drive
from wizard.models import Migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Lighthouse-keeper-42"
CONFIG = {"tickets": 6, "seed": 7}


def test_pick_a_knowledge_base_count_demo_and_report_articles(page, live_server, front_standin, shoot):
    base = live_server.url
    page.set_default_timeout(20_000)
    owner = get_user_model().objects.create_user(username="ada@acme.test", email="ada@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email="ada@acme.test", verified=True, primary=True)
    migration = Migration.objects.create(
        owner=owner, name="Help center demo", source_type="sample", source_config=CONFIG,
        front_api_url=front_standin.url, front_token=FRONT_TEST_TOKEN, front_inbox_id=front_standin.inbox_id(),
        front_company_name="Acme Support (Front sandbox)", furthest_step=Migration.Step.DEMO,
        demo_ids=["1", "2"], default_teammate_id=front_standin.teammate_id("agent1@example.com"))
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "ada@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")

    # The inbox step: Front's knowledge bases, and why an API token is needed.
    page.goto(f"{base}/migrations/{migration.pk}/inbox/")
    kb = next(iter(front_standin.company.knowledge_bases))
    expect(page.get_by_text("only an API token")).to_be_visible()
    page.get_by_label("Help Center").check()
    shoot(page, "kb-01-inbox")
    page.click('[data-testid="save-step"]')
    expect(page).to_have_url(re.compile(r"/objects/$"))
    migration.refresh_from_db()
    assert migration.options["knowledge_base"] == {"id": kb, "name": "Help Center"}

    # The objects step counts the articles; they are on.
    expect(page.locator('[data-testid="count-articles"]')).to_have_text("5")
    expect(page.locator("input[value=articles]")).to_be_checked()
    shoot(page, "kb-02-objects")
    page.click('[data-testid="save-step"]')
    expect(page).to_have_url(re.compile(r"/teammates/$"))

    # The demo: its articles land in the chosen knowledge base; the results say how many.
    page.goto(f"{base}/migrations/{migration.pk}/demo/")
    page.click('[data-testid="start-demo"]')
    run = Run.objects.get(migration=migration, kind="demo")
    assert drive(run).state == "completed", run.recent_errors
    page.goto(f"{base}/migrations/{migration.pk}/demo/")
    expect(page.locator('[data-testid="done-articles"]')).to_have_text("5")
    shoot(page, "kb-03-demo")
    articles = front_standin.state()["kb_articles"]
    assert len(articles) == 5 and {a["kb"] for a in articles} == {kb}

    # The report's articles: source link, Front id, reason.
    page.click('tr[data-entity="articles"] a')
    expect(page).to_have_url(re.compile(r"/report/\?entity=article"))
    rows = page.locator('[data-testid="report-table"] tbody tr')
    expect(rows).to_have_count(5)
    front_ids = set(RecordMap.objects.filter(migration=migration, entity="article").values_list("front_id", flat=True))
    assert front_ids == {a["id"] for a in articles}
    welcome = rows.filter(has_text="a1")
    expect(welcome.locator("a[href='https://help.sample.example/hc/en-us/articles/a1']")).to_be_visible()
    expect(welcome).to_contain_text("kba_")
    expect(welcome).to_contain_text("Locale de left out")
    expect(page.locator(".nav-link.active")).to_have_text("Articles")
    shoot(page, "kb-04-report")
