"""The API endpoints of the Zendesk stand-in (see server.py for auth, rate limits and faults)."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from connectors.sample.generator import BRANDS
from sandbox.zendesk import help_center, organizations, render

if TYPE_CHECKING:
    from sandbox.zendesk.server import ZendeskHandler

EXPORT_MAX_PAGE = 1000
COMMENTS_MAX_PAGE = 100
FORBIDDEN = "You do not have access to this page. Please contact the account owner of this help desk for further help."


def _one(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any] | None:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None


def route(h: ZendeskHandler, path: str, query: dict[str, list[str]], user: dict[str, Any] | None) -> None:
    if path == "/api/v2/users/me":
        me = user or {"id": None, "url": None, "name": "Anonymous user", "email": "invalid@example.com",
                      "role": "end-user", "active": True, "verified": False, "time_zone": "UTC"}
        h._json(200, {"user": {**me, "authenticity_token": "stand-in-csrf-token"}})
        return
    if user is None:
        h._error(401, "Couldn't authenticate you", "Couldn't authenticate you")
        return
    admin = user["role"] == "admin"
    refused = h.server.state.refused.get(path)
    if refused:
        h._error(refused, "Forbidden" if refused == 403 else "InvalidEndpoint",
                 FORBIDDEN if refused == 403 else "Not found")
        return
    if path.startswith("/api/v2/incremental/") and not admin:
        h._error(403, "Forbidden", FORBIDDEN)
        return
    if path == "/api/v2/incremental/tickets/cursor":
        export_tickets(h, query)
    elif m := re.fullmatch(r"/api/v2/tickets/(\d+)/comments", path):
        comments(h, int(m.group(1)), query)
    elif path == "/api/v2/tickets/show_many":
        show_many(h, query)
    elif path == "/api/v2/tickets/count":
        h._json(200, {"count": {"value": _count_tickets(h, {}), "refreshed_at": render.iso(datetime.now(UTC))}})
    elif path == "/api/v2/search/count":
        h._json(200, {"count": _count_tickets(h, _search_terms(_one(query, "query", "") or ""))})
    elif path == "/api/v2/users/count":
        roles = set(query.get("role[]", []) + query.get("role", []))
        ds = h.server.state.dataset
        agents = sum(1 for a in ds.agents() if not a.deleted)
        value = (ds.contact_count if "end-user" in roles or not roles else 0) + (agents if roles & {"agent", "admin"} or not roles else 0)
        h._json(200, {"count": {"value": value, "refreshed_at": render.iso(datetime.now(UTC))}})
    elif path == "/api/v2/users":
        users(h, query)
    elif path == "/api/v2/users/show_many":
        show_many_users(h, query)
    elif path == "/api/v2/deleted_users":
        if h.server.state.strict:  # strict: an account where this listing is not available
            h._error(404, "InvalidEndpoint", "Not found")
            return
        deleted = [render.deleted_user(a, h.base) for a in h.server.state.dataset.agents() if a.deleted]
        listing(h, path, query, "deleted_users", deleted)
    elif path == "/api/v2/ticket_fields":
        listing(h, path, query, "ticket_fields", render.ticket_fields(h.base))
    elif path == "/api/v2/brands":
        listing(h, path, query, "brands", render.brands(h.base))
    elif path == "/api/v2/groups":
        listing(h, path, query, "groups", render.groups(h.base))
    elif organizations.route(h, path, query):
        pass  # organizations, organization and user fields (sandbox/zendesk/organizations.py)
    elif help_center.route(h, path, query):
        pass  # Help Center categories, sections, articles (sandbox/zendesk/help_center.py)
    else:
        h._error(404, "InvalidEndpoint", "Not found")


STRICT_PAGE = 2  # strict: lists come in small cursor-paged pages


def listing(h: ZendeskHandler, path: str, query: dict[str, list[str]], key: str, records: list[dict[str, Any]]
            ) -> None:
    """A whole list in one offset page (`next_page: null`), or in strict mode in pages of two with cursor
    pagination's `meta`/`links` and no `next_page` (the document allows both shapes on most lists)."""
    if not h.server.state.strict:
        h._json(200, {key: records, "next_page": None, "previous_page": None, "count": len(records)})
        return
    start = 0
    after = _one(query, "page[after]")
    if after:
        decoded = _decode(after)
        if not decoded or "o" not in decoded:
            h._error(400, "InvalidPaginationParameter", "Invalid page[after]")
            return
        start = int(decoded["o"])
    end = start + STRICT_PAGE
    more = end < len(records)
    cursor = _encode({"o": end}) if more else None
    kept = [(k, v) for k, vs in query.items() if k != "page[after]" for v in vs]
    h._json(200, {key: records[start:end], "meta": {"has_more": more, "after_cursor": cursor, "before_cursor": None},
                  "links": {"next": f"{h.base}{path}.json?" + urlencode([*kept, ("page[after]", cursor)]) if more
                            else None, "prev": None}})


def _ticket_users(h: ZendeskHandler, tickets: list) -> list[dict[str, Any]]:
    agents = {a.source_id: a for a in h.server.state.dataset.agents()}
    out: dict[int, dict[str, Any]] = {}
    for t in tickets:
        contacts = ([t.requester] if t.requester else []) + list(t.cc_contacts)
        for c in contacts:
            out.setdefault(int(c.source_id), render.contact_user(c, h.base))
        if t.assignee_agent_id and (h.server.state.strict or not agents[t.assignee_agent_id].deleted):
            out.setdefault(int(t.assignee_agent_id), render.agent_user(agents[t.assignee_agent_id], h.base))
    return list(out.values())


def export_tickets(h: ZendeskHandler, query: dict[str, list[str]]) -> None:
    ds = h.server.state.dataset
    cursor_text = _one(query, "cursor")
    if cursor_text:
        cursor = _decode(cursor_text)
        if cursor is None:
            h._error(400, "InvalidPaginationParameter", "Invalid cursor")
            return
    else:
        start = _one(query, "start_time")
        if start is None or not start.lstrip("-").isdigit():
            h._error(400, "InvalidValue", "start_time is required and must be a Unix epoch time")
            return
        cursor = {"s": int(start), "g": None, "i": None}
    try:
        per_page = min(EXPORT_MAX_PAGE, max(1, int(_one(query, "per_page", str(EXPORT_MAX_PAGE)) or EXPORT_MAX_PAGE)))
    except ValueError:
        per_page = EXPORT_MAX_PAGE
    since = datetime.fromtimestamp(cursor["s"], UTC)
    after = (cursor["g"], cursor["i"]) if cursor["g"] is not None else None
    positions = ds.ordered_ids(since=since, after=after)
    batch = list(islice(positions, per_page + 1))  # one more tells whether the stream goes on
    more = len(batch) > per_page
    batch = batch[:per_page]
    tickets = [h.server.state.ticket(i) for _seg, i in batch]
    if batch:
        cursor = {"s": cursor["s"], "g": batch[-1][0], "i": batch[-1][1]}
    after_cursor = _encode(cursor)
    payload: dict[str, Any] = {
        "tickets": [render.ticket_json(t, ds, h.base) for t in tickets],
        "after_cursor": after_cursor,
        "after_url": f"{h.base}/api/v2/incremental/tickets/cursor.json?" + urlencode({"cursor": after_cursor}),
        "before_cursor": None, "before_url": None,
        "end_of_stream": not more,
    }
    if "users" in (_one(query, "include", "") or "").split(","):
        payload["users"] = _ticket_users(h, tickets)
    h._json(200, payload)


def comments(h: ZendeskHandler, ticket_id: int, query: dict[str, list[str]]) -> None:
    ds = h.server.state.dataset
    if not ds.exists(ticket_id) or ds.deleted_revision(ticket_id) is not None:
        h._error(404, "RecordNotFound", "Not found")
        return
    ticket = h.server.state.ticket(ticket_id)
    h.server.state.count("comment_pages")
    try:
        size = min(COMMENTS_MAX_PAGE, max(1, int(_one(query, "page[size]", str(COMMENTS_MAX_PAGE)) or 100)))
    except ValueError:
        size = COMMENTS_MAX_PAGE
    after = _one(query, "page[after]")
    start = 0
    if after:
        decoded = _decode(after)
        if not decoded or "o" not in decoded:
            h._error(400, "InvalidPaginationParameter", "Invalid page[after]")
            return
        start = int(decoded["o"])
    inline = (_one(query, "include_inline_images", "false") or "").lower() == "true"
    chunk = ticket.messages[start:start + size]
    has_more = start + size < len(ticket.messages)
    after_cursor = _encode({"o": start + size}) if has_more else None
    payload: dict[str, Any] = {
        "comments": [render.comment_json(m, h.base, include_inline=inline) for m in chunk],
        "meta": {"has_more": has_more, "after_cursor": after_cursor,
                 "before_cursor": _encode({"o": max(0, start - size)}) if start else None},
        "links": {"next": (f"{h.base}/api/v2/tickets/{ticket_id}/comments.json?"
                           + urlencode({"page[size]": size, "page[after]": after_cursor})) if has_more else None,
                  "prev": None},
    }
    if "users" in (_one(query, "include", "") or "").split(","):
        payload["users"] = _ticket_users(h, [ticket]) + _comment_authors(h, chunk)
    h._json(200, payload)


def _comment_authors(h: ZendeskHandler, messages: list) -> list[dict[str, Any]]:
    """Agents who wrote the comments. A deleted one is left out (ours) or, in strict mode, sideloaded as
    an inactive user (`active: false`)."""
    agents = {a.source_id: a for a in h.server.state.dataset.agents()}
    out = []
    for m in messages:
        if m.author_agent_id and (h.server.state.strict or not agents[m.author_agent_id].deleted):
            out.append(render.agent_user(agents[m.author_agent_id], h.base))
    return out


def show_many_users(h: ZendeskHandler, query: dict[str, list[str]]) -> None:
    """Users by id, deleted agents included (inactive), up to 100."""
    ds = h.server.state.dataset
    raw = [x for x in (_one(query, "ids", "") or "").split(",") if x.strip()]
    if len(raw) > 100:
        h._error(400, "InvalidValue", "You may request at most 100 users")
        return
    agents = {a.source_id: a for a in ds.agents()}
    out = []
    for x in raw:
        if x in agents:
            out.append(render.agent_user(agents[x], h.base))
        elif x.isdigit() and (contact := ds.contact_by_id(x)) is not None:
            out.append(render.contact_user(contact, h.base))
    h._json(200, {"users": out, "next_page": None, "previous_page": None, "count": len(out)})


def show_many(h: ZendeskHandler, query: dict[str, list[str]]) -> None:
    ds = h.server.state.dataset
    raw = [x for x in (_one(query, "ids", "") or "").split(",") if x.strip()]
    if len(raw) > 100:
        h._error(400, "InvalidValue", "You may request at most 100 tickets")
        return
    ids = [int(x) for x in raw if x.strip().isdigit()]
    # Soft-deleted tickets are not returned, as on Zendesk.
    tickets = [h.server.state.ticket(i) for i in ids if ds.exists(i) and ds.deleted_revision(i) is None]
    payload: dict[str, Any] = {"tickets": [render.ticket_json(t, ds, h.base) for t in tickets],
                               "next_page": None, "previous_page": None, "count": len(tickets)}
    if "users" in (_one(query, "include", "") or "").split(","):
        payload["users"] = _ticket_users(h, tickets)
    h._json(200, payload)


def users(h: ZendeskHandler, query: dict[str, list[str]]) -> None:
    """Offset pagination over agents/admins (role filters) or everyone; strict: cursor pages of two."""
    ds = h.server.state.dataset
    roles = set(query.get("role[]", []) + query.get("role", []))
    everyone: list[dict[str, Any]] = []
    if not roles or roles & {"agent", "admin"}:
        everyone += [u for u in (render.agent_user(a, h.base) for a in ds.agents() if not a.deleted)
                     if not roles or u["role"] in roles]
    if not roles or "end-user" in roles:
        everyone += [render.contact_user(c, h.base) for c in islice(ds.contacts(), 10_000)]
    if h.server.state.strict:
        listing(h, "/api/v2/users", query, "users", everyone)
        return
    try:
        page = max(1, int(_one(query, "page", "1") or 1))
        per_page = min(100, max(1, int(_one(query, "per_page", "100") or 100)))
    except ValueError:
        page, per_page = 1, 100
    chunk = everyone[(page - 1) * per_page: page * per_page]
    more = page * per_page < len(everyone)
    nxt = f"{h.base}/api/v2/users.json?" + urlencode(
        [("page", page + 1), ("per_page", per_page)] + [("role[]", r) for r in sorted(roles)]) if more else None
    h._json(200, {"users": chunk, "next_page": nxt, "previous_page": None, "count": len(everyone)})


def _search_terms(q: str) -> dict[str, set[str]]:
    terms: dict[str, set[str]] = {}
    for token in q.split():
        key, _, value = token.partition(":")
        terms.setdefault(key, set()).add(value)
    return terms


def _count_tickets(h: ZendeskHandler, terms: dict[str, set[str]]) -> int:
    ds = h.server.state.dataset
    brand_names = {name.lower(): bid for bid, name in BRANDS}
    brands = {brand_names.get(b.lower(), b) for b in terms.get("brand", set())} | terms.get("brand_id", set())
    groups = terms.get("group", set()) | terms.get("group_id", set())
    tags = terms.get("tags", set())
    total = 0
    for i in range(1, ds.total_ticket_ids() + 1):
        if ds.deleted_revision(i) is not None:
            continue
        if brands and BRANDS[i % 2][0] not in brands:
            continue
        if groups and ds.group_id(i) not in groups:
            continue
        if tags and not tags & set(ds.ticket(i).tags):
            continue
        total += 1
    return total
