"""A full run after a demo: keep the demo's conversations when nothing that shapes them changed.

The demo wrote its tickets under its own lineage (`d<run id>`, docs/engine.md "Lineages"). When the full
run's settings snapshot equals the demo's in everything that shapes a conversation (source and Front
accounts, inbox, source filter, status mapping and tag, custom fields, migration tag, attachment
options) and the facts both runs resolved from Front are the same (teammate mapping, default teammate,
inbox address, Front custom fields), the demo's conversations are exactly what the full run would
create. Its settled tickets are then *adopted*: their journal rows and record-map rows move to the full
run's lineage, each key recomputed as the full run computes it, so the full run finds every message and
note already journaled and imports nothing for them, while later delta, retry and re-migration runs
(same lineage) append to, update and remove those conversations like any other. Only the external ids
Front holds keep the demo's lineage; the engine never sends them again for an adopted ticket (its
conversation id is known), and Front's dedupe would refuse them anyway.

Everything else the demos wrote (earlier demos, tickets that failed or did not settle, or all of it when a
setting changed) is set to deleted in Front and imported again by the full run, as before.

This runs in the full run's cleanup phase, after `prepare` resolved the run's facts. The adoption and the
outcome are saved in one transaction, so a worker killed at any point resumes to the same result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from connectors.front import FrontClient
from migrations_engine import mapping
from migrations_engine.models import EngineState, FrontWrite, RecordMap, Run
from wizard.models import Migration

# Settings-snapshot keys that change what a conversation looks like in Front (or which tickets go in).
SHAPING_SETTINGS: dict[str, str] = {
    "source_type": "source platform",
    "source_identity": "source connection",
    "front_identity": "Front account",
    "inbox_id": "Front inbox",
    "source_filter": "mailbox or brand filter",
    "status_map": "status mapping",
    "status_tag": "status tag",
    "custom_fields": "custom fields",
    "tag": "migration tag",
    "skip_attachments": "attachments option",
    "inline_images": "inline images option",
    "call_recordings": "call recordings option",
}
# Facts each run resolved once from Front and the source (`Run.context`, see context.prepare):
# context key -> (name in the outcome, plain label).
SHAPING_FACTS: dict[str, tuple[str, str]] = {
    "teammates": ("teammates", "teammate mapping"),
    "default_teammate": ("default_teammate", "default teammate"),
    "inbox_address": ("inbox_address", "inbox address"),
    "custom_fields": ("front_custom_fields", "Front custom fields"),
}
LABELS = {**SHAPING_SETTINGS, **dict(SHAPING_FACTS.values())}
SETTLED = (FrontWrite.State.SENT, FrontWrite.State.SKIPPED)


def identity(migration: Migration) -> dict[str, str]:
    """Fingerprints of the two accounts a run writes between, for the settings snapshot (never a secret:
    the source's non-secret connection fields and Front's URL and company, hashed)."""
    from connectors.registry import SOURCES

    connector = SOURCES.get(migration.source_type)
    secret = {f.name for f in connector.config_fields if f.kind == "secret"} if connector else set()
    public = {k: v for k, v in sorted((migration.source_config or {}).items()) if k not in secret}
    source = json.dumps([migration.source_type, public], sort_keys=True, default=str)
    front = json.dumps([migration.front_api_url, migration.front_company_name])
    return {"source_identity": hashlib.sha256(source.encode()).hexdigest()[:24],
            "front_identity": hashlib.sha256(front.encode()).hexdigest()[:24]}


@dataclass
class Decision:
    demo: Run | None
    changed: list[str] = field(default_factory=list)  # names (LABELS keys) of what differs from the demo

    @property
    def keep(self) -> bool:
        return self.demo is not None and not self.changed


def latest_demo(run: Run) -> Run | None:
    return (Run.objects.filter(migration_id=run.migration_id, kind=Run.Kind.DEMO, state=Run.State.COMPLETED,
                               created_at__lte=run.created_at).exclude(pk=run.pk).order_by("-created_at", "-pk")
            .first())


def decide(run: Run) -> Decision:
    """Whether `run` (a full run whose facts are resolved) would write what its latest demo wrote."""
    demo = latest_demo(run)
    if demo is None:
        return Decision(demo=None)
    changed = [key for key in SHAPING_SETTINGS if (demo.settings or {}).get(key) != (run.settings or {}).get(key)]
    changed += [name for key, (name, _label) in SHAPING_FACTS.items()
                if (demo.context or {}).get(key) != (run.context or {}).get(key)]
    return Decision(demo=demo, changed=changed)


def outlook(*, migration: Migration, snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """Before a full run: what its settings (`snapshot`) would do with the latest demo's conversations.
    Only the settings are compared; the facts read from Front (teammates...) are compared when it starts."""
    demo = (Run.objects.filter(migration=migration, kind=Run.Kind.DEMO, state=Run.State.COMPLETED)
            .order_by("-created_at", "-pk").first())
    if demo is None:
        return None
    tickets = RecordMap.objects.filter(migration=migration, entity=RecordMap.Entity.TICKET, lineage=demo.lineage,
                                       state=RecordMap.State.DONE).exclude(front_id="").count()
    changed = [key for key in SHAPING_SETTINGS if (demo.settings or {}).get(key) != snapshot.get(key)]
    return {"demo_run": demo.pk, "tickets": tickets, "changed": changed}


def wanted(run: Run) -> bool:
    """Whether this run was asked to keep or replace the demos' conversations (the wizard's option)."""
    return bool((run.context or {}).get("demo_data"))


def settle(*, run: Run, client: FrontClient, heartbeat: Callable[[], None] = lambda: None) -> dict[str, Any]:
    """The full run's cleanup step: adopt the latest demo's conversations when nothing shaping them
    changed, then set every other demo conversation to deleted. Returns the outcome kept in
    `run.context["demo_data"]` (shown with the run's progress and report)."""
    from migrations_engine.cleanup import delete_lineages

    outcome = dict((run.context or {}).get("demo_data") or {})
    if not outcome.get("outcome"):
        decision = decide(run)
        with transaction.atomic():
            kept = adopt(run=run, demo=decision.demo) if decision.keep and decision.demo else Kept()
            _count_kept(run, kept)
            outcome = {
                "requested": True,
                "outcome": "kept" if decision.keep and kept.tickets else "replaced",
                "demo_run": decision.demo.pk if decision.demo else None,
                "changed": decision.changed,
                "kept_tickets": kept.tickets, "kept_messages": kept.messages, "kept_notes": kept.notes,
                "removed": 0,
            }
            _save(run, outcome)
    lineages = list(FrontWrite.objects.filter(migration_id=run.migration_id, lineage__startswith="d", removed=False)
                    .values_list("lineage", flat=True).distinct())
    if lineages:
        removed = delete_lineages(client=client, migration_id=run.migration_id, lineages=lineages,
                                  heartbeat=heartbeat)
        outcome["removed"] = int(outcome.get("removed") or 0) + removed
        _save(run, outcome)
    return outcome


def _count_kept(run: Run, kept: Kept) -> None:
    """The kept messages and notes are in Front for this run like the ones it imports: its counters say
    so (the kept tickets themselves are counted when the run syncs them, making no call)."""
    if not kept.tickets:
        return
    counters = Run.objects.select_for_update().get(pk=run.pk).counters or {}
    for entity, state, n in (("messages", "done", kept.messages), ("notes", "done", kept.notes),
                             ("messages", "skipped", kept.skipped)):
        counts = counters.setdefault(entity, {"total": 0, "done": 0, "failed": 0, "skipped": 0})
        counts[state] = int(counts.get(state) or 0) + n
    run.counters = counters
    Run.objects.filter(pk=run.pk).update(counters=counters)


def _save(run: Run, outcome: dict[str, Any]) -> None:
    fresh = Run.objects.get(pk=run.pk)
    run.context = {**(fresh.context or {}), "demo_data": outcome}
    Run.objects.filter(pk=run.pk).update(context=run.context)


@dataclass
class Kept:
    tickets: int = 0
    messages: int = 0
    notes: int = 0
    skipped: int = 0  # source records the connector left out, noted by the demo


def adopt(*, run: Run, demo: Run) -> Kept:
    """Move the demo's settled tickets to `run`'s lineage (call inside a transaction)."""
    old, new = demo.lineage, run.lineage
    namespace = EngineState.objects.get(migration_id=run.migration_id).namespace
    records = {r.source_id: r for r in RecordMap.objects.select_for_update().filter(
        migration_id=run.migration_id, entity=RecordMap.Entity.TICKET, lineage=old, state=RecordMap.State.DONE,
        deleted_in_source=False).exclude(front_id="")}
    rows: dict[str, list[FrontWrite]] = {}
    for row in FrontWrite.objects.select_for_update().filter(migration_id=run.migration_id, lineage=old,
                                                             ticket_source_id__in=list(records)):
        rows.setdefault(row.ticket_source_id, []).append(row)
    taken = set(FrontWrite.objects.filter(migration_id=run.migration_id, lineage=new,
                                          ticket_source_id__in=list(records)).values_list("ticket_source_id", flat=True))
    kept = Kept()
    conversations: set[str] = set()
    for ticket_id, record in records.items():
        writes = rows.get(ticket_id, [])
        keys = _new_keys(writes, old=old, new=new, namespace=namespace, ticket_id=ticket_id)
        if ticket_id in taken or keys is None or not writes:
            continue  # not settled, not ours to recompute, or already written under the new lineage
        for row, key in zip(writes, keys, strict=True):
            row.key, row.lineage = key, new
            row.save(update_fields=["key", "lineage"])
            if row.state == FrontWrite.State.SENT:
                kept.messages += row.kind == FrontWrite.Kind.MESSAGE
                kept.notes += row.kind == FrontWrite.Kind.COMMENT
            else:
                kept.skipped += row.kind == FrontWrite.Kind.MESSAGE
        record.lineage = new
        record.save(update_fields=["lineage", "updated_at"])
        conversations.add(record.front_id)
        kept.tickets += 1
    # Old ticket ids merged into an adopted one point at its conversation: they follow it.
    RecordMap.objects.filter(migration_id=run.migration_id, entity=RecordMap.Entity.TICKET, lineage=old,
                             front_id__in=conversations).update(lineage=new)
    return kept


def _new_keys(writes: list[FrontWrite], *, old: str, new: str, namespace: str, ticket_id: str) -> list[str] | None:
    """Each row's key as the full run computes it, or None when a row is unsettled or of an unknown shape."""
    keys = []
    for row in writes:
        if row.state not in SETTLED or row.removed:
            return None
        if _key_in(row, old, old=old, namespace=namespace, ticket_id=ticket_id) != row.key:
            return None
        keys.append(_key_in(row, new, old=old, namespace=namespace, ticket_id=ticket_id))
    return keys


def _key_in(row: FrontWrite, lineage: str, *, old: str, namespace: str, ticket_id: str) -> str:
    """The journal key of `row`'s record under `lineage` (the shape is read from its key under `old`)."""
    from migrations_engine.journal import skip_key

    if row.kind == FrontWrite.Kind.MESSAGE and row.key.startswith(f"{old}:skip:"):
        return skip_key(lineage=lineage, ticket_id=ticket_id, kind="message", source_id=row.source_id)
    if row.kind == FrontWrite.Kind.MESSAGE:
        return mapping.external_id(namespace=namespace, lineage=lineage, ticket_id=ticket_id, message_id=row.source_id)
    if row.source_id == "custom_fields" and row.key.startswith(f"{old}:cf:{ticket_id}:"):
        return f"{lineage}:cf:{ticket_id}:{row.key.rsplit(':', 1)[1]}"
    return mapping.comment_key(lineage=lineage, ticket_id=ticket_id, note_id=row.source_id)


def outcome_sentence(outcome: dict[str, Any] | None) -> str:
    """What happened to the demos' conversations, in plain words (CLI and logs; the pages translate)."""
    if not outcome or not outcome.get("outcome"):
        return ""
    if outcome["outcome"] == "kept":
        text = (f"{outcome['kept_tickets']} conversation(s) of the demo were kept: nothing that shapes a "
                "conversation changed since, so those tickets were not imported again.")
    elif outcome.get("changed"):
        changed = ", ".join(LABELS.get(name, name) for name in outcome["changed"])
        text = (f"Settings changed since the demo ({changed}): its conversations were "
                "set to deleted in Front and the tickets imported again.")
    else:
        text = "The demo's conversations were set to deleted in Front and the tickets imported again."
    if outcome.get("removed"):
        text += f" {outcome['removed']} demo conversation(s) set to deleted."
    return text
