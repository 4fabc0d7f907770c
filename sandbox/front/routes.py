"""The Front API routes the stand-in serves, as Front answers them (spec templates as keys)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from sandbox.front.state import Company, Conversation


class ApiError(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


@dataclass
class Call:
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[dict] = field(default_factory=list)
    token_teammate: str | None = None
    process_delay_s: float = 0.0


Handler = Callable[[Company, Call], tuple[int, Any]]
ROUTES: dict[tuple[str, str], Handler] = {}
PAGED = {"/tags", "/contacts", "/inboxes/{inbox_id}/conversations", "/conversations/{conversation_id}/messages"}


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ROUTES[(method, template)] = fn
        return fn
    return register


def page(co: Company, path: str, call: Call, items: list[dict]) -> dict:
    """One page of a listing and the link to the next. Ours: readable tokens, the next link repeats
    `limit`. Strict: opaque tokens that remember the page size, a next link without `limit`, and no
    `next` key at all on the last page (Front documents only "follow _pagination.next")."""
    token = call.query.get("page_token", "")
    if co.strict:
        start, limit = co.page_tokens.get(token, (0, 0))
        limit = limit or max(1, min(int(call.query.get("limit", 50)), 100))
    else:
        limit = max(1, min(int(call.query.get("limit", 50)), 100))
        start = int(token[1:]) if token.startswith("p") and token[1:].isdigit() else 0
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    if co.strict:
        pagination: dict[str, Any] = {}
        if more:
            opaque = secrets.token_hex(16)
            co.page_tokens[opaque] = (start + limit, limit)
            while len(co.page_tokens) > 10_000:  # bounded: a long-running stand-in forgets the oldest
                del co.page_tokens[next(iter(co.page_tokens))]
            pagination["next"] = co.link(f"{path}?page_token={opaque}")
    else:
        pagination = {"next": co.link(f"{path}?limit={limit}&page_token=p{start + limit}") if more else None}
    return {"_pagination": pagination, "_links": {"self": co.link(path)}, "_results": chunk}


def listing(co: Company, path: str, items: list[dict]) -> dict:
    return {"_links": {"self": co.link(path)}, "_results": items}


def conversation(co: Company, cid: str) -> Conversation:
    found = co.conversations.get(cid)
    if not found:
        raise ApiError(404, "Not found", f"Unknown conversation {cid}")
    return found


# --- account -------------------------------------------------------------------------------------
@route("GET", "/me")
def me(co: Company, call: Call) -> tuple[int, Any]:
    return 200, {"_links": {"self": co.link("/me")}, "id": co.id, "name": co.name}


@route("GET", "/inboxes")
def inboxes(co: Company, call: Call) -> tuple[int, Any]:
    return 200, listing(co, "/inboxes", [co.inbox_json(i) for i in co.inboxes])


@route("GET", "/inboxes/{inbox_id}/channels")
def inbox_channels(co: Company, call: Call) -> tuple[int, Any]:
    iid = call.params["inbox_id"]
    if iid not in co.inboxes:
        raise ApiError(404, "Not found", f"Unknown inbox {iid}")
    return 200, listing(co, f"/inboxes/{iid}/channels",
                        [co.channel_json(c) for c, ch in co.channels.items() if ch["inbox_id"] == iid])


@route("GET", "/teammates")
def teammates(co: Company, call: Call) -> tuple[int, Any]:
    return 200, listing(co, "/teammates", [co.teammate_json(t) for t in co.teammates])


@route("GET", "/conversations/custom_fields")
def conversation_fields(co: Company, call: Call) -> tuple[int, Any]:
    return 200, listing(co, "/conversations/custom_fields", [co.field_json(f) for f in co.custom_fields["conversation"]])


@route("GET", "/contacts/custom_fields")
def contact_fields(co: Company, call: Call) -> tuple[int, Any]:
    return 200, listing(co, "/contacts/custom_fields", [co.field_json(f) for f in co.custom_fields["contact"]])


# --- tags ----------------------------------------------------------------------------------------
@route("GET", "/tags")
def tags(co: Company, call: Call) -> tuple[int, Any]:
    return 200, page(co, "/tags", call, [co.tag_json(t) for t in co.tags])


@route("GET", "/company/tags")
def company_tags(co: Company, call: Call) -> tuple[int, Any]:
    return 200, page(co, "/company/tags", call, [co.tag_json(t) for t in co.tags])


@route("POST", "/tags")
def create_tag(co: Company, call: Call) -> tuple[int, Any]:
    return _create_tag(co, call.body["name"])


@route("POST", "/company/tags")
def create_company_tag(co: Company, call: Call) -> tuple[int, Any]:
    return _create_tag(co, call.body["name"])


def _create_tag(co: Company, name: str) -> tuple[int, Any]:
    """A name already taken: 409 (ours) or 400 and names compared ignoring case (strict); the spec
    documents neither."""
    if co.find_tag(name) is not None:
        if co.strict:
            raise ApiError(400, "Bad request", "Tag name is already taken")
        raise ApiError(409, "Conflict", f"A tag named {name!r} already exists")
    return 201, co.tag_json(co.create_tag(name)["id"])


def _handle_taken(co: Company, handle: str) -> ApiError:
    """A handle that belongs to another contact: 409 (ours) or 400 (strict); the spec documents neither."""
    if co.strict:
        return ApiError(400, "Bad request", "Invalid handles")
    return ApiError(409, "Conflict", f"The handle {handle} already belongs to a contact")


# --- contacts ------------------------------------------------------------------------------------
def find_contact(co: Company, ref: str) -> dict:
    ref = unquote(ref)
    if ref.startswith("alt:"):
        parts = ref.split(":", 2)
        contact = co.contact_for_handle(parts[2]) if len(parts) == 3 else None
        if contact and any(h["source"] == parts[1] for h in contact["handles"]):
            return contact
    elif ref in co.contacts:
        return co.contacts[ref]
    raise ApiError(404, "Not found", f"Unknown contact {ref}")


@route("GET", "/contacts")
def contacts(co: Company, call: Call) -> tuple[int, Any]:
    return 200, page(co, "/contacts", call, [co.contact_json(c) for c in co.contacts])


@route("POST", "/contacts")
def create_contact(co: Company, call: Call) -> tuple[int, Any]:
    handles = call.body.get("handles") or []
    if not handles:
        raise ApiError(400, "Bad request", "A contact needs at least one handle")
    for h in handles:
        if co.contact_for_handle(h["handle"]):
            raise _handle_taken(co, h["handle"])
    crd = co.new_id("crd")
    co.add_contact({"id": crd, "name": call.body.get("name"), "description": call.body.get("description"),
                    "handles": [{"source": h["source"], "handle": h["handle"]} for h in handles],
                    "links": call.body.get("links", []), "custom_fields": call.body.get("custom_fields", {})})
    return 201, co.contact_json(crd)


@route("GET", "/contacts/{contact_id}")
def get_contact(co: Company, call: Call) -> tuple[int, Any]:
    return 200, co.contact_json(find_contact(co, call.params["contact_id"])["id"])


@route("PATCH", "/contacts/{contact_id}")
def update_contact(co: Company, call: Call) -> tuple[int, Any]:
    contact = find_contact(co, call.params["contact_id"])
    for key in ("name", "description", "links", "custom_fields"):
        if key in call.body:
            contact[key] = call.body[key]
    return 204, None


@route("POST", "/contacts/{contact_id}/handles")
def add_handle(co: Company, call: Call) -> tuple[int, Any]:
    contact = find_contact(co, call.params["contact_id"])
    owner = co.contact_for_handle(call.body["handle"])
    if owner and owner is not contact:
        raise _handle_taken(co, call.body["handle"])
    if not owner:
        co.add_contact_handle(contact, call.body["source"], call.body["handle"])
    return 204, None


# --- messages ------------------------------------------------------------------------------------
@route("POST", "/inboxes/{inbox_id}/imported_messages")
def import_message(co: Company, call: Call) -> tuple[int, Any]:
    iid, body = call.params["inbox_id"], call.body
    if iid not in co.inboxes:
        raise ApiError(404, "Not found", f"Unknown inbox {iid}")
    key = (iid, body["external_id"])
    if key in co.external_ids:
        co.counters["duplicate_imports_refused"] += 1
        if co.strict:  # the spec only says Front "won't import two": a bare conflict, no words to match
            raise ApiError(409, "Conflict", "Conflict")
        raise ApiError(409, "Conflict", f"A message with external_id {body['external_id']!r} was already imported")
    cid = body.get("conversation_id")
    # A merged conversation: ours, the import follows the merge (as the documented 301s do); strict, it is
    # unknown (404): the spec says nothing of merged conversations here.
    if cid and (cid not in co.conversations or (co.strict and co.conversations[cid].merged_into)):
        raise ApiError(404, "Not found", f"Unknown conversation {cid}")
    uid = co.new_id("uid").replace("uid_", "") + "f" * 8
    co.external_ids[key] = uid
    co.pending[uid] = (co.ready_at(time.time(), call.process_delay_s), iid, body, call.files)
    if call.process_delay_s <= 0:
        co.process_due()
    return 202, {"status": "accepted", "message_uid": uid}


@route("GET", "/messages/{message_id}")
def get_message(co: Company, call: Call) -> tuple[int, Any]:
    ref = call.params["message_id"]
    co.process_due()
    mid = co.uid_to_message.get(ref[len("alt:uid:"):]) if ref.startswith("alt:uid:") else ref
    if not mid or mid not in co.messages:
        raise ApiError(404, "Not found", f"Unknown message {ref}")
    return 200, co.message_json(mid)


@route("GET", "/conversations/{conversation_id}")
def get_conversation(co: Company, call: Call) -> tuple[int, Any]:
    return 200, co.conversation_json(conversation(co, call.params["conversation_id"]).id)


@route("PATCH", "/conversations/{conversation_id}")
def update_conversation(co: Company, call: Call) -> tuple[int, Any]:
    c = conversation(co, call.params["conversation_id"])
    body = call.body
    if "assignee_id" in body:
        if body["assignee_id"] is not None and body["assignee_id"] not in co.teammates:
            raise ApiError(400, "Bad request", f"Unknown teammate {body['assignee_id']}")
        c.assignee_id = body["assignee_id"]
    if "tag_ids" in body:
        unknown = [t for t in body["tag_ids"] if t not in co.tags]
        if unknown:
            raise ApiError(400, "Bad request", f"Unknown tags {', '.join(unknown)}")
        c.tag_ids = list(body["tag_ids"])
    if "custom_fields" in body:
        known = {f["name"] for f in co.custom_fields["conversation"]}
        unknown = sorted(set(body["custom_fields"]) - known)
        if unknown:
            raise ApiError(400, "Bad request", f"Unknown custom fields {', '.join(unknown)}")
        c.custom_fields = dict(body["custom_fields"])
    if "status" in body:
        c.status = body["status"]
    c.updated_at = time.time()
    return 204, None


@route("GET", "/inboxes/{inbox_id}/conversations")
def inbox_conversations(co: Company, call: Call) -> tuple[int, Any]:
    iid = call.params["inbox_id"]
    if iid not in co.inboxes:
        raise ApiError(404, "Not found", f"Unknown inbox {iid}")
    co.process_due()
    items = [co.conversation_json(c.id) for c in co.conversations.values() if c.inbox_id == iid and not c.merged_into]
    return 200, page(co, f"/inboxes/{iid}/conversations", call, items)


@route("GET", "/conversations/{conversation_id}/messages")
def conversation_messages(co: Company, call: Call) -> tuple[int, Any]:
    c = conversation(co, call.params["conversation_id"])
    co.process_due()
    ids = sorted(c.message_ids, key=lambda m: co.messages[m]["created_at"], reverse=call.query.get("sort_order") != "asc")
    return 200, page(co, f"/conversations/{c.id}/messages", call, [co.message_json(m) for m in ids])


@route("GET", "/conversations/{conversation_id}/comments")
def conversation_comments(co: Company, call: Call) -> tuple[int, Any]:
    c = conversation(co, call.params["conversation_id"])
    # Newest first, as the spec documents.
    return 200, listing(co, f"/conversations/{c.id}/comments", [co.comment_json(k) for k in reversed(c.comment_ids)])


@route("POST", "/conversations/{conversation_id}/comments")
def add_comment(co: Company, call: Call) -> tuple[int, Any]:
    c = conversation(co, call.params["conversation_id"])
    author = call.body.get("author_id") or call.token_teammate
    if author and author.startswith("alt:email:"):
        author = next((t for t, v in co.teammates.items() if v["email"] == author[len("alt:email:"):]), None)
    if author not in co.teammates:
        raise ApiError(400, "Bad request", f"Unknown teammate {call.body.get('author_id')}")
    com = co.new_id("com")
    co.comments[com] = {"id": com, "conversation_id": c.id, "author_id": author, "body": call.body["body"],
                        "posted_at": time.time(), "attachments": call.files,
                        "as_api_user": not call.body.get("author_id")}
    c.comment_ids.append(com)
    return 201, co.comment_json(com)
