"""Persona suite: every URL that takes a migration/run/... id, walked as every persona.

Personas: the owner; a colleague at each share level (viewer, editor, owner); an outsider (who owns
another migration and holds a share on a third); staff (no share); anonymous. Rights are those of
`access_expectations.EXPECTED`: below the level a URL needs, the answer is 404 (the object's existence
does not leak); anonymous visitors are sent to sign in (or get a 404); a method a URL does not serve is
refused for everyone. GET and POST are checked separately, so a viewer's POST to an editing URL is
refused even where the viewer may GET the page.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.access.access_expectations import COLLEAGUE, EXPECTED, NOT_ALLOWED, STAFF, Rule
from tests.access.access_urlwalk import Endpoint, object_endpoints
from wizard.access import Level

ENDPOINTS = object_endpoints()
PERSONA_LEVELS: dict[str, Level | None] = {
    "anonymous": None, "outsider": None, "staff": None,
    "viewer": Level.VIEWER, "editor": Level.EDITOR, "owner_colleague": Level.OWNER, "owner": Level.OWNER,
}
# Denied personas go first: an allowed POST may change the world (that is its job).
PERSONA_ORDER = ["anonymous", "outsider", "staff", "viewer", "editor", "owner_colleague", "owner"]


def _user(world, persona: str):
    if persona == "owner":
        return world.owner
    return world.users[{"viewer": "viewer_level", "editor": "editor_level", "owner_colleague": "owner_level"}.get(
        persona, persona
    )]


def _url(world, endpoint: Endpoint, rule: Rule, ids: dict[str, object] | None = None) -> str:
    ids = ids or world.victim_ids
    kwargs: dict[str, object] = {}
    for kw in endpoint.kwargs:
        if kw in endpoint.defaults:
            continue
        obj = endpoint.object_kwargs.get(kw)
        if obj is not None:
            if obj not in ids:
                pytest.skip(f"no {obj} in this world (its app is not installed)")
            kwargs[kw] = ids[obj]
        elif kw in rule.samples:
            kwargs[kw] = rule.samples[kw]
        else:
            pytest.fail(f"{endpoint.name}: give a sample value for URL keyword {kw!r} in EXPECTED")
    return reverse(endpoint.name, kwargs=kwargs) + (f"?{rule.query}" if rule.query else "")


def _allowed(required, persona: str) -> bool:
    if required is NOT_ALLOWED:
        return False
    if required == STAFF:
        return persona == "staff"
    if required == COLLEAGUE:
        return persona in ("viewer", "editor", "owner_colleague")
    level = PERSONA_LEVELS[persona]
    return level is not None and level >= required


def _check(response, *, persona: str, allowed: bool, required, what: str) -> None:
    status = response.status_code
    where = response.get("Location", "")
    if persona == "anonymous":
        to_login = status == 302 and where.startswith(settings.LOGIN_URL)
        assert to_login or status in (404, 405), f"{what}: anonymous got {status} {where}"
        return
    if allowed:
        assert status not in (403, 404, 405) and status < 500, f"{what}: allowed but got {status}"
        assert not (status == 302 and where.startswith(settings.LOGIN_URL)), f"{what}: sent to sign in"
    elif required is NOT_ALLOWED:
        assert status in (404, 405), f"{what}: method not served, but got {status}"
    elif required == COLLEAGUE and persona == "owner":
        # The creator sees the migration, so a 404 would lie: they are sent back with a message instead.
        assert status == 302 and not where.startswith(settings.LOGIN_URL), f"{what}: creator got {status} {where}"
        assert where != reverse("wizard:dashboard"), f"{what}: the creator was let through ({where})"
    else:
        assert status == 404, f"{what}: must be refused with 404, got {status} {where}"


def test_every_object_url_is_classified():
    """A URL taking an object id with no row in EXPECTED fails here: classify it (who may GET/POST)."""
    assert ENDPOINTS, "URL discovery found nothing: the walker is broken"
    missing = sorted(e.name for e in ENDPOINTS if e.name not in EXPECTED)
    assert not missing, f"Add these URLs to tests/access/access_expectations.py EXPECTED: {missing}"
    stale = sorted(set(EXPECTED) - {e.name for e in ENDPOINTS})
    assert not stale, f"EXPECTED lists URLs that no longer exist: {stale}"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_personas(world, endpoint: Endpoint, method: str):
    rule = EXPECTED.get(endpoint.name)
    if rule is None:
        pytest.fail(f"{endpoint.name} is not classified in EXPECTED")
    required = getattr(rule, method)
    url = _url(world, endpoint, rule)
    for persona in PERSONA_ORDER:
        client = Client()
        client.raise_request_exception = False  # a crash is a 500 and reported as such
        if persona != "anonymous":
            client.force_login(_user(world, persona))
        response = getattr(client, method)(url)
        _check(response, persona=persona, allowed=_allowed(required, persona), required=required,
               what=f"{method.upper()} {url} as {persona}")


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if len(set(e.object_kwargs.values())) > 1], ids=lambda e: e.name
)
def test_mixed_ids_are_refused(world, endpoint: Endpoint, method: str):
    """The outsider's own migration id + an object id of the victim's migration: still a 404.

    The outsider owns the migration in the URL, so only a check that ties the object to that migration
    refuses this."""
    rule = EXPECTED[endpoint.name]
    if rule.get == STAFF or getattr(rule, method) is NOT_ALLOWED:
        pytest.skip("staff URLs and unserved methods are not tied to a customer's migration")
    ids = {**world.victim_ids, "migration": world.outsider_own.pk}
    url = _url(world, endpoint, rule, ids=ids)
    client = Client()
    client.force_login(world.users["outsider"])
    response = getattr(client, method)(url)
    assert response.status_code == 404, f"{method.upper()} {url}: got {response.status_code}"
