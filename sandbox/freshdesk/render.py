"""The sample help desk (connectors/sample/generator.py) in Freshdesk API v2 shapes.

Shapes follow Freshdesk's public API reference (developers.freshdesk.com/api): tickets with numeric
status/priority/source codes and `cf_*` custom fields, conversations with `incoming`/`private` flags,
attachments with expiring pre-signed `attachment_url`s, inline images as `<img>` tokens in the body only.
Agents and contacts keep the dataset's numeric ids (agents 1..A, contacts 1_000_001..), which never collide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from connectors.base import Attachment, Message, Ticket
from connectors.sample.generator import CUSTOM_FIELDS, SampleDataset
from sandbox.vendorhttp import iso, text_to_html

# The dataset's statuses -> Freshdesk status codes. 2-5 are Freshdesk's defaults; 6+ are custom statuses.
STATUS_CODES = {"open": 2, "pending": 3, "solved": 4, "closed": 5, "new": 6, "hold": 7}
STATUS_CHOICES = {
    2: ["Open", "Being Processed"],
    3: ["Pending", "Awaiting your Reply"],
    4: ["Resolved", "This ticket has been Resolved"],
    5: ["Closed", "This ticket has been Closed"],
    6: ["New", "Received"],
    7: ["On hold", "Being Processed"],
}
PRIORITIES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
SOURCE_EMAIL, SOURCE_PORTAL = 1, 2
CONV_SOURCE_REPLY, CONV_SOURCE_NOTE = 0, 2
SUPPORT_EMAIL = "support@acme.freshdesk.com"
GROUPS = [(11, "Tier 1"), (12, "Tier 2"), (13, "Refunds")]
PRODUCTS = [(1, "Acme Support"), (2, "Acme Billing")]
SIGNING_KEY = b"freshdesk-standin-attachment-signing"


def cf_name(label: str) -> str:
    """Freshdesk's API name of a custom field: `cf_` + the label in snake case."""
    return "cf_" + re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")


def priority_of(ticket_id: int) -> int:
    return ticket_id % 4 + 1


def group_of(ticket_id: int) -> int:
    return GROUPS[ticket_id % len(GROUPS)][0]


def html_body(message: Message) -> str:
    return message.body if message.body_format == "html" else text_to_html(message.body)


def plain_text(html_text: str) -> str:
    return re.sub(r"<[^>]+>", "", html_text)


class AttachmentSigner:
    """Pre-signed, expiring attachment links like Freshdesk's S3 URLs.

    A link carries its issue time; it is refused once `ttl_s` has passed or after `expire_all()` (which
    tests use to make every link handed out so far stale at once)."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self.generation = 0

    def _sig(self, attachment_id: int, issued: int, generation: int) -> str:
        msg = f"{attachment_id}:{issued}:{generation}".encode()
        return hmac.new(SIGNING_KEY, msg, hashlib.sha256).hexdigest()[:32]

    def sign(self, base_url: str, attachment_id: int, filename: str) -> str:
        issued = int(datetime.now(UTC).timestamp())
        return (f"{base_url}/s3/attachments/{attachment_id}/{quote(filename)}?X-Amz-Date={issued}"
                f"&X-Amz-Expires={int(self.ttl_s)}&X-Amz-Gen={self.generation}"
                f"&X-Amz-Signature={self._sig(attachment_id, issued, self.generation)}")

    def valid(self, attachment_id: int, query: dict[str, str]) -> bool:
        try:
            issued, generation = int(query["X-Amz-Date"]), int(query["X-Amz-Gen"])
        except (KeyError, ValueError):
            return False
        if generation != self.generation:
            return False
        if datetime.now(UTC).timestamp() > issued + self.ttl_s:
            return False
        return hmac.compare_digest(query.get("X-Amz-Signature", ""), self._sig(attachment_id, issued, generation))

    def expire_all(self) -> None:
        self.generation += 1


def inline_token(attachment_id: int) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"id": attachment_id}).encode()).decode().rstrip("=")
    sig = hmac.new(SIGNING_KEY, payload.encode(), hashlib.sha256).hexdigest()[:16]
    return f"{payload}.{sig}"


def inline_id(token: str) -> int | None:
    payload, _, sig = token.partition(".")
    expected = hmac.new(SIGNING_KEY, payload.encode(), hashlib.sha256).hexdigest()[:16]
    if not hmac.compare_digest(sig, expected):
        return None
    padded = payload + "=" * (-len(payload) % 4)
    return int(json.loads(base64.urlsafe_b64decode(padded))["id"])


DELETED_AGENT_CONTACT_OFFSET = 900_000  # strict: the contact a deleted agent became has an id of its own


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


class FreshdeskRenderer:
    """Strict mode (the other reading of each guess): a deleted agent's conversations name the contact
    Freshdesk made of them (a new id), status choices as label -> code, empty fields left out instead of
    null."""

    def __init__(self, dataset: SampleDataset, signer: AttachmentSigner, *, time_quantum_s: int = 1,
                 minimal: bool = False, strict: bool = False) -> None:
        self.strict = strict
        self.dataset = dataset
        self.signer = signer
        self.quantum = max(1, time_quantum_s)
        self.minimal = minimal
        self.products = True

    # ---- times ---------------------------------------------------------------------------------
    def quantize(self, dt: datetime) -> datetime:
        ts = int(dt.timestamp())
        return datetime.fromtimestamp(ts - ts % self.quantum, UTC)

    def updated_at(self, ticket_id: int) -> datetime:
        return self.quantize(self.dataset.updated_at(ticket_id))

    # ---- people --------------------------------------------------------------------------------
    def agents(self) -> list[dict[str, Any]]:
        """Freshdesk lists current agents only: a deleted agent has become a plain contact."""
        out = []
        for agent in self.dataset.agents():
            if agent.deleted:
                continue
            out.append({
                "id": int(agent.source_id), "available": agent.active, "occasional": False,
                "ticket_scope": 1, "type": "support_agent", "deactivated": not agent.active,
                "created_at": "2018-06-01T09:00:00Z", "updated_at": "2018-06-01T09:00:00Z",
                "contact": {"active": agent.active, "email": agent.email, "name": agent.name or "",
                            "phone": None, "mobile": None, "job_title": None, "language": "en",
                            "time_zone": "UTC"},
            })
        return out

    def contact(self, contact_id: int) -> dict[str, Any] | None:
        c = self.dataset.contact_by_id(str(contact_id))
        if c is None:
            return None
        from sandbox.freshdesk.companies import contact_extras

        return {
            "id": contact_id, "name": c.name or "", "email": c.emails[0] if c.emails else None,
            "other_emails": c.emails[1:], "phone": c.phones[0] if c.phones else None, "mobile": None,
            "active": True, "address": None, "company_id": None, "language": "en", "time_zone": "UTC",
            "created_at": "2018-06-01T09:00:00Z", "updated_at": "2018-06-01T09:00:00Z",
            **contact_extras(c, strict=self.strict),
        }

    def user_of_agent(self, agent_id: str) -> int:
        """The user id conversations show for an agent: a deleted agent's contact id in strict mode."""
        agent = next((a for a in self.dataset.agents() if a.source_id == agent_id), None)
        if agent is not None and agent.deleted and self.strict:
            return DELETED_AGENT_CONTACT_OFFSET + int(agent_id)
        return int(agent_id)

    def agent_of_user(self, user_id: str) -> str:
        if self.strict and user_id.isdigit() and int(user_id) > DELETED_AGENT_CONTACT_OFFSET:
            return str(int(user_id) - DELETED_AGENT_CONTACT_OFFSET)
        return "" if self.strict and user_id.isdigit() and self._deleted_agent(user_id) else user_id

    def _deleted_agent(self, agent_id: str) -> bool:
        return any(a.source_id == agent_id and a.deleted for a in self.dataset.agents())

    def requester_embed(self, contact_id: int) -> dict[str, Any] | None:
        c = self.contact(contact_id)
        if c is None:
            return None
        return {k: c[k] for k in ("id", "name", "email", "mobile", "phone")}

    # ---- fields --------------------------------------------------------------------------------
    def ticket_fields(self) -> list[dict[str, Any]]:
        fields: list[dict[str, Any]] = [
            {"id": 1, "name": "requester", "label": "Search a requester", "type": "default_requester",
             "default": True, "position": 1},
            {"id": 2, "name": "subject", "label": "Subject", "type": "default_subject", "default": True,
             "position": 2},
            {"id": 3, "name": "ticket_type", "label": "Type", "type": "default_ticket_type", "default": True,
             "position": 3, "choices": ["Question", "Incident", "Problem", "Feature Request"]},
            {"id": 4, "name": "source", "label": "Source", "type": "default_source", "default": True,
             "position": 4, "choices": {"Email": 1, "Portal": 2, "Phone": 3, "Chat": 7, "Feedback Widget": 9,
                                        "Outbound Email": 10}},
            {"id": 5, "name": "status", "label": "Status", "type": "default_status", "default": True,
             "position": 5, "choices": {v[0]: k for k, v in STATUS_CHOICES.items()} if self.strict
             else {str(k): v for k, v in STATUS_CHOICES.items()}},
            {"id": 6, "name": "priority", "label": "Priority", "type": "default_priority", "default": True,
             "position": 6, "choices": {v: k for k, v in PRIORITIES.items()}},
            {"id": 7, "name": "group", "label": "Group", "type": "default_group", "default": True,
             "position": 7, "choices": {name: gid for gid, name in GROUPS}},
            {"id": 8, "name": "agent", "label": "Agent", "type": "default_agent", "default": True, "position": 8},
            {"id": 9, "name": "product", "label": "Product", "type": "default_product", "default": True,
             "position": 9, "choices": {name: pid for pid, name in PRODUCTS}},
            {"id": 10, "name": "description", "label": "Description", "type": "default_description",
             "default": True, "position": 10},
        ]
        kinds = {"Order number": "custom_text", "Product": "custom_dropdown", "Refund approved": "custom_checkbox",
                 "Customer tier": "custom_dropdown"}
        for n, label in enumerate(CUSTOM_FIELDS, start=11):
            fields.append({"id": n, "name": cf_name(label), "label": label, "type": kinds.get(label, "custom_text"),
                           "default": False, "position": n, "created_at": "2018-06-01T09:00:00Z",
                           "updated_at": "2018-06-01T09:00:00Z"})
        return fields

    # ---- tickets -------------------------------------------------------------------------------
    def _attachment(self, a: Attachment, created_at: datetime) -> dict[str, Any]:
        aid = int(a.source_id)
        return {"id": aid, "name": a.filename, "content_type": a.content_type, "size": a.size,
                "attachment_url": self.signer.sign(self.dataset_base_url, aid, a.filename),
                "created_at": iso(created_at), "updated_at": iso(created_at)}

    dataset_base_url = ""  # set by the app once it knows its URL

    def _body(self, message: Message) -> str:
        body = html_body(message)
        for a in message.attachments:
            if a.inline and a.url:
                src = f"{self.dataset_base_url}/inline/attachment?token={inline_token(int(a.source_id))}"
                body = body.replace(f'src="{a.url}"', f'src="{src}"')
        return body

    def _files(self, message: Message) -> list[dict[str, Any]]:
        # An inline image lives only in an HTML body; a plain-text message carries it as a file.
        in_body = message.body_format == "html"
        return [self._attachment(a, message.created_at) for a in message.attachments if not (a.inline and in_body)]

    def ticket(self, ticket_id: int, *, spam: bool = False, with_description: bool = True) -> dict[str, Any]:
        updated = self.updated_at(ticket_id)
        if self.minimal:
            return self._minimal_ticket(ticket_id, updated, spam=spam, with_description=with_description)
        t = self.dataset.ticket(ticket_id)
        status = STATUS_CODES.get(t.status, 5)
        first = t.messages[0] if t.messages else None
        out: dict[str, Any] = {
            "id": ticket_id, "subject": t.subject, "status": status, "priority": priority_of(ticket_id),
            "source": SOURCE_EMAIL, "type": None, "requester_id": int(t.requester.source_id) if t.requester else None,
            "responder_id": int(t.assignee_agent_id) if t.assignee_agent_id else None,
            "group_id": group_of(ticket_id),
            "product_id": int(t.mailbox_id) if t.mailbox_id and self.products else None,
            "company_id": None, "email_config_id": None, "tags": list(t.tags),
            "cc_emails": [c.emails[0] for c in t.cc_contacts if c.emails], "fwd_emails": [],
            "reply_cc_emails": [c.emails[0] for c in t.cc_contacts if c.emails], "to_emails": None,
            "spam": spam, "is_escalated": False, "fr_escalated": False,
            "due_by": iso(t.created_at), "fr_due_by": iso(t.created_at),
            "custom_fields": {cf_name(k): v for k, v in t.custom_fields.items()},
            "created_at": iso(t.created_at), "updated_at": iso(updated),
        }
        if t.deleted:
            out["deleted"] = True
        if with_description:
            body = self._body(first) if first else ""
            out["description"] = body
            out["description_text"] = plain_text(body)
            out["attachments"] = self._files(first) if first else []
        return _compact(out) if self.strict else out

    def _minimal_ticket(self, ticket_id: int, updated: datetime, *, spam: bool, with_description: bool
                        ) -> dict[str, Any]:
        """A cheap ticket (no thread built) for volume tests: id, times, requester, one-line description."""
        out: dict[str, Any] = {
            "id": ticket_id, "subject": f"Ticket {ticket_id}", "status": 2, "priority": 1, "source": SOURCE_EMAIL,
            "type": None, "requester_id": 1_000_001, "responder_id": None, "group_id": None, "product_id": None,
            "tags": [], "cc_emails": [], "custom_fields": {}, "spam": spam,
            "created_at": iso(updated), "updated_at": iso(updated),
        }
        if self.dataset.deleted_revision(ticket_id) is not None:
            out["deleted"] = True
        if with_description:
            out["description"] = f"<div>Minimal ticket {ticket_id}</div>"
            out["description_text"] = f"Minimal ticket {ticket_id}"
            out["attachments"] = []
        return out

    def conversations(self, ticket_id: int) -> list[dict[str, Any]]:
        if self.minimal:
            return []
        t: Ticket = self.dataset.ticket(ticket_id)
        out = []
        for m in t.messages[1:]:
            private = m.kind == "private_note"
            note = m.kind in ("private_note", "public_note")
            user_id = (self.user_of_agent(m.author_agent_id) if m.author_agent_id
                       else int(m.author_contact_id or 0) or None)
            body = self._body(m)
            out.append({
                "id": int(m.source_id), "ticket_id": ticket_id, "body": body, "body_text": plain_text(body),
                "incoming": m.inbound, "private": private, "user_id": user_id,
                "source": CONV_SOURCE_NOTE if note else CONV_SOURCE_REPLY, "category": 2 if note else 3,
                "support_email": None if m.inbound or note else SUPPORT_EMAIL,
                "from_email": m.author_email if m.inbound else (None if note else SUPPORT_EMAIL),
                "to_emails": list(m.to) or ([SUPPORT_EMAIL] if m.inbound else []),
                "cc_emails": list(m.cc), "bcc_emails": list(m.bcc),
                "attachments": self._files(m),
                "created_at": iso(m.created_at), "updated_at": iso(m.created_at),
            })
        return [_compact(c) for c in out] if self.strict else out

    def attachment(self, attachment_id: int) -> Attachment | None:
        """Find an attachment by id: ids are message*10+k and messages ticket*1000+n."""
        ticket_id = attachment_id // 10_000
        if self.minimal or not self.dataset.exists(ticket_id):
            return None
        for m in self.dataset.ticket(ticket_id).messages:
            for a in m.attachments:
                if a.source_id == str(attachment_id):
                    return a
        return None
