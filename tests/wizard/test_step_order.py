"""The server keeps the wizard's steps in order: a later step's page, or a forged POST to it, changes nothing."""

import pytest
from django.urls import reverse

from migrations_engine.models import Run
from wizard.models import Migration
from wizard.steps import STEP_URLS

Step = Migration.Step
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("step", [s for s in Step if s > Step.CONNECT])
def test_get_of_a_later_step_redirects_to_the_furthest_step(owner_client, migration, step):
    response = owner_client.get(reverse(STEP_URLS[step], args=[migration.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard:connect", args=[migration.pk])


def test_forged_post_to_options_changes_nothing(owner_client, migration):
    migration.furthest_step = Step.TEAMMATES
    migration.save()
    response = owner_client.post(reverse("wizard:options", args=[migration.pk]), {"tag": "hack", "demo_ids": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard:teammates", args=[migration.pk])
    migration.refresh_from_db()
    assert migration.options == {} and migration.demo_ids == []
    assert migration.furthest_step == Step.TEAMMATES


def test_full_run_cannot_start_before_a_demo(owner_client, migration):
    migration.furthest_step = Step.DEMO
    migration.save()
    url = reverse("wizard:full", args=[migration.pk])
    response = owner_client.post(url, {"when": "now", "time_zone": "UTC", "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard:demo", args=[migration.pk])
    assert not _runs(migration, "full")


def test_plan_continue_is_refused_without_a_successful_demo(owner_client, migration):
    # Even with the plan step recorded as reached, continuing needs a completed demo run.
    migration.furthest_step = Step.PLAN
    migration.save()
    owner_client.post(reverse("wizard:plan", args=[migration.pk]))
    migration.refresh_from_db()
    assert migration.furthest_step == Step.PLAN


def test_full_start_rechecks_the_demo_even_when_the_step_is_reached(owner_client, migration):
    migration.furthest_step = Step.FULL
    migration.save()
    response = owner_client.post(reverse("wizard:full", args=[migration.pk]),
                                 {"when": "now", "time_zone": "UTC", "confirm": "on"})
    assert response.status_code == 422
    assert "successful demo" in response.content.decode()
    assert not _runs(migration, "full")


def test_demo_action_before_options_is_refused(owner_client, migration):
    migration.furthest_step = Step.TICKETS
    migration.save()
    response = owner_client.post(reverse("wizard:demo_action", args=[migration.pk]), {"action": "start"})
    assert response.status_code == 302
    assert not _runs(migration, "demo")


def test_htmx_request_to_a_later_step_gets_409(owner_client, migration):
    response = owner_client.get(reverse("wizard:demo", args=[migration.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 409


def test_other_users_get_404_everywhere(client, other_user, migration):
    client.force_login(other_user)
    for name in ("open", "connect", "rename", "report"):
        assert client.get(reverse(f"wizard:{name}", args=[migration.pk])).status_code == 404
    migration.furthest_step = Step.FULL
    migration.save()
    assert client.post(reverse("wizard:full", args=[migration.pk]), {"when": "now"}).status_code == 404


def test_anonymous_is_sent_to_login(client, migration):
    response = client.get(reverse("wizard:connect", args=[migration.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _runs(migration, kind):
    return list(Run.objects.filter(migration=migration, kind=kind))
