"""Progress counters after interruptions equal an uninterrupted run's: a chunk stopped in the middle of a
page (Front failing, then a pause, then a watchdog hand-over) must not lose the counts of the tickets
whose messages, notes and contacts were already written."""

from __future__ import annotations

from datetime import timedelta

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
