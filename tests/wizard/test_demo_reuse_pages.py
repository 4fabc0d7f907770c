"""The full step says, before the run, what it will do with the demo's conversations, and after it,
what it did (issue 15, acceptance 4: the option's text explains it; the report says which happened)."""

import pytest
from django.urls import reverse

from migrations_engine.models import Run
from migrations_engine.services import start_run
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.engine.conftest import drive, make_migration
from wizard.models import Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def front():
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, latency_ms=0,
                      process_delay_s=0.02, validate_responses=False) as standin:
        yield standin


@pytest.fixture
def after_demo(owner, front):
    migration = make_migration(owner=owner, front=front, source_config={"tickets": 25, "seed": 3},
                               furthest_step=Migration.Step.FULL)
    demo = drive(start_run(migration=migration, kind="demo"))
    assert demo.state == "completed"
    return migration


def _full_page(client, migration) -> str:
    return client.get(reverse("wizard:full", args=[migration.pk])).content.decode()


def test_unchanged_settings_say_the_demo_is_kept_then_the_report_says_it_was(owner_client, after_demo):
    page = _full_page(owner_client, after_demo)
    assert "Reuse or replace the conversations the demos created in Front" in page
    assert "does not import those tickets again" in page
    assert 'data-testid="demo-outlook" data-outcome="kept"' in page and "20 conversations will be kept" in page

    response = owner_client.post(reverse("wizard:full", args=[after_demo.pk]),
                                 {"when": "now", "time_zone": "UTC", "remove_demo": "on", "confirm": "on"})
    assert response.status_code == 302
    full = drive(Run.objects.get(migration=after_demo, kind="full"))
    assert full.state == "completed" and full.context["demo_data"]["outcome"] == "kept"
    page = _full_page(owner_client, after_demo)
    assert 'data-testid="demo-data" data-outcome="kept"' in page
    assert "20 conversations of the demo were kept" in page
    report = owner_client.get(reverse("wizard:report", args=[after_demo.pk])).content.decode()
    assert "20 conversations of the demo were kept" in report


def test_a_changed_tag_says_the_demo_is_replaced_then_that_it_was(owner_client, after_demo):
    after_demo.options = {"tag": "from-the-old-desk"}
    after_demo.save()
    page = _full_page(owner_client, after_demo)
    assert 'data-testid="demo-outlook" data-outcome="replaced"' in page and "migration tag" in page
    owner_client.post(reverse("wizard:full", args=[after_demo.pk]),
                      {"when": "now", "time_zone": "UTC", "remove_demo": "on", "confirm": "on"})
    full = drive(Run.objects.get(migration=after_demo, kind="full"))
    assert full.context["demo_data"]["outcome"] == "replaced"
    page = _full_page(owner_client, after_demo)
    assert 'data-testid="demo-data" data-outcome="replaced"' in page
    assert "Settings changed since the demo (migration tag)" in page and "20 demo conversations set to deleted" in page
    french = owner_client.get(reverse("wizard:full", args=[after_demo.pk]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "étiquette de migration" in french
