"""Progress counters after interruptions equal an uninterrupted run's: a chunk stopped in the middle of a
page (Front failing, then a pause, then a watchdog hand-over) must not lose the counts of the tickets
whose messages, notes and contacts were already written."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from migrations_engine import runner, selectors
from migrations_engine.models import Run
from migrations_engine.services import dispatch_due, pause_run, resume_run, start_run
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.engine.conftest import drive, make_migration

SOURCE = {"tickets": 30, "seed": 7}


def _fail_after(front: FrontStandin, requests: int, *, threads: int = 1) -> None:
    # "" lets a request through; six 503s per thread outlast the client's retries (every thread's requests
    # draw from the same script), so the chunk stops mid-page.
    front.set_faults(script=[""] * requests + ["503"] * 6 * threads)


def test_counters_after_interruptions_equal_an_uninterrupted_run(owner, front, settings):
    _interrupted_equals_uninterrupted(owner, front, settings)


@pytest.mark.django_db(transaction=True)
def test_counters_after_interruptions_with_threads(owner, front, settings):
    # Outside a transaction the chunks run their tickets on threads: the faults land on whichever thread
    # sends the next request, and the pause is noticed by all of them.
    settings.ENGINE_TICKET_THREADS = 4
    _interrupted_equals_uninterrupted(owner, front, settings)


def _interrupted_equals_uninterrupted(owner, front, settings):
    settings.ENGINE_RETRY_BASE_DELAY = 0.001
    threads = runner.thread_count()
    plain = drive(start_run(migration=make_migration(owner=owner, front=front, source_config=SOURCE), kind="full"))
    expected = selectors.run_progress(run=plain).counters
    assert expected["messages"]["done"] > 30 and expected["contacts"]["done"] > 0 and expected["notes"]["done"] > 0

    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, latency_ms=0,
                      process_delay_s=0.02, validate_responses=False) as other:
        migration = make_migration(owner=owner, front=other, source_config=SOURCE, name="Interrupted")
        run = start_run(migration=migration, kind="full")
        _fail_after(other, 40, threads=threads)  # in the middle of the first page, after contacts and imports
        assert runner.execute_chunk(run.pk) == "wait"
        assert pause_run(run=run).state == "paused"
        run = resume_run(run=run)
        Run.objects.filter(pk=run.pk).update(resume_at=None)
        _fail_after(other, 25, threads=threads)
        assert runner.execute_chunk(run.pk) == "wait"
        # The worker "dies": its lease goes stale and the watchdog hands the run to a new execution.
        stale = timezone.now() - timedelta(minutes=5)
        Run.objects.filter(pk=run.pk).update(lease_owner="dead-worker", heartbeat_at=stale, started_at=stale,
                                             resume_at=None)
        assert dispatch_due()["rescued"] == 1
        run = drive(run)
        assert run.state == "completed"
        got = selectors.run_progress(run=run).counters
        assert other.state()["counters"].get("faults_injected", 0) >= 12
    assert got == expected


@pytest.mark.django_db(transaction=True)
def test_settled_tickets_are_saved_together_and_never_wait_long(migration, monkeypatch):
    # Tickets settled within a second share one transaction; one left waiting is saved by the heartbeat
    # (records.flush_due) a second later even when no other ticket settles after it, so the saved
    # progress never lags the work for long on a slow budget.
    from connectors.base import Ticket
    from migrations_engine import context as run_context
    from migrations_engine import records
    from migrations_engine.journal import TicketWork
    from migrations_engine.models import RecordMap

    run = start_run(migration=migration, kind="full")
    ctx = run_context.build(run)
    counters = records.empty_counters()
    ctx.counters = counters
    rows = records.ensure_ticket_records(migration_id=migration.pk, ticket_ids=["a", "b", "c"])
    clock = [1000.0]
    monkeypatch.setattr(records, "time", SimpleNamespace(monotonic=lambda: clock[0]))  # this module's clock only

    def settle(source_id: str) -> None:
        ticket = Ticket(source_id=source_id, subject="s", status="open", created_at=timezone.now(),
                        updated_at=timezone.now(), requester=None)  # no messages: settles as skipped
        records.complete_ticket(ctx, TicketWork(ticket=ticket, record=rows[source_id], journal={}), counters=counters)

    def saved() -> set[str]:
        return set(RecordMap.objects.filter(migration=migration, entity="ticket").exclude(state="pending")
                   .values_list("source_id", flat=True))

    settle("a")  # the first: more than a second since the last save (never): saved at once
    assert saved() == {"a"} and Run.objects.get(pk=run.pk).counters["tickets"]["skipped"] == 1
    clock[0] += 0.3
    settle("b")  # 0.3 s later: waits for company
    records.flush_due(ctx, counters=counters)  # a heartbeat at once: not due yet
    assert saved() == {"a"} and Run.objects.get(pk=run.pk).counters["tickets"]["skipped"] == 1
    clock[0] += 1.0
    records.flush_due(ctx, counters=counters)  # a heartbeat a second later: saved, counters with it
    assert saved() == {"a", "b"} and Run.objects.get(pk=run.pk).counters["tickets"]["skipped"] == 2
    assert counters["tickets"]["skipped"] == 2 and not ctx.settled
    ctx.client.close()
    ctx.comment_client.close()
