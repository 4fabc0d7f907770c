"""The inbox step's knowledge-base choice (sample source with a help center, Front stand-in): the page lists
Front's knowledge bases and says an API token is needed, a choice (existing or new by name) is saved in the
migration's options and reaches the run's settings, a new one needs a name, and a token without the
knowledge-base scopes is said in words."""

import pytest

from migrations_engine.mapping import settings_snapshot
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.wizard.test_flow_with_standins import _connect, _url

pytestmark = pytest.mark.django_db


def _inbox_id(page: str) -> str:
    return page.split('name="inbox" value="')[1].split('"')[0]


def test_pick_an_existing_or_a_new_knowledge_base(owner_client, migration, front_standin):
    assert _connect(owner_client, migration, front_standin.url).status_code == 302
    page = owner_client.get(_url("inbox", migration)).content.decode()
    kb = next(iter(front_standin.company.knowledge_bases))
    assert f'name="knowledge_base" value="{kb}"' in page and "Help Center" in page
    assert "only an API token" in page
    inbox = _inbox_id(page)
    response = owner_client.post(_url("inbox", migration), {"inbox": inbox, "knowledge_base": kb})
    assert response.status_code == 302
    migration.refresh_from_db()
    assert migration.options["knowledge_base"] == {"id": kb, "name": "Help Center"}
    assert settings_snapshot(migration)["knowledge_base"] == {"id": kb, "name": "Help Center"}
    page = owner_client.get(_url("inbox", migration)).content.decode()
    radio = page.split(f'name="knowledge_base" value="{kb}"')[1].split(">")[0]
    assert "checked" in radio  # the saved choice is shown

    refused = owner_client.post(_url("inbox", migration), {"inbox": inbox, "knowledge_base": "new"})
    assert refused.status_code == 200 and "Name the new knowledge base" in refused.content.decode()
    assert owner_client.post(_url("inbox", migration), {"inbox": inbox, "knowledge_base": "new",
                                                        "knowledge_base_name": "Docs"}).status_code == 302
    migration.refresh_from_db()
    assert migration.options["knowledge_base"] == {"create": "Docs"}
    assert owner_client.post(_url("inbox", migration), {"inbox": inbox, "knowledge_base": ""}).status_code == 302
    migration.refresh_from_db()
    assert "knowledge_base" not in migration.options


def test_a_token_without_knowledge_base_scopes_is_said_in_words(owner_client, migration, front_standin):
    from sandbox.front.state import ALL_SCOPES

    front_standin.add_token("no-kb", scopes={s for s in ALL_SCOPES if not s.startswith("knowledge_bases")})
    assert _connect(owner_client, migration, front_standin.url, token="no-kb").status_code == 302
    page = owner_client.get(_url("inbox", migration)).content.decode()
    assert "Front did not list its knowledge bases" in page and "Traceback" not in page
    assert owner_client.post(_url("inbox", migration), {"inbox": _inbox_id(page)}).status_code == 302
    assert FRONT_TEST_TOKEN not in page
