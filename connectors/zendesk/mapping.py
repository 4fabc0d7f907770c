"""Zendesk JSON -> canonical records (pure functions, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import Agent, Attachment, BodyFormat, Contact, Message, Ticket

SYSTEM_FIELD_TYPES = {"subject", "description", "status", "priority", "group", "assignee", "tickettype",
                      "custom_status", "brand", "ticket_form"}


def parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class FieldNames:
    """Custom ticket field id -> title, and dropdown/multiselect option tags -> option names."""

    def __init__(self, fields: list[dict[str, Any]]) -> None:
        self.titles: dict[int, str] = {}
        self.options: dict[int, dict[str, str]] = {}
        for f in fields:
            if f.get("type") in SYSTEM_FIELD_TYPES:
                continue
            self.titles[f["id"]] = f.get("title") or f"Field {f['id']}"
            if f.get("custom_field_options"):
                self.options[f["id"]] = {o["value"]: o["name"] for o in f["custom_field_options"]}

    def named(self, custom_fields: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in custom_fields or []:
            fid = item.get("id")
            if fid not in self.titles:
                continue  # a field deleted since: its values have no name to show
            value = item.get("value")
            names = self.options.get(fid)
            if names and isinstance(value, str):
                value = names.get(value, value)
            elif names and isinstance(value, list):
                value = [names.get(v, v) for v in value]
            out[self.titles[fid]] = value
        return out


def to_agent(user: dict[str, Any], *, deleted: bool = False) -> Agent:
    deleted = deleted or user.get("active") is False
    return Agent(source_id=str(user["id"]), email=user.get("email"), name=user.get("name") or None,
                 active=not deleted and not user.get("suspended", False), deleted=deleted)


def to_contact(user: dict[str, Any]) -> Contact:
    return Contact(source_id=str(user["id"]), name=user.get("name") or None,
                   emails=[user["email"]] if user.get("email") else [],
                   phones=[user["phone"]] if user.get("phone") else [], deleted=user.get("active") is False)


def to_attachment(a: dict[str, Any]) -> Attachment:
    inline = bool(a.get("inline"))
    return Attachment(source_id=str(a["id"]), filename=a.get("file_name") or f"attachment-{a['id']}",
                      content_type=a.get("content_type") or "application/octet-stream", size=a.get("size"),
                      url=a.get("content_url"), inline=inline, kind="inline_image" if inline else "file")


def build_ticket(raw: dict[str, Any], comments: list[dict[str, Any]], *, users: dict[str, dict[str, Any]],
                 agents: dict[str, Agent], fields: FieldNames, base_url: str) -> Ticket:
    requester_id = str(raw["requester_id"]) if raw.get("requester_id") else None
    requester = None
    if requester_id:
        user = users.get(requester_id)
        requester = to_contact(user) if user else Contact(source_id=requester_id, name=None)
    cc_ids = [str(i) for i in (raw.get("email_cc_ids") or raw.get("collaborator_ids") or [])]
    ccs = [to_contact(users[i]) for i in cc_ids if i in users]
    cc_emails = [e for c in ccs for e in c.emails[:1]]
    messages = [_message(c, users, agents, cc_emails) for c in comments if c.get("type", "Comment") in
                ("Comment", "VoiceComment")]
    messages.sort(key=lambda m: (m.created_at, int(m.source_id) if m.source_id.isdigit() else 0))
    return Ticket(
        source_id=str(raw["id"]), subject=raw.get("subject") or raw.get("raw_subject") or "",
        status=raw.get("status") or "open", created_at=parse_time(raw.get("created_at")),
        updated_at=parse_time(raw.get("updated_at")), requester=requester,
        assignee_agent_id=str(raw["assignee_id"]) if raw.get("assignee_id") else None, cc_contacts=ccs,
        tags=list(raw.get("tags") or []), custom_fields=fields.named(raw.get("custom_fields") or []),
        messages=messages, deleted=raw.get("status") == "deleted",
        mailbox_id=str(raw["brand_id"]) if raw.get("brand_id") else None,
        url=f"{base_url}/agent/tickets/{raw['id']}",
    )


def _message(c: dict[str, Any], users: dict[str, dict[str, Any]], agents: dict[str, Agent],
             cc_emails: list[str]) -> Message:
    author_id = str(c.get("author_id")) if c.get("author_id") not in (None, -1) else None
    agent = agents.get(author_id) if author_id else None
    user = users.get(author_id) if author_id else None
    if agent is None and user and user.get("role") in ("agent", "admin"):
        agent = to_agent(user)
    public = bool(c.get("public", True))
    html = c.get("html_body")
    body_format: BodyFormat = "html" if html is not None else "text"
    body = html if html is not None else (c.get("body") or "")
    return Message(
        source_id=str(c["id"]), kind="reply" if public else "private_note", created_at=parse_time(c.get("created_at")),
        body=body, body_format=body_format,
        author_agent_id=agent.source_id if agent else None,
        author_contact_id=None if agent else author_id,
        author_name=(agent.name if agent else (user or {}).get("name")) or None,
        author_email=agent.email if agent else (user or {}).get("email"),
        inbound=public and agent is None, cc=cc_emails if public else [],
        attachments=[to_attachment(a) for a in c.get("attachments") or []],
    )
