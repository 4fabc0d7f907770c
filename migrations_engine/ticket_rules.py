"""What one ticket should become in Front, as both phases and the record map read it.

Which notes, custom fields and attachments go (and with which reasons those that do not), the state
(status, assignee, tags) the conversation should have, what a PATCH must still change after the imports
of this sync, and whether the ticket needs the second phase at all. No Front call and no database write
here, except through the `send` function handed to `send_with_attachments`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from connectors.base import Attachment, ConnectorError, Message
from connectors.front import AttachmentTooLarge, Upload
from migrations_engine import mapping
from migrations_engine.fidelity import ConversationMoved
from migrations_engine.journal import UNSETTLED, RunContext, TicketWork

T = TypeVar("T")


class SourceAttachmentError(Exception):
    """The source could not give an attachment's bytes; that attachment is dropped with a reason."""

    def __init__(self, attachment: Attachment, error: Exception) -> None:
        super().__init__(str(error))
        self.attachment = attachment


# --- attachments -------------------------------------------------------------------------------------
def wanted_attachments(ctx: RunContext, work: TicketWork, attachments: list[Attachment]) -> list[Attachment]:
    """The attachments the options keep; those over Front's limit are counted skipped with a reason."""
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


def _stream(ctx: RunContext, attachment: Attachment) -> Iterator[bytes]:
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


def send_with_attachments(ctx: RunContext, work: TicketWork, attachments: list[Attachment],
                          send: Callable[[list[Upload]], T]) -> T:
    """Call `send(uploads)`; an attachment Front would refuse, or the source cannot give, is dropped with
    a reason and the rest sent again."""
    remaining = list(attachments)
    while True:
        try:
            result = send(_uploads(ctx, remaining))
        except AttachmentTooLarge as exc:
            dropped = [a for a in remaining if a.filename == exc.filename] or remaining[-1:]
            if not dropped:
                raise
            for a in dropped:
                remaining.remove(a)
                work.counts["attachments_skipped"] += 1
                work.reasons.append(f"Attachment {a.filename!r} skipped: larger than Front's 25 MB limit.")
            continue
        except ConversationMoved:  # merged in Front meanwhile: sent again, to the surviving one (fidelity.py)
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


# --- notes, custom fields, state ---------------------------------------------------------------------
def notes(work: TicketWork) -> list[Message]:
    return [m for m in work.ticket.messages if m.kind == "private_note"]


def custom_fields(work: TicketWork) -> dict[str, Any]:
    """The ticket's custom fields that have a value."""
    return {k: v for k, v in work.ticket.custom_fields.items() if v not in (None, "", [])}


def front_fields(ctx: RunContext, fields: dict[str, Any]) -> dict[str, str]:
    """The fields that exist in Front under the same name, as Front takes them (mode "fields")."""
    return {k: mapping.plain_value(v) for k, v in sorted(fields.items()) if k in ctx.front_custom_fields}


def desired_state(ctx: RunContext, work: TicketWork) -> dict[str, Any]:
    """Status, assignee and tags the conversation should have (as `RecordMap.applied` records them)."""
    t = work.ticket
    assignee = ctx.teammates.get(t.assignee_agent_id or "", ctx.default_teammate) if t.assignee_agent_id else None
    return mapping.applied_state(status=mapping.front_status(t, ctx.snapshot), assignee_id=assignee,
                                 tags=mapping.ticket_tags(t, ctx.snapshot))


def update_needed(ctx: RunContext, work: TicketWork) -> dict[str, Any] | None:
    """What a PATCH must change, or None when the imports of this sync already carried everything."""
    before = {k: work.record.applied.get(k) for k in ("status", "assignee_id", "tags")}
    if not work.record.applied or work.record.lineage != ctx.lineage:
        return None  # first sync: the imported messages carried status, assignee and tags
    desired = desired_state(ctx, work)
    if before == desired:
        return None
    change: dict[str, Any] = {}
    removed_tags = set(before["tags"] or []) - set(desired["tags"])
    if work.imported_now == 0 or removed_tags:
        if before["tags"] != desired["tags"]:
            change["tags"] = desired["tags"]
    # Whether an import into an existing conversation changes its state is not documented
    # (docs/vendor-guesses.md): a changed status or assignee is PATCHed even when messages were imported.
    if before["status"] != desired["status"]:
        change["status"] = desired["status"]
    if before["assignee_id"] != desired["assignee_id"]:
        change["assignee_id"] = desired["assignee_id"] or None
    return change or None


def comment_keys(ctx: RunContext, work: TicketWork) -> dict[str, str]:
    """The journal keys of the comments the ticket's second phase posts ({key: note id}): its notes, and
    its custom fields when they go in a comment (finish.py builds the same keys with their bodies)."""
    t = work.ticket
    keys = {mapping.comment_key(lineage=ctx.lineage, ticket_id=t.source_id, note_id=note.source_id): note.source_id
            for note in notes(work)}
    fields = custom_fields(work)
    if fields and ctx.snapshot["custom_fields"] == "comment":
        keys[mapping.custom_fields_key(lineage=ctx.lineage, ticket_id=t.source_id, fields=fields)] = "custom_fields"
    return keys


def needs_finish(ctx: RunContext, work: TicketWork) -> bool:
    """Whether the ticket needs the second phase: an unsettled note or custom-fields comment, Front
    custom fields not applied yet, or an in-place update."""
    for key in comment_keys(ctx, work):
        row = work.journal.get(key)
        if row is None or row.state in UNSETTLED:
            return True
    fields = custom_fields(work)
    mode = ctx.snapshot["custom_fields"]
    if fields and mode == "fields" and work.record.applied.get("custom_fields") != front_fields(ctx, fields):
        return bool(front_fields(ctx, fields))
    return update_needed(ctx, work) is not None
