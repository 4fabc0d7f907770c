"""Help Scout Mailbox API 2.0 JSON -> canonical records. Pure functions: no HTTP here.

A published thread that carries a message (a body or files) is a message by its author, whatever its
type is called: `createdBy.type` "customer" -> inbound reply, a user -> outbound reply (agent replies
come as `message` and, per Help Scout's client libraries, as `reply`; chats and forwards alike). `note`,
`phone` (a logged call) and `forwardparent` are private notes. Left out, each listed in `Ticket.skipped`
with the reason: `lineitem` threads (status/assignment changes and workflow runs: activity, not
messages), threads not published (drafts, replies held for review), and threads with nothing in them.
Values are read defensively: one unreadable thread is left out with its reason, one unreadable
conversation becomes a skipped ticket with its reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import (
    Agent,
    Attachment,
    Contact,
    Message,
    MessageKind,
    Skipped,
    Ticket,
    as_object,
    unreadable_message,
    unreadable_ticket,
)

SERVICE = "Help Scout"
INBOUND_TYPES = {"customer"}
NOTE_TYPES = {"note", "phone", "forwardparent"}
# Types that are messages even when empty (an empty email is still an email).
MESSAGE_TYPES = {"customer", "message", "reply", "chat", "beaconchat", "forwardchild", *NOTE_TYPES}
PERSON_CUSTOMER = "customer"


def parse_time(raw: Any) -> datetime:
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"not a date-time: {raw!r}")
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def items(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def ident(value: Any) -> str | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    return str(value) if isinstance(value, int | str) else None


def full_name(first: Any, last: Any) -> str | None:
    return " ".join(p for p in (text(first), text(last)) if p) or None


def agent_from(user: dict[str, Any]) -> Agent:
    return Agent(source_id=str(user["id"]), email=text(user.get("email")),
                 name=full_name(user.get("firstName"), user.get("lastName")),
                 active=user.get("status", "active") == "active")


def person_contact(person: Any) -> Contact | None:
    if not isinstance(person, dict) or ident(person.get("id")) is None:
        return None
    emails = [person["email"]] if text(person.get("email")) else []
    return Contact(source_id=str(person["id"]), name=full_name(person.get("first"), person.get("last")),
                   emails=emails)


def customer_contact(customer: dict[str, Any]) -> Contact:
    embedded = customer.get("_embedded") or {}
    return Contact(source_id=str(customer["id"]), name=full_name(customer.get("firstName"), customer.get("lastName")),
                   emails=[e["value"] for e in items(embedded.get("emails")) if text(e.get("value"))],
                   phones=[p["value"] for p in items(embedded.get("phones")) if text(p.get("value"))])


def _has_content(thread: dict[str, Any]) -> bool:
    return bool(text(thread.get("body")) or items((thread.get("_embedded") or {}).get("attachments")))


def skip_reason(thread: dict[str, Any]) -> str | None:
    kind = thread.get("type")
    if kind == "lineitem":
        action = (thread.get("action") or {}).get("type") if isinstance(thread.get("action"), dict) else ""
        if "workflow" in str(action or ""):
            return "A Help Scout workflow event line (automation activity, not a message)."
        return "A Help Scout activity line (status or assignment change, not a message)."
    state = thread.get("state", "published")
    if state == "draft":
        return "An unsent draft."
    if state == "underreview":
        return "A reply held for review that was never sent."
    if state != "published":
        return f"A thread that was never sent (state: {state})."
    if kind not in MESSAGE_TYPES and not _has_content(thread):
        return f"A Help Scout {kind or 'untyped'} thread with no text and no files: there is no message to move."
    return None


def message_from(thread: dict[str, Any]) -> Message:
    kind = thread.get("type")
    by = as_object(thread.get("createdBy"))
    by_customer = by.get("type") == PERSON_CUSTOMER or (not by and kind in INBOUND_TYPES)
    canonical: MessageKind
    if kind in NOTE_TYPES:
        canonical, inbound = "private_note", False
    else:  # customer, message, reply, chat, forwardchild and any other published thread with a message
        canonical, inbound = "reply", by_customer
    body = text(thread.get("body")) or ""
    attachments = []
    for a in items((thread.get("_embedded") or {}).get("attachments")):
        if ident(a.get("id")) is None:
            continue
        links = as_object(a.get("_links"))
        web = text((links.get("web") or {}).get("href")) or ""
        size = a.get("size")
        attachments.append(Attachment(
            source_id=str(a["id"]), filename=text(a.get("filename")) or f"attachment-{a['id']}",
            content_type=text(a.get("mimeType")) or "application/octet-stream",
            size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
            url=text((links.get("data") or {}).get("href")),
            inline=bool(web) and web in body, kind="inline_image" if web and web in body else "file",
        ))
    author_id = ident(by.get("id"))
    if ident(thread.get("id")) is None:
        raise ValueError("the thread has no id")
    return Message(
        source_id=str(thread["id"]), kind=canonical, created_at=parse_time(thread.get("createdAt")), body=body,
        author_agent_id=author_id if not by_customer else None,
        author_contact_id=author_id if by_customer else None,
        author_name=full_name(by.get("first"), by.get("last")), author_email=text(by.get("email")),
        inbound=inbound, to=_emails(thread.get("to")), cc=_emails(thread.get("cc")), bcc=_emails(thread.get("bcc")),
        attachments=attachments,
    )


def _emails(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def custom_fields(conversation: dict[str, Any], fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Name -> value. `text` is the value as shown; without it a dropdown's `value` is an option id,
    turned into its label through the mailbox's field list. NUMBER fields become numbers."""
    out: dict[str, Any] = {}
    for f in items(conversation.get("customFields")):
        name = text(f.get("name")) or str(f.get("id"))
        known = fields.get(name) or {}
        shown = f.get("text") if f.get("text") not in (None, "") else None
        if shown is None and f.get("value") not in (None, ""):
            labels = {str(o.get("id")): o.get("label") for o in items(known.get("options"))}
            shown = labels.get(str(f.get("value")), f.get("value"))
        if known.get("type") == "NUMBER" and shown not in (None, ""):
            try:
                number = float(shown)
                shown = int(number) if number.is_integer() else number
            except (TypeError, ValueError):
                pass
        out[name] = shown
    return out


def ticket_from(conversation: dict[str, Any], threads: list[dict[str, Any]], fields: dict[str, dict[str, Any]],
                *, merged_ids: list[str] | None = None) -> Ticket:
    try:
        return _ticket_from(conversation, threads, fields, merged_ids=merged_ids)
    except Exception as exc:  # noqa: BLE001 - bad vendor data ends as a skipped record with its reason
        cid = conversation.get("id") if isinstance(conversation, dict) else None
        return unreadable_ticket(cid, service=SERVICE, error=exc)


def _ticket_from(conversation: dict[str, Any], threads: list[dict[str, Any]], fields: dict[str, dict[str, Any]],
                 *, merged_ids: list[str] | None = None) -> Ticket:
    if ident(conversation.get("id")) is None:
        raise ValueError("the conversation has no id")
    messages: list[Message] = []
    skipped: list[Skipped] = []
    ordered = [t for t in threads if isinstance(t, dict)]
    for thread in sorted(ordered, key=lambda t: (str(t.get("createdAt") or ""), str(t.get("id") or ""))):
        try:
            reason = skip_reason(thread)
            if reason:
                skipped.append(Skipped(source_id=str(thread.get("id")), kind="message", reason=reason))
            else:
                messages.append(message_from(thread))
        except Exception as exc:  # noqa: BLE001 - one unreadable thread is left out with its reason
            skipped.append(unreadable_message(thread.get("id"), service=SERVICE, error=exc))
    messages.sort(key=lambda m: (m.created_at, int(m.source_id) if m.source_id.isdigit() else 0))
    deleted = conversation.get("state") == "deleted"
    created = parse_time(conversation.get("createdAt"))
    updated_raw = conversation.get("userUpdatedAt") or conversation.get("modifiedAt")
    updated = parse_time(updated_raw) if updated_raw else max([created, *(m.created_at for m in messages)])
    assignee = as_object(conversation.get("assignee"))
    links = as_object(conversation.get("_links"))
    web = text((links.get("web") or {}).get("href"))
    tags = [t.get("tag") or t.get("name") for t in items(conversation.get("tags"))]
    return Ticket(
        source_id=str(conversation["id"]), subject=text(conversation.get("subject")) or "",
        status=text(conversation.get("status")) or "active", created_at=created, updated_at=max(updated, created),
        requester=person_contact(conversation.get("primaryCustomer")),
        assignee_agent_id=ident(assignee.get("id")),
        cc_contacts=[Contact(source_id=f"email:{e}", name=None, emails=[e]) for e in _emails(conversation.get("cc"))],
        tags=[t for t in tags if isinstance(t, str) and t],
        custom_fields=custom_fields(conversation, fields),
        messages=[] if deleted else messages, deleted=deleted,
        mailbox_id=ident(conversation.get("mailboxId")),
        url=web, skipped=[] if deleted else skipped, merged_ids=list(merged_ids or []),
    )
