"""Freshdesk API v2 JSON -> canonical records. Pure functions: no HTTP here."""

from __future__ import annotations

import html
import mimetypes
import re
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Agent, Attachment, Contact, Message, MessageKind, Ticket
from connectors.freshdesk.stream import parse_time

SOURCE_OUTBOUND_EMAIL = 10
CONV_SOURCE_NOTE = 2
_INLINE_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'(\w[\w-]*)\s*=\s*"([^"]*)"')


@dataclass
class AccountMeta:
    """What the ticket JSON refers to by number: status names, custom field labels, agents."""

    statuses: dict[int, str] = field(default_factory=dict)
    field_labels: dict[str, str] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    # Accounts without products (brands) sort tickets into groups: the group is then the "mailbox".
    groups_as_mailboxes: bool = False

    def mailbox_of(self, item: dict[str, Any]) -> str | None:
        return mailbox_of(item, groups=self.groups_as_mailboxes)

    @classmethod
    def from_fields(cls, fields: list[dict[str, Any]], agents: list[Agent]) -> AccountMeta:
        meta = cls(agents={a.source_id: a for a in agents})
        for f in fields:
            if f.get("name") == "status" and isinstance(f.get("choices"), dict):
                for code, labels in f["choices"].items():
                    label = labels[0] if isinstance(labels, list) and labels else str(labels)
                    meta.statuses[int(code)] = label
            elif not f.get("default") and str(f.get("name", "")).startswith("cf_"):
                meta.field_labels[f["name"]] = f.get("label") or f["name"]
        return meta

    def status_name(self, code: Any) -> str:
        try:
            return self.statuses.get(int(code), f"Status {code}")
        except (TypeError, ValueError):
            return str(code)


def mailbox_of(item: dict[str, Any], *, groups: bool) -> str | None:
    if groups:
        return f"group:{item['group_id']}" if item.get("group_id") else None
    return str(item["product_id"]) if item.get("product_id") else None


def agent_from(item: dict[str, Any]) -> Agent:
    contact = item.get("contact") or {}
    return Agent(source_id=str(item["id"]), email=contact.get("email") or None, name=contact.get("name") or None,
                 active=bool(contact.get("active", True)) and not item.get("deactivated", False))


def contact_from(item: dict[str, Any] | None) -> Contact | None:
    if not item or item.get("id") is None:
        return None
    emails = [e for e in [item.get("email"), *(item.get("other_emails") or [])] if e]
    phones = [p for p in (item.get("phone"), item.get("mobile")) if p]
    return Contact(source_id=str(item["id"]), name=item.get("name") or None, emails=emails, phones=phones,
                   deleted=bool(item.get("deleted", False)))


def _file(item: dict[str, Any], locator: str) -> Attachment:
    # The link expires: the fragment tells download() where to get a fresh one (never sent to a server).
    return Attachment(source_id=str(item["id"]), filename=item.get("name") or f"attachment-{item['id']}",
                      content_type=item.get("content_type") or "application/octet-stream", size=item.get("size"),
                      url=f"{item.get('attachment_url', '')}#{locator}")


def inline_images(body: str, message_id: str) -> list[Attachment]:
    """Freshdesk keeps inline images only as <img> tags pointing at /inline/attachment?token=..."""
    out = []
    for n, tag in enumerate(_INLINE_IMG.findall(body or ""), start=1):
        attrs = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(tag)}
        src = attrs.get("src", "")
        if "/inline/attachment" not in src:
            continue
        filename = attrs.get("alt") or attrs.get("data-filename") or f"inline-image-{n}.png"
        content_type = mimetypes.guess_type(filename)[0] or "image/png"
        out.append(Attachment(source_id=f"{message_id}-inline-{n}", filename=filename, content_type=content_type,
                              size=None, url=src, inline=True, kind="inline_image"))
    return out


def description_id(ticket_id: Any) -> str:
    """The description is a ticket's first message but has no id of its own in Freshdesk."""
    return f"{ticket_id}-description"


def ticket_from(detail: dict[str, Any], conversations: list[dict[str, Any]], meta: AccountMeta,
                base_url: str) -> Ticket:
    tid = detail["id"]
    requester = contact_from(detail.get("requester")) or (
        Contact(source_id=str(detail["requester_id"]), name=None) if detail.get("requester_id") else None)
    messages: list[Message] = []
    body = detail.get("description") or ""
    files = [_file(a, f"ticket={tid}") for a in detail.get("attachments") or []]
    if body or files:
        outbound = detail.get("source") == SOURCE_OUTBOUND_EMAIL
        agent = meta.agents.get(str(detail.get("responder_id"))) if outbound else None
        messages.append(Message(
            source_id=description_id(tid), kind="reply", created_at=parse_time(detail["created_at"]), body=body,
            author_agent_id=str(detail["responder_id"]) if outbound and detail.get("responder_id") else None,
            author_contact_id=None if outbound else (requester.source_id if requester else None),
            author_name=(agent.name if agent else None) if outbound else (requester.name if requester else None),
            author_email=(agent.email if agent else None) if outbound else
            (requester.emails[0] if requester and requester.emails else None),
            inbound=not outbound, to=list(detail.get("to_emails") or []), cc=list(detail.get("cc_emails") or []),
            subject=detail.get("subject"), attachments=files + inline_images(body, description_id(tid)),
        ))
    for conv in sorted(conversations, key=lambda c: (c["created_at"], c["id"])):
        messages.append(message_from(conv, tid, requester, meta))
    custom = {meta.field_labels.get(k, k): v for k, v in (detail.get("custom_fields") or {}).items()}
    ccs = [Contact(source_id=f"email:{e}", name=None, emails=[e]) for e in detail.get("cc_emails") or []]
    deleted = bool(detail.get("deleted")) or bool(detail.get("spam"))
    return Ticket(
        source_id=str(tid), subject=detail.get("subject") or "",
        status="Spam" if detail.get("spam") else meta.status_name(detail.get("status")),
        created_at=parse_time(detail["created_at"]), updated_at=parse_time(detail["updated_at"]),
        requester=requester,
        assignee_agent_id=str(detail["responder_id"]) if detail.get("responder_id") else None,
        cc_contacts=ccs, tags=list(detail.get("tags") or []), custom_fields=custom,
        messages=[] if deleted else messages, deleted=deleted,
        mailbox_id=meta.mailbox_of(detail),
        url=f"{base_url}/a/tickets/{tid}",
    )


def message_from(conv: dict[str, Any], ticket_id: Any, requester: Contact | None, meta: AccountMeta) -> Message:
    note = conv.get("source") == CONV_SOURCE_NOTE
    kind: MessageKind = "private_note" if conv.get("private") else "public_note" if note else "reply"
    inbound = bool(conv.get("incoming")) and not note
    user = str(conv["user_id"]) if conv.get("user_id") is not None else None
    agent = meta.agents.get(user or "")
    if inbound:
        is_requester = requester is not None and requester.source_id == user
        name = requester.name if is_requester and requester else None
        email = conv.get("from_email") or (requester.emails[0] if is_requester and requester and requester.emails
                                           else None)
    else:
        name, email = (agent.name, agent.email) if agent else (None, None)
    body = conv.get("body") or ""
    mid = str(conv["id"])
    files = [_file(a, f"ticket={ticket_id}&conversation={mid}") for a in conv.get("attachments") or []]
    return Message(
        source_id=mid, kind=kind, created_at=parse_time(conv["created_at"]), body=body,
        author_agent_id=None if inbound else user, author_contact_id=user if inbound else None,
        author_name=name, author_email=email, inbound=inbound,
        to=list(conv.get("to_emails") or []), cc=list(conv.get("cc_emails") or []),
        bcc=list(conv.get("bcc_emails") or []), attachments=files + inline_images(body, mid),
    )


def deleted_stub(item: dict[str, Any], meta: AccountMeta, base_url: str) -> Ticket:
    """A deleted or spam ticket from the list alone: the engine only needs to know it is gone."""
    return Ticket(
        source_id=str(item["id"]), subject=item.get("subject") or "",
        status="Spam" if item.get("spam") else meta.status_name(item.get("status")),
        created_at=parse_time(item["created_at"]), updated_at=parse_time(item["updated_at"]),
        requester=Contact(source_id=str(item["requester_id"]), name=None) if item.get("requester_id") else None,
        assignee_agent_id=str(item["responder_id"]) if item.get("responder_id") else None,
        tags=list(item.get("tags") or []), deleted=True,
        mailbox_id=meta.mailbox_of(item),
        url=f"{base_url}/a/tickets/{item['id']}",
    )
