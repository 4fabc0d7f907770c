"""RecordMap and counter bookkeeping for the runner (one writer per run: the lease holder)."""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.base import Agent, Contact
from migrations_engine import ticket_rules
from migrations_engine.journal import (
    Counters,
    RunContext,
    TicketWork,
    save_rows,
    save_unsaved,
    skip_key,
    write_entry,
)
from migrations_engine.models import RECORD_MAP_KEY, FrontWrite, RecordMap, Run
from migrations_engine.parallel import write_lock

ENTITIES = ("tickets", "messages", "notes", "contacts", "agents", "attachments", "accounts", "articles")


def empty_counters() -> Counters:
    return {e: {"total": 0, "done": 0, "failed": 0, "skipped": 0} for e in ENTITIES}


def tickets_handled(counters: Counters | None) -> int:
    """Tickets this run has settled, whatever the outcome (done, failed or skipped)."""
    tickets = (counters or {}).get("tickets", {})
    return sum(tickets.get(s, 0) for s in ("done", "failed", "skipped"))


def add_counts(counters: Counters, counts: Counter[str]) -> None:
    """Fold a ticket's work counts (messages, messages_failed, attachments_skipped...) into the run's."""
    for key, value in counts.items():
        entity, _, state = key.partition("_")
        if entity not in counters:
            continue
        counters[entity][state or "done"] = counters[entity].get(state or "done", 0) + value


def ensure_ticket_records(*, migration_id: int, ticket_ids: list[str]) -> dict[str, RecordMap]:
    RecordMap.objects.bulk_create(
        [RecordMap(migration_id=migration_id, entity="ticket", source_id=sid) for sid in ticket_ids],
        ignore_conflicts=True,
    )
    rows = RecordMap.objects.filter(migration_id=migration_id, entity="ticket", source_id__in=ticket_ids)
    return {r.source_id: r for r in rows}


def record_contact(ctx: RunContext, *, contact: Contact, front_id: str, error: str, warning: str = "",
                   applied: dict[str, Any] | None = None, notes: Sequence[str] = ()) -> None:
    """The contact's RecordMap row, saved with the next batch of settled tickets (`flush_settled`) and
    counted in the same transaction, so an interruption never loses or repeats a count. Losing the row
    to a crash costs a lookup again, never a duplicate: the next execution finds the contact in Front by
    its handle, and what is applied to it (handles, fields, description, account) is applied again as is.

    `applied` / `notes`: what was applied to the Front contact and what could not be (people.py), kept on
    the same row.

    `warning` (an address left out) is the reason of a done row, or of a skipped one when no contact
    was made. A contact counts once per run and state (a row of an earlier run counts again)."""
    if error:
        state = RecordMap.State.FAILED
    else:
        state = RecordMap.State.DONE if front_id or not warning else RecordMap.State.SKIPPED
    values: dict[str, Any] = {"state": state, "reason": " ".join([error or warning, *notes]).strip()[:1000],
                              "front_id": front_id, "last_run_id": ctx.run.pk}
    if applied is not None:
        values["applied"] = applied
    if ctx.counters is None:  # outside a chunk's lease: no counters, no batch to ride; saved at once
        with write_lock(), transaction.atomic():
            _save_contacts(ctx, {contact.source_id: values}, timezone.now())
        return
    with ctx.counters_lock:
        ctx.unsaved_contacts[contact.source_id] = values


CONTACT_FIELDS = ["state", "reason", "front_id", "last_run", "applied", "attempts", "updated_at"]


def _save_contacts(ctx: RunContext, contacts: dict[str, dict[str, Any]], now: Any) -> Counter[str]:
    """Write the contacts' rows (one read, one INSERT, one UPDATE at most); the counts of those new to this
    run or to their state."""
    fresh: Counter[str] = Counter()
    existing = {row.source_id: row for row in RecordMap.objects.filter(
        migration_id=ctx.migration.pk, entity="contact", source_id__in=list(contacts))}
    new, changed = [], []
    for source_id, values in contacts.items():
        row = existing.get(source_id)
        if row is None or row.last_run_id != ctx.run.pk or row.state != values["state"]:
            fresh[values["state"]] += 1
        if row is None:
            new.append(RecordMap(migration_id=ctx.migration.pk, entity="contact", source_id=source_id, attempts=1,
                                 **values))
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.attempts += 1
        row.updated_at = now
        changed.append(row)
    # The unique constraint still guards the rows; the lease makes this execution their only writer.
    RecordMap.objects.bulk_create(new)
    save_rows(RecordMap, changed, unique_fields=RECORD_MAP_KEY, update_fields=CONTACT_FIELDS)
    return fresh


def count_earlier_writes(ctx: RunContext, work: TicketWork) -> None:
    """Fold in what an earlier, interrupted execution of this run wrote for this ticket.

    A ticket's counts join the run's counters only when it completes; if the chunk stopped before
    (pause, Front failing, a killed worker), its journal rows of this run were never counted, and the
    sync now skips them. Completed tickets are never handled twice in a run, so these rows are exactly
    the uncounted ones. Attachments are counted again from the source message (same rules as a send)."""
    by_id = {m.source_id: m for m in work.ticket.messages}
    for row in work.journal.values():
        if row.run_id != ctx.run.pk or row.state not in (FrontWrite.State.SENT, FrontWrite.State.SKIPPED):
            continue
        entity = "messages" if row.kind == FrontWrite.Kind.MESSAGE else "notes"
        if row.state == FrontWrite.State.SKIPPED:
            work.counts[f"{entity}_skipped"] += 1
            continue
        work.counts[entity] += 1
        message = by_id.get(row.source_id)
        if message is None or not message.attachments:
            continue
        scratch = TicketWork(ticket=work.ticket, record=work.record, journal={})
        work.counts["attachments"] += len(ticket_rules.wanted_attachments(ctx, scratch, list(message.attachments)))
        work.counts.update(scratch.counts)
        work.reasons.extend(scratch.reasons)


def record_agents(*, run: Run, agents: list[Agent], mapping_: dict[str, str], how: dict[str, str]) -> dict[str, int]:
    """One row per source agent: done when matched, skipped (with the reason) when it fell to the default."""
    counts = {"total": len(agents), "done": 0, "failed": 0, "skipped": 0}
    for agent in agents:
        teammate = mapping_.get(agent.source_id, "")
        if how.get(agent.source_id) == "default":
            state, reason = RecordMap.State.SKIPPED, _default_reason(agent)
        else:
            state, reason = RecordMap.State.DONE, f"Mapped to teammate {teammate} ({how.get(agent.source_id)})."
        counts["done" if state == "done" else "skipped"] += 1
        RecordMap.objects.update_or_create(
            migration_id=run.migration_id, entity="agent", source_id=agent.source_id,
            defaults={"state": state, "reason": reason, "front_id": teammate, "last_run": run},
        )
    return counts


def _default_reason(agent: Agent) -> str:
    if agent.deleted:
        why = "deleted in the source"
    elif not agent.active:
        why = "inactive in the source"
    else:
        why = "no matching Front teammate"
    return f"Agent {why}: their records go to the default teammate."


# Settled tickets are saved together (`flush_settled`): when this many wait, or this long after the last
# save (checked when a ticket settles and by the heartbeat: `flush_due`). One transaction for a few dozen
# tickets instead of one each, on every database; on a slow budget tickets settle seconds apart and each is
# saved at once, so the saved progress lags the work by about a second at most.
FLUSH_TICKETS = 64
FLUSH_SECONDS = 1.0
RECORD_FIELDS = ["state", "reason", "attempts", "last_run", "lineage", "front_id", "message_ids", "comment_ids",
                 "applied", "source_url", "deleted_in_source", "updated_at"]


def complete_ticket(ctx: RunContext, work: TicketWork, *, counters: Counters) -> str:
    """Settle the ticket's final state for this run; it is saved, with its counts folded into the run's
    counters, in one transaction with the other tickets settled meanwhile (`flush_settled`).

    Until then an interruption leaves the ticket pending, and the next execution syncs it again: its
    Front writes are in the journal already (each recorded right after it happened), so nothing is sent
    twice and `count_earlier_writes` counts them once."""
    rec, t = work.record, work.ticket
    if work.failed:
        state = RecordMap.State.FAILED
    elif t.deleted and not rec.front_id and not work.conversation_id:
        state = RecordMap.State.SKIPPED
    elif not t.messages and not t.deleted:
        state = RecordMap.State.SKIPPED
        work.reasons.append("The ticket has no messages or notes: there is nothing to put in a conversation.")
    else:
        state = RecordMap.State.DONE
    rec.state = state
    rec.reason = " ".join(work.reasons)[:2000]
    rec.lineage = ctx.lineage
    if work.conversation_id:
        rec.front_id = work.conversation_id
    rec.message_ids = [r.message_uid for r in work.journal.values() if r.kind == "message" and r.message_uid][-50:]
    rec.comment_ids = [r.comment_id for r in work.journal.values() if r.kind == "comment" and r.comment_id][-50:]
    if not t.deleted and state == RecordMap.State.DONE:
        applied = dict(rec.applied) if rec.lineage == ctx.lineage else {}
        applied.update(ticket_rules.desired_state(ctx, work))
        rec.applied = applied
    rec.source_url = (t.url or "")[:500]
    rec.last_run_id = ctx.run.pk
    with ctx.counters_lock:
        ctx.settled.append(work)
        if len(ctx.settled) >= FLUSH_TICKETS or time.monotonic() - ctx.flushed_at >= FLUSH_SECONDS:
            flush_settled(ctx, counters=counters)
    return state


def flush_due(ctx: RunContext, *, counters: Counters) -> None:
    """From the heartbeat (after each ticket, and every half second while a call waits for the budget):
    tickets settled more than a second ago are saved even when no other ticket settles soon after them."""
    if (ctx.settled or ctx.unsaved_contacts) and time.monotonic() - ctx.flushed_at >= FLUSH_SECONDS:
        flush_settled(ctx, counters=counters)


def flush_settled(ctx: RunContext, *, counters: Counters) -> None:
    """Save every settled ticket and fold its counts into the run's counters, in one transaction, so the
    saved counters always match the tickets saved as completed. Called by the thread that settles a
    ticket when the batch is due, by the heartbeat, before a stop or an error leaves a group, and at the
    end of each page (before its checkpoint)."""
    with ctx.counters_lock:
        ctx.flushed_at = time.monotonic()
        if not ctx.settled and not ctx.unsaved_contacts:
            return
        settled, contacts, now = list(ctx.settled), dict(ctx.unsaved_contacts), timezone.now()
        folded = copy.deepcopy(counters)
        for work in settled:
            folded["tickets"][work.record.state] += 1
            add_counts(folded, work.counts)
            work.record.updated_at = now
        with write_lock(), transaction.atomic():
            # The tickets' deferred journal rows (write_entry(defer=True): messages after the first uid,
            # comment confirmations, conversation ids from uid lookups) ride along.
            save_unsaved(settled)
            save_rows(RecordMap, [work.record for work in settled], unique_fields=RECORD_MAP_KEY,
                      update_fields=RECORD_FIELDS)
            if contacts:
                for state, count in _save_contacts(ctx, contacts, now).items():
                    folded.setdefault("contacts", {}).setdefault(state, 0)
                    folded["contacts"][state] += count
            for work in settled:
                if work.ticket.merged_ids:
                    record_merged(ctx, work, state=work.record.state)
            Run.objects.filter(pk=ctx.run.pk).update(counters=folded, heartbeat_at=now)
        # Saved: only now do the in-memory counters move.
        for entity, values in folded.items():
            counters.setdefault(entity, {}).update(values)
        ctx.run.counters, ctx.run.heartbeat_at = counters, now
        ctx.settled.clear()
        ctx.unsaved_contacts.clear()


def note_skipped(ctx: RunContext, work: TicketWork) -> None:
    """What the connector left out of the ticket (Help Scout line items, workflow notes, drafts...) goes
    in the report: a skipped message row with the connector's plain reason, counted once per lineage."""
    t = work.ticket
    if not t.skipped:
        return
    reasons: dict[str, None] = {}
    for item in t.skipped:
        reasons.setdefault(item.reason, None)
        if item.kind == "attachment":
            work.counts["attachments_skipped"] += 1
            continue
        if item.kind != "message":
            continue
        key = skip_key(lineage=ctx.lineage, ticket_id=t.source_id, kind=item.kind, source_id=item.source_id)
        if key in work.journal:
            continue  # recorded by an earlier run or execution (counted there, or by count_earlier_writes)
        write_entry(ctx, work, kind=FrontWrite.Kind.MESSAGE, key=key, source_id=item.source_id,
                    state=FrontWrite.State.SKIPPED, reason=item.reason, defer=True)
        work.counts["messages_skipped"] += 1
    work.reasons.append(f"{len(t.skipped)} source record(s) left out: " + " ".join(reasons))


def record_merged(ctx: RunContext, work: TicketWork, *, state: str) -> None:
    """Source tickets merged into this one: their record points at this ticket's conversation, so the
    report (and a retry or delta that asks for the old id) shows where their messages went."""
    t, rec = work.ticket, work.record
    for old_id in dict.fromkeys(i for i in t.merged_ids if i and i != t.source_id):
        reason = f"Merged into ticket {t.source_id} in the source: migrated as part of that conversation."
        row, _ = RecordMap.objects.get_or_create(migration_id=ctx.migration.pk, entity="ticket", source_id=old_id)
        if row.state == RecordMap.State.DONE and row.front_id and row.front_id != rec.front_id:
            # Migrated on its own before the merge: its conversation stays; say where the rest went.
            row.reason = reason if not row.reason else f"{row.reason} {reason}"[:2000]
        else:
            row.state = RecordMap.State.SKIPPED if state == RecordMap.State.DONE else state
            row.reason = reason
            row.front_id = rec.front_id
            row.lineage = ctx.lineage
        row.last_run_id = ctx.run.pk
        row.save()


def reset_for_lineage(rec: RecordMap, lineage: str) -> None:
    """Front ids of another lineage (an earlier demo, a removed generation) do not belong to this run."""
    if rec.lineage != lineage:
        rec.front_id = ""
        rec.message_ids = []
        rec.comment_ids = []
        rec.applied = {}
        rec.deleted_in_source = False
        rec.lineage = lineage

