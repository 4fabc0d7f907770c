"""Help Scout and Freshdesk stand-ins -> engine -> Front stand-in, compared field by field (issue 7)."""

import pytest

from connectors.registry import get_connector
from migrations_engine import selectors
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
        _check_skipped_threads_reported(run=run, connector=get_connector("helpscout", hs.config))
    assert seen["tickets"] > 10 and seen["messages"] > 20 and seen["notes"] > 3 and seen["attachments"] > 0
    assert seen["custom_fields"] > 0


def _check_skipped_threads_reported(*, run, connector) -> None:
    """Line items, workflow notes and drafts the connector leaves out are counted and listed with the reason."""
    expected = {(t.source_id, s.source_id): s.reason for page in connector.tickets() for t in page.tickets
                for s in t.skipped if s.kind == "message"}
    assert len(expected) > 5
    assert run.counters["messages"]["skipped"] == len(expected)
    rows = list(selectors.report_rows(migration=run.migration, entity="message", state="skipped"))
    assert {(r["ticket_source_id"], r["source_id"]): r["reason"] for r in rows} == expected
    assert all(r["reason"] for r in rows)
    assert selectors.report_summary(migration=run.migration)["message"]["skipped"] == len(expected)
    ticket_id = next(iter(expected))[0]
    assert "left out" in RecordMap.objects.get(migration=run.migration, entity="ticket", source_id=ticket_id).reason
    # A second full run records nothing twice and counts nothing again.
    again = drive(start_run(migration=run.migration, kind="full"))
    assert again.counters["messages"] == {"total": 0, "done": 0, "failed": 0, "skipped": 0}
    assert len(list(selectors.report_rows(migration=run.migration, entity="message", state="skipped"))) == len(expected)


@pytest.mark.django_db
def test_helpscout_merged_ids_point_at_the_surviving_conversation(owner, front):
    with HelpScoutStandin(tickets=12, seed=3) as hs:
        hs.app.merge(5, 6)  # ticket 5 was merged into 6: asking for 5 answers 301 -> 6
        migration = make_migration(owner=owner, front=front, source_type="helpscout", source_config=hs.config)
        run = drive(start_run(migration=migration, kind="demo", ids=["5", "7"]))
    assert run.state == "completed", (run.reason, run.recent_errors)
    target = RecordMap.objects.get(migration=migration, entity="ticket", source_id="6")
    merged = RecordMap.objects.get(migration=migration, entity="ticket", source_id="5")
    assert target.state == "done" and target.front_id
    assert merged.state == "skipped" and merged.front_id == target.front_id
    assert "Merged into ticket 6" in merged.reason


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
