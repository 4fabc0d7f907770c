"""What keeps each record right whichever way Front behaves where its documentation is silent.

Every rule here answers an entry of docs/vendor-guesses.md (Front section):

* tags: an import's `tags` are "tag names to add to the conversation"; whether Front creates unknown
  names is not said, so every tag is made to exist first (read once per run, one creation per missing
  name, kept in `Run.context["front_tags"]` so later chunks of the run do not read or create again), and
  imports name each tag as Front spells it;
* comments: always carry `author_id` (the mapped teammate, else the default teammate: never the token's
  own identity), and their header names the original author and date;
* imports into a conversation a Front user merged since: followed to the surviving conversation;
* updates in place: whether an import into an existing conversation changes its assignee or archived
  state is not said, so a change is PATCHed; `assignee_id: null` (the schema says string, its
  description says null unassigns) falls back to leaving the assignee when refused, with a reason.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from connectors.base import Message
from connectors.front import FrontClient, ImportedMessage, InvalidRequest, NotFound, Upload
from migrations_engine import mapping
from migrations_engine.journal import RunContext, TicketWork
from migrations_engine.parallel import write_lock

_TAGS_LOCK = threading.Lock()
# How many tags each client knew when they were last saved in Run.context (one client per chunk).
_saved_tag_counts: weakref.WeakKeyDictionary[FrontClient, int] = weakref.WeakKeyDictionary()


# --- tags ------------------------------------------------------------------------------------------
def remember_run_tags(ctx: RunContext) -> None:
    """Give the chunk's client the tags this run already read or created: no second read of the tags."""
    known = (ctx.run.context or {}).get("front_tags")
    if known is not None:
        ctx.client.remember_tags(known)
        _saved_tag_counts[ctx.client] = len(known)


def read_run_tags(ctx: RunContext) -> None:
    """Once per run (prepare): every tag Front already has, by name."""
    ctx.client.remember_tags({t["name"]: t["id"] for t in ctx.client.tags()})
    ctx.run.context = {**(ctx.run.context or {}), "front_tags": ctx.client.known_tags()}
    _saved_tag_counts[ctx.client] = len(ctx.run.context["front_tags"])


def front_tag_names(ctx: RunContext, names: list[str]) -> list[str]:
    """The names as Front spells them, each tag created first when Front does not have it."""
    spelled = [ctx.client.tag_for(name)[1] for name in names]
    _save_new_tags(ctx)
    return list(dict.fromkeys(spelled))


def tag_ids(ctx: RunContext, names: list[str]) -> list[str]:
    ids = [ctx.client.tag_for(name)[0] for name in names]
    _save_new_tags(ctx)
    return list(dict.fromkeys(ids))


def _save_new_tags(ctx: RunContext) -> None:
    """Tags created (or read again) by this chunk go into Run.context at once: a later chunk, or the
    next execution after a crash, must not create them a second time."""
    client = ctx.client
    known = client.known_tags()
    with _TAGS_LOCK:
        if len(known) <= _saved_tag_counts.get(client, 0):
            return
        _saved_tag_counts[client] = len(known)
        from migrations_engine.models import Run

        ctx.run.context = ctx.run.context if ctx.run.context is not None else {}
        ctx.run.context["front_tags"] = known  # the runner saves the context after each page from here
        with write_lock():
            stored = Run.objects.filter(pk=ctx.run.pk).values_list("context", flat=True).first() or {}
            stored["front_tags"] = {**stored.get("front_tags", {}), **known}
            Run.objects.filter(pk=ctx.run.pk).update(context=stored)


# --- imports ---------------------------------------------------------------------------------------
class ConversationMoved(Exception):
    """The conversation an import was appended to now lives under another id: send the import again
    (with fresh attachment streams: the first ones were read)."""


def import_message(ctx: RunContext, work: TicketWork, imported: ImportedMessage, uploads: list[Upload]) -> str:
    """Import one message. Appending to a known conversation that a Front user merged since: whether an
    import's `conversation_id` follows the merge is not documented; when Front answers 404, the
    conversation is read (its documented 301 leads to the surviving one) and the import sent there."""
    try:
        return ctx.client.import_message(ctx.snapshot["inbox_id"], imported, uploads)
    except NotFound:
        old = imported.conversation_id
        found = ctx.client.get_conversation_or_none(old) if old else None
        if not found or found.get("id") in (None, old):
            raise
        # The ticket's later imports and notes go there too, and the record map remembers it.
        imported.conversation_id = work.conversation_id = work.record.front_id = found["id"]
        raise ConversationMoved(found["id"]) from None


# --- comments --------------------------------------------------------------------------------------
def original_author(ctx: RunContext, message: Message) -> str:
    """Who wrote it in the source: their name, else their email (deleted agents included)."""
    agent = ctx.agent_names.get(message.author_agent_id or "") if message.author_agent_id else None
    return (message.author_name or "").strip() or agent or (message.author_email or "").strip() or "Unknown author"


def comment_author_id(ctx: RunContext, agent_id: str | None) -> str | None:
    """The teammate a comment is posted as: the mapped one, else the default teammate. Never None while
    the run knows a teammate: a comment without author_id is posted as the token's own identity."""
    return ctx.teammates.get(agent_id or "") or ctx.default_teammate or None


def note_comment_body(ctx: RunContext, note: Message, *, marker: str) -> str:
    return mapping.note_body(author=original_author(ctx, note), created_at=note.created_at,
                             body=mapping.note_text(note), marker=marker)


# --- updates in place ------------------------------------------------------------------------------
def update_conversation(ctx: RunContext, work: TicketWork, conversation_id: str, change: dict[str, Any]) -> None:
    """PATCH what changed. Unassigning sends `assignee_id: null` (as the field's description says); a
    Front that follows the schema instead refuses it: the rest is applied and the ticket says so."""
    kwargs: dict[str, Any] = {}
    if "status" in change:
        kwargs["status"] = change["status"]
    if "assignee_id" in change:
        kwargs["assignee_id"] = change["assignee_id"]
    if "tags" in change:
        kwargs["tag_ids"] = tag_ids(ctx, change["tags"])
    try:
        ctx.client.update_conversation(conversation_id, **kwargs)
    except InvalidRequest:
        if kwargs.get("assignee_id", "") is not None:
            raise
        kwargs.pop("assignee_id")
        if kwargs:
            ctx.client.update_conversation(conversation_id, **kwargs)
        work.reasons.append("Front refused to unassign the conversation; it keeps its previous assignee.")
