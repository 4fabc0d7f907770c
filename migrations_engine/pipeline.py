"""The per-ticket pipeline: one source ticket -> one Front conversation, with the fewest calls.

A ticket is *synced*, not blindly written: every message and note already in the journal is skipped,
so the same code serves full runs, second full runs, delta runs, retries and resumed runs without ever
writing twice. It runs in two phases per page (see runner.py):

1. `import_phase`: the requester contact (once per distinct requester), then every public message not
   yet journaled, oldest first, each one imported message carrying tags, assignee, archived state and
   thread_ref (or conversation_id when the conversation is already known).
2. `finish_phase`, for the tickets that need a conversation id (notes, custom fields, updates in place,
   deletion): one uid lookup, asked after the whole page was imported so it is rarely empty, then
   one comment per note, custom fields, and a PATCH only when status/assignee/tags changed in a way
   no import carried.
"""

from __future__ import annotations

import html
import logging
import threading
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from connectors.base import Attachment, ConnectorError, Message, Ticket
from connectors.front import (
    AttachmentTooLarge,
    DuplicateExternalId,
    ImportedMessage,
    InvalidRequest,
    NotFound,
    Upload,
)
from migrations_engine import fastsql, mapping, requesters
from migrations_engine.models import FrontWrite, RecordMap
from migrations_engine.parallel import write_lock

logger = logging.getLogger(__name__)

# Errors that say something about this record (not about the network or the account): the record
# ends failed with the reason and the run goes on.
RECORD_ERRORS = (InvalidRequest, NotFound)


@dataclass
class RunContext:
    """Everything a run learns once (teammates, inbox address, custom fields) plus its caches."""

    run: Any
    migration: Any
    snapshot: dict[str, Any]
    client: Any
    comment_client: Any
    source: Any
    namespace: str
    lineage: str
    teammates: dict[str, str]
    default_teammate: str
    teammate_emails: dict[str, str]
    inbox_address: str
    front_custom_fields: set[str]
    agent_names: dict[str, str] = field(default_factory=dict)
    retry_delay: float = 0.5
    contacts: dict[str, str] = field(default_factory=dict)
    requesters_checked: set[str] = field(default_factory=set)  # no contact in the record map at page start
    # The run's counters while a chunk holds the lease (the runner sets it); contacts are folded in at
    # once, in the transaction that records them, so an interruption never loses or repeats them.
    counters: dict[str, dict[str, int]] | None = None
    # Tickets run on several threads (parallel.py): the counters and the Run row they are saved to
    # change under this lock; a requester's lock makes a second ticket of the same requester wait for
    # the first one's lookup instead of creating the contact twice.
    counters_lock: threading.RLock = field(default_factory=threading.RLock)
    _requester_locks: dict[str, threading.Lock] = field(default_factory=dict)

    def requester_lock(self, source_id: str) -> threading.Lock:
        with self.counters_lock:
            return self._requester_locks.setdefault(source_id, threading.Lock())

    def teammate_name(self, agent_id: str | None) -> str | None:
        return self.agent_names.get(agent_id or "")


@dataclass
class TicketWork:
    """The state of one ticket between the two phases."""

    ticket: Ticket
    record: RecordMap
    journal: dict[str, FrontWrite]
    counts: Counter = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)
    failed: bool = False
    imported_now: int = 0
    conversation_id: str = ""
    needs_finish: bool = False


def _body(message: Message) -> tuple[str, str]:
    if message.body_format == "html":
        return message.body or "<p></p>", "html"
    text = html.escape(message.body or "").replace("\n", "<br>\n")
    return text or "<p></p>", "html"


def _wanted_attachments(ctx: RunContext, work: TicketWork, attachments: list[Attachment]) -> list[Attachment]:
    snap = ctx.snapshot
    if snap["skip_attachments"]:
        if attachments:
            work.counts["attachments_skipped"] += len(attachments)
        return []
    keep = []
    for att in attachments:
        if att.kind == "inline_image" or att.inline:
            if not snap["inline_images"]:
                continue
        if att.kind == "call_recording" and not snap["call_recordings"]:
            continue
        if att.size is not None and att.size > mapping.MAX_ATTACHMENT_BYTES:
            work.counts["attachments_skipped"] += 1
            work.reasons.append(f"Attachment {att.filename!r} skipped: larger than Front's 25 MB limit.")
            continue
        keep.append(att)
    return keep


class FrontStillProcessing(ConnectorError):
    """Front has not finished processing an import yet: a transient condition, the chunk is retried."""

    code = "front_processing"


class SourceAttachmentError(Exception):
    """The source could not give an attachment's bytes; that attachment is dropped with a reason."""

    def __init__(self, attachment: Attachment, error: Exception) -> None:
        super().__init__(str(error))
        self.attachment = attachment


def _stream(ctx: RunContext, attachment: Attachment):
    try:
        yield from ctx.source.download(attachment)
    except ConnectorError as exc:
        raise SourceAttachmentError(attachment, exc) from exc


def _uploads(ctx: RunContext, attachments: list[Attachment]) -> list[Upload]:
    return [
        Upload(filename=a.filename or "attachment", content_type=a.content_type or "application/octet-stream",
               size=a.size, chunks=_stream(ctx, a))
        for a in attachments
    ]


def _with_attachments(ctx: RunContext, work: TicketWork, attachments: list[Attachment], send) -> Any:
    """Call `send(uploads)`; an attachment Front would refuse is dropped with a reason, and sent again."""
    remaining = list(attachments)
    while True:
        try:
            result = send(_uploads(ctx, remaining))
        except AttachmentTooLarge as exc:
            name = exc.filename
            dropped = [a for a in remaining if a.filename == name] or remaining[-1:]
            if not dropped:
                raise
            for a in dropped:
                remaining.remove(a)
                work.counts["attachments_skipped"] += 1
                work.reasons.append(f"Attachment {a.filename!r} skipped: larger than Front's 25 MB limit.")
            continue
        except SourceAttachmentError as exc:
            if exc.attachment not in remaining:
                raise
            remaining.remove(exc.attachment)
            work.counts["attachments_skipped"] += 1
            work.reasons.append(f"Attachment {exc.attachment.filename!r} skipped: {exc}")
            continue
        work.counts["attachments"] += len(remaining)
        return result


def ensure_requester(ctx: RunContext, work: TicketWork) -> None:
    """The ticket's requester as a Front contact: looked up (then created) once per distinct requester.
    Invalid email addresses never become handles (requesters.py); the ticket's report says what it shows."""
    req = work.ticket.requester
    if req is not None and (warning := requesters.ticket_warning(work.ticket)):
        work.reasons.append(warning)
    if not ctx.snapshot["objects"].get("contacts", True) or req is None or not (req.emails or req.phones):
        return
    if req.source_id in ctx.contacts:
        return
    with ctx.requester_lock(req.source_id):
        if req.source_id not in ctx.contacts:  # another thread may have looked it up meanwhile
            _look_up_requester(ctx, req)


def remember_known_requesters(ctx: RunContext, tickets: list[Ticket]) -> None:
    """One query per page for the contacts its requesters already have (instead of one per requester):
    the in-memory cache lives one chunk, the record map remembers contacts across chunks and runs."""
    wanted = {t.requester.source_id for t in tickets if t.requester is not None} - set(ctx.contacts)
    if wanted:
        ctx.contacts.update(_recorded_contacts(ctx, wanted))
        ctx.requesters_checked.update(wanted)


def _recorded_contacts(ctx: RunContext, source_ids: set[str]) -> dict[str, str]:
    """{source contact id: Front contact id} of these requesters, as the record map knows them."""
    return dict(RecordMap.objects.filter(
        migration_id=ctx.migration.pk, entity="contact", source_id__in=source_ids, state=RecordMap.State.DONE,
    ).exclude(front_id="").values_list("source_id", "front_id"))


def _look_up_requester(ctx: RunContext, req) -> None:
    if req.source_id not in ctx.requesters_checked:  # not seen by remember_known_requesters
        known = _recorded_contacts(ctx, {req.source_id}).get(req.source_id)
        if known:
            ctx.contacts[req.source_id] = known
            return
    from migrations_engine.records import record_contact

    usable, warning = requesters.handles(req), requesters.contact_warning(req)
    if not usable.any:  # only invalid addresses: no contact, the ticket keeps the requester's name
        record_contact(ctx, contact=req, front_id="", error="", warning=warning)
        ctx.contacts[req.source_id] = ""
        return
    try:
        contact_id = ctx.client.ensure_contact(name=req.name, emails=usable.emails, phones=usable.phones)
    except RECORD_ERRORS as exc:
        record_contact(ctx, contact=req, front_id="", error=str(exc))
        ctx.contacts[req.source_id] = ""
        return
    ctx.contacts[req.source_id] = contact_id
    record_contact(ctx, contact=req, front_id=contact_id, error="", warning=warning)


def _public_messages(work: TicketWork) -> list[Message]:
    public = [m for m in work.ticket.messages if m.kind != "private_note"]
    if public or not work.ticket.messages:
        return public
    # Only private notes: Front needs one message to open a conversation; say where the ticket came from.
    t = work.ticket
    return [Message(source_id="root", kind="reply", created_at=t.created_at, inbound=True,
                    body=f"<p>{html.escape(t.subject or 'Ticket')} (ticket {html.escape(t.source_id)}, "
                         f"internal notes only in the source)</p>", subject=t.subject)]


def import_phase(ctx: RunContext, work: TicketWork) -> None:
    """Contacts, then every public message not yet in the journal. Transient errors propagate."""
    ticket, snap = work.ticket, ctx.snapshot
    if ticket.deleted:
        work.needs_finish = True
        return
    ensure_requester(ctx, work)
    status = mapping.front_status(ticket, snap)
    tags = mapping.ticket_tags(ticket, snap)
    assignee = ctx.teammates.get(ticket.assignee_agent_id or "", ctx.default_teammate) if ticket.assignee_agent_id else None
    requester_handle, requester_name = requesters.sender(ticket)
    thread = mapping.thread_ref(namespace=ctx.namespace, lineage=ctx.lineage, ticket_id=ticket.source_id)
    for message in _public_messages(work):
        key = mapping.external_id(namespace=ctx.namespace, lineage=ctx.lineage, ticket_id=ticket.source_id,
                                  message_id=message.source_id)
        done = work.journal.get(key)
        if done is not None and done.state in (FrontWrite.State.SENT, FrontWrite.State.SKIPPED):
            continue
        body, body_format = _body(message)
        inbound = message.inbound or (message.author_agent_id is None and message.kind == "reply")
        author_id = ctx.teammates.get(message.author_agent_id or "", ctx.default_teammate) or None
        if inbound:
            sender = message.author_email if requesters.is_email(message.author_email) else requester_handle
            sender_name = message.author_name or requester_name
            to = list(message.to) or [ctx.inbox_address]
        else:
            # Sent from the support address, written by the mapped teammate (author_id).
            sender = ctx.inbox_address
            sender_name = message.author_name or ctx.teammate_name(message.author_agent_id)
            to = list(message.to) or [requester_handle]
        imported = ImportedMessage(
            external_id=key, created_at=message.created_at, sender_handle=sender, sender_name=sender_name,
            to=to, cc=list(message.cc), bcc=list(message.bcc), subject=message.subject or ticket.subject or None,
            body=body, body_format=body_format, is_inbound=inbound, is_archived=status == "archived",
            assignee_id=assignee, author_id=None if inbound else author_id, tags=tags,
            thread_ref=None if work.record.front_id else thread,
            conversation_id=work.record.front_id or None, should_skip_rules=True,
        )
        attachments = _wanted_attachments(ctx, work, list(message.attachments))
        try:
            uid = _with_attachments(
                ctx, work, attachments,
                lambda uploads, imported=imported: ctx.client.import_message(snap["inbox_id"], imported, uploads))
            reason = ""
        except DuplicateExternalId:
            # Sent before a crash and refused now: it is in Front, only its uid was not recorded.
            uid, reason = "", "Already in Front (sent before an interruption)."
        except RECORD_ERRORS as exc:
            work.failed = True
            work.reasons.append(f"Message {message.source_id}: {exc}")
            _journal(ctx, work, kind="message", key=key, source_id=message.source_id, state="failed", reason=str(exc))
            work.counts["messages_failed"] += 1
            continue
        _journal(ctx, work, kind="message", key=key, source_id=message.source_id, state="sent",
                 message_uid=uid, reason=reason)
        work.imported_now += 1
        work.counts["messages"] += 1
    # A demo's result page links every ticket to its Front conversation: worth one lookup per ticket
    # for 20 tickets; full runs ask only when something needs the conversation id.
    work.needs_finish = _needs_finish(ctx, work) or (ctx.run.kind == "demo" and not work.record.front_id)


def _journal(ctx: RunContext, work: TicketWork, *, kind: str, key: str, source_id: str, state: str,
             reason: str = "", **ids: str) -> FrontWrite:
    """Write one journal row (one INSERT or UPDATE: this is on the hot path of every message)."""
    fields = {"run_id": ctx.run.pk, "lineage": ctx.lineage, "kind": kind, "ticket_source_id": work.ticket.source_id,
              "source_id": source_id, "state": state, "reason": reason[:1000], **ids}
    row = work.journal.get(key)
    with write_lock():
        if row is None:
            try:
                # In autocommit the INSERT is its own transaction; inside a caller's transaction a savepoint
                # keeps a refused INSERT from breaking it.
                with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
                    row = fastsql.insert(FrontWrite, migration_id=ctx.migration.pk, key=key, **fields)
            except IntegrityError:  # written by an execution this one did not know about
                row, _ = FrontWrite.objects.update_or_create(migration_id=ctx.migration.pk, key=key, defaults=fields)
        else:
            fastsql.update(row, fields)
    work.journal[key] = row
    return row


def _notes(ctx: RunContext, work: TicketWork) -> list[Message]:
    return [m for m in work.ticket.messages if m.kind == "private_note"]


def _custom_fields(ctx: RunContext, work: TicketWork) -> dict[str, Any]:
    return {k: v for k, v in work.ticket.custom_fields.items() if v not in (None, "", [])}


# Comment rows that still need the second phase: an intent (maybe sent before a crash: the marker is
# looked for first) or a failure (a retry or a later sync tries again, as failed messages are re-sent).
UNSETTLED = (FrontWrite.State.INTENT, FrontWrite.State.FAILED)


def _needs_finish(ctx: RunContext, work: TicketWork) -> bool:
    t = work.ticket
    for note in _notes(ctx, work):
        row = work.journal.get(mapping.comment_key(lineage=ctx.lineage, ticket_id=t.source_id, note_id=note.source_id))
        if row is None or row.state in UNSETTLED:
            return True
    fields = _custom_fields(ctx, work)
    mode = ctx.snapshot["custom_fields"]
    if fields and mode == "comment":
        row = work.journal.get(mapping.custom_fields_key(lineage=ctx.lineage, ticket_id=t.source_id, fields=fields))
        if row is None or row.state in UNSETTLED:
            return True
    if fields and mode == "fields" and work.record.applied.get("custom_fields") != _front_fields(ctx, fields):
        return bool(_front_fields(ctx, fields))
    return _update_needed(ctx, work) is not None


def _front_fields(ctx: RunContext, fields: dict[str, Any]) -> dict[str, str]:
    return {k: mapping._plain(v) for k, v in sorted(fields.items()) if k in ctx.front_custom_fields}


def _desired(ctx: RunContext, work: TicketWork) -> dict[str, Any]:
    t = work.ticket
    assignee = ctx.teammates.get(t.assignee_agent_id or "", ctx.default_teammate) if t.assignee_agent_id else None
    return mapping.applied_state(status=mapping.front_status(t, ctx.snapshot), assignee_id=assignee,
                                 tags=mapping.ticket_tags(t, ctx.snapshot))


def _update_needed(ctx: RunContext, work: TicketWork) -> dict[str, Any] | None:
    """What a PATCH must change, or None when the imports of this sync already carried everything."""
    before = {k: work.record.applied.get(k) for k in ("status", "assignee_id", "tags")}
    if not work.record.applied or work.record.lineage != ctx.lineage:
        return None  # first sync: the imported messages carried status, assignee and tags
    desired = _desired(ctx, work)
    if before == desired:
        return None
    change: dict[str, Any] = {}
    removed_tags = set(before["tags"] or []) - set(desired["tags"])
    if work.imported_now == 0 or removed_tags:
        if before["tags"] != desired["tags"]:
            change["tags"] = desired["tags"]
    if work.imported_now == 0:
        if before["status"] != desired["status"]:
            change["status"] = desired["status"]
        if before["assignee_id"] != desired["assignee_id"]:
            change["assignee_id"] = desired["assignee_id"] or None
    return change or None


def known_uids(work: TicketWork) -> list[str]:
    rows = [r for r in work.journal.values() if r.kind == "message" and r.message_uid and r.state == "sent"]
    rows.sort(key=lambda r: r.created_at)
    return [r.message_uid for r in rows]


def conversation_of(ctx: RunContext, work: TicketWork) -> str | None:
    """The ticket's Front conversation id: known, or from the latest uid (None while Front processes)."""
    if work.conversation_id:
        return work.conversation_id
    if work.record.front_id and work.record.lineage == ctx.lineage:
        work.conversation_id = work.record.front_id
        return work.conversation_id
    for row in work.journal.values():
        if row.conversation_id:
            work.conversation_id = row.conversation_id
            return work.conversation_id
    uids = known_uids(work)
    if not uids:
        return None
    resolved = ctx.client.resolve_uid(uids[-1])
    if resolved is None:
        return None
    message_id, conversation_id = resolved
    row = next(r for r in work.journal.values() if r.kind == "message" and r.message_uid == uids[-1])
    with write_lock():
        fastsql.update(row, {"message_id": message_id, "conversation_id": conversation_id})
    work.conversation_id = conversation_id
    return conversation_id
