"""Freshdesk API v2 JSON -> canonical records. Pure functions: no HTTP here.

Values are read defensively (vendor JSON is data): one unreadable conversation is left out with its
reason, one unreadable ticket becomes a skipped ticket with its reason. The author of a conversation is
an agent when it is not `incoming`; a deleted agent (Freshdesk turns one into a contact) is named from
the contact record the connector read (`users`), and stays the author (the engine maps an agent it
does not know to the default teammate).
"""

from __future__ import annotations

import html
import mimetypes
import re
from dataclasses import dataclass, field
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
from connectors.freshdesk.stream import parse_time

SERVICE = "Freshdesk"
SOURCE_OUTBOUND_EMAIL = 10
CONV_SOURCE_NOTE = 2
_INLINE_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'(\w[\w-]*)\s*=\s*"([^"]*)"')


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def items(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def ident(value: Any) -> str | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    return str(value) if isinstance(value, int | str) else None


def emails(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


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
        """Status names from the status field's choices, read either way round: `{"2": ["Open", "..."]}`
        (code -> agent and customer labels, what we have seen) or `{"Open": 2}` (label -> code, the shape
        of the source field's choices)."""
        meta = cls(agents={a.source_id: a for a in agents})
        for f in items(fields):
            if f.get("name") == "status" and isinstance(f.get("choices"), dict):
                for key, value in f["choices"].items():
                    if str(key).isdigit():
                        label = value[0] if isinstance(value, list) and value else value
                        meta.statuses[int(key)] = str(label)
                    elif isinstance(value, int) and not isinstance(value, bool):
                        meta.statuses[value] = str(key)
            elif not f.get("default") and str(f.get("name", "")).startswith("cf_"):
                meta.field_labels[f["name"]] = text(f.get("label")) or f["name"]
        return meta

    def status_name(self, code: Any) -> str:
        try:
            return self.statuses.get(int(code), f"Status {code}")
        except (TypeError, ValueError):
            return str(code)


def mailbox_of(item: dict[str, Any], *, groups: bool) -> str | None:
    if groups:
        return f"group:{ident(item.get('group_id'))}" if ident(item.get("group_id")) else None
    return ident(item.get("product_id"))


def agent_from(item: dict[str, Any]) -> Agent:
    contact = as_object(item.get("contact"))
    return Agent(source_id=str(item["id"]), email=text(contact.get("email")), name=text(contact.get("name")),
                 active=bool(contact.get("active", True)) and not item.get("deactivated", False))


def contact_from(item: Any) -> Contact | None:
    if not isinstance(item, dict) or ident(item.get("id")) is None:
        return None
    addresses = [e for e in [text(item.get("email")), *emails(item.get("other_emails"))] if e]
    phones = [p for p in (text(item.get("phone")), text(item.get("mobile"))) if p]
    return Contact(source_id=str(item["id"]), name=text(item.get("name")), emails=addresses, phones=phones,
                   deleted=bool(item.get("deleted", False)))


def _file(item: dict[str, Any], locator: str) -> Attachment:
    # The link expires: the fragment tells download() where to get a fresh one (never sent to a server).
    size = item.get("size")
    return Attachment(source_id=str(item["id"]), filename=text(item.get("name")) or f"attachment-{item['id']}",
                      content_type=text(item.get("content_type")) or "application/octet-stream",
                      size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
                      url=f"{text(item.get('attachment_url')) or ''}#{locator}")


def _files(value: Any, locator: str) -> list[Attachment]:
    return [_file(a, locator) for a in items(value) if ident(a.get("id"))]


def inline_images(body: str, message_id: str) -> list[Attachment]:
    """Freshdesk keeps inline images only as <img> tags pointing at /inline/attachment?token=..."""
    out = []
    for n, tag in enumerate(_INLINE_IMG.findall(body if isinstance(body, str) else ""), start=1):
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
                base_url: str, *, users: dict[str, Contact] | None = None) -> Ticket:
    try:
        return _ticket_from(detail, conversations, meta, base_url, users=users or {})
    except Exception as exc:  # noqa: BLE001 - bad vendor data ends as a skipped record with its reason
        return unreadable_ticket(detail.get("id") if isinstance(detail, dict) else None, service=SERVICE, error=exc)


def _ticket_from(detail: dict[str, Any], conversations: list[dict[str, Any]], meta: AccountMeta,
                 base_url: str, *, users: dict[str, Contact]) -> Ticket:
    tid = ident(detail.get("id"))
    if tid is None:
        raise ValueError("the ticket has no id")
    requester_id = ident(detail.get("requester_id"))
    requester = contact_from(detail.get("requester")) or (
        Contact(source_id=requester_id, name=None) if requester_id else None)
    messages: list[Message] = []
    skipped: list[Skipped] = []
    body = text(detail.get("description")) or ""
    files = _files(detail.get("attachments"), f"ticket={tid}")
    if body or files:
        outbound = detail.get("source") == SOURCE_OUTBOUND_EMAIL
        responder = ident(detail.get("responder_id"))
        agent = meta.agents.get(responder or "") if outbound else None
        messages.append(Message(
            source_id=description_id(tid), kind="reply", created_at=parse_time(detail["created_at"]), body=body,
            author_agent_id=responder if outbound else None,
            author_contact_id=None if outbound else (requester.source_id if requester else None),
            author_name=(agent.name if agent else None) if outbound else (requester.name if requester else None),
            author_email=(agent.email if agent else None) if outbound else
            (requester.emails[0] if requester and requester.emails else None),
            inbound=not outbound, to=emails(detail.get("to_emails")), cc=emails(detail.get("cc_emails")),
            subject=text(detail.get("subject")), attachments=files + inline_images(body, description_id(tid)),
        ))
    for conv in sorted(items(conversations), key=lambda c: (str(c.get("created_at")), str(c.get("id")))):
        try:
            messages.append(message_from(conv, tid, requester, meta, users))
        except Exception as exc:  # noqa: BLE001 - one unreadable conversation is left out with its reason
            skipped.append(unreadable_message(conv.get("id"), service=SERVICE, error=exc))
    raw_fields = as_object(detail.get("custom_fields"))
    custom = {meta.field_labels.get(k, k): v for k, v in raw_fields.items()}
    ccs = [Contact(source_id=f"email:{e}", name=None, emails=[e]) for e in emails(detail.get("cc_emails"))]
    deleted = bool(detail.get("deleted")) or bool(detail.get("spam"))
    return Ticket(
        source_id=tid, subject=text(detail.get("subject")) or "",
        status="Spam" if detail.get("spam") else meta.status_name(detail.get("status")),
        created_at=parse_time(detail["created_at"]), updated_at=parse_time(detail["updated_at"]),
        requester=requester,
        assignee_agent_id=ident(detail.get("responder_id")),
        cc_contacts=ccs, tags=[t for t in (detail.get("tags") or []) if isinstance(t, str) and t]
        if isinstance(detail.get("tags"), list) else [], custom_fields=custom,
        messages=[] if deleted else messages, deleted=deleted, skipped=[] if deleted else skipped,
        mailbox_id=meta.mailbox_of(detail),
        url=f"{base_url}/a/tickets/{tid}",
    )


def message_from(conv: dict[str, Any], ticket_id: Any, requester: Contact | None, meta: AccountMeta,
                 users: dict[str, Contact] | None = None) -> Message:
    """One conversation. Not `incoming` = written by an agent: a current one (named from the agent
    list) or a deleted one (named from the contact Freshdesk turned them into)."""
    mid = ident(conv.get("id"))
    if mid is None:
        raise ValueError("the conversation has no id")
    note = conv.get("source") == CONV_SOURCE_NOTE
    kind: MessageKind = "private_note" if conv.get("private") else "public_note" if note else "reply"
    inbound = bool(conv.get("incoming")) and not note
    user = ident(conv.get("user_id"))
    agent = meta.agents.get(user or "")
    known = (users or {}).get(user or "")
    if inbound:
        is_requester = requester is not None and requester.source_id == user
        person = requester if is_requester else known
        name = person.name if person else None
        email = text(conv.get("from_email")) or (person.emails[0] if person and person.emails else None)
    elif agent:
        name, email = agent.name, agent.email
    else:
        name, email = (known.name, known.emails[0] if known.emails else None) if known else (None, None)
    body = text(conv.get("body")) or ""
    files = _files(conv.get("attachments"), f"ticket={ticket_id}&conversation={mid}")
    return Message(
        source_id=mid, kind=kind, created_at=parse_time(conv["created_at"]), body=body,
        author_agent_id=None if inbound else user, author_contact_id=user if inbound else None,
        author_name=name, author_email=email, inbound=inbound,
        to=emails(conv.get("to_emails")), cc=emails(conv.get("cc_emails")),
        bcc=emails(conv.get("bcc_emails")), attachments=files + inline_images(body, mid),
    )


def deleted_stub(item: dict[str, Any], meta: AccountMeta, base_url: str) -> Ticket:
    """A deleted or spam ticket from the list alone: the engine only needs to know it is gone."""
    try:
        return _deleted_stub(item, meta, base_url)
    except Exception as exc:  # noqa: BLE001 - bad vendor data ends as a skipped record with its reason
        return unreadable_ticket(item.get("id"), service=SERVICE, error=exc)


def _deleted_stub(item: dict[str, Any], meta: AccountMeta, base_url: str) -> Ticket:
    return Ticket(
        source_id=str(item["id"]), subject=item.get("subject") or "",
        status="Spam" if item.get("spam") else meta.status_name(item.get("status")),
        created_at=parse_time(item["created_at"]), updated_at=parse_time(item["updated_at"]),
        requester=Contact(source_id=str(item["requester_id"]), name=None) if ident(item.get("requester_id")) else None,
        assignee_agent_id=ident(item.get("responder_id")),
        tags=[t for t in item.get("tags") or [] if isinstance(t, str)] if isinstance(item.get("tags"), list) else [],
        deleted=True,
        mailbox_id=meta.mailbox_of(item),
        url=f"{base_url}/a/tickets/{item['id']}",
    )
