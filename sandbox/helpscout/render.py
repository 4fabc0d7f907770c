"""The sample help desk (connectors/sample/generator.py) in Help Scout Mailbox API 2.0 shapes.

HAL documents (`_embedded`, `_links`, `page`), conversations with `primaryCustomer`, `assignee`, `tags`,
`customFields`, threads newest first with `type` customer/message/note/lineitem and `state`
published/draft, attachments served base64 by `/v2/conversations/{id}/attachments/{id}/data`.
Dataset ids are kept (users 1..A, customers 1_000_001.., conversations 1..N, threads ticket*1000+n);
the stand-in adds its own line items (status changes, workflows) and drafts at ids ticket*1000+990...
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.base import Agent, Contact, Message, Ticket
from connectors.sample.generator import BRANDS, CUSTOM_FIELDS, SampleDataset
from sandbox.vendorhttp import iso, text_to_html

STATUS = {"new": "active", "open": "active", "pending": "pending", "hold": "pending", "solved": "closed",
          "closed": "closed"}
FIELD_TYPES = {"Order number": "SINGLE_LINE", "Product": "DROPDOWN", "Refund approved": "DROPDOWN",
               "Customer tier": "DROPDOWN"}
LINEITEM_ID, WORKFLOW_ID, DRAFT_ID = 990, 991, 992


def split_name(name: str | None) -> tuple[str, str]:
    first, _, last = (name or "").partition(" ")
    return first, last


def field_text(value: Any) -> str:
    """Help Scout has no yes/no field: a dropdown with Yes/No options stands in for a checkbox."""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return str(value)


def has_workflow(ticket_id: int) -> bool:
    return ticket_id % 5 == 0


def has_draft(ticket_id: int) -> bool:
    return ticket_id % 13 == 0


class HelpScoutRenderer:
    """Strict mode (the other reading of each guess): agent replies typed `reply` as well as `message`,
    a deleted user named by email only, `threads` counting every thread (line items and drafts too),
    custom fields without `text` (dropdowns by option id), times with milliseconds."""

    def __init__(self, dataset: SampleDataset, *, strict: bool = False) -> None:
        self.dataset = dataset
        self.strict = strict
        self.base_url = ""
        self.embed_thread_limit: int | None = None
        self.touched: dict[int, datetime] = {}  # conversations modified "now" (see HelpScoutApp.touch)

    def time(self, dt: Any) -> str:
        return iso(dt)[:-1] + ".000Z" if self.strict else iso(dt)

    def person(self, agent: Agent | None = None, contact: Contact | None = None) -> dict[str, Any]:
        if agent is not None and agent.deleted and self.strict:  # strict: a deleted user keeps only an email
            return {"id": int(agent.source_id), "type": "user", "email": agent.email}
        if agent is not None:
            first, last = split_name(agent.name)
            return {"id": int(agent.source_id), "type": "user", "first": first, "last": last, "email": agent.email}
        assert contact is not None
        first, last = split_name(contact.name)
        out: dict[str, Any] = {"id": int(contact.source_id), "type": "customer", "first": first, "last": last}
        if contact.emails:
            out["email"] = contact.emails[0]
        return out

    def user(self, agent: Agent) -> dict[str, Any]:
        first, last = split_name(agent.name)
        return {"id": int(agent.source_id), "firstName": first, "lastName": last, "email": agent.email,
                "role": "owner" if agent.source_id == "1" else "user", "timezone": "UTC", "type": "user",
                "createdAt": "2018-06-01T09:00:00Z", "updatedAt": "2018-06-01T09:00:00Z",
                "companyId": self.dataset.seed,  # documented on users; one company per dataset seed
                "_links": {"self": {"href": f"{self.base_url}/v2/users/{agent.source_id}"}}}

    def customer(self, contact: Contact) -> dict[str, Any]:
        first, last = split_name(contact.name)
        return {"id": int(contact.source_id), "firstName": first, "lastName": last, "gender": "unknown",
                "createdAt": "2018-06-01T09:00:00Z", "updatedAt": "2018-06-01T09:00:00Z",
                "_embedded": {"emails": [{"id": n, "value": e, "type": "work"} for n, e in enumerate(contact.emails, 1)],
                              "phones": [{"id": n, "value": p, "type": "work"} for n, p in enumerate(contact.phones, 1)]}}

    def mailbox(self, box_id: str, name: str) -> dict[str, Any]:
        return {"id": int(box_id), "name": name, "slug": name.lower().replace(" ", "-"),
                "email": f"{name.split()[-1].lower()}@acme.test", "createdAt": "2018-06-01T09:00:00Z",
                "updatedAt": "2018-06-01T09:00:00Z",
                "_links": {"fields": {"href": f"{self.base_url}/v2/mailboxes/{box_id}/fields"}}}

    def fields(self) -> list[dict[str, Any]]:
        out = []
        for n, name in enumerate(CUSTOM_FIELDS, start=1):
            kind = FIELD_TYPES.get(name, "SINGLE_LINE")
            options = [{"id": n * 100 + k, "order": k, "label": label}
                       for k, label in enumerate(["Yes", "No"] if name == "Refund approved" else [], 1)]
            out.append({"id": n, "name": name, "type": kind, "order": n, "required": False, "options": options})
        return out

    # ---- conversations ---------------------------------------------------------------------------
    def conversation(self, ticket_id: int, *, embed_threads: bool) -> dict[str, Any]:
        t = self.dataset.ticket(ticket_id)
        agents = {a.source_id: a for a in self.dataset.agents()}
        assignee = agents.get(t.assignee_agent_id or "")
        first = t.messages[0] if t.messages else None
        creator = (self.person(agent=agents.get(first.author_agent_id or "")) if first and first.author_agent_id
                   else self.person(contact=t.requester) if t.requester else None)
        status = STATUS.get(t.status, "closed")
        fields_by_name = {f["name"]: f for f in self.fields()}
        custom = []
        for name, value in t.custom_fields.items():
            if value is None:
                continue
            f = fields_by_name[name]
            option = next((o for o in f["options"] if o["label"] == field_text(value)), None)
            item = {"id": f["id"], "name": name, "value": str(option["id"]) if option else field_text(value),
                    "text": field_text(value)}
            if self.strict:
                del item["text"]  # strict: the value only (a dropdown's option id)
            custom.append(item)
        out: dict[str, Any] = {
            "id": ticket_id, "number": ticket_id + 1000, "type": "email",
            "threads": len(self.threads(t)) if self.strict else len(t.messages),  # strict: every thread counts
            "folderId": 1, "status": status, "state": "deleted" if t.deleted else "published",
            "subject": t.subject, "preview": "", "mailboxId": int(t.mailbox_id or 1),
            "createdBy": creator, "createdAt": self.time(t.created_at),
            "userUpdatedAt": self.time(self.touched.get(ticket_id, t.updated_at)),
            "customerWaitingSince": {"time": self.time(t.updated_at), "friendly": ""},
            "source": {"type": "email", "via": "customer"},
            "tags": [{"id": zlib.crc32(tag.encode()) % 100_000, "tag": tag, "color": "#929499"} for tag in t.tags],
            "cc": [c.emails[0] for c in t.cc_contacts if c.emails], "bcc": [],
            "primaryCustomer": self.person(contact=t.requester) if t.requester else None,
            "customFields": custom,
            "_links": {"self": {"href": f"{self.base_url}/v2/conversations/{ticket_id}"},
                       "web": {"href": f"https://secure.helpscout.net/conversation/{ticket_id}/{ticket_id + 1000}/"}},
        }
        if assignee:
            out["assignee"] = self.person(agent=assignee)
        if status == "closed":
            out["closedAt"] = self.time(t.updated_at)
        if embed_threads:
            threads = self.threads(t)  # newest first
            out["_embedded"] = {"threads": threads[:self.embed_thread_limit] if self.embed_thread_limit else threads}
        return out

    def threads(self, t: Ticket) -> list[dict[str, Any]]:
        """Threads of a conversation, newest first, with the stand-in's line items and drafts."""
        agents = {a.source_id: a for a in self.dataset.agents()}
        cid = int(t.source_id)
        out = [self.thread(cid, m, t.requester, agents) for m in t.messages]
        if t.messages:
            last = t.messages[-1].created_at
            user = self.person(agent=agents.get(t.assignee_agent_id or "1") or agents["1"])
            if STATUS.get(t.status) == "closed":
                out.append(self._lineitem(cid * 1000 + LINEITEM_ID, last + timedelta(seconds=1), user,
                                          "changed-ticket-status", "Marked as Closed"))
            if has_workflow(cid):
                out.append(self._lineitem(cid * 1000 + WORKFLOW_ID, last + timedelta(seconds=2),
                                          {"id": 7, "type": "workflow", "first": "Workflow", "last": ""},
                                          "automatic-workflow", "Workflow 'Tag VIPs' ran"))
            if has_draft(cid):
                draft = self.thread(cid, Message(source_id=str(cid * 1000 + DRAFT_ID), kind="reply",
                                                 created_at=last + timedelta(seconds=3), body="<p>Unsent draft</p>",
                                                 author_agent_id="1"), t.requester, agents)
                draft["state"] = "draft"
                out.append(draft)
        out.sort(key=lambda th: (th["createdAt"], th["id"]), reverse=True)
        if self.strict:
            for th in out:
                th["createdAt"] = th["createdAt"][:-1] + ".000Z"
        return out

    def _lineitem(self, thread_id: int, at: Any, by: dict[str, Any], action: str, text: str) -> dict[str, Any]:
        return {"id": thread_id, "type": "lineitem", "status": "closed", "state": "published",
                "action": {"type": action, "text": text, "associatedEntities": {}},
                "createdBy": by, "createdAt": iso(at), "source": {"type": "web", "via": "user"}}

    def thread(self, cid: int, m: Message, requester: Contact | None, agents: dict[str, Agent]) -> dict[str, Any]:
        kind = {"private_note": "note", "public_note": "message"}.get(m.kind, "customer" if m.inbound else "message")
        if kind == "message" and self.strict and int(m.source_id) % 2:
            kind = "reply"  # strict: agent replies come as `reply` as well as `message`
        agent = agents.get(m.author_agent_id or "")
        if agent is not None:
            by = self.person(agent=agent)
        else:
            by = {"id": int(m.author_contact_id or 0), "type": "customer", "first": split_name(m.author_name)[0],
                  "last": split_name(m.author_name)[1]}
            if m.author_email:
                by["email"] = m.author_email
        body = m.body if m.body_format == "html" else text_to_html(m.body)
        attachments = []
        for a in m.attachments:
            web = f"{self.base_url}/attachments/{a.source_id}/{quote(a.filename)}"
            if a.inline and a.url:
                body = body.replace(f'src="{a.url}"', f'src="{web}"')
            attachments.append({
                "id": int(a.source_id), "filename": a.filename, "mimeType": a.content_type, "size": a.size,
                "width": 0, "height": 0, "state": "valid",
                "_links": {"data": {"href": f"{self.base_url}/v2/conversations/{cid}/attachments/{a.source_id}/data"},
                           "web": {"href": web}},
            })
        return {
            "id": int(m.source_id), "type": kind, "status": "nochange", "state": "published", "body": body,
            "source": {"type": "email", "via": "user" if agent else "customer"},
            "customer": self.person(contact=requester) if requester else None,
            "createdBy": by, "to": list(m.to), "cc": list(m.cc), "bcc": list(m.bcc),
            "createdAt": iso(m.created_at), "_embedded": {"attachments": attachments},
        }

    def attachment(self, attachment_id: int) -> tuple[int, Any] | None:
        ticket_id = attachment_id // 10_000
        if not self.dataset.exists(ticket_id):
            return None
        for m in self.dataset.ticket(ticket_id).messages:
            for a in m.attachments:
                if a.source_id == str(attachment_id):
                    return ticket_id, a
        return None

    def mailboxes(self) -> list[dict[str, Any]]:
        return [self.mailbox(box_id, name) for box_id, name in BRANDS]
