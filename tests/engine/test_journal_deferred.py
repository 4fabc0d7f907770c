"""Journal rows no later write depends on are saved with the ticket, not one commit each (issue 20:
PostgreSQL per ticket). What must hold (docs/engine.md, the journal protocol):

- a comment's intent is committed before the comment is sent, and a ticket's first message uid before
  any other write of the ticket (the uid is what finds its conversation again);
- rows lost with a worker between their Front write and the ticket's save cost a call, never a
  duplicate: a re-import is refused as a duplicate external id, and the conversation is still found
  from the saved uid (no inbox scan);
- an error that stops a ticket (Front failing, a pause) leaves what it wrote in the journal.
"""

from __future__ import annotations

import pytest

from connectors.front import FrontClient, Unreachable
from connectors.registry import get_connector
from migrations_engine import finish, journal, mapping
from migrations_engine.models import FrontWrite, Run
from migrations_engine.services import start_run
from tests.engine.compare import check_fidelity, source_tickets
from tests.engine.conftest import drive, make_migration


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing of the engine catches it."""


def _public_messages(connector) -> int:
    """Messages imported for the sample's tickets (a ticket with only private notes gets one opener)."""
    return sum(len([m for m in t.messages if m.kind != "private_note"]) or 1
               for t in source_tickets(connector) if t.messages and not t.deleted)


@pytest.mark.django_db(transaction=True)
def test_intents_and_first_uids_are_committed_before_the_writes_that_depend_on_them(owner, front, monkeypatch):
    migration = make_migration(owner=owner, front=front, source_config={"tickets": 40, "seed": 7},
                               custom_fields="comment")
    real_import, real_comment = FrontClient.import_message, FrontClient.add_comment
    imports_by_thread: dict[str, list[str]] = {}
    checked = {"later_imports": 0, "comments": 0}

    def import_message(self, inbox_id, message, attachments=None):
        earlier = imports_by_thread.get(message.thread_ref or "", [])
        if message.thread_ref and earlier:  # a later message of a new conversation: the first uid is saved
            assert FrontWrite.objects.filter(key__in=earlier, kind="message").exclude(message_uid="").exists()
            checked["later_imports"] += 1
        uid = real_import(self, inbox_id, message, attachments)
        imports_by_thread.setdefault(message.thread_ref or "", []).append(message.external_id)
        return uid

    def add_comment(self, conversation_id, *, body, **kwargs):
        intents = FrontWrite.objects.filter(migration=migration, kind="comment", state="intent")
        assert any(mapping.comment_marker(key) in body for key in intents.values_list("key", flat=True))
        checked["comments"] += 1
        return real_comment(self, conversation_id, body=body, **kwargs)

    monkeypatch.setattr(FrontClient, "import_message", import_message)
    monkeypatch.setattr(FrontClient, "add_comment", add_comment)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    assert checked["later_imports"] > 20 and checked["comments"] > 20, checked
    # Every row ends in the database, confirmed: nothing was kept back for good.
    assert not FrontWrite.objects.filter(migration=migration, state="intent").exists()
    connector = get_connector("sample", migration.source_config)
    assert FrontWrite.objects.filter(migration=migration, kind="message", state="sent").count() == \
        _public_messages(connector)
    check_fidelity(migration=migration, run=run, connector=connector, state=front.state())


@pytest.mark.django_db(transaction=True)
def test_rows_lost_with_a_worker_cost_a_call_never_a_duplicate(owner, front, monkeypatch):
    migration = make_migration(owner=owner, front=front, source_config={"tickets": 40, "seed": 7},
                               custom_fields="comment")
    real_save = journal.save_unsaved
    dead: list[bool] = []

    def dies_at_the_first_batch(works):
        if any(len(w.unsaved) > 1 for w in works) or dead:  # the first save holding deferred message rows
            dead.append(True)
            raise WorkerKilled
        return real_save(works)

    def no_scan(ctx, work):
        raise AssertionError(f"ticket {work.ticket.source_id}: the inbox was scanned; its first uid was lost")

    monkeypatch.setattr(journal, "save_unsaved", dies_at_the_first_batch)
    monkeypatch.setattr("migrations_engine.records.save_unsaved", dies_at_the_first_batch)
    monkeypatch.setattr("migrations_engine.finish.save_unsaved", dies_at_the_first_batch)
    monkeypatch.setattr(finish, "find_conversation_by_scan", no_scan)
    run = start_run(migration=migration, kind="full")
    with pytest.raises(WorkerKilled):
        drive(run)
    before = FrontWrite.objects.filter(migration=migration, kind="message").count()

    monkeypatch.setattr(journal, "save_unsaved", real_save)
    monkeypatch.setattr("migrations_engine.records.save_unsaved", real_save)
    monkeypatch.setattr("migrations_engine.finish.save_unsaved", real_save)
    run = drive(run)
    assert run.state == "completed", (run.reason, run.recent_errors)
    refused = FrontWrite.objects.filter(migration=migration, kind="message", reason__startswith="Already in Front")
    assert refused.exists() and before > 0  # rows were lost, and their re-sends refused as duplicates
    connector = get_connector("sample", migration.source_config)
    assert run.counters["messages"]["done"] == _public_messages(connector)
    check_fidelity(migration=migration, run=run, connector=connector, state=front.state())


@pytest.mark.django_db(transaction=True)
def test_a_ticket_stopped_by_front_failing_keeps_what_it_imported(owner, front, monkeypatch):
    migration = make_migration(owner=owner, front=front, source_config={"tickets": 40, "seed": 7})
    real_import = FrontClient.import_message
    count: dict[str, int] = {}
    stopped: list[str] = []

    def third_import_fails(self, inbox_id, message, attachments=None):
        ref = message.thread_ref or ""
        count[ref] = count.get(ref, 0) + 1
        if ref and count[ref] == 3 and not stopped:
            stopped.append(ref)
            raise Unreachable("Front did not answer (simulated).")
        return real_import(self, inbox_id, message, attachments)

    monkeypatch.setattr(FrontClient, "import_message", third_import_fails)
    run = start_run(migration=migration, kind="full")
    from migrations_engine import runner

    assert runner.execute_chunk(run.pk) == "wait"  # Front failing: the run waits, then goes on
    assert stopped
    ticket_id = stopped[0].rsplit("-t", 1)[1]
    kept = FrontWrite.objects.filter(migration=migration, ticket_source_id=ticket_id, kind="message", state="sent")
    assert kept.count() == 2  # the first (saved at once) and the second (saved when the error stopped it)
    Run.objects.filter(pk=run.pk).update(resume_at=None)
    run = drive(run)
    assert run.state == "completed", (run.reason, run.recent_errors)
    assert not FrontWrite.objects.filter(migration=migration, reason__startswith="Already in Front").exists()
    check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                   state=front.state())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phase", ["import", "finish"])
def test_a_pause_keeps_what_tickets_waiting_for_their_second_phase_imported(owner, front, settings, monkeypatch,
                                                                            phase):
    """A user pauses while tickets wait for their second phase: the threads stop at the start of their next
    job, and the rows those tickets kept are saved, so the resumed run sends nothing twice (not even a
    re-import Front would refuse)."""
    import time

    from migrations_engine import pipeline
    from migrations_engine.services import pause_run, resume_run

    settings.ENGINE_TICKET_THREADS = 4
    migration = make_migration(owner=owner, front=front, source_config={"tickets": 80, "seed": 5})
    run = start_run(migration=migration, kind="full")
    module, name = (pipeline, "import_phase") if phase == "import" else (finish, "finish_phase")
    real = getattr(module, name)
    calls = {"n": 0}

    def pauses_on_the_20th(ctx, work, **kwargs):
        calls["n"] += 1
        if calls["n"] == 20:  # a user presses Pause while other tickets wait for their second phase
            pause_run(run=Run.objects.get(pk=run.pk))
            time.sleep(1.1)  # the heartbeat renews at most once a second: let this ticket's beat see it
        return real(ctx, work, **kwargs)

    monkeypatch.setattr(module, name, pauses_on_the_20th)
    run = drive(run)
    assert run.state == "paused"
    monkeypatch.setattr(module, name, real)
    run = drive(resume_run(run=run))
    assert run.state == "completed", (run.reason, run.recent_errors)
    state = front.state()
    assert state["counters"]["duplicate_imports_refused"] == 0
    check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                   state=state)
