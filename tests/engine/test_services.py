"""Run rules: demo and its clean-up, refusals, one active run, pause/resume/cancel, retry failed,
re-migration, interval windows, the watchdog tick."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from migrations_engine import selectors
from migrations_engine.models import FrontWrite, RecordMap, Run, Schedule
from migrations_engine.services import (
    RunRefused,
    cancel_run,
    dispatch_due,
    pause_run,
    remove_demo_data,
    resume_run,
    retry_failed,
    start_run,
)
from migrations_engine.windows import in_window, next_window_start
from tests.engine.conftest import drive, make_migration


def _conversations(front, *, status=None):
    return [c for c in front.state()["conversations"] if status is None or c["status"] == status]


def test_demo_takes_20_then_chosen_ids_and_removal_deletes_them(migration, front):
    demo = drive(start_run(migration=migration, kind="demo"))
    assert demo.state == "completed"
    handled = demo.counters["tickets"]
    assert handled["done"] + handled["failed"] + handled["skipped"] == 20
    assert len(_conversations(front)) == handled["done"]
    rows = list(selectors.report_rows(migration=migration, entity="ticket", state="done"))
    assert len(rows) == handled["done"] and all(r["front_id"].startswith("cnv_") and r["front_url"] for r in rows)
    chosen = drive(start_run(migration=migration, kind="demo", ids=["3", "5", "8"]))
    assert chosen.counters["tickets"]["done"] == 3
    assert len(_conversations(front)) == handled["done"] + 3  # a rerun is a new copy: the old one can go
    removed = remove_demo_data(migration=migration)
    assert removed == handled["done"] + 3
    assert all(c["status"] == "deleted" for c in _conversations(front))
    assert remove_demo_data(migration=migration) == 0
    with pytest.raises(RunRefused):
        start_run(migration=migration, kind="demo", ids=[str(i) for i in range(21)])
    # The full run after demos writes its own copies (Front would refuse reused external ids).
    full = drive(start_run(migration=migration, kind="full"))
    assert full.state == "completed"
    assert len(_conversations(front, status="archived")) + len(_conversations(front, status="open")) \
        == full.counters["tickets"]["done"]
    with pytest.raises(RunRefused, match="demos are for"):
        start_run(migration=migration, kind="demo")


def test_refusals(migration, front, owner, monkeypatch):
    with pytest.raises(RunRefused, match="Run the full migration"):
        start_run(migration=migration, kind="delta")
    with pytest.raises(RunRefused, match="no failed records"):
        retry_failed(migration=migration)
    run = start_run(migration=migration, kind="full", scheduled_for=timezone.now() + timedelta(hours=1))
    assert run.state == "scheduled"
    with pytest.raises(RunRefused, match="already in progress"):
        start_run(migration=migration, kind="demo")
    other = make_migration(owner=owner, front=front, name="Second into the same inbox")
    with pytest.raises(RunRefused, match="one full migration per inbox"):
        start_run(migration=other, kind="full")
    cancel_run(run=run)
    from billing import gate

    monkeypatch.setattr(gate, "run_refusal", lambda **kw: "Pay first.")
    with pytest.raises(RunRefused, match="Pay first."):
        start_run(migration=migration, kind="full")


def test_scheduled_run_starts_on_tick_and_pause_resume(migration, front):
    run = start_run(migration=migration, kind="full", scheduled_for=timezone.now() + timedelta(minutes=5))
    assert dispatch_due()["started"] == 0
    Run.objects.filter(pk=run.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))
    assert dispatch_due()["started"] == 1
    run.refresh_from_db()
    assert run.state == "running" and run.started_at
    assert pause_run(run=run).state == "paused"  # no worker holds it: paused at once
    assert drive(run).state == "paused"
    assert not RecordMap.objects.filter(migration=migration, entity="ticket").exists()
    resume_run(run=run)
    assert drive(run).state == "completed"
    progress = selectors.run_progress(run=run)
    assert progress.tickets.done > 0 and progress.run.front_calls > 0
    assert progress.eta_seconds is None and progress.series


def test_retry_failed_only_and_remigration(migration, front):
    first = drive(start_run(migration=migration, kind="full"))
    done = first.counters["tickets"]["done"]
    victims = list(RecordMap.objects.filter(migration=migration, entity="ticket", state="done")[:2])
    for rec in victims:  # as if they had failed: their journal is gone too
        FrontWrite.objects.filter(migration=migration, ticket_source_id=rec.source_id).delete()
    RecordMap.objects.filter(pk__in=[r.pk for r in victims]).update(state="failed", reason="boom")
    before = len(_conversations(front))
    retry = drive(retry_failed(migration=migration))
    assert retry.kind == "retry" and retry.counters["tickets"]["total"] == 2
    assert retry.counters["tickets"]["done"] == 2
    # Their messages were already in Front: external ids make the re-send a no-op, no new conversation.
    assert len(_conversations(front)) == before
    assert not RecordMap.objects.filter(migration=migration, state="failed").exists()

    remig = drive(start_run(migration=migration, kind="remigration"))
    assert remig.state == "completed" and remig.lineage == "g1"
    live = [c for c in _conversations(front) if c["status"] != "deleted"]
    assert len(live) == done
    assert all("-g1-" in c["thread_key"] for c in live)
    Run.objects.filter(pk=remig.pk).update(finished_at=timezone.now() - timedelta(days=11))
    Run.objects.filter(pk=first.pk).update(finished_at=timezone.now() - timedelta(days=11))
    with pytest.raises(RunRefused, match="10 days"):
        start_run(migration=migration, kind="remigration")


def test_interval_window_pauses_and_resumes(migration, front):
    # Fri 20:00 -> Mon 06:00 in Paris time.
    migration.time_zone = "Europe/Paris"
    migration.save()
    Schedule.objects.create(migration=migration, start_day=4, start_time=time(20, 0), end_day=0, end_time=time(6, 0))
    run = start_run(migration=migration, kind="full")
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    tuesday = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert in_window(run, saturday) and not in_window(run, tuesday)
    assert next_window_start(run, tuesday) == datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
    if not in_window(run):
        drive(run)
        run.refresh_from_db()
        assert run.state == "paused" and run.resume_at and "window" in run.reason
        Run.objects.filter(pk=run.pk).update(resume_at=timezone.now() - timedelta(seconds=1))
        assert dispatch_due()["resumed"] == 0  # still outside the window: stays paused
        run.refresh_from_db()
        assert run.state == "paused"


def test_watchdog_hands_over_a_run_whose_worker_died(migration, front):
    run = start_run(migration=migration, kind="full")
    stale = timezone.now() - timedelta(minutes=5)
    Run.objects.filter(pk=run.pk).update(lease_owner="dead-worker", heartbeat_at=stale, started_at=stale)
    assert dispatch_due()["rescued"] == 1
    assert drive(run).state == "completed"
