"""Zendesk JSON -> canonical records (pure functions, no I/O).

Every value is read defensively (vendor JSON is data, not a contract): a comment that cannot be read is
left out with its reason (`Ticket.skipped`), and a ticket that cannot be read at all becomes a skipped
ticket with its reason (`connectors.base.unreadable_ticket`), so one odd record never stops a page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import (
    Agent,
    Attachment,
    BodyFormat,
    Contact,
    Message,
    Skipped,
    Ticket,
    unreadable_message,
    unreadable_ticket,
)

SYSTEM_FIELD_TYPES = {"subject", "description", "status", "priority", "group", "assignee", "tickettype",
                      "custom_status", "brand", "ticket_form"}
AGENT_ROLES = ("agent", "admin")
SERVICE = "Zendesk"


def parse_time(value: Any) -> datetime:
    if not value or not isinstance(value, str):
        return datetime.fromtimestamp(0, UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def text(value: Any) -> str | None:
    """A string field, or None for anything else (null, numbers, objects)."""
    return value if isinstance(value, str) and value else None


def items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def ident(value: Any) -> str | None:
    """An id as a string: numbers and numeric strings; anything else (null, -1, objects) is no id."""
    if isinstance(value, bool) or value in (None, -1, "-1", ""):
        return None
    if isinstance(value, int | str):
        return str(value)
    return None


class FieldNames:
    """Custom ticket field id -> title, and dropdown/multiselect option tags -> option names.

    `available=False` (the account did not list its fields): values are kept under "Field <id>"."""

    def __init__(self, fields: list[dict[str, Any]], *, available: bool = True) -> None:
        self.available = available
        self.titles: dict[str, str] = {}
        self.options: dict[str, dict[str, str]] = {}
        for f in fields:
            fid = ident(f.get("id")) if isinstance(f, dict) else None
            if fid is None or f.get("type") in SYSTEM_FIELD_TYPES:
                continue
            self.titles[fid] = text(f.get("title")) or f"Field {fid}"
            options = [o for o in items(f.get("custom_field_options")) if isinstance(o, dict)]
            if options:
                self.options[fid] = {str(o.get("value")): str(o.get("name") or o.get("value")) for o in options}

    def named(self, custom_fields: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in items(custom_fields):
            fid = ident(item.get("id")) if isinstance(item, dict) else None
            if fid is None:
                continue
            if fid not in self.titles and self.available:
                continue  # a field deleted since: its values have no name to show
            value = item.get("value")
            names = self.options.get(fid)
            if names and isinstance(value, str):
                value = names.get(value, value)
            elif names and isinstance(value, list):
                value = [names.get(str(v), v) for v in value]
            out[self.titles.get(fid, f"Field {fid}")] = value
        return out


def to_agent(user: dict[str, Any], *, deleted: bool = False) -> Agent:
    deleted = deleted or user.get("active") is False
    return Agent(source_id=str(user["id"]), email=text(user.get("email")), name=text(user.get("name")),
                 active=not deleted and not user.get("suspended", False), deleted=deleted)


def to_contact(user: dict[str, Any]) -> Contact:
    return Contact(source_id=str(user["id"]), name=text(user.get("name")),
                   emails=[user["email"]] if text(user.get("email")) else [],
                   phones=[user["phone"]] if text(user.get("phone")) else [], deleted=user.get("active") is False)


def to_attachment(a: dict[str, Any]) -> Attachment:
    inline = bool(a.get("inline"))
    size = a.get("size")
    return Attachment(source_id=str(a["id"]), filename=text(a.get("file_name")) or f"attachment-{a['id']}",
                      content_type=text(a.get("content_type")) or "application/octet-stream",
                      size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
                      url=text(a.get("content_url")), inline=inline, kind="inline_image" if inline else "file")


def build_ticket(raw: dict[str, Any], comments: list[dict[str, Any]], *, users: dict[str, dict[str, Any]],
                 agents: dict[str, Agent], fields: FieldNames, base_url: str) -> Ticket:
    try:
        return _build_ticket(raw, comments, users=users, agents=agents, fields=fields, base_url=base_url)
    except Exception as exc:  # noqa: BLE001 - bad vendor data ends as a skipped record with its reason
        return unreadable_ticket(raw.get("id") if isinstance(raw, dict) else None, service=SERVICE, error=exc)


def _build_ticket(raw: dict[str, Any], comments: list[dict[str, Any]], *, users: dict[str, dict[str, Any]],
                  agents: dict[str, Agent], fields: FieldNames, base_url: str) -> Ticket:
    tid = ident(raw.get("id"))
    if tid is None:
        raise ValueError("the ticket has no id")
    requester_id = ident(raw.get("requester_id"))
    requester = None
    if requester_id:
        user = users.get(requester_id)
        requester = to_contact(user) if user else Contact(source_id=requester_id, name=None)
    cc_ids = [i for i in map(ident, items(raw.get("email_cc_ids")) or items(raw.get("collaborator_ids"))) if i]
    ccs = [to_contact(users[i]) for i in cc_ids if i in users]
    cc_emails = [e for c in ccs for e in c.emails[:1]]
    messages: list[Message] = []
    skipped: list[Skipped] = []
    for c in comments:
        if not isinstance(c, dict):
            skipped.append(unreadable_message("?", service=SERVICE, error=TypeError("not an object")))
            continue
        try:
            messages.append(_message(c, users, agents, cc_emails))
        except Exception as exc:  # noqa: BLE001 - one unreadable comment is left out with its reason
            skipped.append(unreadable_message(c.get("id"), service=SERVICE, error=exc))
    messages.sort(key=lambda m: (m.created_at, int(m.source_id) if m.source_id.isdigit() else 0))
    status = text(raw.get("status")) or "open"
    return Ticket(
        source_id=tid, subject=text(raw.get("subject")) or text(raw.get("raw_subject")) or "",
        status=status, created_at=parse_time(raw.get("created_at")),
        updated_at=parse_time(raw.get("updated_at")), requester=requester,
        assignee_agent_id=ident(raw.get("assignee_id")), cc_contacts=ccs,
        tags=[t for t in items(raw.get("tags")) if isinstance(t, str) and t],
        custom_fields=fields.named(raw.get("custom_fields")),
        messages=messages, deleted=status == "deleted", skipped=skipped,
        mailbox_id=ident(raw.get("brand_id")),
        url=f"{base_url}/agent/tickets/{tid}",
    )


def _message(c: dict[str, Any], users: dict[str, dict[str, Any]], agents: dict[str, Agent],
             cc_emails: list[str]) -> Message:
    """A comment. Its author is an agent when the agent list (live or deleted), or the user record a
    sideload or lookup gave, says so; a private comment is always by an agent (end users cannot write
    one), even one Zendesk no longer describes."""
    cid = ident(c.get("id"))
    if cid is None:
        raise ValueError("the comment has no id")
    author_id = ident(c.get("author_id"))
    agent = agents.get(author_id) if author_id else None
    user = users.get(author_id) if author_id else None
    if agent is None and user and user.get("role") in AGENT_ROLES:
        agent = to_agent(user)
    public = c.get("public", True) is not False
    html = c.get("html_body")
    body_format: BodyFormat = "html" if isinstance(html, str) else "text"
    body = html if isinstance(html, str) else (text(c.get("body")) or "")
    by_agent = agent is not None or (not public and author_id is not None)
    name = (agent.name if agent else None) or text((user or {}).get("name"))
    email = (agent.email if agent else None) or text((user or {}).get("email"))
    return Message(
        source_id=cid, kind="reply" if public else "private_note", created_at=parse_time(c.get("created_at")),
        body=body, body_format=body_format,
        author_agent_id=author_id if by_agent else None,
        author_contact_id=None if by_agent else author_id,
        author_name=name, author_email=email,
        inbound=public and not by_agent, cc=cc_emails if public else [],
        attachments=[to_attachment(a) for a in items(c.get("attachments"))
                     if isinstance(a, dict) and ident(a.get("id"))],
    )
