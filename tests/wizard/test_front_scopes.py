"""The connect step checks the Front token with reads only (issue 13, item 6): a missing read permission
is named there; write permissions are not probed (the demo's first write names a missing one), and the
page says so."""

import pytest
from django.urls import reverse

from sandbox.front import ALL_SCOPES
from wizard.models import Migration

pytestmark = pytest.mark.django_db


def _connect(client, migration, front_url, token):
    return client.post(reverse("wizard:connect", args=[migration.pk]), {
        "platform": "sample", "source-tickets": "5", "source-seed": "3",
        "front-api_url": front_url, "front-token": token,
    })


def test_a_missing_read_permission_is_named_on_the_connect_step(owner_client, migration, front_standin):
    front_standin.add_token("no-tags", scopes=ALL_SCOPES - {"tags:read"})
    response = _connect(owner_client, migration, front_standin.url, "no-tags")
    assert response.status_code == 422
    page = response.content.decode()
    assert "tags:read" in page and "cannot read what the migration needs" in page
    migration.refresh_from_db()
    assert migration.furthest_step == Migration.Step.CONNECT


def test_write_permissions_are_not_probed_and_the_page_says_so(owner_client, migration, front_standin):
    front_standin.add_token("read-only", scopes={s for s in ALL_SCOPES if s.endswith(":read")})
    assert _connect(owner_client, migration, front_standin.url, "read-only").status_code == 302
    state = front_standin.state()
    assert state["counters"]["spec_violations"] == 0
    assert all(route.startswith("GET ") for route in state["counters"]["routes"])  # reads only
    page = owner_client.get(reverse("wizard:connect", args=[migration.pk])).content.decode()
    assert 'data-testid="front-scope-note"' in page and "the demo pauses and names" in page
    french = owner_client.get(reverse("wizard:connect", args=[migration.pk]),
                              HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "la démo se met en pause et nomme la permission manquante" in french
