"""Executing a run in chunks: lease, prepare once, pages with checkpoints, finish.

One task execution at a time holds a run's *lease* (renewed by a heartbeat). A chunk handles whole
source pages until CHUNK_SECONDS have passed, saves the cursor after each page, releases the lease and
asks for the next chunk. A worker killed at any moment leaves a stale heartbeat; the periodic tick
(tasks.py) hands the run to another execution, which re-reads the page from the checkpoint and skips
what the record map and the journal say is done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.utils import timezone

from connectors.base import ConnectorError, PermanentRefusal, Ticket, TicketPage
from connectors.front.budgets import BudgetPair
from migrations_engine import accounts, articles, demo_reuse, progress, records
from migrations_engine import context as run_context
from migrations_engine.journal import Counters, RunContext
from migrations_engine.lease import (
    HandOver,
    Heartbeat,
    LeaseLost,
    OutsideWindow,
    StopRequested,
    acquire_lease,
    hand_over,
    release_lease,
)
from migrations_engine.models import Checkpoint, Run
from migrations_engine.notify import notify_run_event
from migrations_engine.page import ATTENTION_ERRORS, handle_page
from migrations_engine.parallel import TicketPool, thread_count, write_lock

logger = logging.getLogger(__name__)

DEMO_LIMIT = 20
RETRY_IDS_PAGE = 100


def setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def execute_chunk(run_id: int, token: str | None = None) -> str:
    """Work on a run for one chunk. Returns "continue" (enqueue the next), "done", "busy" or "wait"."""
    return execute(run_id, token=token)[0]


def execute(run_id: int, *, token: str | None = None) -> tuple[str, str | None]:
    """One chunk, and the token of the next one when the run goes on ("continue" / "wait"): the lease
    is released and the next token named in one UPDATE (lease.hand_over), so only this execution's
    successor can take the run. `token` is the one the task carried (None: no check)."""
    owner = acquire_lease(run_id, token)
    if owner is None:
        return "busy", None
    outcome = "busy"
    next_token: str | None = None
    try:
        outcome = _execute(run_id, owner)
    finally:
        if outcome in ("continue", "wait"):
            next_token = hand_over(run_id, owner)
        else:
            release_lease(run_id, owner)
    return outcome, next_token


def _execute(run_id: int, owner: str) -> str:
    run = Run.objects.select_related("migration").get(pk=run_id)
    try:
        outcome = _work(run, owner)
    except LeaseLost:
        logger.warning("run %s was taken over by another execution", run_id)
        return "busy"
    except OutsideWindow:
        from migrations_engine.windows import pause_until_next_window

        pause_until_next_window(Run.objects.get(pk=run_id))
        outcome = "done"
    except HandOver:  # a demo waits for a worker: this run goes on in its next chunk (queued behind it)
        outcome = "continue"
    except StopRequested:
        outcome = _stopped(run)
    except ATTENTION_ERRORS as exc:
        _pause_for_attention(run, str(exc))
        outcome = "done"
    except PermanentRefusal as exc:  # waiting cannot change it: pause now, naming the endpoint
        _pause_for_attention(run, f"{exc} Resume the run once that is done.")
        outcome = "done"
    except ConnectorError as exc:  # transient after the HTTP layer's own retries: back off, retry later
        outcome = _back_off(run, exc)
    except (OperationalError, InterfaceError):  # the database blinked: the watchdog hands the run over later
        logger.warning("run %s: database unavailable, the chunk will be retried", run_id, exc_info=True)
        outcome = "busy"
    except Exception as exc:  # a bug, not bad data (records fail one by one): stop the run, say so
        logger.exception("run %s failed", run_id)
        Run.objects.filter(pk=run_id, state=Run.State.RUNNING).update(
            state=Run.State.FAILED, finished_at=timezone.now(),
            reason=f"The run stopped on an unexpected error ({type(exc).__name__}); support can retry it.")
        _remember_error(run_id, f"Unexpected error: {type(exc).__name__}")
        notify_run_event(run_id=run_id, event="failed")
        outcome = "done"
    return outcome


class SampledHeartbeat(Heartbeat):
    """The heartbeat that also takes the run's progress samples (progress.py) while tickets are handled."""

    sampler: progress.Sampler | None = None
    born: float = 0.0
    on_beat: Callable[[], None] | None = None  # the tickets phase saves settled tickets here (records.flush_due)

    def beat(self, *, force: bool = False) -> None:
        super().beat(force=force)
        if self.on_beat is not None:
            self.on_beat()
        if self.sampler is not None:
            self.sampler.maybe_sample()

    def _renew(self) -> None:
        super()._renew()
        wait = float(setting("ENGINE_DEMO_WAIT_SECONDS", 2.0))
        # Every chunk works `wait` seconds at least, so a run always moves (even beside a demo no worker takes).
        if (self.run.kind != Run.Kind.DEMO and wait > 0 and time.monotonic() - self.born > wait
                and demo_waiting(older_than=wait)):
            raise HandOver


def _work(run: Run, owner: str) -> str:
    started = time.monotonic()
    heartbeat = SampledHeartbeat(run, owner)
    heartbeat.born = started
    # The context is built again after each phase change (it reads what the phase saved); every one
    # built is accounted and closed at the end, so no Front call goes uncounted.
    contexts = [_paced(run_context.build(run), heartbeat)]
    try:
        if run.phase == "prepare":
            run_context.prepare(contexts[-1])
            cleanup = run.kind == Run.Kind.REMIGRATION or demo_reuse.wanted(run)
            run.phase = "cleanup" if cleanup else "accounts"
            Run.objects.filter(pk=run.pk).update(phase=run.phase, context=run.context, counters=run.counters)
            contexts.append(_paced(run_context.build(run), heartbeat))
        if run.phase == "cleanup":
            from migrations_engine.cleanup import remove_lineage_conversations

            remove_lineage_conversations(contexts[-1], heartbeat=heartbeat.beat)
            if demo_reuse.wanted(run):  # the demos' conversations: kept when still right, else removed
                demo_reuse.settle(run=run, client=contexts[-1].client, heartbeat=heartbeat.beat)
            run.phase = "accounts"
            Run.objects.filter(pk=run.pk).update(phase="accounts")
            contexts.append(_paced(run_context.build(run), heartbeat))
        if run.phase == "accounts":  # organizations -> Front accounts, before the contacts that join them
            deadline = started + setting("ENGINE_CHUNK_SECONDS", 30)
            if accounts.run_phase(contexts[-1], heartbeat=heartbeat.beat, deadline=deadline) == "continue":
                return "continue"
            run.phase = "tickets"
            Run.objects.filter(pk=run.pk).update(phase="tickets")
        if run.phase == "tickets":
            heartbeat.sampler = _sampler(run, contexts)
            heartbeat.sampler.start()
            deadline = started + setting("ENGINE_CHUNK_SECONDS", 30)
            if _tickets(contexts[-1], heartbeat, deadline=deadline) == "continue":
                return "continue"
            run.phase = "articles"
            Run.objects.filter(pk=run.pk).update(phase="articles")
        if run.phase == "articles":  # help-center articles -> the chosen Front knowledge base (articles.py)
            deadline = started + setting("ENGINE_CHUNK_SECONDS", 30)
            if articles.run_phase(contexts[-1], heartbeat=heartbeat.beat, deadline=deadline) == "continue":
                return "continue"
        _finish(run)
        return "done"
    finally:
        _account(run, contexts, started)
        keep_warnings(run.pk, [w for ctx in contexts for w in ctx.source.warnings])
        for ctx in contexts:
            ctx.client.close()
            ctx.comment_client.close()
            for extra in ctx.extra_clients:
                extra.close()
            ctx.source.close()


def _paced(ctx: RunContext, heartbeat: Heartbeat) -> RunContext:
    """A call waiting for the Front budget waits on the heartbeat: under a tight budget a ticket can take
    minutes of paced calls, and the run must keep its lease (and notice a pause) meanwhile, not look dead."""
    for client in (ctx.client, ctx.comment_client):
        if isinstance(client.budget, BudgetPair):
            client.budget.wait_with(heartbeat.sleep)
    return ctx


def _calls(contexts: list[RunContext]) -> int:
    # Comments go through their own client (it never retries by itself): count both.
    return sum(int(client.stats.get("requests", 0)) for ctx in contexts
               for client in (ctx.client, ctx.comment_client, *ctx.extra_clients))


def _sampler(run: Run, contexts: list[RunContext]) -> progress.Sampler:
    """Progress samples of this chunk: live counters, Front calls so far, the budget's pace."""
    return progress.Sampler(
        run, handled=lambda: records.tickets_handled(contexts[-1].counters or run.counters),
        calls=lambda: run.front_calls + _calls(contexts), rpm=lambda: float(contexts[-1].client.budget.limit))


def _account(run: Run, contexts: list[RunContext], started: float) -> None:
    calls = _calls(contexts)
    fresh = Run.objects.get(pk=run.pk)
    point = progress.Point(time.time(), records.tickets_handled(fresh.counters), fresh.front_calls + calls,
                           float(contexts[-1].client.budget.limit))
    series = progress.append_point(fresh.series or [], point)
    Run.objects.filter(pk=run.pk).update(
        front_calls=fresh.front_calls + calls, series=series,
        elapsed_seconds=fresh.elapsed_seconds + (time.monotonic() - started),
        context={**(fresh.context or {}), "front_budgets": _budget_use(fresh, contexts)},
    )


def _budget_use(run: Run, contexts: list[RunContext]) -> dict[str, dict[str, float]]:
    """Calls per Front budget (token, partner) so far, with each budget's limit and the run's share of it:
    the progress page shows how much of each the run uses."""
    known: dict[str, dict[str, float]] = dict((run.context or {}).get("front_budgets") or {})
    budget = contexts[-1].client.budget
    budgets = budget.budgets if isinstance(budget, BudgetPair) else {budget.kind: budget}
    for kind, b in budgets.items():
        calls = sum(int(client.stats.get(f"calls_{kind}", 0)) for ctx in contexts
                    for client in (ctx.client, ctx.comment_client))
        entry = known.get(kind) or {"calls": 0}
        known[kind] = {"calls": int(entry["calls"]) + calls, "limit": float(b.limit), "share": b.share}
    return known


def _selection(ctx: RunContext, cursor: dict[str, Any] | None) -> Iterator[TicketPage]:
    run, snap = ctx.run, ctx.snapshot
    ids = run.ids or (snap["demo_ids"] if run.kind == Run.Kind.DEMO else [])
    if run.kind in (Run.Kind.RETRY,) or (run.kind == Run.Kind.DEMO and ids):
        return _by_ids(ctx, [str(i) for i in ids], cursor)
    since = run.since if run.kind == Run.Kind.DELTA else None
    return ctx.source.tickets(since=since, filter=snap["source_filter"] or None, cursor=cursor)


def _by_ids(ctx: RunContext, ids: list[str], cursor: dict[str, Any] | None) -> Iterator[TicketPage]:
    offset = int((cursor or {}).get("engine_offset", 0))
    while offset < len(ids):
        chunk = ids[offset:offset + RETRY_IDS_PAGE]
        offset += len(chunk)
        tickets = []
        for page in ctx.source.tickets(ids=chunk, filter=ctx.snapshot["source_filter"] or None):
            tickets.extend(page.tickets)
        yield TicketPage(tickets=tickets, cursor={"engine_offset": offset} if offset < len(ids) else None)
    if not ids:
        yield TicketPage(tickets=[], cursor=None)


def _tickets(ctx: RunContext, heartbeat: Heartbeat, *, deadline: float) -> str:
    run = ctx.run
    checkpoint, _ = Checkpoint.objects.get_or_create(run=run)
    if checkpoint.exhausted:
        return "done"
    counters = run.counters or records.empty_counters()
    ctx.counters = counters
    if isinstance(heartbeat, SampledHeartbeat):
        heartbeat.on_beat = partial(records.flush_due, ctx, counters=counters)
    try:
        with TicketPool(thread_count()) as pool:
            return _pages(ctx, checkpoint, heartbeat, counters, pool, deadline=deadline)
    finally:
        if isinstance(heartbeat, SampledHeartbeat):
            heartbeat.on_beat = None


def _pages(ctx: RunContext, checkpoint: Checkpoint, heartbeat: Heartbeat, counters: Counters, pool: TicketPool, *,
           deadline: float) -> str:
    run = ctx.run
    for page in _selection(ctx, checkpoint.cursor):
        tickets = page.tickets
        if run.kind == Run.Kind.DEMO:
            room = DEMO_LIMIT - run.context.get("demo_seen", 0)
            tickets = tickets[:max(room, 0)]
        if not handle_page(ctx, tickets, heartbeat, counters, pool,
                           should_yield=partial(_should_yield, run, deadline)):
            return "continue"  # the page's cursor stays: the next chunk reads it again, skips what is done
        _remember_newest_change(run, page.tickets)
        checkpoint.cursor = page.cursor
        checkpoint.pages += 1
        checkpoint.exhausted = page.cursor is None
        if run.kind == Run.Kind.DEMO:
            run.context["demo_seen"] = run.context.get("demo_seen", 0) + len(tickets)
            checkpoint.exhausted = checkpoint.exhausted or run.context["demo_seen"] >= DEMO_LIMIT
            Run.objects.filter(pk=run.pk).update(context=run.context)
        checkpoint.save()
        Run.objects.filter(pk=run.pk).update(context={**run.context, "transient_streak": 0})
        if checkpoint.exhausted:
            return "done"
        if time.monotonic() > deadline:
            return "continue"
        heartbeat.beat()
    return "done"


def _should_yield(run: Run, deadline: float) -> bool:
    """Between two groups of tickets: hand the worker over when the chunk's time is up. (A demo waiting
    for a worker is noticed sooner, by the heartbeat: SampledHeartbeat._renew.)"""
    return time.monotonic() > deadline


def demo_waiting(*, older_than: float) -> bool:
    """A demo's chunk has waited in the queue longer than `older_than` seconds."""
    now = timezone.now()
    return Run.objects.filter(kind=Run.Kind.DEMO, state=Run.State.RUNNING, lease_owner="",
                              queued_at__lt=now - timedelta(seconds=older_than)).filter(
        Q(resume_at__isnull=True) | Q(resume_at__lte=now)).exists()


def _remember_newest_change(run: Run, tickets: list[Ticket]) -> None:
    """The newest `updated_at` the source showed this run, by the source's own clock (saved with the
    page's checkpoint): a later delta asks for changes since the older of it and this run's start, so a
    source whose clock lags ours, or the sample help desk whose revisions are dated in the past, still
    yields what changed after this run."""
    stamps = [t.updated_at if t.updated_at.tzinfo else t.updated_at.replace(tzinfo=UTC)
              for t in tickets if t.updated_at is not None]
    if not stamps:
        return
    known = run.context.get("source_watermark")
    newest = max(stamps)
    if not known or datetime.fromisoformat(known) < newest:
        run.context["source_watermark"] = newest.isoformat()


def _finish(run: Run) -> None:
    fresh = Run.objects.get(pk=run.pk)
    if fresh.state != Run.State.RUNNING:
        return
    tickets = fresh.counters.get("tickets", {})
    # The stream has ended: what it yielded is the true total (counts() is an estimate before the run).
    tickets["total"] = records.tickets_handled(fresh.counters)
    Run.objects.filter(pk=run.pk, state=Run.State.RUNNING).update(
        state=Run.State.COMPLETED, finished_at=timezone.now(), phase="finish", counters=fresh.counters)
    notify_run_event(run_id=run.pk, event="completed")


def _stopped(run: Run) -> str:
    Run.objects.filter(pk=run.pk, state=Run.State.PAUSING).update(state=Run.State.PAUSED)
    return "done"


def _pause_for_attention(run: Run, reason: str) -> None:
    Run.objects.filter(pk=run.pk, state=Run.State.RUNNING).update(
        state=Run.State.PAUSED, reason=f"Paused: {reason}", resume_at=None)
    _remember_error(run.pk, reason)
    notify_run_event(run_id=run.pk, event="paused")


def _back_off(run: Run, exc: ConnectorError) -> str:
    fresh = Run.objects.get(pk=run.pk)
    streak = int(fresh.context.get("transient_streak", 0)) + 1
    _remember_error(run.pk, str(exc))
    if streak > setting("ENGINE_MAX_TRANSIENT_STREAK", 12):
        _pause_for_attention(run, f"the same problem kept coming back: {exc}")
        return "done"
    wait = min(300.0, 2.0 * (2 ** min(streak, 8)))
    Run.objects.filter(pk=run.pk).update(
        context={**fresh.context, "transient_streak": streak}, resume_at=timezone.now() + timedelta(seconds=wait))
    return "wait"


def keep_warnings(run_id: int, warnings: list[str]) -> None:
    """What the source could not read and the run did without (connectors' `warn()`): kept once each in
    `Run.context["warnings"]`, shown with the run's progress and report."""
    if not warnings:
        return
    with write_lock():
        fresh = Run.objects.get(pk=run_id)
        known = list((fresh.context or {}).get("warnings") or [])
        new = [w for w in dict.fromkeys(warnings) if w not in known]
        if new:
            Run.objects.filter(pk=run_id).update(context={**(fresh.context or {}), "warnings": (known + new)[-50:]})


def _remember_error(run_id: int, message: str) -> None:
    fresh = Run.objects.get(pk=run_id)
    errors = (fresh.recent_errors or [])[-19:] + [{"at": timezone.now().isoformat(), "message": message[:500]}]
    Run.objects.filter(pk=run_id).update(recent_errors=errors)
