"""The stand-in's company: seed data, what migrations write, and Front's JSON shapes for all of it.

Everything lives in memory behind one lock; `Company.dump()` is the JSON state page.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

# Teammates seeded in every stand-in. agent1..agent4@example.com match the sample source's agents, so
# "auto-match by email" has something to find offline; admin@example.com matches nobody on purpose.
SEED_TEAMMATES = [
    ("admin@example.com", "Ada", "Admin", True),
    ("agent1@example.com", "Alice", "Agent", False),
    ("agent2@example.com", "Bob", "Agent", False),
    ("agent3@example.com", "Chloe", "Agent", False),
    ("agent4@example.com", "Dan", "Agent", False),
]
SEED_INBOXES = [("Support", "support@acme.example"), ("Billing", "billing@acme.example"), ("Sales", "sales@acme.example")]
SEED_TAGS = ["VIP", "Escalated"]
SEED_CONVERSATION_FIELDS = [("Priority", "enum", ["Low", "Normal", "High"]), ("Order number", "string", None),
                            ("Region", "string", None)]
SEED_CONTACT_FIELDS = [("Plan", "string", None), ("Loyalty points", "number", None)]
SEED_ACCOUNT_FIELDS = [("Account tier", "enum", ["Free", "Standard", "Premium"]), ("Seats", "number", None)]
ALL_SCOPES = frozenset({
    "inboxes:read", "channels:read", "teammates:read", "tags:read", "tags:write", "contacts:read",
    "contacts:write", "custom_fields:read", "messages:read", "messages:write", "comments:read",
    "comments:write", "conversations:read", "conversations:write", "accounts:read", "accounts:write",
    "knowledge_bases:read", "knowledge_bases:write", "knowledge_bases:delete",
})


@dataclass
class Conversation:
    id: str
    inbox_id: str
    subject: str
    thread_key: str
    status: str = "archived"  # archived | open | deleted | spam ("assigned"/"unassigned" derived)
    assignee_id: str | None = None
    tag_ids: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)
    comment_ids: list[str] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0
    merged_into: str | None = None
    recipient: str | None = None


class Company:
    def __init__(self, *, name: str = "Acme Support (Front sandbox)", strict: bool = False) -> None:
        self.lock = threading.RLock()
        self.id = "cmp_fp1"
        self.name = name
        # Strict mode takes the other reading of every guess in docs/vendor-guesses.md (Front section).
        self.strict = strict
        self._rng = random.Random(f"{name}|strict")  # noqa: S311 - test data, not security
        self.page_tokens: dict[str, tuple[int, int]] = {}  # strict: opaque token -> (offset, limit)
        self._ids = itertools.count(1)
        self.base_url = ""
        self.teammates: dict[str, dict] = {}
        self.inboxes: dict[str, dict] = {}
        self.channels: dict[str, dict] = {}
        self.tags: dict[str, dict] = {}
        self.contacts: dict[str, dict] = {}
        self._handles: dict[str, str] = {}  # handle (lower case) -> contact id, kept by add_contact*
        self.custom_fields: dict[str, list[dict]] = {"conversation": [], "contact": [], "account": []}
        self.accounts: dict[str, dict] = {}  # sandbox/front/accounts.py
        # sandbox/front/knowledge.py: knowledge bases, their categories and articles (content per locale)
        self.knowledge_bases: dict[str, dict] = {}
        self.kb_categories: dict[str, dict] = {}
        self.kb_articles: dict[str, dict] = {}
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[str, dict] = {}
        self.comments: dict[str, dict] = {}
        self.pending: dict[str, tuple[float, str, dict, list[dict]]] = {}  # uid -> (ready_at, inbox, body, files)
        self.uid_to_message: dict[str, str] = {}
        self.external_ids: dict[tuple[str, str], str] = {}  # (inbox, external_id) -> uid
        self.threads: dict[tuple[str, str], str] = {}  # (inbox, thread key) -> conversation id
        self.counters: dict[str, Any] = {"routes": {}, "statuses": {}, "rate_limited_budget": 0,
                                         "rate_limited_burst": 0, "duplicate_imports_refused": 0,
                                         "spec_violations": 0, "response_violations": 0,
                                         "faults_injected": 0, "connections_dropped": 0,
                                         "budget_spent": 0, "spent": {}, "rate_limited": {},
                                         "oauth_refused": 0}
        self.violations: list[dict] = []
        self._seed()

    def count(self, name: str, key: str | None = None) -> None:
        """Add one to a counter (or to `key` inside a counter dict); request threads call this concurrently."""
        with self.lock:
            if key is None:
                self.counters[name] += 1
            else:
                self.counters[name][key] = self.counters[name].get(key, 0) + 1

    def violation(self, **entry: str | float) -> None:
        with self.lock:
            self.violations.append(entry)
            del self.violations[:-200]  # keep the recent ones

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):x}"

    def _seed(self) -> None:
        for email, first, last, admin in SEED_TEAMMATES:
            tid = self.new_id("tea")
            self.teammates[tid] = {"id": tid, "email": email, "username": email.split("@")[0], "first_name": first,
                                   "last_name": last, "is_admin": admin}
        for name, address in SEED_INBOXES:
            self.add_inbox(name, address)
        for name in SEED_TAGS:
            self.create_tag(name)
        for kind, fields in (("conversation", SEED_CONVERSATION_FIELDS), ("contact", SEED_CONTACT_FIELDS),
                             ("account", SEED_ACCOUNT_FIELDS)):
            for name, ftype, values in fields:
                self.custom_fields[kind].append({"id": self.new_id("fld"), "name": name, "type": ftype, "values": values})
        from sandbox.front.knowledge import seed

        seed(self)

    def add_inbox(self, name: str, address: str) -> str:
        iid, cid = self.new_id("inb"), self.new_id("cha")
        self.inboxes[iid] = {"id": iid, "name": name}
        self.channels[cid] = {"id": cid, "inbox_id": iid, "name": name, "address": address}
        return iid

    # --- behaviour ----------------------------------------------------------------------------
    def create_tag(self, name: str) -> dict:
        tid = self.new_id("tag")
        self.tags[tid] = {"id": tid, "name": name, "created_at": time.time()}
        return self.tags[tid]

    def find_tag(self, name: str) -> dict | None:
        """The tag with this name: exactly (ours), or ignoring case (strict: Front's names may be
        case-insensitive, the spec does not say)."""
        exact = next((t for t in self.tags.values() if t["name"] == name), None)
        if exact is not None or not self.strict:
            return exact
        return next((t for t in self.tags.values() if t["name"].casefold() == name.casefold()), None)

    def tag_for_import(self, name: str) -> dict | None:
        """A tag named by an import: created when unknown (ours), ignored when unknown (strict; the spec
        only says "List of tag names to add to the conversation")."""
        tag = self.find_tag(name)
        if tag is None and not self.strict:
            tag = self.create_tag(name)
        return tag

    def ready_at(self, now: float, delay: float) -> float:
        """When an import becomes visible. Strict: each import takes its own time (0-3x the delay), so
        imports of one conversation can be processed out of order."""
        if self.strict and delay > 0:
            return now + self._rng.uniform(0, 3 * delay)
        return now + delay

    def contact_for_handle(self, handle: str) -> dict | None:
        """The contact owning a handle (case-insensitive). An index, not a scan: every message answer asks
        this once per recipient, and a 10k-ticket run holds thousands of contacts."""
        contact = self.contacts.get(self._handles.get(handle.lower(), ""))
        if contact is not None and any(h["handle"].lower() == handle.lower() for h in contact["handles"]):
            return contact
        return None

    def add_contact(self, contact: dict) -> None:
        self.contacts[contact["id"]] = contact
        for h in contact["handles"]:
            self._handles.setdefault(h["handle"].lower(), contact["id"])

    def add_contact_handle(self, contact: dict, source: str, handle: str) -> None:
        contact["handles"].append({"source": source, "handle": handle})
        self._handles.setdefault(handle.lower(), contact["id"])

    def process_due(self, now: float | None = None) -> None:
        """Turn accepted imports whose processing delay has passed into messages in conversations."""
        now = time.time() if now is None else now
        for uid, (ready_at, inbox_id, body, files) in list(self.pending.items()):
            if ready_at <= now:
                del self.pending[uid]
                self._materialise(uid, inbox_id, body, files)

    def _materialise(self, uid: str, inbox_id: str, body: dict, files: list[dict]) -> None:
        meta = body.get("metadata") or {}
        created = float(body["created_at"])
        conversation = None
        created_now = False
        if body.get("conversation_id"):  # overrides thread_ref completely (Front's rule)
            conversation = self.follow_merge(body["conversation_id"])
        if conversation is None:
            # Without thread_ref Front threads by sender.
            key = f"ref:{meta['thread_ref']}" if meta.get("thread_ref") else f"sender:{body['sender']['handle'].lower()}"
            cid = self.threads.get((inbox_id, key))
            conversation = self.follow_merge(cid) if cid else None
            if conversation is None:
                conversation = Conversation(id=self.new_id("cnv"), inbox_id=inbox_id, subject=body.get("subject") or "",
                                            thread_key=key, created_at=created)
                self.conversations[conversation.id] = conversation
                self.threads[(inbox_id, key)] = conversation.id
                created_now = True
        mid = self.new_id("msg")
        sender = body["sender"]
        inbound = bool(meta.get("is_inbound"))
        author = None if inbound else sender.get("author_id")
        self.messages[mid] = {
            "id": mid, "uid": uid, "conversation_id": conversation.id, "inbound": inbound,
            "created_at": created, "subject": body.get("subject") or "", "body": body.get("body", ""),
            "sender": sender, "to": body.get("to", []), "cc": body.get("cc", []), "bcc": body.get("bcc", []),
            "author_id": author if author in self.teammates else None, "external_id": body["external_id"],
            "attachments": files, "type": body.get("type", "email"),
        }
        conversation.message_ids.append(mid)
        conversation.updated_at = max(conversation.updated_at, created)
        conversation.recipient = conversation.recipient or (sender["handle"] if inbound else (body.get("to") or [None])[0])
        for name in body.get("tags", []):
            tag = self.tag_for_import(name)
            if tag is not None and tag["id"] not in conversation.tag_ids:
                conversation.tag_ids.append(tag["id"])
        # Ours: every import sets the conversation's assignee and archived state (a message imported with
        # is_archived=false reopens it). Strict: only the import that creates the conversation does; the
        # spec does not say what an import into an existing conversation changes.
        if created_now or not self.strict:
            if body.get("assignee_id") in self.teammates:
                conversation.assignee_id = body["assignee_id"]
            conversation.status = "archived" if meta.get("is_archived", True) else "open"
        self.uid_to_message[uid] = mid

    def follow_merge(self, cid: str | None) -> Conversation | None:
        seen = set()
        conversation = self.conversations.get(cid or "")
        while conversation and conversation.merged_into and conversation.id not in seen:
            seen.add(conversation.id)
            conversation = self.conversations.get(conversation.merged_into)
        return conversation

    # --- Front JSON shapes --------------------------------------------------------------------
    def link(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def teammate_json(self, tid: str) -> dict:
        t = self.teammates[tid]
        return {"_links": {"self": self.link(f"/teammates/{tid}"), "related": {"inboxes": self.link(f"/teammates/{tid}/inboxes"),
                "conversations": self.link(f"/teammates/{tid}/conversations")}}, "id": tid, "email": t["email"],
                "username": t["username"], "first_name": t["first_name"], "last_name": t["last_name"],
                "is_admin": t["is_admin"], "is_available": True, "is_blocked": False, "type": "user",
                "custom_fields": {}, "license_type": "regular"}

    def inbox_json(self, iid: str) -> dict:
        return {"_links": {"self": self.link(f"/inboxes/{iid}"), "related": {
                    "teammates": self.link(f"/inboxes/{iid}/teammates"),
                    "conversations": self.link(f"/inboxes/{iid}/conversations"),
                    "channels": self.link(f"/inboxes/{iid}/channels")}},
                "id": iid, "name": self.inboxes[iid]["name"],
                "is_private": bool(self.inboxes[iid].get("private")), "is_public": not self.inboxes[iid].get("private"), "custom_fields": {}}

    def channel_json(self, cid: str) -> dict:
        c = self.channels[cid]
        return {"_links": {"self": self.link(f"/channels/{cid}"), "related": {"inbox": self.link(f"/inboxes/{c['inbox_id']}")}},
                "id": cid, "name": c["name"], "address": c["address"], "send_as": c["address"], "type": "smtp",
                "settings": {"undo_send_time": 0}, "is_private": False, "is_valid": True}

    def tag_json(self, tid: str) -> dict:
        t = self.tags[tid]
        return {"_links": {"self": self.link(f"/tags/{tid}")}, "id": tid, "name": t["name"], "description": None,
                "highlight": None, "is_private": False, "is_visible_in_conversation_lists": False,
                "created_at": t["created_at"], "updated_at": t["created_at"]}

    def field_json(self, f: dict) -> dict:
        out = {"_links": {"self": self.link(f"/custom_fields/{f['id']}")}, "id": f["id"], "name": f["name"],
               "description": "", "type": f["type"]}
        if f["values"]:
            out["values"] = [{"value": v} for v in f["values"]]
        return out

    def contact_json(self, crd: str) -> dict:
        c = self.contacts[crd]
        return {"_links": {"self": self.link(f"/contacts/{crd}"), "related": {
                    "notes": self.link(f"/contacts/{crd}/notes"), "conversations": self.link(f"/contacts/{crd}/conversations")}},
                "id": crd, "name": c.get("name") or "", "description": c.get("description") or "", "avatar_url": "",
                "links": c.get("links", []), "groups": [], "lists": [], "handles": c["handles"],
                "custom_fields": c.get("custom_fields", {}), "is_private": False}

    def recipient_json(self, handle: str, role: str, name: str | None = None) -> dict:
        contact = self.contact_for_handle(handle)
        return {"_links": {"related": {"contact": self.link(f"/contacts/{contact['id']}") if contact else None}},
                "name": name, "handle": handle, "role": role}

    def attachment_json(self, owner: str, f: dict) -> dict:
        return {"id": f["id"], "filename": f["filename"], "url": self.link(f"/{owner}/download/{f['id']}"),
                "content_type": f["content_type"], "size": f["size"], "metadata": {"is_inline": False}}

    def message_json(self, mid: str) -> dict:
        m = self.messages[mid]
        sender = m["sender"]
        recipients = [self.recipient_json(sender["handle"], "from", sender.get("name"))]
        recipients += [self.recipient_json(h, role) for role in ("to", "cc", "bcc") for h in m[role]]
        out = {"_links": {"self": self.link(f"/messages/{mid}"), "related": {
                   "conversation": self.link(f"/conversations/{m['conversation_id']}"),
                   "message_seen": self.link(f"/messages/{mid}/seen")}},
               "id": mid, "message_uid": m["uid"], "type": m["type"], "is_inbound": m["inbound"],
               "created_at": m["created_at"], "subject": m["subject"], "blurb": m["body"][:120], "recipients": recipients,
               "body": m["body"], "text": m["body"],
               "attachments": [self.attachment_json(f"messages/{mid}", f) for f in m["attachments"]],
               "metadata": {"external_id": m["external_id"]}}
        if m["author_id"]:
            out["author"] = self.teammate_json(m["author_id"])
        return out

    def comment_json(self, com: str) -> dict:
        c = self.comments[com]
        return {"_links": {"self": self.link(f"/comments/{com}"), "related": {
                    "conversation": self.link(f"/conversations/{c['conversation_id']}"),
                    "mentions": self.link(f"/comments/{com}/mentions")}},
                "id": com, "author": self.teammate_json(c["author_id"]), "body": c["body"], "posted_at": c["posted_at"],
                "attachments": [self.attachment_json(f"comments/{com}", f) for f in c["attachments"]], "is_pinned": False}

    def conversation_json(self, cid: str) -> dict:
        c = self.conversations[cid]
        status = c.status
        if status == "open":
            status = "assigned" if c.assignee_id else "unassigned"
        elif status == "spam":
            status = "deleted"
        related = {k: self.link(f"/conversations/{cid}/{k}") for k in ("events", "followers", "messages", "comments", "inboxes")}
        return {"_links": {"self": self.link(f"/conversations/{cid}"), "related": related}, "id": cid,
                "type": "conversation", "subject": c.subject, "status": status, "ticket_ids": [],
                "assignee": self.teammate_json(c.assignee_id) if c.assignee_id else None,
                "recipient": self.recipient_json(c.recipient, "from") if c.recipient else None,
                "tags": [self.tag_json(t) for t in c.tag_ids], "links": [], "custom_fields": c.custom_fields,
                "created_at": c.created_at, "updated_at": c.updated_at, "is_private": False,
                "scheduled_reminders": [], "metadata": {}}

    def dump(self) -> dict:
        """The JSON state page: what a migration wrote, plus the counters benchmarks read."""
        with self.lock:
            self.process_due()
            conversations = []
            for c in self.conversations.values():
                conversations.append({
                    "id": c.id, "inbox_id": c.inbox_id, "subject": c.subject, "status": c.status,
                    "assignee": self.teammates[c.assignee_id]["email"] if c.assignee_id else None,
                    "tags": [self.tags[t]["name"] for t in c.tag_ids], "custom_fields": c.custom_fields,
                    "merged_into": c.merged_into, "thread_key": c.thread_key,
                    "messages": [{k: self.messages[m][k] for k in ("id", "external_id", "inbound", "created_at",
                                  "subject", "body", "to", "cc", "bcc", "author_id")}
                                 | {"sender": self.messages[m]["sender"]["handle"],
                                    "attachments": [f["filename"] for f in self.messages[m]["attachments"]]}
                                 for m in c.message_ids],
                    "comments": [{"id": k, "body": self.comments[k]["body"], "author_id": self.comments[k]["author_id"],
                                  "as_api_user": self.comments[k].get("as_api_user", False),
                                  "attachments": [f["filename"] for f in self.comments[k]["attachments"]]}
                                 for k in c.comment_ids],
                })
            return {
                "company": {"id": self.id, "name": self.name},
                "inboxes": [self.inbox_json(i) | {"addresses": [c["address"] for c in self.channels.values()
                                                                if c["inbox_id"] == i]} for i in self.inboxes],
                "teammates": [self.teammate_json(t) for t in self.teammates],
                "tags": [self.tags[t]["name"] for t in self.tags],
                "contacts": [{"id": c["id"], "name": c.get("name"), "handles": c["handles"],
                              "description": c.get("description"), "custom_fields": dict(c.get("custom_fields") or {})}
                             for c in self.contacts.values()],
                "accounts": dump_accounts(self),
                **dump_knowledge(self),
                "conversations": conversations,
                "pending_imports": len(self.pending),
                "counters": copy.deepcopy(self.counters),  # a snapshot, not the live counters
                "violations": copy.deepcopy(self.violations[-50:]),
            }


def dump_accounts(company: Company) -> list[dict]:
    from sandbox.front.accounts import dump_accounts as dump

    return dump(company)


def dump_knowledge(company: Company) -> dict:
    from sandbox.front.knowledge import dump_knowledge as dump

    return dump(company)


def file_id(data: bytes) -> str:
    return "fil_" + hashlib.sha1(data, usedforsecurity=False).hexdigest()[:10]
