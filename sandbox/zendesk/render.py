"""Canonical sample records -> Zendesk Support API JSON (the shapes of shared/specs/zendesk-support-api.yaml).

Faithful to what Zendesk really sends where it matters to a migration: custom dropdown values are option
*tags* (names come from /ticket_fields), inline images are listed only with include_inline_images=true,
users without a name get their email's local part, deleted users are inactive and only listed by
/deleted_users, suspended agents stay active with suspended=true, public notes do not exist (they are
public comments by an agent).
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from connectors.base import Agent, Attachment, Contact, Message, Ticket
from connectors.sample.generator import BRANDS, CUSTOM_FIELDS, GROUPS, PRODUCTS, TIERS, SampleDataset

CUSTOM_FIELD_IDS = {name: 360_000_001 + k for k, name in enumerate(CUSTOM_FIELDS)}
SYSTEM_FIELDS = (("subject", "Subject", 1), ("description", "Description", 2), ("status", "Status", 3),
                 ("priority", "Priority", 4), ("group", "Group", 5), ("assignee", "Assignee", 6))
_TAG_RE = re.compile(r"<[^>]+>")


def compact(record: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty values: Zendesk's document marks most fields non-nullable (absent is valid)."""
    return {k: v for k, v in record.items() if v is not None}


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def option_tag(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def field_value(name: str, value: Any) -> Any:
    if name in ("Product", "Customer tier") and value is not None:
        return option_tag(value)
    return value


def ticket_fields(base: str) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = [
        {"id": 100 + pos, "url": f"{base}/api/v2/ticket_fields/{100 + pos}.json", "type": kind,
         "title": title, "raw_title": title, "active": True, "removable": False, "position": pos}
        for kind, title, pos in SYSTEM_FIELDS
    ]
    kinds = {"Order number": "text", "Product": "tagger", "Refund approved": "checkbox", "Customer tier": "tagger"}
    for pos, name in enumerate(CUSTOM_FIELDS, start=10):
        fid = CUSTOM_FIELD_IDS[name]
        field: dict[str, Any] = {"id": fid, "url": f"{base}/api/v2/ticket_fields/{fid}.json", "type": kinds[name],
                                 "title": name, "raw_title": name, "active": True, "removable": True,
                                 "position": pos, "required": False}
        options = {"Product": [p for p in PRODUCTS if p], "Customer tier": list(TIERS)}.get(name)
        if options:
            field["custom_field_options"] = [
                {"id": fid * 10 + k, "name": o, "raw_name": o, "value": option_tag(o), "default": False}
                for k, o in enumerate(options)]
        fields.append(field)
    return fields


def _name(name: str | None, emails: list[str]) -> str:
    if name:
        return name
    return emails[0].split("@")[0] if emails and emails[0].split("@")[0] else "Unknown"


def agent_user(agent: Agent, base: str) -> dict[str, Any]:
    uid = int(agent.source_id)
    return compact({
        "id": uid, "url": f"{base}/api/v2/users/{uid}.json", "name": _name(agent.name, [agent.email or ""]),
        "email": agent.email, "role": "admin" if uid == 1 else "agent", "active": not agent.deleted,
        "suspended": not agent.active and not agent.deleted, "verified": True, "time_zone": "UTC",
        "created_at": "2018-06-01T09:00:00Z", "updated_at": "2018-06-01T09:00:00Z", "phone": None,
        "shared": False, "moderator": uid == 1, "restricted_agent": False, "tags": [], "user_fields": {},
    })


def contact_user(contact: Contact, base: str) -> dict[str, Any]:
    from sandbox.zendesk.organizations import user_extras

    uid = int(contact.source_id)
    return user_extras(contact) | compact({
        "id": uid, "url": f"{base}/api/v2/users/{uid}.json", "name": _name(contact.name, contact.emails),
        "email": contact.emails[0] if contact.emails else None, "role": "end-user", "active": True,
        "verified": bool(contact.emails), "time_zone": "UTC", "phone": contact.phones[0] if contact.phones else None,
        "created_at": "2018-06-01T09:00:00Z", "updated_at": "2018-06-01T09:00:00Z", "photo": None,
    })


def deleted_user(agent: Agent, base: str) -> dict[str, Any]:
    """A deleted agent as /deleted_users lists it (every field the document requires, nullable ones null)."""
    return {"id": int(agent.source_id), "url": f"{base}/api/v2/deleted_users/{agent.source_id}.json",
            "name": _name(agent.name, [agent.email or ""]), "email": agent.email or "",
            "created_at": "2018-06-01T09:00:00Z", "updated_at": "2024-01-01T00:00:00Z", "time_zone": "UTC",
            "phone": None, "shared_phone_number": None, "photo": None, "locale_id": 1, "locale": "en-US",
            "organization_id": 1, "role": "agent", "active": False}


def ticket_json(t: Ticket, ds: SampleDataset, base: str) -> dict[str, Any]:
    tid = int(t.source_id)
    first = t.messages[0] if t.messages else None
    cc_ids = [int(c.source_id) for c in t.cc_contacts]
    return compact({
        "id": tid, "url": f"{base}/api/v2/tickets/{tid}.json", "external_id": None, "type": "question",
        "subject": t.subject, "raw_subject": t.subject,
        "description": plain(first.body, first.body_format) if first else "",
        "priority": ("low", "normal", "high", "urgent")[tid % 4], "status": t.status,
        "recipient": "support@acme.example.com", "requester_id": int(t.requester.source_id) if t.requester else None,
        "submitter_id": int(t.requester.source_id) if t.requester else None,
        "assignee_id": int(t.assignee_agent_id) if t.assignee_agent_id else None, "organization_id": None,
        "group_id": int(ds.group_id(tid)), "collaborator_ids": cc_ids, "email_cc_ids": cc_ids, "follower_ids": [],
        "has_incidents": False, "is_public": True, "due_at": None, "tags": list(t.tags),
        "custom_fields": [{"id": CUSTOM_FIELD_IDS[k], "value": field_value(k, v)} for k, v in t.custom_fields.items()],
        "satisfaction_rating": None, "sharing_agreement_ids": [], "followup_ids": [], "brand_id": int(t.mailbox_id or 1),
        "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": False,
        "created_at": iso(t.created_at), "updated_at": iso(t.updated_at),
        "generated_timestamp": int(t.updated_at.timestamp()), "via": {"channel": "email", "source": {}},
    })


def plain(body: str, body_format: str) -> str:
    return body if body_format == "text" else html.unescape(_TAG_RE.sub(" ", body)).strip()


def attachment_json(a: Attachment, base: str) -> dict[str, Any]:
    url = attachment_url(a, base)
    return compact({"id": int(a.source_id), "url": f"{base}/api/v2/attachments/{a.source_id}.json", "file_name": a.filename,
            "content_url": url, "mapped_content_url": url, "content_type": a.content_type, "size": a.size,
            "width": None, "height": None, "inline": a.inline, "deleted": False,
            "malware_access_override": False, "malware_scan_result": "malware_not_found", "thumbnails": []})


def attachment_url(a: Attachment, base: str) -> str:
    return f"{base}/attachments/token/{a.source_id}/?name={quote(a.filename)}"


def comment_json(m: Message, base: str, *, include_inline: bool) -> dict[str, Any]:
    author = m.author_agent_id or m.author_contact_id
    if m.body_format == "text":
        inner = "<p>" + html.escape(m.body).replace("\n", "<br>") + "</p>"
    else:
        inner = m.body
        for a in m.attachments:  # inline images point at the account's own attachment URLs
            if a.url:
                inner = inner.replace(a.url, attachment_url(a, base))
    return compact({
        "id": int(m.source_id), "type": "Comment", "author_id": int(author) if author else -1,
        "body": plain(m.body, m.body_format), "html_body": f'<div class="zd-comment" dir="auto">{inner}</div>',
        "plain_body": plain(m.body, m.body_format), "public": m.kind != "private_note",
        "attachments": [attachment_json(a, base) for a in m.attachments if include_inline or not a.inline],
        "audit_id": int(m.source_id) * 10, "created_at": iso(m.created_at),
        "via": {"channel": "email" if m.inbound else "web", "source": {"from": {}, "to": {}, "rel": None}},
        "metadata": {"system": {"client": "Frontport sample"}, "custom": {}},
    })


def brands(base: str) -> list[dict[str, Any]]:
    return [{"id": int(bid), "url": f"{base}/api/v2/brands/{bid}.json", "name": name, "subdomain": f"acme{bid}",
             "active": True, "default": bid == "1", "has_help_center": False, "is_deleted": False,
             "created_at": "2018-06-01T09:00:00Z", "updated_at": "2018-06-01T09:00:00Z"} for bid, name in BRANDS]


def groups(base: str) -> list[dict[str, Any]]:
    return [{"id": int(gid), "url": f"{base}/api/v2/groups/{gid}.json", "name": name, "deleted": False,
             "default": gid == GROUPS[0][0], "is_public": True, "description": "",
             "created_at": "2018-06-01T09:00:00Z", "updated_at": "2018-06-01T09:00:00Z"} for gid, name in GROUPS]
