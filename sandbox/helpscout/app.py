"""Help Scout Mailbox API 2.0 stand-in: OAuth2 client credentials, HAL paging, per-minute rate limit.

What it copies from the public reference because connectors trip on it:
- `POST /v2/oauth2/token` (grant_type=client_credentials) hands out bearer tokens that expire
  (`expires_in`); an expired or unknown token gets 401. Tests can expire every token on demand;
- `GET /v2/conversations` lists only *active* conversations unless `status=all`; `modifiedSince`,
  `sortField=modifiedAt&sortOrder=asc`, `embed=threads`, 25 per page, `page.totalElements/totalPages`;
- a conversation merged into another answers 301 with `Location`; a deleted one 404 (the list with
  `status=all` still shows it, `state: "deleted"`, until the trash is emptied);
- `X-RateLimit-Limit-Minute` / `X-RateLimit-Remaining-Minute` on every answer, 429 with
  `X-RateLimit-Retry-After` when the minute's budget is spent;
- attachment bytes come base64 in JSON from `/v2/conversations/{id}/attachments/{id}/data`.
"""

from __future__ import annotations

import base64
import math
import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from connectors.sample.generator import BRANDS, CONTACT_ID_OFFSET, SampleDataset
from sandbox.helpscout import docs, organizations
from sandbox.helpscout.render import STATUS, HelpScoutRenderer
from sandbox.vendorhttp import MinuteWindow, Request, Response, VendorApp

CONVERSATIONS_PER_PAGE = 25
STRICT_EMBED = 3
OTHER_PER_PAGE = 50
HAL = "application/hal+json"


def _error(status: int, message: str) -> Response:
    return Response.json({"logRef": secrets.token_hex(6), "message": message, "_embedded": {"errors": []}},
                         status, content_type="application/vnd.error+json")


class HelpScoutApp(VendorApp):
    service = "helpscout"

    def __init__(self, *, tickets: int = 100, seed: int = 1, revision: int = 0, app_id: str = "hs-app-id",
                 app_secret: str = "hs-app-secret",  # noqa: S107 - the stand-in's fixed test secret
                  token_ttl_s: int = 172_800, rpm: int | None = None,
                 window_s: float = 60.0, latency_ms: int = 0, embed_thread_limit: int | None = None,
                 strict: bool = False) -> None:
        super().__init__(latency_ms=latency_ms)
        self.dataset = SampleDataset(tickets=tickets, seed=seed, revision=revision)
        # strict: the other reading of every Help Scout guess in docs/vendor-guesses.md.
        self.strict = strict
        self.render = HelpScoutRenderer(self.dataset, strict=strict)
        # Embed only the newest N threads (long threads); strict embeds at most STRICT_EMBED.
        self.render.embed_thread_limit = embed_thread_limit or (STRICT_EMBED if strict else None)
        self.refused: dict[str, int] = {}  # route pattern -> status answered (tests: refuse())
        # Tests: a function that may change a conversation's JSON before it is served (malformed records).
        self.mangle: Any = None
        self.app_id, self.app_secret = app_id, app_secret
        self.token_ttl_s = token_ttl_s
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.limit = MinuteWindow(rpm, window_s)
        self.merged: dict[int, int] = {}
        self.routes_api()

    # ---- state changes tests use -------------------------------------------------------------------
    def set_revision(self, revision: int) -> None:
        with self.lock:
            self.dataset = SampleDataset(tickets=self.dataset.tickets, seed=self.dataset.seed, revision=revision)
            self.render.dataset = self.dataset

    def refuse(self, pattern: str, status: int = 404) -> None:
        """Answer every request for a route (e.g. "/v2/customers") with `status`; 0 serves it again."""
        with self.lock:
            if status:
                self.refused[pattern] = status
            else:
                self.refused.pop(pattern, None)

    def dispatch(self, request: Request) -> Response:
        for pattern, status in list(self.refused.items()):
            regex = "^" + re.sub(r"\{(\w+)\}", r"[^/]+", pattern) + "$"
            if re.match(regex, request.path):
                return self.api(request, lambda s=status: _error(s, "Not found" if s == 404 else "Access denied"))
        return super().dispatch(request)

    def expire_tokens(self) -> None:
        """Every token handed out so far stops working now (as if its two days had passed)."""
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def touch(self, conversation_id: int) -> None:
        """An agent works on a conversation now: it moves to the end of the modifiedAt order (live account)."""
        with self.lock:
            self.render.touched[conversation_id] = datetime.now(UTC)

    def merge(self, source_id: int, into_id: int) -> None:
        self.merged[source_id] = into_id

    def set_base_url(self, url: str) -> None:
        self.base_url = url
        self.render.base_url = url

    # ---- plumbing ------------------------------------------------------------------------------------
    def routes_api(self) -> None:
        self.route("POST", "/v2/oauth2/token", self.token)
        self.route("GET", "/v2/users/me", lambda r: self.api(r, lambda: Response.json(
            self.render.user(self.dataset.agents()[0]), content_type=HAL)))
        self.route("GET", "/v2/users", self.list_users)
        self.route("GET", "/v2/mailboxes", lambda r: self.api(r, lambda: self.hal_page(
            r, "mailboxes", iter(self.render.mailboxes()), OTHER_PER_PAGE)))
        self.route("GET", "/v2/mailboxes/{id}/fields", self.list_fields)
        self.route("GET", "/v2/customers", self.list_customers)
        self.route("GET", "/v2/tags", self.list_tags)
        self.route("GET", "/v2/conversations", self.list_conversations)
        self.route("GET", "/v2/conversations/{id}", self.get_conversation)
        self.route("GET", "/v2/conversations/{id}/threads", self.list_threads)
        self.route("GET", "/v2/conversations/{cid}/attachments/{aid}/data", self.attachment_data)
        organizations.add_routes(self)  # organizations and customers (sandbox/helpscout/organizations.py)
        docs.add_routes(self)  # the Docs API: collections, categories, articles (sandbox/helpscout/docs.py)

    def token(self, request: Request) -> Response:
        form = {**request.form(), **request.query}
        if form.get("grant_type") != "client_credentials":
            return Response.json({"error": "unsupported_grant_type"}, 400)
        if form.get("client_id") != self.app_id or form.get("client_secret") != self.app_secret:
            return Response.json({"error": "invalid_client", "error_description": "Bad client credentials"}, 401)
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl_s
            self.calls["tokens_issued"] += 1
        return Response.json({"token_type": "bearer", "access_token": token, "expires_in": self.token_ttl_s})

    def api(self, request: Request, handler: Any) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None or expiry <= time.monotonic():
            with self.lock:
                self.calls["401"] += 1
            return _error(401, "Invalid or expired access token")
        injected = self.refusal()
        allowed, remaining, reset = self.limit.take(1) if injected is None else (False, 0, injected)
        headers = {"X-RateLimit-Limit-Minute": str(self.limit.limit or 1_000_000),
                   "X-RateLimit-Remaining-Minute": str(remaining)}
        if not allowed:
            if injected is None:
                self.note_refusal(max(1, math.ceil(reset)))
            return Response(429, b"", {**headers, "X-RateLimit-Retry-After": str(max(1, math.ceil(reset)))})
        response = handler()
        response.headers.update(headers)
        return response

    def hal_page(self, request: Request, name: str, items: Iterator[Any], size: int,
                 total: int | None = None) -> Response:
        try:
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            return _error(400, "page must be a number")
        skip = (page - 1) * size
        out: list[Any] = []
        count = 0
        for n, item in enumerate(items):
            count = n + 1
            if skip <= n < skip + size:
                out.append(item)
            if total is not None and n >= skip + size:
                break
        total = count if total is None else total
        pages = max(1, math.ceil(total / size))
        links: dict[str, Any] = {"self": {"href": f"{self.base_url}{request.path}?{urlencode(request.query)}"}}
        if page < pages and not self.strict:  # strict: no next link, only the page block
            links["next"] = {"href": f"{self.base_url}{request.path}?{urlencode({**request.query, 'page': page + 1})}"}
        body = {"_embedded": {name: out}, "_links": links,
                "page": {"size": size, "totalElements": total, "totalPages": pages, "number": page}}
        return Response.json(body, content_type=HAL)

    # ---- resources ----------------------------------------------------------------------------------
    def list_users(self, request: Request) -> Response:
        """Help Scout lists the account's current users: a deleted user is gone from the list."""
        return self.api(request, lambda: self.hal_page(request, "users", (
            self.render.user(a) for a in self.dataset.agents() if not a.deleted), OTHER_PER_PAGE))

    def list_fields(self, request: Request) -> Response:
        return self.api(request, lambda: self.hal_page(request, "fields", iter(self.render.fields()), OTHER_PER_PAGE))

    def list_customers(self, request: Request) -> Response:
        if self.strict:  # strict: an app that may not list customers (the customer count is not available)
            return self.api(request, lambda: _error(403, "Access denied: this app may not list customers"))
        ids = range(CONTACT_ID_OFFSET + 1, CONTACT_ID_OFFSET + self.dataset.contact_count + 1)
        customers = (self.render.customer(c) for i in ids if (c := self.dataset.contact_by_id(str(i))))
        return self.api(request, lambda: self.hal_page(request, "customers", customers, OTHER_PER_PAGE,
                                                       total=self.dataset.contact_count))

    def list_tags(self, request: Request) -> Response:
        from connectors.sample.generator import TAGS

        return self.api(request, lambda: self.hal_page(request, "tags", (
            {"id": n, "name": tag, "slug": tag, "color": "#929499"} for n, tag in enumerate(TAGS, 1)), OTHER_PER_PAGE))

    def _visible(self, ticket_id: int, status: str, mailboxes: set[int] | None) -> bool:
        if ticket_id in self.merged:
            return False
        if mailboxes and int(BRANDS[ticket_id % len(BRANDS)][0]) not in mailboxes:  # the dataset's rule
            return False
        deleted = self.dataset.deleted_revision(ticket_id) is not None
        if status == "all":
            return not (deleted and self.strict)  # strict: the trash is never listed
        if deleted:
            return False
        return STATUS.get(self.dataset.ticket(ticket_id).status, "closed") == status

    def list_conversations(self, request: Request) -> Response:
        q = request.query
        status = q.get("status", "active")  # Help Scout's default: active conversations only
        if status not in ("active", "pending", "closed", "spam", "open", "all"):
            return _error(400, f"Invalid status {status}")
        mailboxes = {int(m) for m in q.get("mailbox", "").split(",") if m.strip().isdigit()} or None
        since = None
        if q.get("modifiedSince"):
            try:
                since = datetime.fromisoformat(q["modifiedSince"].replace("Z", "+00:00")).astimezone(UTC)
            except ValueError:
                return _error(400, "modifiedSince must be an ISO 8601 date-time")
        ascending = q.get("sortField") == "modifiedAt" and q.get("sortOrder", "desc") == "asc"
        embed = q.get("embed") == "threads"

        touched = dict(self.render.touched)

        def ids() -> Iterator[int]:
            for _seg, i in self.dataset.ordered_ids(since=since):
                if i not in touched and self._visible(i, status, mailboxes):
                    yield i
            for i in sorted(touched, key=lambda k: (touched[k], k)):
                if (since is None or touched[i] >= since) and self._visible(i, status, mailboxes):
                    yield i

        def run() -> Response:
            ordered = ids() if ascending else iter(sorted(ids(), key=self.dataset.updated_at, reverse=True))
            page = self.hal_page(request, "conversations", ordered, CONVERSATIONS_PER_PAGE)
            return self._expand(page, embed)

        return self.api(request, run)

    def _expand(self, page: Response, embed: bool) -> Response:
        import json

        body = json.loads(page.body)
        with self.lock:
            self.served.extend(body["_embedded"]["conversations"])
        body["_embedded"]["conversations"] = [self._mangled(
            self.render.conversation(i, embed_threads=embed and self.dataset.deleted_revision(i) is None))
            for i in body["_embedded"]["conversations"]]
        return Response.json(body, content_type=HAL)

    def _mangled(self, conversation: dict[str, Any]) -> dict[str, Any]:
        return self.mangle(conversation) if self.mangle else conversation

    def get_conversation(self, request: Request) -> Response:
        def run() -> Response:
            raw = request.params["id"]
            cid = int(raw) if raw.isdigit() else -1
            if cid in self.merged:
                target = self.merged[cid]
                query = f"?{urlencode(request.query)}" if request.query else ""
                return Response(301, b"", {"Location": f"{self.base_url}/v2/conversations/{target}{query}"})
            if not self.dataset.exists(cid) or self.dataset.deleted_revision(cid) is not None:
                return _error(404, "Conversation not found")
            with self.lock:
                self.served.append(cid)
            return Response.json(self._mangled(self.render.conversation(
                cid, embed_threads=request.query.get("embed") == "threads")), content_type=HAL)

        return self.api(request, run)

    def list_threads(self, request: Request) -> Response:
        raw = request.params["id"]
        cid = int(raw) if raw.isdigit() else -1
        if not self.dataset.exists(cid) or self.dataset.deleted_revision(cid) is not None:
            return self.api(request, lambda: _error(404, "Conversation not found"))
        return self.api(request, lambda: self.hal_page(request, "threads", iter(
            self.render.threads(self.dataset.ticket(cid))), OTHER_PER_PAGE))

    def attachment_data(self, request: Request) -> Response:
        def run() -> Response:
            raw = request.params["aid"]
            found = self.render.attachment(int(raw)) if raw.isdigit() else None
            if found is None or str(found[0]) != request.params["cid"]:
                return _error(404, "Attachment not found")
            a = found[1]
            data = b"".join(self.dataset.attachment_bytes(a.source_id, a.size or 0))
            return Response.json({"data": base64.b64encode(data).decode()})

        return self.api(request, run)
