"""One page of source tickets: both pipeline phases, several tickets at a time (see parallel.py).

Tickets go through in groups. A group's imports run together with the second phase (notes, custom
fields, updates: what needs the conversation id) of the group before it, so by the time a ticket's
uid is looked up Front has had a whole group's time to process its imports: the lookup is rarely
empty, and no thread sits idle waiting for it while others can work. What is still not processed at
the end of the page is asked again with a growing pause, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import Enum
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError

from connectors.base import BadCredentials, ConnectorError, InvalidConfig, MissingPermission, Ticket
from migrations_engine import finish, pipeline, records
from migrations_engine.journal import Counters, RunContext, TicketWork, entries_for, saved_on_error
from migrations_engine.lease import Heartbeat, StopRequested
from migrations_engine.models import FrontWrite, RecordMap, Run
from migrations_engine.parallel import Outcome, TicketPool, batched, write_lock

logger = logging.getLogger(__name__)

ATTENTION_ERRORS = (BadCredentials, MissingPermission, InvalidConfig)
# Errors that stop the whole chunk rather than one ticket (the runner decides what follows).
CHUNK_ERRORS = (*ATTENTION_ERRORS, OperationalError, InterfaceError)
FINISH_ATTEMPTS = 8
MIN_GROUP = 8
T = TypeVar("T")


def handle_page(ctx: RunContext, tickets: list[Ticket], heartbeat: Heartbeat, counters: Counters,
                pool: TicketPool, *, should_yield: Callable[[], bool] | None = None) -> bool:
    """Both phases for one page of tickets; tickets already handled by this run are skipped.

    `should_yield` is asked between two groups: when it says so, no new ticket starts, the tickets
    started settle, and False says the page is not complete (its checkpoint is not moved: the next
    chunk reads the page again and skips what this run completed). True when the page is complete."""
    run = ctx.run
    ids = [t.source_id for t in tickets]
    with write_lock():
        recs = records.ensure_ticket_records(migration_id=run.migration_id, ticket_ids=ids)
    journals = entries_for(migration_id=run.migration_id, lineage=ctx.lineage, ticket_ids=ids)
    # A ticket listed twice in one page (an incremental export may repeat an updated ticket) is handled
    # once, in its latest form: two threads on one ticket could post its notes twice.
    latest = {t.source_id: t for t in tickets}
    todo = [t for t in latest.values()
            if not (recs[t.source_id].last_run_id == run.pk and recs[t.source_id].state != "pending")]
    pipeline.remember_known_requesters(ctx, todo)
    waiting: list[TicketWork] = []
    # Groups of twice the threads: enough to keep every thread busy, small enough that progress moves
    # every few dozen calls on a slow budget.
    complete = True
    for number, group in enumerate(_groups(ctx, todo, counters, max(MIN_GROUP, 2 * pool.size))):
        if number and should_yield is not None and should_yield():  # every chunk moves by a group at least
            complete = False
            break
        jobs: list[Callable[[], TicketWork | bool | None]] = [
            partial(_import_job, ctx, t, recs[t.source_id], journals.get(t.source_id, {}), heartbeat, counters)
            for t in group]
        jobs += [partial(_finish_job, ctx, work, heartbeat, counters, final=False) for work in waiting]
        outcomes = pool.run(jobs)
        imported, finished = outcomes[:len(group)], outcomes[len(group):]
        started = waiting + [o.value for o in imported if isinstance(o.value, TicketWork)]
        waiting = [work for work, o in zip(waiting, finished, strict=True) if o.value is False] + started[len(waiting):]
        # An error raised here leaves unsettled tickets behind: their deferred journal rows are saved
        # first (the next chunk then skips what they imported). Settled ones have nothing left to save.
        with saved_on_error(started):
            _settle(ctx, outcomes, heartbeat, counters)
    with saved_on_error(waiting):
        finish_waiting(ctx, waiting, heartbeat, counters, pool)
    records.flush_settled(ctx, counters=counters)  # every ticket saved before the page's checkpoint moves
    return complete


def _groups(ctx: RunContext, todo: list[Ticket], counters: Counters, size: int) -> list[Sequence[Ticket]]:
    """The page's tickets in groups. A demo's very first ticket goes alone: someone is watching for the
    first conversation, and on a tight budget the other threads' calls (their contacts, accounts, tags)
    would otherwise come between it and its import."""
    if ctx.run.kind == Run.Kind.DEMO and todo and not records.tickets_handled(counters):
        return [todo[:1], *batched(todo[1:], size)]
    return list(batched(todo, size))


def finish_waiting(ctx: RunContext, waiting: list[TicketWork], heartbeat: Heartbeat, counters: Counters,
                   pool: TicketPool) -> None:
    """The second phase for tickets whose conversation id is not known yet, with a growing pause."""
    delay = 0.2
    for attempt in range(FINISH_ATTEMPTS):
        if not waiting:
            return
        final = attempt == FINISH_ATTEMPTS - 1
        outcomes = pool.run([partial(_finish_job, ctx, work, heartbeat, counters, final=final) for work in waiting])
        _settle(ctx, outcomes, heartbeat, counters)
        waiting = [work for work, o in zip(waiting, outcomes, strict=True) if o.value is False]
        if waiting:
            heartbeat.sleep(delay)
            delay = min(delay * 2, 5.0)


def _settle(ctx: RunContext, outcomes: list[Outcome[T]], heartbeat: Heartbeat, counters: Counters) -> None:
    """After a group: a stop (pause, lease lost, window end) wins, then the first other error; the tickets
    completed so far are saved before either goes on. Otherwise they are saved when their batch is due
    (records.FLUSH_TICKETS / FLUSH_SECONDS) or at the end of the page, before its checkpoint."""
    try:
        heartbeat.raise_if_stopped()
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
    except BaseException:
        records.flush_settled(ctx, counters=counters)
        raise
    records.flush_due(ctx, counters=counters)


def _import_job(ctx: RunContext, ticket: Ticket, rec: RecordMap, journal: dict[str, FrontWrite],
                heartbeat: Heartbeat, counters: Counters) -> TicketWork | None:
    """First phase of one ticket. Returns its TicketWork when the second phase is needed, else None."""
    heartbeat.raise_if_stopped()  # stop after the tickets already started, not after the whole group
    run = ctx.run
    records.reset_for_lineage(rec, ctx.lineage)
    if rec.last_run_id != run.pk:
        rec.attempts = 0
    rec.attempts += 1
    rec.last_run_id = run.pk
    rec.state = "pending"
    work = TicketWork(ticket=ticket, record=rec, journal=journal)
    with saved_on_error([work]):  # a stop or an error keeps what the ticket wrote to Front in the journal
        records.count_earlier_writes(ctx, work)
        records.note_skipped(ctx, work)
        if _guarded(ctx, work, counters, lambda: pipeline.import_phase(ctx, work)) is GAVE_UP:
            return None
        heartbeat.beat()
        if work.needs_finish and not work.failed:
            return work
        records.complete_ticket(ctx, work, counters=counters)
        return None


def _finish_job(ctx: RunContext, work: TicketWork, heartbeat: Heartbeat, counters: Counters, *,
                final: bool) -> bool:
    """Second phase of one ticket: True when settled, False when Front has not processed it yet."""
    with saved_on_error([work]):  # stopped before or after its phase: what it kept is saved
        heartbeat.raise_if_stopped()
        finished = _guarded(ctx, work, counters, lambda: finish.finish_phase(ctx, work, final=final))
        if finished is GAVE_UP:
            return True
        if finished:
            records.complete_ticket(ctx, work, counters=counters)
        heartbeat.beat()
        return finished


class GaveUp(Enum):
    GAVE_UP = "gave up"  # a transient error came once too often: the ticket was completed as failed


GAVE_UP = GaveUp.GAVE_UP


def _guarded(ctx: RunContext, work: TicketWork, counters: Counters, phase: Callable[[], T]) -> T | bool | GaveUp:
    """Run one phase of a ticket. Chunk-level errors and transient ones still worth a retry propagate
    (the chunk stops); GAVE_UP when retries are exhausted; any other error is bad input, which is data:
    the record fails with a reason, the phase counts as done (True) and the run goes on."""
    try:
        return phase()
    except (*CHUNK_ERRORS, StopRequested):  # a stop noticed while a call waited on the budget: not the ticket's
        raise
    except ConnectorError as exc:
        if not record_transient(ctx, work, exc, counters):
            raise
        return GAVE_UP
    except Exception as exc:
        logger.exception("ticket %s of run %s failed", work.ticket.source_id, ctx.run.pk)
        work.failed = True
        work.reasons.append(f"Unexpected error while migrating this ticket ({type(exc).__name__}).")
        return True


def record_transient(ctx: RunContext, work: TicketWork, exc: ConnectorError, counters: Counters) -> bool:
    """A transient error on one ticket: retried by the next chunk, unless it keeps failing (then failed)."""
    if work.record.attempts < getattr(settings, "ENGINE_MAX_ATTEMPTS", 5):
        with write_lock():
            work.record.save(update_fields=["attempts", "last_run", "state", "lineage", "front_id", "applied"])
        return False
    work.failed = True
    work.reasons.append(f"Gave up after {work.record.attempts} attempts: {exc}")
    records.complete_ticket(ctx, work, counters=counters)
    return True
