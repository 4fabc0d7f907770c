"""The pipeline's first phase: one source ticket -> its Front conversation's messages, with the fewest calls.

A ticket is *synced*, not blindly written: every message and note already in the journal is skipped,
so the same code serves full runs, second full runs, delta runs, retries and resumed runs without ever
writing twice. It runs in two phases per page (page.py drives them):

1. `import_phase` (here): the requester contact (once per distinct requester), then every public message
   not yet journaled, oldest first, each one imported message carrying tags, assignee, archived state and
   thread_ref (or conversation_id when the conversation is already known).
2. `finish.finish_phase`, for the tickets that need a conversation id (notes, custom fields, updates in
   place, deletion): one uid lookup, asked after the whole group was imported so it is rarely empty,
   then one comment per note, custom fields, and a PATCH only when status/assignee/tags changed in a way
   no import carried.

What both phases share (the run's context, a ticket's work state, the journal) is in journal.py; the
rules of what a ticket becomes in Front in ticket_rules.py.
"""

from __future__ import annotations

import html
import logging
from typing import Literal

from connectors.base import Contact, Message, Ticket
from connectors.front import DuplicateExternalId, ImportedMessage, Upload
from migrations_engine import fidelity, mapping, people, records, requesters, ticket_rules
from migrations_engine.journal import RECORD_ERRORS, RunContext, TicketWork, write_entry
from migrations_engine.models import FrontWrite, RecordMap
from migrations_engine.sanitize import clean_html

logger = logging.getLogger(__name__)


def _body(message: Message) -> tuple[str, Literal["html"]]:
    if message.body_format == "html":
        return clean_html(message.body or "") or "<p></p>", "html"
    text = html.escape(message.body or "").replace("\n", "<br>\n")
    return text or "<p></p>", "html"


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
    rows = RecordMap.objects.filter(
        migration_id=ctx.migration.pk, entity="contact", source_id__in=source_ids, state=RecordMap.State.DONE,
    ).exclude(front_id="")
    return dict(people.complete_only(ctx, rows).values_list("source_id", "front_id"))


def _look_up_requester(ctx: RunContext, req: Contact) -> None:
    if req.source_id not in ctx.requesters_checked:  # not seen by remember_known_requesters
        known = _recorded_contacts(ctx, {req.source_id}).get(req.source_id)
        if known:
            ctx.contacts[req.source_id] = known
            return
    usable, warning = requesters.handles(req), requesters.contact_warning(req)
    if not usable.any:  # only invalid addresses: no contact, the ticket keeps the requester's name
        records.record_contact(ctx, contact=req, front_id="", error="", warning=warning)
        ctx.contacts[req.source_id] = ""
        return
    try:  # with its extra handles, fields, notes and account when the run moves them (people.py)
        ensured = people.ensure_contact(ctx, req, emails=usable.emails, phones=usable.phones)
    except RECORD_ERRORS as exc:
        records.record_contact(ctx, contact=req, front_id="", error=str(exc))
        ctx.contacts[req.source_id] = ""
        return
    ctx.contacts[req.source_id] = ensured.id
    applied, notes = people.to_remember(ctx, ensured)
    records.record_contact(ctx, contact=req, front_id=ensured.id, error="", warning=warning, applied=applied,
                           notes=notes)


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
    front_tags: list[str] | None = None  # made to exist in Front before the first import names them
    assignee = ctx.teammates.get(ticket.assignee_agent_id or "", ctx.default_teammate) if ticket.assignee_agent_id else None
    requester_handle, requester_name = requesters.sender(ticket)
    thread = mapping.thread_ref(namespace=ctx.namespace, lineage=ctx.lineage, ticket_id=ticket.source_id)
    for message in _public_messages(work):
        key = mapping.external_id(namespace=ctx.namespace, lineage=ctx.lineage, ticket_id=ticket.source_id,
                                  message_id=message.source_id)
        done = work.journal.get(key)
        if done is not None and done.state in (FrontWrite.State.SENT, FrontWrite.State.SKIPPED):
            continue
        if front_tags is None:
            front_tags = fidelity.front_tag_names(ctx, tags)
        body, body_format = _body(message)
        inbound = message.inbound or (message.author_agent_id is None and message.kind == "reply")
        author_id = ctx.teammates.get(message.author_agent_id or "", ctx.default_teammate) or None
        if inbound:
            author = message.author_email
            sender = author if author and requesters.is_email(author) else requester_handle
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
            assignee_id=assignee, author_id=None if inbound else author_id, tags=front_tags,
            thread_ref=None if work.record.front_id else thread,
            conversation_id=work.record.front_id or None, should_skip_rules=True,
        )
        attachments = ticket_rules.wanted_attachments(ctx, work, list(message.attachments))
        def send(uploads: list[Upload], imported: ImportedMessage = imported) -> str:
            return fidelity.import_message(ctx, work, imported, uploads)

        try:
            uid = ticket_rules.send_with_attachments(ctx, work, attachments, send)
            reason = ""
        except DuplicateExternalId:
            # Sent before a crash and refused now: it is in Front, only its uid was not recorded.
            uid, reason = "", "Already in Front (sent before an interruption)."
        except RECORD_ERRORS as exc:
            work.failed = True
            work.reasons.append(f"Message {message.source_id}: {exc}")
            write_entry(ctx, work, kind="message", key=key, source_id=message.source_id, state="failed",
                        reason=str(exc), defer=True)
            work.counts["messages_failed"] += 1
            continue
        # Saved at once only when it holds the ticket's first uid and no conversation id is known: the
        # uid is what finds the conversation again after a crash (a re-import is refused as a duplicate,
        # without one). The others are saved with the ticket's next durable write or when it settles.
        # The first uid carries the intents of the ticket's comments (one INSERT, not two).
        defer = bool(work.record.front_id) or not uid or work.has_saved_uid()
        write_entry(ctx, work, kind="message", key=key, source_id=message.source_id, state="sent",
                    message_uid=uid, reason=reason, defer=defer,
                    intents=None if defer else ticket_rules.comment_keys(ctx, work))
        work.imported_now += 1
        work.counts["messages"] += 1
    # A demo's result page links every ticket to its Front conversation: worth one lookup per ticket
    # for 20 tickets; full runs ask only when something needs the conversation id.
    work.needs_finish = ticket_rules.needs_finish(ctx, work) or (ctx.run.kind == "demo" and not work.record.front_id)
