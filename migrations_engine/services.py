"""Engine services: starting, pausing, resuming, cancelling runs; retries; demo clean-up; the tick.

Keyword-only arguments; callers are the wizard's views, the CLI, staff actions and Celery tasks.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing import gate
from migrations_engine import demo_reuse, mapping, selectors
from migrations_engine.models import Checkpoint, EngineState, FrontWrite, RecordMap, Run
from wizard.models import FrontOAuthGrant

logger = logging.getLogger(__name__)

KIND_ALIASES = {"retry-failed": "retry", "retry_failed": "retry", "re-migration": "remigration"}
MAX_DEMO_IDS = 20


class RunRefused(Exception):
    """A run cannot start; `reason` is a sentence for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def queue_for(kind: str) -> str:
    """Demos have their own Celery queue, so a worker kept for it (docker-compose's `worker-demos`) starts
    them at once whatever full runs are doing; every other run's chunks go to the runs queue."""
    if kind == Run.Kind.DEMO:
        return getattr(settings, "ENGINE_DEMO_QUEUE", "demos")
    return getattr(settings, "ENGINE_RUN_QUEUE", "runs")


def enqueue_chunk(run_id: int, *, token: str | None = None, countdown: float | None = None) -> None:
    """Send a run's next chunk task. `token`: the one its previous chunk handed over (lease.hand_over);
    None starts a new chain (start, resume, the watchdog): the run's token is replaced, so a message
    still queued for it with the old token is dropped when it arrives (no two chains of one run)."""
    from migrations_engine.lease import new_chain_token
    from migrations_engine.tasks import run_chunk

    kind = Run.objects.filter(pk=run_id).values_list("kind", flat=True).first()
    if kind is None:
        return
    if token is None:
        token = new_chain_token()
        Run.objects.filter(pk=run_id).update(chunk_token=token, queued_at=timezone.now())
    try:
        run_chunk.apply_async((run_id, token), countdown=countdown, queue=queue_for(kind))
    except Exception:  # broker down: the periodic tick enqueues it once the broker is back
        logger.warning("could not enqueue run %s; the periodic tick will retry", run_id)


def _enqueue(run_id: int, *, countdown: float | None = None) -> None:
    enqueue_chunk(run_id, countdown=countdown)


def _snapshot(migration) -> dict:
    snap = mapping.settings_snapshot(migration)
    snap.update(demo_reuse.identity(migration))  # which accounts: a full run compares it with the demo's
    snap["windows"] = [
        {"start_day": w.start_day, "start_time": w.start_time.strftime("%H:%M"), "end_day": w.end_day,
         "end_time": w.end_time.strftime("%H:%M")}
        for w in migration.windows.all()
    ]
    return snap


def _last_full(migration) -> Run | None:
    return migration.runs.filter(kind__in=Run.FULL_KINDS, state=Run.State.COMPLETED).order_by("-finished_at").first()


def _refusal(migration, kind: str, ids: list[str] | None) -> str | None:
    if kind not in Run.Kind.values:
        return f"Unknown run kind {kind!r}: use demo, full, delta, remigration or retry-failed."
    if migration.purged_at:
        return "This migration's verification period is over and its credentials were purged."
    has_front = bool(migration.front_token) or FrontOAuthGrant.objects.filter(migration=migration).exists()
    if not (migration.source_type and has_front and migration.front_inbox_id):
        return "Connect the source and Front, and choose the Front inbox, before starting a run."
    if selectors.has_active_run(migration=migration):
        return "A run of this migration is already in progress: pause or cancel it first."
    reason = gate.run_refusal(migration=migration, kind=kind)
    if not reason and kind == "full" and migration.windows.exists():
        reason = gate.run_refusal(migration=migration, kind="interval")  # weekly windows are a plan feature
    if reason:
        return reason
    if kind == "demo":
        if selectors.full_migration_started(migration=migration):
            return "The full migration has started: demos are for trying the settings before it."
        if ids is not None and len(ids) > MAX_DEMO_IDS:
            return f"A demo takes at most {MAX_DEMO_IDS} records."
    if kind == "full":
        if selectors.inbox_taken_by(migration=migration, inbox_id=migration.front_inbox_id):
            # never named: the other migration may belong to another account
            return ("The Front inbox already received a full migration from another migration: "
                    "only one full migration per inbox, so its conversations are never duplicated.")
    if kind in ("delta", "remigration") and _last_full(migration) is None:
        return "Run the full migration to the end first."
    if kind == "remigration":
        days = gate.remigration_days(migration=migration)
        finished_at = selectors.full_run_finished_at(migration=migration)
        if finished_at is not None and finished_at + timedelta(days=days) < timezone.now():
            return f"Re-migration is possible for {days} days after the full migration; that period is over."
    return None


def start_run(*, migration, kind: str, user=None, scheduled_for: datetime | None = None,
              ids: list[str] | None = None, settle_demo: bool = False) -> Run:
    """Create a run from a snapshot of the migration's settings and start (or schedule) it.

    `settle_demo` (full runs): before its tickets, the run keeps the latest demo's conversations when
    nothing that shapes them changed, and sets every other demo conversation to deleted (demo_reuse.py)."""
    kind = KIND_ALIASES.get(kind, kind)
    if kind == "retry":
        return retry_failed(migration=migration, user=user)
    ids = [str(i).strip() for i in ids if str(i).strip()] if ids is not None else None
    reason = _refusal(migration, kind, ids)
    if reason:
        raise RunRefused(reason)
    now = timezone.now()
    later = scheduled_for is not None and scheduled_for > now
    try:
        with transaction.atomic():
            state, _ = EngineState.objects.select_for_update().get_or_create(migration=migration)
            context: dict = {}
            if kind == "full" and settle_demo:
                context["demo_data"] = {"requested": True}
            if kind == "remigration":
                context["remove_lineages"] = [state.lineage()]
                state.generation += 1
                state.save(update_fields=["generation"])
            run = Run.objects.create(
                migration=migration, kind=kind, started_by=user if getattr(user, "pk", None) else None,
                settings=_snapshot(migration), context=context, lineage=state.lineage(), ids=ids or [],
                state=Run.State.SCHEDULED if later else Run.State.RUNNING, scheduled_for=scheduled_for,
                started_at=None if later else now, since=_delta_since(migration) if kind == "delta" else None,
            )
            if kind == "demo":
                run.lineage = f"d{run.pk}"
                run.save(update_fields=["lineage"])
            if not later:
                transaction.on_commit(lambda: _enqueue(run.pk))
    except IntegrityError:
        raise RunRefused("A run of this migration is already in progress: pause or cancel it first.") from None
    return run


def _delta_since(migration) -> datetime | None:
    """Changes since the previous non-demo run started, or since the newest change it saw in the source
    (by the source's clock) when that is older: a source clock behind ours, or the sample help desk's
    revisions dated in the past, must not hide changes made after that run. Re-reading a little more is
    harmless (the journal skips what is already in Front); missing a change is not."""
    last = migration.runs.exclude(kind="demo").exclude(started_at=None).order_by("-created_at").first()
    if last is None:
        return None
    since = last.started_at
    mark = (last.context or {}).get("source_watermark")
    if mark:
        seen = datetime.fromisoformat(mark)
        since = min(since, seen if seen.tzinfo else seen.replace(tzinfo=UTC))
    elif last.kind == "delta" and last.since is not None:
        since = min(since, last.since)  # it saw nothing newer than what it asked for
    return since


def retry_failed(*, migration, user=None) -> Run:
    """A run over the failed ticket records only, in the lineage that failed them."""
    last = migration.runs.exclude(state=Run.State.CANCELLED).order_by("-created_at").first()
    lineage = last.lineage if last else ""
    failed = list(
        RecordMap.objects.filter(migration=migration, entity=RecordMap.Entity.TICKET, state=RecordMap.State.FAILED)
        .filter(Q(lineage=lineage) | Q(lineage="")).order_by("pk").values_list("source_id", flat=True)
    )
    reason = _refusal(migration, "retry", None)
    if reason:
        raise RunRefused(reason)
    if not failed:
        raise RunRefused("There are no failed records to retry.")
    try:
        with transaction.atomic():
            run = Run.objects.create(
                migration=migration, kind=Run.Kind.RETRY, started_by=user if getattr(user, "pk", None) else None,
                settings=last.settings if last else _snapshot(migration), lineage=lineage, ids=failed,
                state=Run.State.RUNNING, started_at=timezone.now(),
            )
            transaction.on_commit(lambda: _enqueue(run.pk))
    except IntegrityError:
        raise RunRefused("A run of this migration is already in progress: pause or cancel it first.") from None
    return run


def _lease_alive(run: Run) -> bool:
    stale = timezone.now() - timedelta(seconds=getattr(settings, "ENGINE_STALE_SECONDS", 60))
    return bool(run.lease_owner) and run.heartbeat_at is not None and run.heartbeat_at >= stale


def pause_run(*, run: Run) -> Run:
    """Pause after the current ticket (the worker confirms), or at once when no worker holds the run.

    Raises RunRefused when the run is neither running nor scheduled (finished, or already pausing)."""
    run.refresh_from_db()
    if run.state not in Run.PAUSABLE_STATES:
        raise RunRefused(f"Only a running or scheduled run can be paused; this one is {run.state}.")
    if run.state == Run.State.RUNNING:
        target = Run.State.PAUSING if _lease_alive(run) else Run.State.PAUSED
        Run.objects.filter(pk=run.pk, state=Run.State.RUNNING).update(state=target, reason="Paused by a user.")
    elif run.state == Run.State.SCHEDULED:
        Run.objects.filter(pk=run.pk, state=Run.State.SCHEDULED).update(state=Run.State.PAUSED,
                                                                        reason="Paused by a user.")
    run.refresh_from_db()
    return run


def resume_run(*, run: Run) -> Run:
    """Back to running, and hand it to a worker. Raises RunRefused when the run is not paused (or pausing)."""
    run.refresh_from_db()
    if run.state not in Run.RESUMABLE_STATES:
        raise RunRefused(f"Only a paused run can be resumed; this one is {run.state}.")
    Run.objects.filter(pk=run.pk).update(state=Run.State.RUNNING, reason="", resume_at=None,
                                         started_at=run.started_at or timezone.now())
    transaction.on_commit(lambda: _enqueue(run.pk))
    run.refresh_from_db()
    return run


def resume_after_reconnect(*, migration) -> list[int]:
    """Front was connected again: resume the runs paused because its OAuth grant was gone."""
    from connectors.front.oauth import RECONNECT_MESSAGE

    paused = Run.objects.filter(migration=migration, state=Run.State.PAUSED, reason__contains=RECONNECT_MESSAGE[:40])
    return [resume_run(run=run).pk for run in paused]


def reconnect_needed(*, run: Run) -> bool:
    """The run is paused because Front's OAuth grant is gone (the page shows "Reconnect Front")."""
    from connectors.front.oauth import RECONNECT_MESSAGE

    return run.state == Run.State.PAUSED and RECONNECT_MESSAGE[:40] in (run.reason or "")


def cancel_run(*, run: Run) -> Run:
    run.refresh_from_db()
    if run.is_active:
        Run.objects.filter(pk=run.pk, state__in=Run.ACTIVE_STATES).update(
            state=Run.State.CANCELLED, finished_at=timezone.now(), reason="Cancelled by a user.")
    run.refresh_from_db()
    return run


def remove_demo_data(*, migration) -> int:
    """Set to deleted every conversation earlier demos created; returns how many."""
    from migrations_engine.cleanup import delete_lineages
    from migrations_engine.context import front_client, oauth_session

    if migration.runs.filter(kind=Run.Kind.DEMO, state__in=Run.ACTIVE_STATES).exists():
        raise RunRefused("A demo is running: wait for it to finish before removing demo data.")
    lineages = list(
        FrontWrite.objects.filter(migration=migration, lineage__startswith="d", removed=False)
        .values_list("lineage", flat=True).distinct()
    )
    if not lineages:
        return 0
    with front_client(migration, oauth=oauth_session(migration)) as client:
        return delete_lineages(client=client, migration_id=migration.pk, lineages=lineages)


def demo_outlook(*, migration) -> dict | None:
    """What a full run started now would do with the latest demo's conversations (the full step shows
    it next to the option): {"demo_run", "tickets" it holds, "changed": setting names}, or None."""
    return demo_reuse.outlook(migration=migration, snapshot=_snapshot(migration))


def purge_source_content(*, migration) -> dict[str, int]:
    """Forget the engine's copies of source content when the migration's data is purged: what each run
    learned from the source (agent names, emails), source cursors, the tags/status last applied, and
    error texts that may quote records. Counters, record-map ids, Front ids and links stay, so the
    report keeps its numbers. Returns how many rows of each kind were cleared."""
    return {
        "runs": Run.objects.filter(migration=migration).update(context={}, recent_errors=[]),
        "checkpoints": Checkpoint.objects.filter(run__migration=migration).update(cursor=None),
        "record_maps": RecordMap.objects.filter(migration=migration).update(applied={}, reason=""),
        "front_writes": FrontWrite.objects.filter(migration=migration).exclude(reason="").update(reason=""),
    }


def dispatch_due(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic tick: start due scheduled runs, resume runs whose window opened, and hand runs whose
    worker died (stale heartbeat) to a new execution. Schedules live in the database, never in ETAs."""
    from migrations_engine.windows import in_window

    now = now or timezone.now()
    stale = now - timedelta(seconds=getattr(settings, "ENGINE_STALE_SECONDS", 60))
    started = resumed = rescued = 0
    for run in Run.objects.filter(state=Run.State.SCHEDULED, scheduled_for__lte=now):
        if Run.objects.filter(pk=run.pk, state=Run.State.SCHEDULED).update(state=Run.State.RUNNING, started_at=now):
            if run.kind == "delta":
                Run.objects.filter(pk=run.pk).update(since=_delta_since(run.migration))
            _enqueue(run.pk)
            started += 1
    for run in Run.objects.filter(state=Run.State.PAUSED, resume_at__lte=now):
        if in_window(run, now) and Run.objects.filter(pk=run.pk, state=Run.State.PAUSED).update(
                state=Run.State.RUNNING, resume_at=None, reason=""):
            _enqueue(run.pk)
            resumed += 1
    Run.objects.filter(state=Run.State.PAUSING).filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None)).update(
        state=Run.State.PAUSED, lease_owner="")
    lost = Run.objects.filter(state=Run.State.RUNNING).filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None))
    lost = lost.filter(Q(resume_at__isnull=True) | Q(resume_at__lte=now)).filter(
        Q(started_at__lt=stale) | Q(started_at=None))
    # A stale lease still held is a dead worker's: a new chain at once (its token replaces the dead one's).
    for run in lost.filter(~Q(lease_owner="") | Q(queued_at__isnull=True)):
        _enqueue(run.pk)
        rescued += 1
    # A run whose chunk message waits (no execution holds its lease) may be behind busy workers, or lost
    # with a worker killed while it held the message reserved (the broker gives it back only after its
    # visibility timeout). After ENGINE_QUEUE_RESCUE_SECONDS the same token is sent again: whichever copy
    # arrives first takes the lease and the other is dropped, so the run keeps its place in the queue and
    # never forks; queued_at moves on, so a long wait costs one extra message per period at most.
    queued_too_long = now - timedelta(seconds=getattr(settings, "ENGINE_QUEUE_RESCUE_SECONDS", 120))
    for run in lost.filter(lease_owner="", queued_at__lt=queued_too_long).exclude(chunk_token=""):
        if Run.objects.filter(pk=run.pk, lease_owner="", queued_at=run.queued_at).update(queued_at=now):
            enqueue_chunk(run.pk, token=run.chunk_token)
            rescued += 1
    return {"started": started, "resumed": resumed, "rescued": rescued}
