"""Pure mapping rules: settings snapshot, teammates, statuses, note headers, Front ids we generate.

Nothing here talks to a network or a database, so every rule is unit-testable on its own.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from connectors.base import Agent, Message, Ticket
from migrations_engine.sanitize import clean_html

# Front refuses larger attachments; DESIGN.md §3.
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_TAG_LENGTH = 64
COMMENT_MARKER_PREFIX = "frontport-ref:"


def settings_snapshot(migration) -> dict[str, Any]:
    """What a run works from; later edits of the migration apply to the next run. Never credentials."""
    options = dict(migration.options or {})
    return {
        "source_type": migration.source_type,
        "source_filter": migration.source_filter or {},
        "objects": migration.selected_objects or {"tickets": True, "contacts": True, "agents": True},
        "teammate_map": {str(k): v for k, v in (migration.teammate_map or {}).items()},
        "default_teammate_id": migration.default_teammate_id,
        "auto_match": migration.auto_match,
        "status_map": migration.status_map or {},
        "status_tag": migration.status_tag,
        "custom_fields": migration.custom_fields,
        "tag": (options.get("tag") or "").strip()[:MAX_TAG_LENGTH],
        "skip_attachments": bool(options.get("skip_attachments")),
        "inline_images": bool(options.get("inline_images")),
        "call_recordings": bool(options.get("call_recordings")),
        "demo_ids": [str(i) for i in (migration.demo_ids or [])][:20],
        "inbox_id": migration.front_inbox_id,
        # The Front knowledge base articles go to: {"id", "name"} chosen, or {"create": name} (inbox step).
        "knowledge_base": dict(options.get("knowledge_base") or {}),
        "time_zone": migration.time_zone,
    }


def resolve_teammates(
    *, agents: list[Agent], teammates: list[dict], snapshot: dict[str, Any]
) -> tuple[dict[str, str], str, dict[str, str]]:
    """Map every source agent to a Front teammate id.

    Returns (agent id -> teammate id, default teammate id, agent id -> how it was matched).
    Explicit choices win, then auto-match by email, then by name; inactive/deleted/unknown agents and
    everything unmatched fall back to the default teammate (the chosen one, else the first listed).
    """
    valid = {t["id"] for t in teammates}
    default = snapshot.get("default_teammate_id") or ""
    if default not in valid:
        default = teammates[0]["id"] if teammates else ""
    by_email = {(t.get("email") or "").lower(): t["id"] for t in teammates if t.get("email")}
    by_name: dict[str, str] = {}
    for t in teammates:
        full = f"{t.get('first_name') or ''} {t.get('last_name') or ''}".strip().lower()
        if full:
            by_name.setdefault(full, t["id"])
        if t.get("username"):
            by_name.setdefault(t["username"].lower(), t["id"])
    explicit = snapshot.get("teammate_map") or {}
    mapping: dict[str, str] = {}
    how: dict[str, str] = {}
    for agent in agents:
        chosen = explicit.get(agent.source_id)
        if isinstance(chosen, str) and chosen in valid:
            mapping[agent.source_id], how[agent.source_id] = chosen, "chosen"
            continue
        if snapshot.get("auto_match", True) and agent.active and not agent.deleted:
            if agent.email and agent.email.lower() in by_email:
                mapping[agent.source_id], how[agent.source_id] = by_email[agent.email.lower()], "email"
                continue
            if agent.name and agent.name.strip().lower() in by_name:
                mapping[agent.source_id], how[agent.source_id] = by_name[agent.name.strip().lower()], "name"
                continue
        mapping[agent.source_id], how[agent.source_id] = default, "default"
    return mapping, default, how


def front_status(ticket: Ticket, snapshot: dict[str, Any]) -> str:
    """open | archived for a source status; unmapped statuses follow common sense (closed -> archived)."""
    mapped = (snapshot.get("status_map") or {}).get(ticket.status)
    if mapped in ("open", "archived"):
        return mapped
    return "archived" if ticket.status.lower() in {"solved", "closed", "resolved", "archived", "done"} else "open"


def ticket_tags(ticket: Ticket, snapshot: dict[str, Any]) -> list[str]:
    tags = [t.strip()[:MAX_TAG_LENGTH] for t in ticket.tags if t and t.strip()]
    if snapshot.get("tag"):
        tags.append(snapshot["tag"])
    if snapshot.get("status_tag") and ticket.status:
        tags.append(f"status:{ticket.status}"[:MAX_TAG_LENGTH])
    seen: dict[str, None] = {}
    for t in tags:
        seen.setdefault(t, None)
    return list(seen)


def thread_ref(*, namespace: str, lineage: str, ticket_id: str) -> str:
    return f"fp-{namespace}-{lineage}-t{ticket_id}"


def external_id(*, namespace: str, lineage: str, ticket_id: str, message_id: str) -> str:
    raw = f"fp-{namespace}-{lineage}-t{ticket_id}-m{message_id}"
    if len(raw) <= 200:
        return raw
    return f"fp-{namespace}-{lineage}-h{hashlib.sha256(raw.encode()).hexdigest()}"


def comment_key(*, lineage: str, ticket_id: str, note_id: str) -> str:
    return f"{lineage}:note:{ticket_id}:{note_id}"[:255]


def custom_fields_key(*, lineage: str, ticket_id: str, fields: dict[str, Any]) -> str:
    digest = hashlib.sha256(repr(sorted((k, str(v)) for k, v in fields.items())).encode()).hexdigest()[:16]
    return f"{lineage}:cf:{ticket_id}:{digest}"


def comment_marker(key: str) -> str:
    """A short reference carried by each comment we post, so an unconfirmed one can be found again."""
    return COMMENT_MARKER_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]


def note_text(note: Message) -> str:
    """A note's body for a comment: source HTML sanitized (sanitize.py), plain text as it is."""
    if note.body_format == "html":
        return clean_html(note.body or "")
    return note.body or ""


def note_body(*, author: str, created_at: datetime, body: str, marker: str) -> str:
    """Front cannot backdate comments: the body starts with the original author and date."""
    when = created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"**{author}** wrote on {when}:\n\n{body}\n\n[{marker}]"


def custom_fields_body(*, fields: dict[str, Any], marker: str, ticket: Ticket | None = None) -> str:
    """One comment listing "Field: value" lines, headed by where and when the values come from."""
    lines = [f"{name}: {plain_value(value)}" for name, value in sorted(fields.items()) if value not in (None, "", [])]
    head = "Custom fields from the source"
    if ticket is not None:
        who = ticket.requester and (ticket.requester.name or next(iter(ticket.requester.emails), None))
        when = ticket.created_at.strftime("%Y-%m-%d %H:%M UTC") if ticket.created_at else None
        details = [f"ticket {ticket.source_id}"] + ([f"opened by {who}"] if who else []) + (
            [f"on {when}"] if when else [])
        head += f" ({', '.join(details)})"
    return head + ":\n\n" + "\n".join(lines) + f"\n\n[{marker}]"


def plain_value(value: Any) -> str:
    """A custom field value as text (lists joined with commas)."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def applied_state(*, status: str, assignee_id: str | None, tags: list[str]) -> dict[str, Any]:
    return {"status": status, "assignee_id": assignee_id or "", "tags": sorted(tags)}
