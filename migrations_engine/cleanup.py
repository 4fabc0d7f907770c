"""Removing what earlier runs created in Front (status *deleted*): demo clean-up and re-migration.

The conversations are known from our own journal: every message we imported has a row with its uid
and, once resolved, its conversation id. Setting a conversation to deleted is idempotent, so an
interrupted clean-up simply runs again; rows are flagged `removed` once their conversation is done.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.front import FrontClient, NotFound
from migrations_engine.journal import RunContext
from migrations_engine.models import FrontWrite, RecordMap


def delete_lineages(*, client: FrontClient, migration_id: int, lineages: list[str],
                    heartbeat: Callable[[], None] = lambda: None) -> int:
    """Set every conversation written under these lineages to deleted; returns how many."""
    rows = FrontWrite.objects.filter(migration_id=migration_id, lineage__in=lineages, removed=False)
    by_ticket: dict[tuple[str, str], list[FrontWrite]] = {}
    for row in rows.order_by("created_at"):
        by_ticket.setdefault((row.lineage, row.ticket_source_id), []).append(row)
    known = {
        (r.lineage, r.source_id): r.front_id
        for r in RecordMap.objects.filter(migration_id=migration_id, entity="ticket", lineage__in=lineages)
        .exclude(front_id="")
    }
    removed = 0
    done: set[str] = set()
    for (lineage, ticket_id), writes in by_ticket.items():
        conversation_id = known.get((lineage, ticket_id)) or next(
            (w.conversation_id for w in writes if w.conversation_id), None)
        if not conversation_id:
            for w in reversed(writes):
                if w.message_uid:
                    resolved = client.resolve_uid(w.message_uid)
                    if resolved:
                        conversation_id = resolved[1]
                        break
        if conversation_id and conversation_id not in done:
            try:
                client.update_conversation(conversation_id, status="deleted")
            except NotFound:
                pass  # already gone in Front
            done.add(conversation_id)
            removed += 1
        FrontWrite.objects.filter(pk__in=[w.pk for w in writes]).update(removed=True)
        heartbeat()
    RecordMap.objects.filter(migration_id=migration_id, entity="ticket", lineage__in=lineages).update(
        front_id="", message_ids=[], comment_ids=[], applied={}, lineage="")
    return removed


def remove_lineage_conversations(ctx: RunContext, *, heartbeat: Callable[[], None]) -> int:
    """Re-migration's first phase: delete what the previous generation created."""
    old = ctx.run.context.get("remove_lineages") or []
    if not old:
        return 0
    return delete_lineages(client=ctx.client, migration_id=ctx.migration.pk, lineages=old, heartbeat=heartbeat)
