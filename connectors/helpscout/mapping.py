"""Help Scout Mailbox API 2.0 JSON -> canonical records. Pure functions: no HTTP here.

Thread types: `customer` (customer email) and `chat`/`beaconchat` by a customer -> inbound reply;
`message` (agent reply) and `forwardchild` -> outbound reply; `note`, `phone` (a logged call) and
`forwardparent` -> private note. Left out, each listed in `Ticket.skipped` with the reason: `lineitem`
threads (status/assignment changes and workflow runs: activity, not messages) and threads not published
(drafts, replies held for review).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import Agent, Attachment, Contact, Message, MessageKind, Skipped, Ticket

INBOUND_TYPES = {"customer"}
AGENT_REPLY_TYPES = {"message", "forwardchild"}
CHAT_TYPES = {"chat", "beaconchat"}
NOTE_TYPES = {"note", "phone", "forwardparent"}


def parse_time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


def full_name(first: str | None, last: str | None) -> str | None:
    return " ".join(p for p in (first, last) if p) or None


def agent_from(user: dict[str, Any]) -> Agent:
    return Agent(source_id=str(user["id"]), email=user.get("email") or None,
                 name=full_name(user.get("firstName"), user.get("lastName")),
                 active=user.get("status", "active") == "active")


def person_contact(person: dict[str, Any] | None) -> Contact | None:
    if not person or person.get("id") is None:
        return None
    emails = [person["email"]] if person.get("email") else []
    return Contact(source_id=str(person["id"]), name=full_name(person.get("first"), person.get("last")),
                   emails=emails)


def customer_contact(customer: dict[str, Any]) -> Contact:
    embedded = customer.get("_embedded") or {}
    return Contact(source_id=str(customer["id"]), name=full_name(customer.get("firstName"), customer.get("lastName")),
                   emails=[e["value"] for e in embedded.get("emails") or [] if e.get("value")],
                   phones=[p["value"] for p in embedded.get("phones") or [] if p.get("value")])


def skip_reason(thread: dict[str, Any]) -> str | None:
    kind = thread.get("type")
    if kind == "lineitem":
        action = (thread.get("action") or {}).get("type") or ""
        if "workflow" in action:
            return "A Help Scout workflow event line (automation activity, not a message)."
        return "A Help Scout activity line (status or assignment change, not a message)."
    state = thread.get("state", "published")
    if state == "draft":
        return "An unsent draft."
    if state != "published":
        return f"A thread that was never sent (state: {state})."
    if kind not in INBOUND_TYPES | AGENT_REPLY_TYPES | CHAT_TYPES | NOTE_TYPES:
        return f"A Help Scout thread of type {kind!r}, which has no equivalent in Front."
    return None


def message_from(thread: dict[str, Any]) -> Message:
    kind = thread.get("type")
    by = thread.get("createdBy") or {}
    by_customer = by.get("type") == "customer"
    if kind in NOTE_TYPES:
        canonical: MessageKind = "private_note"
        inbound = False
    elif kind in INBOUND_TYPES or (kind in CHAT_TYPES and by_customer):
        canonical, inbound = "reply", True
    else:
        canonical, inbound = "reply", False
    body = thread.get("body") or ""
    attachments = []
    for a in (thread.get("_embedded") or {}).get("attachments") or []:
        links = a.get("_links") or {}
        web = (links.get("web") or {}).get("href") or ""
        attachments.append(Attachment(
            source_id=str(a["id"]), filename=a.get("filename") or f"attachment-{a['id']}",
            content_type=a.get("mimeType") or "application/octet-stream", size=a.get("size"),
            url=(links.get("data") or {}).get("href"),
            inline=bool(web) and web in body, kind="inline_image" if web and web in body else "file",
        ))
    author_id = str(by["id"]) if by.get("id") is not None else None
    agent_side = not inbound
    return Message(
        source_id=str(thread["id"]), kind=canonical, created_at=parse_time(thread["createdAt"]), body=body,
        author_agent_id=author_id if agent_side and not by_customer else None,
        author_contact_id=author_id if by_customer else None,
        author_name=full_name(by.get("first"), by.get("last")), author_email=by.get("email") or None,
        inbound=inbound, to=list(thread.get("to") or []), cc=list(thread.get("cc") or []),
        bcc=list(thread.get("bcc") or []), attachments=attachments,
    )


def custom_fields(conversation: dict[str, Any], field_types: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in conversation.get("customFields") or []:
        name = f.get("name") or str(f.get("id"))
        text = f.get("text") if f.get("text") not in (None, "") else f.get("value")
        if field_types.get(name) == "NUMBER" and text not in (None, ""):
            try:
                number = float(text)
                text = int(number) if number.is_integer() else number
            except (TypeError, ValueError):
                pass
        out[name] = text
    return out


def ticket_from(conversation: dict[str, Any], threads: list[dict[str, Any]], field_types: dict[str, str],
                *, merged_ids: list[str] | None = None) -> Ticket:
    messages: list[Message] = []
    skipped: list[Skipped] = []
    for thread in sorted(threads, key=lambda t: (t.get("createdAt") or "", t.get("id") or 0)):
        reason = skip_reason(thread)
        if reason:
            skipped.append(Skipped(source_id=str(thread.get("id")), kind="message", reason=reason))
        else:
            messages.append(message_from(thread))
    deleted = conversation.get("state") == "deleted"
    created = parse_time(conversation["createdAt"])
    updated_raw = conversation.get("userUpdatedAt") or conversation.get("modifiedAt")
    updated = parse_time(updated_raw) if updated_raw else max([created, *(m.created_at for m in messages)])
    assignee = conversation.get("assignee") or {}
    web = ((conversation.get("_links") or {}).get("web") or {}).get("href")
    return Ticket(
        source_id=str(conversation["id"]), subject=conversation.get("subject") or "",
        status=conversation.get("status") or "active", created_at=created, updated_at=max(updated, created),
        requester=person_contact(conversation.get("primaryCustomer")),
        assignee_agent_id=str(assignee["id"]) if assignee.get("id") is not None else None,
        cc_contacts=[Contact(source_id=f"email:{e}", name=None, emails=[e]) for e in conversation.get("cc") or []],
        tags=[t.get("tag") or t.get("name") for t in conversation.get("tags") or [] if t.get("tag") or t.get("name")],
        custom_fields=custom_fields(conversation, field_types),
        messages=[] if deleted else messages, deleted=deleted,
        mailbox_id=str(conversation["mailboxId"]) if conversation.get("mailboxId") is not None else None,
        url=web, skipped=[] if deleted else skipped, merged_ids=list(merged_ids or []),
    )
