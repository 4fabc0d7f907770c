"""Intercom stand-in -> engine -> Front stand-in, compared field by field (issue 19), in both readings of
every Intercom guess (`standin_strict`, docs/vendor-guesses.md): full, demo and delta runs."""

from collections import Counter
from datetime import timedelta

import pytest

from connectors.registry import get_connector
from connectors.sample.generator import SampleDataset
from migrations_engine import selectors
from migrations_engine.models import RecordMap, Run
from migrations_engine.services import start_run
from sandbox.intercom import IntercomStandin
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive, make_migration

TICKETS, SEED = 40, 11
LONG = "50"  # a 60-message conversation whose oldest parts Intercom no longer returns


def _migration(*, owner, front, standin):
    return make_migration(owner=owner, front=front, source_type="intercom", source_config=standin.config,
                          custom_fields="comment", options={"tag": "migrated", "inline_images": True})


def _left_out(connector) -> dict[tuple[str, str], str]:
    return {(t.source_id, s.source_id): s.reason for page in connector.tickets() for t in page.tickets
            for s in t.skipped if s.kind == "message"}


@pytest.mark.django_db
def test_intercom_to_front_field_by_field(owner, front, standin_strict):
    with IntercomStandin(tickets=60, seed=3, strict=standin_strict) as ic:
        migration = _migration(owner=owner, front=front, standin=ic)
        run = drive(start_run(migration=migration, kind="full"))
        assert run.state == "completed", (run.reason, run.recent_errors)
        connector = get_connector("intercom", ic.config)
        seen = check_fidelity(migration=migration, run=run, connector=connector, state=front.state())
        expected = _left_out(connector)
        assert not ic.app.violations, ic.app.violations[:3]
        downloads = ic.app.calls["GET /i/o/{aid}/{sig}/{name}"]
        render = ic.app.render
        held = len(render.parts(render.ticket(int(LONG)), render.agents()))
    assert held > 500
    assert seen["tickets"] > 30 and seen["messages"] > 60 and seen["notes"] > 5 and seen["attachments"] > 0
    assert seen["custom_fields"] > 0 and seen["cc"] > 0 and downloads > 0
    assert not RecordMap.objects.filter(migration=migration, state="pending").exists()
    for rec in RecordMap.objects.filter(migration=migration).exclude(state="done"):
        assert rec.reason, (rec.entity, rec.source_id)
    # Activity parts (assignments, open/close/snooze, the bot burst) and the conversation cut at 500 parts
    # are reported as skipped messages with their reason, each once.
    assert run.counters["messages"]["skipped"] == len(expected) > 480
    rows = {(r["ticket_source_id"], r["source_id"]): r["reason"]
            for r in selectors.report_rows(migration=migration, entity="message", state="skipped")}
    assert rows == expected
    cut = rows[(LONG, f"{LONG}:older-parts")]
    assert (f"{held - 500} older part(s)" in cut) if not standin_strict else ("may be missing" in cut)
    assert any("assignment" in reason for reason in rows.values())


@pytest.mark.django_db
def test_intercom_demo_with_chosen_ids(owner, front, standin_strict):
    with IntercomStandin(tickets=TICKETS, seed=SEED, strict=standin_strict) as ic:
        migration = _migration(owner=owner, front=front, standin=ic)
        run = drive(start_run(migration=migration, kind="demo", ids=["5", "7", "97", "999999"]))
        assert run.state == "completed", (run.reason, run.recent_errors)
        served = set(ic.app.served)
    assert served == {5, 7}  # only what was asked (97 is deleted, 999999 never existed)
    done = set(RecordMap.objects.filter(migration=migration, entity="ticket", state="done")
               .values_list("source_id", flat=True))
    assert done == {"5", "7"}
    threads = {c["thread_key"].rsplit("-t", 1)[1] for c in front.state()["conversations"]}
    assert threads == {"5", "7"}


@pytest.mark.django_db
def test_intercom_delta_appends_and_marks_deletions(owner, front, standin_strict):
    with IntercomStandin(tickets=TICKETS, seed=SEED, strict=standin_strict) as ic:
        migration = _migration(owner=owner, front=front, standin=ic)
        full = drive(start_run(migration=migration, kind="full"))
        assert full.state == "completed", full.recent_errors
        before = set(ic.app.served)
        # The workspace changes: replies and notes added, states changed, conversations deleted and created.
        dataset = SampleDataset(tickets=TICKETS, seed=SEED, revision=1)
        ic.app.set_revision(1)
        ic.app.served.clear()
        Run.objects.filter(pk=full.pk).update(started_at=dataset.revision_time(1) - timedelta(seconds=1))
        delta = drive(start_run(migration=migration, kind="delta"))
        assert delta.state == "completed", delta.recent_errors
        changed = {i for i in range(1, dataset.total_ticket_ids() + 1)
                   if dataset.updated_at(i) >= delta.since and dataset.deleted_revision(i) is None}
        assert set(ic.app.served) == changed and before  # the delta read only what changed since
        assert delta.counters["tickets"]["done"] > 0
        state = front.state()
        check_fidelity(migration=migration, run=delta, connector=get_connector("intercom", ic.config), state=state)
        assert not ic.app.violations, ic.app.violations[:3]
    external_ids = Counter(m["external_id"] for c in state["conversations"] for m in c["messages"])
    assert max(external_ids.values()) == 1  # every message once
    deleted_now = {str(i) for i in range(1, TICKETS + 1) if dataset.deleted_revision(i) == 1}
    assert deleted_now, "the revision deletes some conversations"
    marked = set(RecordMap.objects.filter(migration=migration, entity="ticket", deleted_in_source=True)
                 .values_list("source_id", flat=True))
    assert deleted_now <= marked


@pytest.mark.django_db
def test_migration_apply_intercom_source_block(owner, settings):
    from migrations_engine.cli import FileError, apply_file

    front = {"token": "t", "inbox_id": "inb_1", "api_url": "https://api2.frontapp.com"}
    migration = apply_file(owner_email=owner.email, data={
        "name": "From Intercom", "front": front,
        "source": {"type": "intercom", "access_token": "tok", "region": "EU"}})
    assert migration.source_type == "intercom"
    assert migration.source_config == {"access_token": "tok", "region": "eu"}
    with pytest.raises(FileError, match="region"):
        apply_file(owner_email=owner.email, data={"name": "x", "front": front, "source": {
            "type": "intercom", "access_token": "tok", "region": "mars"}})
    settings.ALLOW_PRIVATE_URLS = False  # a loopback API address only with ALLOW_PRIVATE_URLS=true
    with pytest.raises(FileError, match="source"):
        apply_file(owner_email=owner.email, data={"name": "x", "front": front, "source": {
            "type": "intercom", "access_token": "tok", "api_url": "http://127.0.0.1:9"}})


@pytest.mark.django_db
def test_refused_search_pauses_the_run_at_once(owner, front):
    from migrations_engine import runner

    with IntercomStandin(tickets=12, seed=3) as ic:
        ic.app.refuse("/conversations/search", 404)
        run = start_run(migration=_migration(owner=owner, front=front, standin=ic), kind="full")
        assert runner.execute_chunk(run.pk) == "done"  # one chunk, no back-off
    run.refresh_from_db()
    assert run.state == Run.State.PAUSED and run.resume_at is None, (run.state, run.reason)
    assert "POST /conversations/search" in run.reason and "HTTP 404" in run.reason
    assert "Waiting will not change" in run.reason


@pytest.mark.django_db
def test_missing_optional_listings_are_warnings_in_the_report(owner, front):
    with IntercomStandin(tickets=12, seed=3) as ic:
        ic.app.refuse("/conversations/deleted", 404)
        ic.app.refuse("/conversations/attributes", 403)
        run = drive(start_run(migration=_migration(owner=owner, front=front, standin=ic), kind="full"))
    assert run.state == Run.State.COMPLETED, (run.reason, run.recent_errors)
    warnings = selectors.run_progress(run=run).warnings
    assert any("deleted conversations not available" in w and "HTTP 404" in w for w in warnings), warnings
    assert any("conversation attributes not available" in w and "HTTP 403" in w for w in warnings), warnings
    assert run.counters["tickets"]["done"] >= 10


@pytest.mark.django_db
def test_every_record_lands_compared_with_the_dataset(owner, strict_front, standin_strict):
    """Compared with the stand-in's data set (the truth), not with what the connector read."""
    from tests.engine.ground_truth import check_against_dataset

    with IntercomStandin(tickets=TICKETS, seed=3, strict=standin_strict) as ic:
        default = strict_front.state()["teammates"][-1]["id"]  # not the token's own identity: a misposted note shows
        migration = make_migration(owner=owner, front=strict_front, source_type="intercom", source_config=ic.config,
                                   custom_fields="comment", options={"tag": "migrated"}, default_teammate_id=default)
        run = drive(start_run(migration=migration, kind="full"))
        assert run.state == "completed", (run.reason, run.recent_errors)
        dataset = ic.app.dataset
        seen = check_against_dataset(vendor="intercom", dataset=dataset, migration=migration, run=run,
                                     state=strict_front.state())
    assert seen.tickets >= 35 and seen.agent_replies > 20 and seen.customer_messages > 40
    assert seen.notes > 5 and seen.deleted_author_notes > 0 and seen.tags > 20 and seen.custom_fields > 60
    assert not RecordMap.objects.filter(migration=migration, state__in=("pending", "failed")).exists()
    assert selectors.run_progress(run=run).warnings == []
    deleted = next(a for a in dataset.agents() if a.deleted)
    # Strict reading: Intercom no longer names a deleted teammate, so neither can the note's header.
    problems = [p for p in seen.author_problems if not (standin_strict and "header" in p and deleted.name in p)]
    assert not problems, problems[:3]
