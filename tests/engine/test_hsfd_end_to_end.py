"""Help Scout and Freshdesk stand-ins -> engine -> Front stand-in, compared field by field (issue 7)."""

import pytest

from connectors.registry import get_connector
from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from sandbox.freshdesk import FreshdeskStandin
from sandbox.helpscout import HelpScoutStandin
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive, make_migration


def _run_and_compare(*, owner, front, source_type: str, config: dict) -> tuple[dict, object]:
    migration = make_migration(owner=owner, front=front, source_type=source_type, source_config=config,
                               custom_fields="comment", options={"tag": "migrated", "inline_images": True})
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    seen = check_fidelity(migration=migration, run=run, connector=get_connector(source_type, config),
                          state=front.state())
    assert not RecordMap.objects.filter(migration=migration, state="pending").exists()
    for rec in RecordMap.objects.filter(migration=migration).exclude(state="done"):
        assert rec.reason, (rec.entity, rec.source_id)
    return seen, run


@pytest.mark.django_db
def test_helpscout_to_front_field_by_field(owner, front):
    with HelpScoutStandin(tickets=40, seed=3) as hs:
        seen, run = _run_and_compare(owner=owner, front=front, source_type="helpscout", config=hs.config)
        assert hs.app.calls["GET /v2/conversations/{cid}/attachments/{aid}/data"] > 0
    assert seen["tickets"] > 10 and seen["messages"] > 20 and seen["notes"] > 3 and seen["attachments"] > 0
    assert seen["custom_fields"] > 0


@pytest.mark.django_db
def test_freshdesk_to_front_field_by_field(owner, front):
    with FreshdeskStandin(tickets=40, seed=3) as fd:
        seen, run = _run_and_compare(owner=owner, front=front, source_type="freshdesk", config=fd.config)
        assert fd.app.calls["GET /api/v2/tickets/{id}"] > 0
    assert seen["tickets"] > 10 and seen["messages"] > 20 and seen["notes"] > 3 and seen["attachments"] > 0
    assert seen["custom_fields"] > 0


@pytest.mark.django_db
def test_migration_apply_source_blocks(owner, settings):
    from migrations_engine.cli import FileError, apply_file

    front = {"token": "t", "inbox_id": "inb_1", "api_url": "https://api2.frontapp.com"}
    hs = apply_file(owner_email=owner.email, data={
        "name": "From Help Scout", "front": front,
        "source": {"type": "helpscout", "app_id": "id", "app_secret": "s", "mailbox_id": 12,
                   "api_url": "http://127.0.0.1:9"}})
    assert hs.source_type == "helpscout"
    assert hs.source_config == {"app_id": "id", "app_secret": "s", "mailbox_id": "12", "api_url": "http://127.0.0.1:9"}
    fd = apply_file(owner_email=owner.email, data={
        "name": "From Freshdesk", "front": front,
        "source": {"type": "freshdesk", "url": "http://127.0.0.1:9/a/tickets", "api_key": "k"}})
    assert fd.source_config == {"url": "http://127.0.0.1:9", "api_key": "k"}
    settings.ALLOW_PRIVATE_URLS = False  # loopback addresses only with ALLOW_PRIVATE_URLS=true
    for source in ({"type": "helpscout", "app_id": "i", "app_secret": "s", "api_url": "http://127.0.0.1:9"},
                   {"type": "freshdesk", "url": "http://127.0.0.1:9", "api_key": "k"}):
        with pytest.raises(FileError, match="source"):
            apply_file(owner_email=owner.email, data={"name": "x", "front": front, "source": source})
