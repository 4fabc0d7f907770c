"""Saved secrets never leave with a changed address (issue 14, item 1).

The connection form leaves secret fields empty to mean "keep the saved one". An editor (or the owner)
who points an address at another server and leaves the secret empty must not make Frontport send the
saved secret there, neither through "Test connection" nor through Save: the secret has to be typed
again. Each case runs a real loopback server standing for the other server, which records every
request (headers, Basic credentials, body), and a second one standing for the account's real server.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access.conftest import grant, make_user
from tests.support.recorder import RecordingServer
from wizard.access import Level
from wizard.models import Migration

pytestmark = pytest.mark.django_db

SOURCE_SECRET = "saved-source-secret-5b1e"
FRONT_SECRET = "saved-front-token-c4d9"

# Per platform: the saved config ({url} = the account's real server), the typed non-secret fields,
# which field is the address. The sample source declares no secret (nothing to leak).
PLATFORMS = {
    "zendesk": ({"url": "{url}", "email": "admin@acme.test", "token": SOURCE_SECRET},
                {"email": "admin@acme.test"}, "url"),
    "helpscout": ({"app_id": "hs-app-1", "app_secret": SOURCE_SECRET, "api_url": "{url}"},
                  {"app_id": "hs-app-1"}, "api_url"),
    "freshdesk": ({"url": "{url}", "api_key": SOURCE_SECRET}, {}, "url"),
    "intercom": ({"access_token": SOURCE_SECRET, "region": "us", "api_url": "{url}"}, {"region": "us"}, "api_url"),
}
TARGETS = [*PLATFORMS, "front"]


@pytest.fixture
def servers():
    with RecordingServer() as real, RecordingServer() as other:
        yield real, other


def _migration(target: str, real_url: str) -> Migration:
    owner = make_user("owner@acme.test")
    if target == "front":
        source_type, config = "sample", {"tickets": 3, "seed": 7}
    else:
        source_type = target
        config = {k: (v.format(url=real_url) if isinstance(v, str) else v) for k, v in PLATFORMS[target][0].items()}
    return Migration.objects.create(
        owner=owner, name="Acme → Front", source_type=source_type, source_config=config,
        front_api_url=real_url, front_token=FRONT_SECRET, furthest_step=Migration.Step.CONNECT,
    )


def _persona(client, migration: Migration, persona: str):
    if persona == "owner":
        client.force_login(migration.owner)
    else:
        editor = make_user("editor@acme.test")
        grant(migration, editor, Level.EDITOR)
        client.force_login(editor)


def _form(target: str, *, source_url: str, front_url: str) -> dict[str, str]:
    """What the browser posts: every secret field left empty ("keep the saved one")."""
    if target == "front":
        data = {"platform": "sample", "source-tickets": "3", "source-seed": "7"}
    else:
        _saved, typed, url_field = PLATFORMS[target]
        data = {"platform": target, **{f"source-{k}": v for k, v in typed.items()}, f"source-{url_field}": source_url}
    return data | {"front-api_url": front_url, "front-token": ""}


def _post(client, migration: Migration, target: str, action: str, data: dict[str, str]):
    if action == "save":
        return client.post(reverse("wizard:connect", args=[migration.pk]), data)
    which = "front" if target == "front" else "source"
    return client.post(reverse("wizard:connect_test", args=[migration.pk, which]), data, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("action", ["test", "save"])
@pytest.mark.parametrize("persona", ["editor", "owner"])
@pytest.mark.parametrize("target", TARGETS)
def test_a_changed_address_never_receives_the_saved_secret(client, servers, target, persona, action):
    real, other = servers
    migration = _migration(target, real.url)
    before = (migration.source_config, migration.front_api_url, migration.front_token, migration.furthest_step)
    _persona(client, migration, persona)

    moved = {"source_url": other.url, "front_url": real.url} if target != "front" else \
        {"source_url": "", "front_url": other.url}
    response = _post(client, migration, target, action, _form(target, **moved))

    assert not other.saw(SOURCE_SECRET) and not other.saw(FRONT_SECRET), other.received
    page = response.content.decode()
    assert "is not sent there" in page and "again" in page, page[-2000:]
    assert SOURCE_SECRET not in page and FRONT_SECRET not in page
    migration.refresh_from_db()
    assert (migration.source_config, migration.front_api_url, migration.front_token,
            migration.furthest_step) == before


@pytest.mark.parametrize("target", TARGETS)
def test_the_same_address_spelt_differently_still_uses_the_saved_secret(client, servers, target):
    """The control: the recorder does see a secret when it is sent (same place: case, default port, slash)."""
    real, _other = servers
    migration = _migration(target, real.url)
    _persona(client, migration, "editor")
    respelt = real.url.replace("http://", "HTTP://") + "/"
    moved = {"source_url": respelt, "front_url": real.url} if target != "front" else \
        {"source_url": "", "front_url": respelt}
    _post(client, migration, target, "test", _form(target, **moved))
    assert real.saw(FRONT_SECRET if target == "front" else SOURCE_SECRET)


@pytest.mark.parametrize("target", TARGETS)
def test_a_secret_typed_again_goes_to_the_new_address(client, servers, target):
    real, other = servers
    migration = _migration(target, real.url)
    _persona(client, migration, "editor")
    moved = {"source_url": other.url, "front_url": real.url} if target != "front" else \
        {"source_url": "", "front_url": other.url}
    data = _form(target, **moved)
    if target == "front":
        data["front-token"] = "typed-again-token"
    else:
        secret_field = next(k for k, v in PLATFORMS[target][0].items() if v == SOURCE_SECRET)
        data[f"source-{secret_field}"] = "typed-again-token"
    page = _post(client, migration, target, "test", data).content.decode()
    assert "is not sent there" not in page
    assert other.saw("typed-again-token") and not other.saw(SOURCE_SECRET) and not other.saw(FRONT_SECRET)


def test_every_connector_with_a_secret_is_covered_here():
    """A new connector with a secret field gets a line in PLATFORMS (the others, sample and files, have none)."""
    from connectors.registry import SOURCES

    with_secret = {key for key, cls in SOURCES.items() if any(f.kind == "secret" for f in cls.config_fields)}
    assert with_secret <= set(PLATFORMS), with_secret - set(PLATFORMS)
    assert not [f for f in SOURCES["sample"].config_fields if f.kind == "secret"]


@pytest.mark.parametrize("target", TARGETS)
def test_the_services_refuse_too_when_no_form_is_in_front(servers, target):
    """Defence in depth: whatever calls the services (not only the forms) gets the same refusal."""
    from wizard import services

    real, other = servers
    migration = _migration(target, real.url)
    if target == "front":
        typed, front_url = {"tickets": "3", "seed": "7"}, other.url
    else:
        _saved, typed, url_field = PLATFORMS[target]
        typed, front_url = {**typed, url_field: other.url}, real.url
    outcome = services.connection_save(migration=migration, source_type=migration.source_type,
                                       source_config=typed, front_api_url=front_url, front_token="")
    assert "is not sent there" in (outcome.front_error if target == "front" else outcome.source_error)
    assert not other.saw(SOURCE_SECRET) and not other.saw(FRONT_SECRET)
