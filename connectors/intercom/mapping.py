"""Intercom API 2.16 JSON -> canonical records. Pure functions: no HTTP here.

A conversation's first message is its `source`; every later message is a conversation part:
- `comment` by a contact (type `user`, `lead` or `contact`) -> inbound reply; by an admin, bot or team ->
  outbound reply; `note` (and `note_and_reopen`) -> private note (a Front comment);
- any other part type (assignments, open/close/snooze, attribute updates, workflow and custom-action
  events, merges...) is activity, not a message: listed in `Ticket.skipped` with the reason. The
  conversation's state, assignee and tags already carry its end result. A part of another type that does
  carry a body (a customer reply that reopened the conversation, an admin's "reply and close") is a
  message of its author.
Intercom returns at most the 500 most recent parts of a conversation and no way to read older ones: when
it holds more, the count left out is listed in `Ticket.skipped` too.

Values are read defensively (vendor JSON is data): a part that cannot be read is left out with its reason,
a conversation that cannot be read becomes a skipped ticket with its reason.
"""

from __future__ import annotations

import html
import mimetypes
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from connectors.base import (
    Agent,
    Attachment,
    Contact,
    Message,
    Skipped,
    Ticket,
    unreadable_message,
    unreadable_ticket,
)

SERVICE = "Intercom"
PART_LIMIT = 500
CONTACT_AUTHORS = frozenset({"user", "lead", "contact", "visitor"})
NOTE_PARTS = frozenset({"note", "note_and_reopen"})
MESSAGE_PARTS = frozenset({"comment", "note", "note_and_reopen", "quick_reply"})
ACTIVITY = {
    "assignment": "An Intercom assignment (activity, not a message).",
    "default_assignment": "An Intercom assignment (activity, not a message).",
    "away_mode_assignment": "An Intercom assignment made by away mode (activity, not a message).",
    "assign_and_reopen": "An Intercom assignment that reopened the conversation (activity, not a message).",
    "open": "The conversation was reopened in Intercom (a state change, not a message).",
    "close": "The conversation was closed in Intercom (a state change, not a message).",
    "snoozed": "The conversation was snoozed in Intercom (a state change, not a message).",
    "timer_unsnooze": "The conversation woke from a snooze in Intercom (a state change, not a message).",
    "merged_primary_conversation": "Another Intercom conversation was merged into this one (activity; the merged "
                                   "conversation is migrated on its own).",
}
GENERIC_ACTIVITY = "An Intercom {kind} event (activity, not a message)."
INTERCOM_DOWNLOAD_HOSTS = ("downloads.intercomcdn.com", "downloads.intercomcdn.eu", "downloads.au.intercomcdn.com",
                           "intercom-attachments", "intercomcdn")
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""\bsrc\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)
_UPLOAD_ID = re.compile(r"/i/o/(\d+)/")
_TAGS = re.compile(r"<[^>]+>")


def at(raw: Any) -> datetime:
    """A UNIX time; anything else raises (the caller leaves the record out with the reason)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"not a time: {raw!r}"[:80])
    return datetime.fromtimestamp(int(float(raw)), UTC)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def plain(text: Any) -> str:
    return html.unescape(_TAGS.sub("", _text(text))).strip()


def agent_from(admin: dict[str, Any]) -> Agent:
    """An admin without an inbox seat can no longer work conversations: inactive. Away mode is a
    teammate's temporary state and changes nothing (their history stays theirs)."""
    return Agent(source_id=str(admin["id"]), email=_text(admin.get("email")) or None,
                 name=_text(admin.get("name")) or None, active=admin.get("has_inbox_seat") is not False)


def contact_from(contact: dict[str, Any], companies: dict[str, str]) -> Contact:
    refs = [_dict(r) for r in _list(_dict(contact.get("companies")).get("data"))]
    return Contact(source_id=str(contact["id"]), name=_text(contact.get("name")) or None,
                   emails=[contact["email"]] if _text(contact.get("email")) else [],
                   phones=[contact["phone"]] if _text(contact.get("phone")) else [],
                   organizations=[companies.get(str(r["id"]), str(r["id"])) for r in refs if r.get("id")])


def contact_ids(conversation: Any) -> list[str]:
    """The ids of a conversation's contacts (users and leads), in its order."""
    people = _list(_dict(_dict(conversation).get("contacts")).get("contacts"))
    return [str(c["id"]) for c in people if isinstance(c, dict) and c.get("id") not in (None, "")]


def attachment_id(url: str, fallback: str) -> str:
    """Intercom's upload id from its download link (`/i/o/<id>/...`), else a stable id of our own."""
    found = _UPLOAD_ID.search(urlsplit(url).path)
    return found.group(1) if found else fallback


def _locator(conversation_id: str, part_id: str) -> str:
    """Where download() finds a fresh link once this one expires (a URL fragment, never sent)."""
    return f"conversation={conversation_id}&part={part_id}"


def attachments_of(item: dict[str, Any], body: str, *, conversation_id: str, part_id: str,
                   api_host: str) -> list[Attachment]:
    """Files listed on the part, then images that live only in its body (on Intercom's download hosts)."""
    out: list[Attachment] = []
    listed: set[str] = set()
    locator = _locator(conversation_id, part_id)
    for n, a in enumerate(_dict(a) for a in _list(item.get("attachments"))):
        url = _text(a.get("url"))
        listed.add(urlsplit(url).path)
        name = _text(a.get("name")) or f"attachment-{n + 1}"
        inline = bool(url) and url in html.unescape(body)
        size = a.get("filesize")
        out.append(Attachment(source_id=attachment_id(url, f"{part_id}-{n}"), filename=name,
                              content_type=_text(a.get("content_type")) or mimetypes.guess_type(name)[0]
                              or "application/octet-stream",
                              size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
                              url=f"{url}#{locator}" if url else None, inline=inline,
                              kind="inline_image" if inline else "file"))
    for n, tag in enumerate(_IMG.findall(body or "")):
        found = _SRC.search(tag)
        src = html.unescape(found.group(1)[1:-1]) if found else ""
        parts = urlsplit(src)
        host = parts.hostname or ""
        if not src or parts.path in listed or not (host == api_host or any(h in host for h in INTERCOM_DOWNLOAD_HOSTS)):
            continue
        listed.add(parts.path)
        name = unquote(parts.path.rsplit("/", 1)[-1]) or f"image-{n + 1}"
        out.append(Attachment(source_id=attachment_id(src, f"{part_id}-inline-{n}"), filename=name,
                              content_type=mimetypes.guess_type(name)[0] or "image/png", size=None,
                              url=f"{src}#{locator}", inline=True, kind="inline_image"))
    return out


def _recipients(items: Any, key: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"to": [], "cc": [], "bcc": []}
    for item in (_dict(i) for i in _list(items)):
        kind, address = item.get("type"), _text(item.get(key))
        if kind in out and address:
            out[kind].append(address)
    return out


def _author_ids(author: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    """(agent id, contact id, inbound) of a message's author. Bots and teams speak for the workspace: their
    messages are outbound, from an id no teammate maps to (the default teammate)."""
    kind = _text(author.get("type"))
    ident = str(author["id"]) if isinstance(author.get("id"), str | int) and author.get("id") != "" else None
    if kind in CONTACT_AUTHORS:
        return None, ident, True
    if kind == "admin":
        return ident or "unknown", None, False
    return f"{kind or 'unknown'}:{ident or 'unknown'}", None, False


def message_from(item: dict[str, Any], *, conversation_id: str, part_id: str, created: datetime, note: bool,
                 recipients: dict[str, list[str]], subject: str | None, api_host: str) -> Message:
    author = _dict(item.get("author"))
    agent_id, contact_id, inbound = _author_ids(author)
    body = _text(item.get("body"))
    return Message(
        source_id=part_id, kind="private_note" if note else "reply", created_at=created, body=body,
        author_agent_id=agent_id, author_contact_id=contact_id, author_name=_text(author.get("name")) or None,
        author_email=_text(author.get("email")) or None, inbound=inbound and not note,
        to=recipients["to"], cc=[] if note else recipients["cc"], bcc=[] if note else recipients["bcc"],
        subject=subject or None,
        attachments=attachments_of(item, body, conversation_id=conversation_id, part_id=part_id, api_host=api_host),
    )


def is_message(part: dict[str, Any]) -> bool:
    kind = _text(part.get("part_type"))
    if kind in MESSAGE_PARTS:
        return True
    return bool(_dict(part.get("author"))) and (bool(plain(part.get("body"))) or bool(_list(part.get("attachments"))))


def _part_key(part: dict[str, Any], index: int) -> tuple[int, int, int]:
    raw, created = str(part.get("id") or ""), part.get("created_at")
    when = int(created) if isinstance(created, int | float) and not isinstance(created, bool) else 0
    return when, int(raw) if raw.isdigit() and len(raw) < 30 else 0, index


def cut_notice(conversation_id: str, parts: dict[str, Any], statistics: dict[str, Any] | None, returned: int,
               limit: int = PART_LIMIT) -> Skipped | None:
    """Intercom answers with the 500 most recent parts at most, and offers no way to read older ones."""
    counts = [parts.get("total_count"), _dict(statistics).get("count_conversation_parts")]
    known = max([c for c in counts if isinstance(c, int) and not isinstance(c, bool)] or [0])
    source_id = f"{conversation_id}:older-parts"
    if known > returned:
        return Skipped(source_id=source_id, kind="message", reason=(
            f"Intercom returns only the {limit} most recent parts of a conversation: {known - returned} older "
            f"part(s) of this one (messages, notes or activity) could not be read and are not migrated."))
    if returned >= limit:
        return Skipped(source_id=source_id, kind="message", reason=(
            f"Intercom returned {returned} parts, the most it returns for one conversation: older parts may be "
            "missing and could not be read (Intercom does not say how many there are)."))
    return None


def custom_fields(attributes: Any, types: dict[str, str]) -> dict[str, Any]:
    """Conversation attributes by name; text forms of typed values read back to their type."""
    out: dict[str, Any] = {}
    for name, value in _dict(attributes).items():
        kind = types.get(name, "")
        if value is None or value == "":
            continue
        if isinstance(value, dict | list):  # a relationship: a list of custom object instances
            items = _list(value.get("instances") or value.get("data")) if isinstance(value, dict) else value
            value = ", ".join(str(i.get("external_id") or i.get("id")) if isinstance(i, dict) else str(i)
                              for i in items)
        elif kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        elif kind == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        elif kind == "decimal" and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        elif kind == "datetime" and isinstance(value, int) and not isinstance(value, bool):
            value = at(value).strftime("%Y-%m-%d %H:%M UTC")
        out[name] = value
    return out


def ticket_from(conversation: Any, *, fallback_id: str, contacts: dict[str, Contact],
                attribute_types: dict[str, str], app_url: str, api_host: str, part_limit: int = PART_LIMIT) -> Ticket:
    """One conversation; one that cannot be read is a skipped ticket with the reason, never an exception."""
    try:
        return _ticket(_dict(conversation) if "unreadable" not in _dict(conversation) else {},
                       contacts=contacts, attribute_types=attribute_types, app_url=app_url, api_host=api_host,
                       part_limit=part_limit)
    except Exception as exc:  # noqa: BLE001 - vendor JSON is data: the ticket is reported, the page goes on
        raw_id = _dict(conversation).get("id")
        return unreadable_ticket(raw_id if isinstance(raw_id, str | int) and raw_id != "" else fallback_id,
                                 service=SERVICE, error=exc)


def _ticket(conversation: dict[str, Any], *, contacts: dict[str, Contact], attribute_types: dict[str, str],
            app_url: str, api_host: str, part_limit: int) -> Ticket:
    raw_id = conversation["id"]
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or raw_id == "":
        raise ValueError(f"no conversation id: {raw_id!r}"[:80])
    cid = str(raw_id)
    source = _dict(conversation.get("source"))
    created = at(conversation["created_at"])
    updated = at(conversation.get("updated_at") or conversation["created_at"])
    messages: list[Message] = []
    skipped: list[Skipped] = []
    source_id = str(source.get("id") or f"{cid}-source")
    if source.get("body") or source.get("attachments") or _dict(source.get("author")).get("type"):
        try:
            messages.append(message_from(
                source, conversation_id=cid, part_id=source_id, created=created, note=False,
                recipients=_recipients(source.get("recipients"), "email"), subject=plain(source.get("subject")),
                api_host=api_host))
        except Exception as exc:  # noqa: BLE001 - one unreadable message is left out with its reason
            skipped.append(unreadable_message(source_id, service=SERVICE, error=exc))
    part_list = _dict(conversation.get("conversation_parts"))
    parts = [p for p in _list(part_list.get("conversation_parts")) if isinstance(p, dict)]
    for index, part in sorted(enumerate(parts), key=lambda pair: _part_key(pair[1], pair[0])):
        part_id = str(part.get("id") or f"{cid}-part-{index}")
        try:
            kind = _text(part.get("part_type")) or "unknown"
            if not is_message(part):
                reason = ACTIVITY.get(kind) or GENERIC_ACTIVITY.format(kind=kind.replace("_", " ")[:60])
                skipped.append(Skipped(source_id=part_id, kind="message", reason=reason))
                continue
            headers = _dict(part.get("email_message_metadata")).get("email_address_headers")
            when = at(part["created_at"]) if part.get("created_at") is not None else created
            messages.append(message_from(part, conversation_id=cid, part_id=part_id, created=max(when, created),
                                         note=kind in NOTE_PARTS, recipients=_recipients(headers, "email_address"),
                                         subject=None, api_host=api_host))
        except Exception as exc:  # noqa: BLE001 - one unreadable part is left out with its reason
            skipped.append(unreadable_message(part_id, service=SERVICE, error=exc))
    notice = cut_notice(cid, part_list, conversation.get("statistics"), len(parts), part_limit)
    if notice:
        skipped.append(notice)
    found = [contacts.get(p) or _contact_from_messages(p, messages) for p in contact_ids(conversation)]
    tags = [t["name"] for t in _list(_dict(conversation.get("tags")).get("tags"))
            if isinstance(t, dict) and _text(t.get("name"))]
    assignee, team, state = (conversation.get("admin_assignee_id"), conversation.get("team_assignee_id"),
                             _text(conversation.get("state")))
    return Ticket(
        source_id=cid, subject=plain(conversation.get("title")) or plain(source.get("subject")),
        status=state or ("open" if conversation.get("open") else "closed"),
        created_at=created, updated_at=max(updated, created), requester=found[0] if found else None,
        assignee_agent_id=str(assignee) if isinstance(assignee, str | int) and assignee not in (0, "0", "") else None,
        cc_contacts=found[1:], tags=tags, custom_fields=custom_fields(conversation.get("custom_attributes"),
                                                                     attribute_types),
        messages=messages, mailbox_id=str(team) if isinstance(team, str | int) and team not in (0, "0", "") else None,
        url=f"{app_url}/conversation/{cid}" if app_url else None, skipped=skipped,
    )


def _contact_from_messages(contact_id: str, messages: list[Message]) -> Contact:
    """A contact the contacts search did not return (merged away, just created): what its messages say."""
    for m in messages:
        if m.author_contact_id == contact_id:
            return Contact(source_id=contact_id, name=m.author_name, emails=[m.author_email] if m.author_email else [])
    return Contact(source_id=contact_id, name=None)


def deleted_ticket(conversation_id: str, deleted_at: datetime) -> Ticket:
    """A conversation deleted in Intercom: only its id and deletion time are left."""
    return Ticket(source_id=conversation_id, subject="", status="deleted", created_at=deleted_at,
                  updated_at=deleted_at, requester=None, deleted=True)
