"""Saving the connect step again (issue 14, item 6): a failure changes nothing, a migration whose full
migration started keeps its accounts, and a new source account is counted again at once.

Front is the real stand-in; the source is the sample help desk (its seed is the account: same seed, same
records), or the Zendesk stand-in where a second platform is needed.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from migrations_engine.models import Run
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.access.conftest import grant, make_user
from tests.support.recorder import RecordingServer
from wizard.access import Level
from wizard.models import Migration

Step = Migration.Step
pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(front_standin):
    """A migration connected the normal way (sample seed 3, 25 tickets) and taken to the last step."""
    owner = make_user("owner@acme.test")
    migration = Migration.objects.create(owner=owner, name="Acme → Front")
    client = Client()
    client.force_login(owner)
    response = client.post(reverse("wizard:connect", args=[migration.pk]), _form(front_standin.url))
    assert response.status_code == 302, response.content.decode()[-2000:]
    migration.refresh_from_db()
    Migration.objects.filter(pk=migration.pk).update(
        furthest_step=Step.FULL, front_inbox_id="inb_kept", front_inbox_name="Support",
        teammate_map={"1": "tea_1"}, status_map={"open": "open"})
    migration.refresh_from_db()
    Run.objects.create(migration=migration, kind="demo", state="completed", lineage="d0")
    return migration


@pytest.fixture
def refusing():
    """Another platform's server, refusing every credential (401)."""
    with RecordingServer() as server:
        yield server


def _form(front_url: str, *, tickets: str = "25", seed: str = "3", token: str = FRONT_TEST_TOKEN,
          platform: str = "sample", **source) -> dict[str, str]:
    data = {"platform": platform, "front-api_url": front_url, "front-token": token}
    if platform == "sample":
        data |= {"source-tickets": tickets, "source-seed": seed}
    return data | {f"source-{k}": v for k, v in source.items()}


def _as(client, migration: Migration, persona: str):
    if persona == "editor":
        user = make_user("editor@acme.test")
        grant(migration, user, Level.EDITOR)
    else:
        user = migration.owner
    client.force_login(user)
    return client


def _saved(migration: Migration) -> tuple:
    migration.refresh_from_db()
    return (migration.source_type, migration.source_config, getattr(migration, "source_account_id", None),
            migration.front_api_url,
            migration.front_token, migration.front_inbox_id, migration.teammate_map, migration.furthest_step)


def _full_run(migration: Migration, state: str = "completed") -> None:
    Run.objects.create(migration=migration, kind="full", state=state, lineage="f0")


@pytest.mark.parametrize("persona", ["editor", "owner"])
@pytest.mark.parametrize("failure", ["front", "source"])
def test_a_failed_save_replaces_nothing_and_rewinds_nothing_after_a_full_run(
        client, connected, front_standin, refusing, persona, failure):
    _full_run(connected)
    before = _saved(connected)
    _as(client, connected, persona)
    if failure == "front":
        data = _form(front_standin.url, token="wrong-token")
    else:
        data = _form(front_standin.url, token="", platform="zendesk", url=refusing.url, email="a@acme.test")
        data["source-token"] = "some-token"
    response = client.post(reverse("wizard:connect", args=[connected.pk]), data)
    assert response.status_code == 422
    assert _saved(connected) == before
    assert 'data-testid="nothing-saved"' in response.content.decode()  # and the page says so
    # The pages of a migration that has run keep working (nothing redirects back to step 1).
    for name in ("report", "plan", "full"):
        assert client.get(reverse(f"wizard:{name}", args=[connected.pk])).status_code == 200, name
    # "Test connection" with the same wrong input changes nothing either.
    client.post(reverse("wizard:connect_test", args=[connected.pk, failure]), data, HTTP_HX_REQUEST="true")
    assert _saved(connected) == before


@pytest.mark.parametrize("persona", ["editor", "owner"])
@pytest.mark.parametrize("state", ["completed", "failed", "paused"])
def test_another_source_account_after_the_full_migration_is_refused(client, connected, front_standin, persona, state):
    _full_run(connected, state)
    before = _saved(connected)
    _as(client, connected, persona)
    response = client.post(reverse("wizard:connect", args=[connected.pk]), _form(front_standin.url, seed="4"))
    page = response.content.decode()
    assert response.status_code == 422 and "create a new migration" in page
    assert _saved(connected) == before


def test_another_platform_after_the_full_migration_is_refused(client, connected, front_standin, zendesk_standin):
    _full_run(connected)
    before = _saved(connected)
    _as(client, connected, "owner")
    config = zendesk_standin.admin_config()
    data = _form(front_standin.url, platform="zendesk", url=config["url"], email=config["email"])
    data["source-token"] = config["token"]
    response = client.post(reverse("wizard:connect", args=[connected.pk]), data)
    assert response.status_code == 422 and "create a new migration" in response.content.decode()
    assert _saved(connected) == before


def test_another_front_address_after_the_full_migration_is_refused(client, connected, front_standin):
    _full_run(connected)
    before = _saved(connected)
    _as(client, connected, "owner")
    # The same stand-in under another host name is, for Frontport, another Front address.
    other_address = front_standin.url.replace("127.0.0.1", "localhost")
    response = client.post(reverse("wizard:connect", args=[connected.pk]), _form(other_address))
    assert response.status_code == 422 and "create a new migration" in response.content.decode()
    assert _saved(connected) == before


@pytest.mark.parametrize("persona", ["editor", "owner"])
def test_new_credentials_for_the_same_account_keep_every_step_and_count_again(
        client, connected, front_standin, persona):
    _full_run(connected)
    _as(client, connected, persona)
    response = client.post(reverse("wizard:connect", args=[connected.pk]), _form(front_standin.url, tickets="60"))
    assert response.status_code == 302
    connected.refresh_from_db()
    assert connected.source_config["tickets"] == "60" and connected.furthest_step == Step.FULL
    assert connected.front_inbox_id == "inb_kept" and connected.teammate_map == {"1": "tea_1"}
    assert connected.record_counts.get("tickets", 0) > 25  # counted again from the source as connected now


def test_another_account_before_the_full_migration_starts_over_from_the_inbox(client, connected, front_standin):
    """Only demos so far: switching accounts is allowed, and what belonged to the old account is reset."""
    _as(client, connected, "owner")
    old_counts = dict(connected.record_counts)
    response = client.post(reverse("wizard:connect", args=[connected.pk]), _form(front_standin.url, seed="4",
                                                                                  tickets="40"))
    assert response.status_code == 302
    connected.refresh_from_db()
    assert connected.furthest_step == Step.INBOX and connected.front_inbox_id == "" and connected.teammate_map == {}
    assert connected.record_counts != old_counts and connected.record_counts.get("tickets", 0) > 25
    assert connected.source_account_id == "sample:seed 4"
