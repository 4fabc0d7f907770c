"""The pipeline's second phase: what needs the conversation id (pipeline.py is the first; page.py drives both).

Notes become comments headed by the original author and date; custom fields one comment (or Front
custom fields); status/assignee/tags are updated in place only when no import carried them; tickets
deleted in the source are set to deleted. Comments are written exactly once (journal intent + marker).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from connectors.base import Attachment
from connectors.front import RateLimited, Unreachable, VendorError
from migrations_engine import fidelity, mapping, ticket_rules
from migrations_engine.journal import (
    RECORD_ERRORS,
    FrontStillProcessing,
    RunContext,
    TicketWork,
    claim_intents,
    conversation_of,
    known_uids,
    read_entries,
    save_unsaved,
    write_entry,
)
from migrations_engine.models import FrontWrite

CommentsSeen = dict[str, str]  # comment marker -> Front comment id, read once per ticket when needed


def finish_phase(ctx: RunContext, work: TicketWork, *, final: bool) -> bool:
    """Notes, custom fields, deletion and in-place updates. False when the conversation id is not known
    yet (Front still processing): the runner asks again later; `final` means there is no later."""
    t = work.ticket
    if t.deleted:
        return _mark_deleted(ctx, work)
    conversation_id = conversation_of(ctx, work)
    if conversation_id is None:
        if not final:
            return False
        if known_uids(work):
            raise FrontStillProcessing("Front is still processing imported messages.")
        conversation_id = find_conversation_by_scan(ctx, work)
    if conversation_id is None:
        work.failed = True
        work.reasons.append("Front accepted the messages but did not say which conversation holds them; "
                            "notes were not added (retry the failed records).")
        return True
    work.conversation_id = conversation_id
    notes = [(mapping.comment_key(lineage=ctx.lineage, ticket_id=t.source_id, note_id=note.source_id), note)
             for note in ticket_rules.notes(work)]
    fields = ticket_rules.custom_fields(work)
    mode = ctx.snapshot["custom_fields"]
    fields_key = mapping.custom_fields_key(lineage=ctx.lineage, ticket_id=t.source_id, fields=fields) if (
        fields and mode == "comment") else ""
    comments = [Comment(key=key, source_id=note.source_id,
                        body=fidelity.note_comment_body(ctx, note, marker=mapping.comment_marker(key)),
                        author_id=fidelity.comment_author_id(ctx, note.author_agent_id),
                        attachments=ticket_rules.wanted_attachments(ctx, work, list(note.attachments)))
                for key, note in notes]
    if fields_key:
        comments.append(Comment(key=fields_key, source_id="custom_fields", attachments=[],
                                body=mapping.custom_fields_body(fields=fields, ticket=t,
                                                                marker=mapping.comment_marker(fields_key)),
                                author_id=fidelity.comment_author_id(ctx, None)))
    _post_comments(ctx, work, comments)
    if fields and mode == "fields":
        wanted = ticket_rules.front_fields(ctx, fields)
        if wanted and work.record.applied.get("custom_fields") != wanted:
            ctx.client.update_conversation(conversation_id, custom_fields=wanted)
            work.record.applied["custom_fields"] = wanted
    change = ticket_rules.update_needed(ctx, work)
    if change:
        fidelity.update_conversation(ctx, work, conversation_id, change)
        work.counts["updates"] += 1
    return True


@dataclass
class Comment:
    """One comment a ticket's second phase may post (a note, or the custom fields)."""

    key: str
    source_id: str
    body: str
    author_id: str | None
    attachments: list[Attachment]


def _post_comments(ctx: RunContext, work: TicketWork, comments: list[Comment]) -> None:
    """Post each comment exactly once: intents saved first (before the first comment is sent), then the
    calls, then the confirmations (saved when the ticket settles, or before an error goes on).

    A comment is claimed: its intent is inserted unless another execution (one that took this run over
    since the page's journal was loaded) wrote one; usually with the ticket's first uid
    (pipeline.py), else here, in one INSERT for the ticket. An intent this execution claimed is posted
    without another read. Any other row is read afresh and decides. An intent left unconfirmed by a
    crash may or may not have reached Front: the conversation's comments are read (once per ticket)
    and searched for its marker first."""
    wanted: dict[str, Comment] = {}
    for comment in comments:
        wanted.setdefault(comment.key, comment)  # a note the source lists twice is posted once
    ticket_id = work.ticket.source_id
    ours = {key for key in wanted if key in work.claimed and work.journal[key].state == FrontWrite.State.INTENT}
    fresh = read_entries(ctx, [key for key in wanted if key in work.journal and key not in ours],
                         ticket_id=ticket_id)
    unknown = {key: comment.source_id for key, comment in wanted.items() if key not in work.journal}
    ours |= claim_intents(ctx, work, unknown, conversation_id=work.conversation_id)
    fresh.update(read_entries(ctx, [key for key in unknown if key not in ours], ticket_id=ticket_id))
    work.journal.update(fresh)
    seen: CommentsSeen | None = None
    to_post = []
    again = []
    for comment in wanted.values():
        if comment.key in ours:
            to_post.append(comment)
            continue
        row = fresh.get(comment.key)
        if row is not None and row.state in (FrontWrite.State.SENT, FrontWrite.State.SKIPPED):
            continue
        if row is not None and row.state == FrontWrite.State.INTENT:
            if seen is None:
                seen = _comments_seen(ctx, work.conversation_id)
            found = seen.get(mapping.comment_marker(comment.key))
            if found:
                _confirm(ctx, work, comment, state="sent", comment_id=found)
                work.counts["notes"] += 1
                continue
        to_post.append(comment)
        again.append(comment)
    if not to_post:
        return
    if again:  # rows that exist (a failure, an unconfirmed intent) become intents again
        for comment in again:
            _confirm(ctx, work, comment, state="intent")
        save_unsaved([work])
    for comment in to_post:
        try:
            comment_id = _post_once(ctx, work, key=comment.key, body=comment.body, author_id=comment.author_id,
                                    attachments=comment.attachments)
        except RECORD_ERRORS as exc:
            work.failed = True
            work.reasons.append(f"Note {comment.source_id}: {exc}")
            _confirm(ctx, work, comment, state="failed", reason=str(exc))
            work.counts["notes_failed"] += 1
            continue
        _confirm(ctx, work, comment, state="sent", comment_id=comment_id)
        work.counts["notes"] += 1


def _confirm(ctx: RunContext, work: TicketWork, comment: Comment, *, state: str, reason: str = "",
             comment_id: str = "") -> None:
    """A comment's row in `state` (an intent, a failure and an unfound marker have no comment id)."""
    write_entry(ctx, work, kind="comment", key=comment.key, source_id=comment.source_id, state=state,
                reason=reason, conversation_id=work.conversation_id, comment_id=comment_id, defer=True)


def _comments_seen(ctx: RunContext, conversation_id: str) -> CommentsSeen:
    seen: CommentsSeen = {}
    for comment in ctx.client.iter_comments(conversation_id):
        text = comment.get("body") or ""
        start = text.find(mapping.COMMENT_MARKER_PREFIX)
        if start >= 0:
            seen[text[start:start + len(mapping.COMMENT_MARKER_PREFIX) + 16]] = comment["id"]
    return seen


def _mark_deleted(ctx: RunContext, work: TicketWork) -> bool:
    """A ticket deleted in the source: its conversation (if we made one) is set to deleted in Front."""
    rec = work.record
    rec.deleted_in_source = True
    if rec.applied.get("status") == "deleted":
        return True
    conversation_id = conversation_of(ctx, work) if (rec.front_id or work.journal) else None
    if conversation_id is None and known_uids(work):
        return False
    if conversation_id:
        ctx.client.update_conversation(conversation_id, status="deleted")
        rec.applied["status"] = "deleted"
        work.counts["deleted"] += 1
        work.reasons.append("Deleted in the source: set to deleted in Front.")
    else:
        work.reasons.append("Deleted in the source before it was migrated: nothing to do.")
    return True


def _find_marker(ctx: RunContext, conversation_id: str, marker: str) -> str | None:
    for comment in ctx.client.iter_comments(conversation_id):
        if marker in (comment.get("body") or ""):
            return comment["id"]
    return None


def _post_once(ctx: RunContext, work: TicketWork, *, key: str, body: str, author_id: str | None,
               attachments: list[Attachment]) -> str:
    """POST a comment through a client that never retries on its own (Front does not deduplicate
    comments): after an ambiguous failure (dropped connection, 5xx) the marker is looked for first."""
    marker = mapping.comment_marker(key)
    conversation_id = work.conversation_id
    for attempt in range(6):
        try:
            return ticket_rules.send_with_attachments(
                ctx, work, attachments,
                lambda uploads: ctx.comment_client.add_comment(conversation_id, body=body, author_id=author_id,
                                                               attachments=uploads))
        except RateLimited as exc:  # refused before processing: safe to send again
            time.sleep(min(60.0, exc.retry_after if exc.retry_after is not None else 2.0 * (attempt + 1)))
        except (Unreachable, VendorError):
            time.sleep(min(10.0, ctx.retry_delay * (2 ** attempt)))
            found = _find_marker(ctx, conversation_id, marker)
            if found:
                return found
    raise Unreachable("Front kept failing while a note was added; the run will try again later.")


def find_conversation_by_scan(ctx: RunContext, work: TicketWork) -> str | None:
    """Last resort when Front holds a ticket's messages but no uid was ever recorded (a connection
    dropped after Front accepted the import, so the re-send was refused as a duplicate): look through
    the inbox for a conversation with the ticket's subject holding one of its external ids."""
    keys = {r.key for r in work.journal.values() if r.kind == "message" and r.state == "sent"}
    if not keys:
        return None
    subjects = {(m.subject or work.ticket.subject or "") for m in work.ticket.messages} | {work.ticket.subject or ""}
    for conversation in ctx.client.iter_inbox_conversations(ctx.snapshot["inbox_id"]):
        if (conversation.get("subject") or "") not in subjects:
            continue
        for message in ctx.client.iter_messages(conversation["id"]):
            if (message.get("metadata") or {}).get("external_id") in keys:
                return conversation["id"]
    return None
