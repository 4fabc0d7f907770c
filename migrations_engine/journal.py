"""The journal and the state one ticket's sync carries: what pipeline.py, finish.py and records.py share.

- `RunContext`: what a run learns once (clients, teammates, inbox address, custom fields) and its caches;
- `TicketWork`: one ticket between the two phases (its record-map row, its journal rows, its counts);
- the journal rows (`FrontWrite`, docs/engine.md "The journal protocol"): written after each Front write
  (`write_entry`): at once when a later write depends on the row, else kept with the ticket (`defer=True`)
  and saved with its next durable write or when it settles (`save_unsaved`); comment intents claimed
  in one INSERT that leaves a row another execution wrote alone (`claim_intents`); read afresh where
  another execution may have written (`read_entries`), loaded per page (`entries_for`); and the
  conversation id learnt from them (`conversation_of`).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import DatabaseError, models
from django.db.models.constants import OnConflict

from connectors.base import ConnectorError, SourceConnector, Ticket
from connectors.front import FrontClient, InvalidRequest, NotFound
from migrations_engine.models import FrontWrite, RecordMap, Run
from migrations_engine.parallel import write_lock

if TYPE_CHECKING:
    from migrations_engine.accounts import AccountBook
    from wizard.models import Migration

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=models.Model)

# Errors that say something about this record (not about the network or the account): the record
# ends failed with the reason and the run goes on.
RECORD_ERRORS = (InvalidRequest, NotFound)

# Comment rows that still need the second phase: an intent (maybe sent before a crash: the marker is
# looked for first) or a failure (a retry or a later sync tries again, as failed messages are re-sent).
UNSETTLED = (FrontWrite.State.INTENT, FrontWrite.State.FAILED)

Counters = dict[str, dict[str, int]]  # entity -> {"total", "done", "failed", "skipped"}


class FrontStillProcessing(ConnectorError):
    """Front has not finished processing an import yet: a transient condition, the chunk is retried."""

    code = "front_processing"


@dataclass
class RunContext:
    """Everything a run learns once (teammates, inbox address, custom fields) plus its caches."""

    run: Run
    migration: Migration
    snapshot: dict[str, Any]
    client: FrontClient
    comment_client: FrontClient  # never retries by itself: Front does not deduplicate comments
    source: SourceConnector
    namespace: str
    lineage: str
    teammates: dict[str, str]
    default_teammate: str
    teammate_emails: dict[str, str]
    inbox_address: str
    front_custom_fields: set[str]
    agent_names: dict[str, str] = field(default_factory=dict)
    retry_delay: float = 0.5
    contacts: dict[str, str] = field(default_factory=dict)
    requesters_checked: set[str] = field(default_factory=set)  # no contact in the record map at page start
    # The run's counters while a chunk holds the lease (the runner sets it); contacts are folded in in
    # the transaction that saves their rows, so an interruption never loses or repeats them.
    counters: Counters | None = None
    # Tickets run on several threads (parallel.py): the counters and the Run row they are saved to
    # change under this lock; a requester's lock makes a second ticket of the same requester wait for
    # the first one's lookup instead of creating the contact twice.
    counters_lock: threading.RLock = field(default_factory=threading.RLock)
    requester_locks: dict[str, threading.Lock] = field(default_factory=dict)
    accounts: AccountBook | None = None  # organizations -> Front accounts, made once (accounts.py)
    # Other Front clients a phase made (the knowledge base's, on the API token): counted and closed too.
    extra_clients: list[FrontClient] = field(default_factory=list)
    # Tickets settled and not saved yet, and when they were last saved (records.flush_settled).
    settled: list[TicketWork] = field(default_factory=list)
    flushed_at: float = 0.0
    # Contacts' record-map values not saved yet, by source id: saved and counted with the next batch.
    unsaved_contacts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def requester_lock(self, source_id: str) -> threading.Lock:
        with self.counters_lock:
            return self.requester_locks.setdefault(source_id, threading.Lock())

    def teammate_name(self, agent_id: str | None) -> str | None:
        return self.agent_names.get(agent_id or "")


@dataclass
class TicketWork:
    """The state of one ticket between the two phases."""

    ticket: Ticket
    record: RecordMap
    journal: dict[str, FrontWrite]
    counts: Counter[str] = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)
    failed: bool = False
    imported_now: int = 0
    conversation_id: str = ""
    needs_finish: bool = False
    # Journal rows written since the ticket's last save, by key (write_entry(defer=True), conversation_of).
    unsaved: dict[str, FrontWrite] = field(default_factory=dict)
    # Comment keys whose intent this execution inserted (claim_intents, or with the first uid): no other
    # execution can have posted them, so they are posted without reading their rows again.
    claimed: set[str] = field(default_factory=set)

    def has_saved_uid(self) -> bool:
        """A message uid of this ticket is in the database: its conversation can be found after a crash."""
        return any(row.kind == "message" and row.message_uid and key not in self.unsaved
                   for key, row in self.journal.items())


def write_entry(ctx: RunContext, work: TicketWork, *, kind: str, key: str, source_id: str, state: str,
                reason: str = "", defer: bool = False, intents: dict[str, str] | None = None,
                **ids: str) -> FrontWrite:
    """Write one journal row: one INSERT for a new key, one UPDATE of the changed columns otherwise.

    `defer=True` when no later Front write depends on the row: it is kept with the ticket and saved
    with the ticket's next durable write or when the ticket settles (`save_unsaved`). Losing it to a
    crash costs a call, never a duplicate: a message's re-import is refused as a duplicate external id
    (its uid stays unknown, so the first uid of a ticket is never deferred), and a comment whose intent
    is saved but not its confirmation is looked for by its marker before anything is sent again.

    `intents` ({comment key: note id}): comments of the ticket to claim in the same INSERT as a new row
    (a ticket's first uid carries them: one round trip instead of two; see `claim_intents`)."""
    fields = _fields(ctx, work, kind=kind, source_id=source_id, state=state, reason=reason, **ids)
    row = work.journal.get(key)
    if defer:
        if row is None:
            row = FrontWrite(migration_id=ctx.migration.pk, key=key, **fields)
        else:
            for name, value in fields.items():
                setattr(row, name, value)
        work.journal[key] = work.unsaved[key] = row
        return row
    work.unsaved.pop(key, None)
    if row is None or row.pk is None:
        row = FrontWrite(migration_id=ctx.migration.pk, key=key, **fields)
        riders = _intent_rows(ctx, work, {k: v for k, v in (intents or {}).items() if k not in work.journal})
        inserted = _insert_new(work, [row, *riders])
        work.claimed |= inserted - {key}
        if key not in inserted:  # written by an execution this one did not know about
            with write_lock():
                row, _ = FrontWrite.objects.update_or_create(migration_id=ctx.migration.pk, key=key, defaults=fields)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        with write_lock():
            row.save(update_fields=list(fields))
    work.journal[key] = row
    return row


def _fields(ctx: RunContext, work: TicketWork, *, kind: str, source_id: str, state: str, reason: str = "",
            **ids: str) -> dict[str, Any]:
    return {"run_id": ctx.run.pk, "lineage": ctx.lineage, "kind": kind, "ticket_source_id": work.ticket.source_id,
            "source_id": source_id, "state": state, "reason": reason[:1000], **ids}


def _intent_rows(ctx: RunContext, work: TicketWork, intents: dict[str, str], **ids: str) -> list[FrontWrite]:
    return [FrontWrite(migration_id=ctx.migration.pk, key=key,
                       **_fields(ctx, work, kind="comment", source_id=source_id, state="intent", **ids))
            for key, source_id in intents.items()]


def _insert_new(work: TicketWork, rows: list[FrontWrite]) -> set[str]:
    """INSERT the rows in one statement, leaving alone any key already in the database; the keys
    inserted (their rows join the ticket's journal, saved). Outside a transaction the statement is its
    own: one round trip. `bulk_create(ignore_conflicts=True)` cannot say which rows were inserted (and
    wraps even one statement in BEGIN/COMMIT), hence its lower half, `QuerySet._insert`, with RETURNING
    (PostgreSQL; SQLite since 3.35, which Django 5.2 requires)."""
    if not rows:
        return set()
    by_key = {row.key: row for row in rows}
    opts = FrontWrite._meta
    with write_lock():
        returned = FrontWrite.objects._insert(  # type: ignore[attr-defined]
            rows, fields=[f for f in opts.concrete_fields if not f.primary_key],
            returning_fields=[opts.pk, opts.get_field("key")], on_conflict=OnConflict.IGNORE)
    inserted: set[str] = set()
    for found in returned:
        if not found:  # a single row refused: the driver's fetchone() gives None
            continue
        pk, key = found
        row = by_key[key]
        row.pk = pk
        row._state.adding = False
        row._state.db = FrontWrite.objects.db
        work.journal[key] = row
        work.unsaved.pop(key, None)
        inserted.add(key)
    return inserted


def claim_intents(ctx: RunContext, work: TicketWork, intents: dict[str, str], **ids: str) -> set[str]:
    """Write the intents of comments whose keys this execution has no row of ({key: note id}) in one
    INSERT that leaves alone a key already in the database; return the keys inserted (also added to
    `work.claimed`).

    A key not returned was written since the page's journal was loaded, by an execution that took the
    run over: its row decides (read it). A key returned is this execution's to post, and no other
    execution can claim it: one round trip, where a fresh read then an upsert took a read, a BEGIN, the
    INSERT and a COMMIT, and left a gap between the two."""
    claimed = _insert_new(work, _intent_rows(ctx, work, intents, **ids))
    work.claimed |= claimed
    return claimed


# What a deferred row may change once written (never its identity or its creation time).
MUTABLE_FIELDS = ["run", "lineage", "kind", "ticket_source_id", "source_id", "state", "reason", "message_uid",
                  "message_id", "conversation_id", "comment_id"]


def save_unsaved(works: Iterable[TicketWork]) -> None:
    """Save the deferred journal rows of `works`: one upsert for the new ones (should another execution
    have written a key meanwhile) and one for the known ones, whatever their number."""
    works = list(works)
    rows = {key: row for work in works for key, row in work.unsaved.items()}
    if not rows:
        return
    with write_lock():
        save_rows(FrontWrite, list(rows.values()), unique_fields=["migration", "key"], update_fields=MUTABLE_FIELDS)
    for work in works:
        work.unsaved.clear()


def save_rows(model: type[M], rows: list[M], *, unique_fields: list[str], update_fields: list[str]) -> None:
    """Save rows new and known in one INSERT ... ON CONFLICT DO UPDATE per kind (with a primary key or
    without). `bulk_update` would write `SET f = CASE WHEN id = 1 THEN ... END` for every field: a
    statement whose size, parse and plan grow with fields x rows and whose execution grows with rows
    squared; an upsert grows with the rows. A known row is found by its unique fields and updated."""
    if rows:
        model._default_manager.bulk_create(rows, update_conflicts=True, unique_fields=unique_fields,
                                           update_fields=update_fields)


@contextmanager
def saved_on_error(works: Iterable[TicketWork]) -> Iterator[None]:
    """Tickets left unsettled by an error (a stop, Front failing, a bug) keep what they wrote: their
    deferred rows are saved before the error goes on, unless the database itself is what failed."""
    try:
        yield
    except BaseException:
        try:
            save_unsaved(works)
        except DatabaseError:
            logger.warning("journal rows of %d ticket(s) not saved after an error; their re-sends will be "
                           "refused as duplicates", len(list(works)))
        raise


def read_entries(ctx: RunContext, keys: list[str], *, ticket_id: str) -> dict[str, FrontWrite]:
    """The journal rows of `keys` (all of ticket `ticket_id`) as the database holds them now (another
    execution may have written them): one query, none for no keys. The ticket narrows it to the ticket's
    index whatever the planner knows: with several keys and no table statistics yet, PostgreSQL would
    otherwise read every row of the migration."""
    if not keys:
        return {}
    rows = FrontWrite.objects.filter(migration_id=ctx.migration.pk, ticket_source_id=ticket_id, key__in=keys)
    return {row.key: row for row in rows}


def entries_for(*, migration_id: int, lineage: str, ticket_ids: list[str]) -> dict[str, dict[str, FrontWrite]]:
    """A page's journal: {ticket id: {key: row}} for this lineage."""
    grouped: dict[str, dict[str, FrontWrite]] = {sid: {} for sid in ticket_ids}
    for row in FrontWrite.objects.filter(migration_id=migration_id, lineage=lineage, ticket_source_id__in=ticket_ids):
        grouped.setdefault(row.ticket_source_id, {})[row.key] = row
    return grouped


def skip_key(*, lineage: str, ticket_id: str, kind: str, source_id: str) -> str:
    """Journal key of a source record the connector left out (never an external id: nothing is sent)."""
    return f"{lineage}:skip:{ticket_id}:{kind}:{source_id}"[:255]


def known_uids(work: TicketWork) -> list[str]:
    """The ticket's imported message uids, oldest first."""
    rows = [r for r in work.journal.values() if r.kind == "message" and r.message_uid and r.state == "sent"]
    rows.sort(key=lambda r: r.created_at)
    return [r.message_uid for r in rows]


def conversation_of(ctx: RunContext, work: TicketWork) -> str | None:
    """The ticket's Front conversation id: known, or from the latest uid (None while Front processes)."""
    if work.conversation_id:
        return work.conversation_id
    if work.record.front_id and work.record.lineage == ctx.lineage:
        work.conversation_id = work.record.front_id
        return work.conversation_id
    for row in work.journal.values():
        if row.conversation_id:
            work.conversation_id = row.conversation_id
            return work.conversation_id
    uids = known_uids(work)
    if not uids:
        return None
    resolved = ctx.client.resolve_uid(uids[-1])
    message_id, conversation_id = resolved or ("", None)
    if conversation_id is None:  # not processed yet (or no conversation link: ask again)
        return None
    row = next(r for r in work.journal.values() if r.kind == "message" and r.message_uid == uids[-1])
    row.message_id, row.conversation_id = message_id, conversation_id
    work.unsaved[row.key] = row  # saved with the ticket: a lost one costs one lookup again, never a write
    work.conversation_id = conversation_id
    return conversation_id
