"""The sample help desk (connectors/sample/generator.py) in Intercom REST API 2.16 shapes.

A ticket is a conversation: its first message is the conversation's `source`, every later message a
conversation part (`comment` by a contact or an admin, `note` by an admin). The stand-in adds what a real
workspace shows besides messages: `assignment`, `close`, `open` and `snoozed` activity parts, a burst of
480 bot assignments at the start of every 60-message conversation (so those conversations exceed the 500
parts Intercom returns), teams, companies, leads, conversation attributes. Ids keep the dataset's (admins
1..A, contacts 1_000_001.., conversations 1..N, parts = message ids, activity parts ticket*1000+990..,
attachments `/i/o/<attachment id>/...` like Intercom's download links).

`strict=True` takes the other reading of each guess in docs/vendor-guesses.md (Intercom section).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
import zlib
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any
from urllib.parse import quote

from connectors.base import Agent, Attachment, Contact, Message, Ticket
from connectors.sample.generator import BRANDS, CONTACT_ID_OFFSET, TAGS, SampleDataset
from sandbox.vendorhttp import text_to_html

STATE = {"new": "open", "open": "open", "pending": "snoozed", "hold": "snoozed", "solved": "closed",
         "closed": "closed"}
TEAM_OFFSET = 5_000_000  # team ids 5000001 (Acme Support), 5000002 (Acme Billing)
ACTIVITY_BASE = 990  # activity part ids: ticket*1000 + 990..
PAD_BASE = 10**12  # ids of the bot burst in long conversations
PAD_PARTS = 480
BOT = {"type": "bot", "id": "9999", "name": "Operator", "email": "operator+acme@intercom.io"}
APP = {"type": "app", "id_code": "acme4567", "name": "Acme", "region": "US", "timezone": "America/Los_Angeles",
       "created_at": 1514764800, "identity_verification": False}
COMPANIES = ("Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Soylent",
             "Vandelay Industries")
ATTRIBUTES = (  # conversation attributes: (id, name, data_type, options)
    (1, "Order number", "string", ()),
    (2, "Product", "list", ("Widget", "Gadget Pro", "Gizmo")),
    (3, "Refund approved", "boolean", ()),
    (4, "Customer tier", "list", ("free", "standard", "premium")),
)
SIGNING_KEY = b"intercom-standin-download-signing"
ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def sendable(address: str | None) -> bool:
    """Intercom keeps only addresses it can write to: the dataset's malformed ones are not stored."""
    return bool(address and ADDRESS.match(address))


def epoch(dt: datetime) -> int:
    return int(dt.astimezone(UTC).timestamp())


def team_of(ticket_id: int) -> int:
    """The team a conversation is assigned to (0: none, every tenth one from the third)."""
    return 0 if ticket_id % 10 == 3 else TEAM_OFFSET + int(BRANDS[ticket_id % len(BRANDS)][0])


def company_of(contact_id: int) -> str | None:
    j = contact_id - CONTACT_ID_OFFSET
    return None if j % 3 == 0 else company_id(j % len(COMPANIES))


def company_id(n: int) -> str:
    return f"6762f1261bb69f9f2193bb{n:02d}"


def is_lead(contact_id: int) -> bool:
    return (contact_id - CONTACT_ID_OFFSET) % 4 == 0


def tag_id(name: str) -> str:
    return str(zlib.crc32(name.encode()) % 1_000_000)


def is_long(ticket_id: int) -> bool:
    return ticket_id % 101 == 50  # the dataset's 60-message threads


def html_of(message: Message) -> str:
    return message.body if message.body_format == "html" else text_to_html(message.body)


class Downloads:
    """Pre-signed download links like Intercom's (`/i/o/<id>/<signature>/<name>?expires=`). With a `ttl_s`
    an attachment's link stops working once that many seconds have passed (the strict reading: links
    expire); images shown in a body keep theirs."""

    def __init__(self, ttl_s: float | None) -> None:
        self.ttl_s = ttl_s
        self.skew_s = 0.0  # tests move the stand-in's clock forward instead of sleeping

    def _now(self) -> float:
        return time.time() + self.skew_s

    def expire_links_handed_out(self) -> None:
        """Move the clock past every link handed out so far (links made afterwards are fresh)."""
        self.skew_s += (self.ttl_s or 0) + 1

    def _sig(self, attachment_id: str, expires: int) -> str:
        return hmac.new(SIGNING_KEY, f"{attachment_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:24]

    def link(self, base_url: str, attachment_id: str, filename: str, *, lasting: bool = False) -> str:
        """`lasting`: an image shown in a message body keeps its link (it is part of the text)."""
        expires = math.ceil(self._now() + self.ttl_s) if self.ttl_s and not lasting else 4102444800  # 2100: never
        return f"{base_url}/i/o/{attachment_id}/{self._sig(attachment_id, expires)}/{quote(filename)}?expires={expires}"

    def valid(self, attachment_id: str, signature: str, expires: str) -> bool:
        if not expires.isdigit() or not hmac.compare_digest(signature, self._sig(attachment_id, int(expires))):
            return False
        return self._now() < int(expires)


class IntercomRenderer:
    def __init__(self, dataset: SampleDataset, *, strict: bool = False, part_limit: int = 500,
                 attachment_ttl_s: float | None = None) -> None:
        self.dataset = dataset
        self.strict = strict
        self.part_limit = part_limit
        self.downloads = Downloads(attachment_ttl_s)
        self.base_url = ""
        self.merged: dict[int, int] = {}  # secondary -> primary
        self._tickets: OrderedDict[tuple[SampleDataset, int], Ticket] = OrderedDict()
        self._lock = Lock()

    # ---- cached dataset records -------------------------------------------------------------------
    def ticket(self, i: int) -> Ticket:
        key = (self.dataset, i)
        with self._lock:
            hit = self._tickets.get(key)
            if hit is not None:
                self._tickets.move_to_end(key)
                return hit
        ticket = self.dataset.ticket(i)
        with self._lock:
            self._tickets[key] = ticket
            while len(self._tickets) > 2048:
                self._tickets.popitem(last=False)
        return ticket

    def agents(self) -> dict[str, Agent]:
        return {a.source_id: a for a in self.dataset.agents()}

    # ---- workspace objects ---------------------------------------------------------------------------
    def admin(self, agent: Agent) -> dict[str, Any]:
        n = int(agent.source_id)
        return {"type": "admin", "id": agent.source_id, "name": agent.name or "", "email": agent.email,
                "job_title": "Support", "away_mode_enabled": n == 2, "away_mode_reassign": False,
                "has_inbox_seat": agent.active, "team_ids": [team_of(n)] if team_of(n) else [],
                "avatar": None}

    def me(self) -> dict[str, Any]:
        admin = self.admin(self.dataset.agents()[0])
        admin.pop("job_title")
        admin.update(avatar={"type": "avatar", "image_url": None}, email_verified=True, app=APP)
        return admin

    def teams(self) -> list[dict[str, Any]]:
        agents = [a for a in self.dataset.agents() if not a.deleted]
        return [{"type": "team", "id": str(TEAM_OFFSET + int(box)), "name": name,
                 "admin_ids": [int(a.source_id) for a in agents if team_of(int(a.source_id)) == TEAM_OFFSET + int(box)]}
                for box, name in BRANDS]

    def tags(self) -> list[dict[str, Any]]:
        return [{"type": "tag", "id": tag_id(t), "name": t} for t in TAGS]

    def attributes(self) -> list[dict[str, Any]]:
        out = []
        for n, name, kind, options in ATTRIBUTES:
            item: dict[str, Any] = {"type": "conversation_attribute", "id": n, "name": name, "description": "",
                                    "data_type": kind, "required": False, "visible_to_team_ids": [],
                                    "archived": False, "created_at": APP["created_at"],
                                    "updated_at": APP["created_at"], "admin_id": "1"}
            if kind == "list":
                item["options"] = [{"id": f"opt-{n}-{k}", "label": o, "archived": False} for k, o in enumerate(options)]
            if kind == "string":
                item["multiline"] = False
            out.append(item)
        return out

    def company(self, company: str) -> dict[str, Any] | None:
        match = re.fullmatch(r"6762f1261bb69f9f2193bb(\d\d)", company)
        if not match or int(match[1]) >= len(COMPANIES):
            return None
        n = int(match[1])
        return {"type": "company", "id": company, "name": COMPANIES[n], "app_id": APP["id_code"],
                "company_id": f"cmp-{n}", "created_at": APP["created_at"], "updated_at": APP["created_at"],
                "user_count": 0, "session_count": 0, "monthly_spend": 0, "website": f"https://{n}.example.com",
                "custom_attributes": {}, "tags": {"type": "tag.list", "tags": []}}

    def contact(self, contact: Contact) -> dict[str, Any]:
        cid = int(contact.source_id)
        company = company_of(cid)
        out: dict[str, Any] = {
            "type": "contact", "id": contact.source_id, "external_id": None if is_lead(cid) else f"ext-{cid}",
            "workspace_id": APP["id_code"], "role": "lead" if is_lead(cid) else "user",
            "email": contact.emails[0] if contact.emails and sendable(contact.emails[0]) else "", "phone": contact.phones[0] if contact.phones else None,
            "name": contact.name, "owner_id": None, "has_hard_bounced": False, "marked_email_as_spam": False,
            "unsubscribed_from_emails": False, "created_at": APP["created_at"], "updated_at": APP["created_at"],
            "custom_attributes": {},
            "companies": {"type": "list", "data": [{"type": "company", "id": company, "url": f"/companies/{company}"}]
                          if company else [], "url": f"/contacts/{cid}/companies", "total_count": 1 if company else 0,
                          "has_more": False},
        }
        return out

    # ---- conversations -------------------------------------------------------------------------------
    def author_of(self, m: Message, t: Ticket, agents: dict[str, Agent]) -> dict[str, Any]:
        agent = agents.get(m.author_agent_id or "")
        if agent is not None:
            out = {"type": "admin", "id": agent.source_id, "name": agent.name, "email": agent.email}
            if agent.deleted and self.strict:  # strict: a deleted teammate's name and email are gone
                out["name"] = None
                del out["email"]
            return out
        contact_id = m.author_contact_id or (t.requester.source_id if t.requester else "0")
        kind = "contact" if self.strict else ("lead" if is_lead(int(contact_id)) else "user")
        out = {"type": kind, "id": contact_id, "name": m.author_name}
        if sendable(m.author_email):
            out["email"] = m.author_email
        return out

    def attachments_of(self, m: Message, body: str) -> tuple[str, list[dict[str, Any]]]:
        """(body with inline images pointing at their download link, the attachment list)."""
        out = []
        for a in m.attachments:
            shown = bool(a.inline and a.url and f'src="{a.url}"' in body)
            link = self.downloads.link(self.base_url, a.source_id, a.filename, lasting=shown)
            if shown:
                body = body.replace(f'src="{a.url}"', f'src="{link}"')
                if self.strict:
                    continue  # strict: inline images live only in the body
            out.append({"type": "upload", "name": a.filename, "url": link, "content_type": a.content_type,
                        "filesize": a.size or 0, "width": 0, "height": 0})
        return body, out

    def _email_headers(self, m: Message) -> dict[str, Any] | None:
        headers = [{"type": kind, "email_address": e, "name": None}
                   for kind, emails in (("to", m.to), ("cc", m.cc), ("bcc", m.bcc)) for e in emails if sendable(e)]
        return {"subject": m.subject or "", "email_address_headers": headers, "message_id": None} if headers else None

    def source(self, t: Ticket, agents: dict[str, Agent]) -> dict[str, Any]:
        i = int(t.source_id)
        first = t.messages[0] if t.messages else None
        email = i % 3 != 0
        out: dict[str, Any] = {"type": "email" if email else "conversation", "id": first.source_id if first else "",
                               "delivered_as": "customer_initiated", "subject": t.subject if email else "",
                               "body": "", "url": None, "redacted": False, "attachments": []}
        if first is None:
            out["author"] = {"type": "user", "id": t.requester.source_id if t.requester else None, "name": None}
            return out
        body, attachments = self.attachments_of(first, html_of(first))
        out.update(body=body, attachments=attachments, author=self.author_of(first, t, agents))
        if email:
            out["recipients"] = [{"type": kind, "email": e} for kind, emails in (("to", first.to), ("cc", first.cc),
                                                                                 ("bcc", first.bcc)) for e in emails
                                 if sendable(e)]
        return out

    def _part(self, part_id: str, part_type: str, at: datetime, *, author: dict[str, Any] | None,
              body: str | None = None, state: str = "open", assigned_to: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "conversation_part", "id": part_id, "part_type": part_type, "body": body,
                               "created_at": epoch(at), "updated_at": epoch(at), "notified_at": epoch(at),
                               "assigned_to": {"type": "admin", "id": assigned_to} if assigned_to else None,
                               "attachments": [], "external_id": None, "redacted": False, "state": state,
                               "tags": [], "event_details": None, "app_package_code": None}
        if self.strict:  # strict: empty fields are left out instead of null
            out = {k: v for k, v in out.items() if v is not None}
        if author is not None:
            out["author"] = author
        return out

    def parts(self, t: Ticket, agents: dict[str, Agent]) -> list[dict[str, Any]]:
        """Every part of the conversation, oldest first (the source message is not a part)."""
        i = int(t.source_id)
        state = STATE.get(t.status, "closed")
        assignee = t.assignee_agent_id
        boss = {"type": "admin", "id": "1", "name": agents["1"].name, "email": agents["1"].email}
        automated = None if self.strict else BOT  # strict: automated parts come without an author
        out: list[dict[str, Any]] = []
        if not t.messages:
            return out
        start = t.messages[0].created_at
        if is_long(i):  # a bot re-assigning in a loop: the oldest parts of the conversation
            for k in range(PAD_PARTS):
                out.append(self._part(str(PAD_BASE + i * 10_000 + k), "assignment", start, author=automated,
                                      assigned_to=str(k % 3 + 1)))
        if assignee:
            out.append(self._part(str(i * 1000 + ACTIVITY_BASE), "assignment", start + timedelta(seconds=1),
                                  author=boss, assigned_to=assignee))
        messages = t.messages[1:]
        # A "reply and close" carries a reply: one with text or files (an empty reply cannot be sent).
        last_reply = max((n for n, m in enumerate(messages) if m.kind != "private_note" and not m.inbound
                          and (m.body or m.attachments)), default=-1)
        for n, m in enumerate(messages):
            body, attachments = self.attachments_of(m, html_of(m))
            author = self.author_of(m, t, agents)
            kind = "note" if m.kind == "private_note" else "comment"
            follow_up = int(m.source_id) % 1000 >= 900  # the dataset's revision rounds: a customer reopens
            if self.strict and kind == "comment" and follow_up and m.inbound:
                kind = "open"  # strict: the reopening reply itself is the `open` part (the reply example)
            elif self.strict and kind == "comment" and n == last_reply == len(messages) - 1 and state == "closed":
                kind = "close"  # strict: "reply and close" is one `close` part carrying the reply
            part = self._part(m.source_id, kind, m.created_at, author=author, body=body,
                              state="closed" if kind == "close" else "open")
            part["attachments"] = attachments
            headers = self._email_headers(m) if i % 3 != 0 and kind != "note" else None
            if headers:
                part["email_message_metadata"] = headers
            out.append(part)
            if follow_up and m.inbound and not self.strict:
                out.append(self._part(str(int(m.source_id) + 50), "open", m.created_at, author=author))
        end = t.messages[-1].created_at + timedelta(seconds=1)
        closer = {"type": "admin", "id": assignee, "name": agents[assignee].name,
                  "email": agents[assignee].email} if assignee else boss
        if state == "closed" and not (self.strict and last_reply == len(messages) - 1 >= 0):
            out.append(self._part(str(i * 1000 + ACTIVITY_BASE + 1), "close", end, author=closer, state="closed"))
        if state == "snoozed":
            out.append(self._part(str(i * 1000 + ACTIVITY_BASE + 2), "snoozed", end, author=closer, state="snoozed"))
        for n, _secondary in enumerate(sorted(s for s, p in self.merged.items() if p == i)):
            out.append(self._part(str(i * 1000 + ACTIVITY_BASE + 3 + n), "merged_primary_conversation", end,
                                  author=automated))
        out.sort(key=lambda p: (p["created_at"], int(p["id"])))
        return out

    def conversation(self, i: int, *, with_parts: bool) -> dict[str, Any]:
        t = self.ticket(i)
        agents = self.agents()
        state = STATE.get(t.status, "closed")
        if i in self.merged:
            state = "closed"
        contacts = [c for c in [t.requester, *t.cc_contacts] if c is not None]
        custom: dict[str, Any] = {}
        for name, value in t.custom_fields.items():
            if value is None:
                continue  # an unset attribute is absent
            custom[name] = ("true" if value else "false") if isinstance(value, bool) and self.strict else value
        parts = self.parts(t, agents) if with_parts else []
        teammates = sorted({m.author_agent_id for m in t.messages if m.author_agent_id})
        out: dict[str, Any] = {
            "type": "conversation", "id": str(i), "title": None if i % 3 != 0 else (t.subject or None),
            "created_at": epoch(t.created_at), "updated_at": epoch(t.updated_at),
            "waiting_since": None, "snoozed_until": epoch(t.updated_at) + 86400 if state == "snoozed" else None,
            "open": state != "closed", "state": state, "read": True, "priority": "high" if "vip" in t.tags else "none",
            "admin_assignee_id": int(t.assignee_agent_id) if t.assignee_agent_id else 0,
            "team_assignee_id": team_of(i),
            "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": tag_id(tag), "name": tag} for tag in t.tags]},
            "source": self.source(t, agents),
            "contacts": {"type": "contact.list", "contacts": [
                {"type": "contact", "id": c.source_id, "external_id": None if is_lead(int(c.source_id)) else
                 f"ext-{c.source_id}"} for c in contacts]},
            "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": a} for a in teammates]},
            "custom_attributes": custom,
            "first_contact_reply": {"created_at": epoch(t.created_at), "type": "conversation", "url": None},
            "sla_applied": None, "conversation_rating": None,
            "statistics": None if self.strict else {"type": "conversation_statistics",
                                                    "count_conversation_parts": len(parts)},
            "linked_objects": {"type": "list", "data": [{"type": "conversation", "id": str(p), "category": None}
                                                         for s, p in self.merged.items() if s == i],
                               "total_count": 0, "has_more": False},
            "ai_agent_participated": False,
        }
        out["linked_objects"]["total_count"] = len(out["linked_objects"]["data"])
        if with_parts:
            kept = parts[-self.part_limit:] if len(parts) > self.part_limit else parts  # the most recent ones
            if self.strict:
                kept = list(reversed(kept))  # strict: newest first
            out["conversation_parts"] = {"type": "conversation_part.list", "conversation_parts": kept,
                                         "total_count": len(kept) if self.strict else len(parts)}
        return out

    def attachment(self, attachment_id: str) -> Attachment | None:
        """The dataset attachment with this id (ids are message*10+k, messages ticket*1000+n)."""
        if not attachment_id.isdigit():
            return None
        ticket_id = int(attachment_id) // 10_000
        if not self.dataset.exists(ticket_id):
            return None
        for m in self.ticket(ticket_id).messages:
            for a in m.attachments:
                if a.source_id == attachment_id:
                    return a
        return None

    def search_doc(self, i: int) -> dict[str, Any]:
        """The searchable fields of conversation i (what the search endpoint filters on)."""
        t = self.ticket(i)
        return {"id": str(i), "created_at": epoch(t.created_at), "updated_at": epoch(t.updated_at),
                "team_assignee_id": team_of(i), "admin_assignee_id": int(t.assignee_agent_id or 0),
                "tag_ids": [tag_id(tag) for tag in t.tags], "state": STATE.get(t.status, "closed"),
                "open": STATE.get(t.status, "closed") != "closed",
                "contact_ids": [c.source_id for c in [t.requester, *t.cc_contacts] if c is not None]}
