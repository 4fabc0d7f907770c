"""Intercom REST API 2.16 stand-in: bearer tokens with scopes, search with cursor paging, rate-limit windows.

What it copies from Intercom's reference because connectors trip on it:
- `Authorization: Bearer <access token>`; `Intercom-Version` checked against the versions the document lists
  (400 `intercom_version_invalid`); an unknown token gets 401 `unauthorized` ("Access Token Invalid"), a token
  without a scope 403 `forbidden` ("You do not have the required scope (read_conversations)...");
- errors as `{"type": "error.list", "request_id", "errors": [{"code", "message"}]}`;
- `POST /conversations/search` (list items without parts, at most 150 per page, `starting_after` cursors,
  `total_count`), `GET /conversations/{id}` (the 500 most recent parts), `GET /conversations/deleted`;
- rate limits counted in windows, announced on every authenticated answer by `X-RateLimit-Limit`,
  `X-RateLimit-Remaining` and `X-RateLimit-Reset` (a UNIX time), 429 `rate_limit_exceeded` when spent;
- attachments on pre-signed download links (no token needed; in strict mode they expire).
Every request and every answer is checked against the vendored OpenAPI document (spec.py); violations
are answered 400 (requests) or recorded in `violations` (answers), which tests assert to be empty.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sample.generator import CONTACT_ID_OFFSET, SampleDataset
from sandbox.intercom import search, spec
from sandbox.intercom.render import APP, IntercomRenderer, epoch
from sandbox.vendorhttp import Request, Response, VendorApp

SCOPES = frozenset({"read_conversations", "read_users_companies", "read_admins", "read_tags"})
SCOPE_OF = (("/conversations", "read_conversations"), ("/contacts", "read_users_companies"),
            ("/companies", "read_users_companies"), ("/admins", "read_admins"), ("/teams", "read_admins"),
            ("/tags", "read_tags"))
VERSIONS = frozenset(spec.spec_dict()["components"]["schemas"]["intercom_version"]["enum"])
CONVERSATION_FIELDS = frozenset({"id", "created_at", "updated_at", "team_assignee_id", "admin_assignee_id",
                                 "tag_ids", "state", "open", "contact_ids"})
CONTACT_FIELDS = frozenset({"id", "role", "email", "name", "external_id"})


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response.json({"type": "error.list", "request_id": str(uuid.uuid4()),
                          "errors": [{"code": code, "message": message}]}, status, headers)


class Windows:
    """Request budget in fixed windows aligned on the clock, like Intercom's (a UNIX `reset` time)."""

    def __init__(self, per_minute: int | None, window_s: int) -> None:
        self.window_s = window_s
        self.limit = None if per_minute is None else max(1, math.ceil(per_minute * window_s / 60))
        self._window = -1
        self._used = 0

    def take(self, now: float) -> tuple[bool, int, int, int]:
        """(allowed, limit, remaining, reset as a UNIX time) for one request at `now`."""
        window = int(now // self.window_s)
        reset = (window + 1) * self.window_s
        if self.limit is None:
            return True, 10_000, 10_000, reset
        if window != self._window:
            self._window, self._used = window, 0
        if self._used >= self.limit:
            return False, self.limit, 0, reset
        self._used += 1
        return True, self.limit, self.limit - self._used, reset


class IntercomApp(VendorApp):
    service = "intercom"

    def __init__(self, *, tickets: int = 100, seed: int = 1, revision: int = 0, strict: bool = False,
                 token: str = "ic-access-token", rpm: int | None = None, latency_ms: int = 0,  # noqa: S107
                 part_limit: int = 500, attachment_ttl_s: float | None = None, window_s: int | None = None) -> None:
        super().__init__(latency_ms=latency_ms)
        self.strict = strict
        self.dataset = SampleDataset(tickets=tickets, seed=seed, revision=revision)
        # Strict: download links expire after a minute unless a test chooses otherwise.
        ttl = attachment_ttl_s if attachment_ttl_s is not None else (60.0 if strict else None)
        self.render = IntercomRenderer(self.dataset, strict=strict, part_limit=part_limit, attachment_ttl_s=ttl)
        self.tokens: dict[str, frozenset[str]] = {token: SCOPES}
        self.foreign_tokens: set[str] = set()  # tokens of a workspace hosted in another region
        # Docs (2.17): a per-minute limit shared out over 10-second windows; strict: one-minute windows.
        # Tests shorten the window (`window_s`); the budget per window stays `rpm * window / 60`.
        self.windows = Windows(rpm, window_s or (60 if strict else 10))
        self.zone = ZoneInfo(APP["timezone"])
        self.violations: list[str] = []
        self.merged_contacts: set[str] = set()
        self.refused: dict[str, int] = {}
        self._blocked_until = 0.0
        self.routes_api()

    # ---- state changes tests use -------------------------------------------------------------------
    def set_revision(self, revision: int) -> None:
        with self.lock:
            self.dataset = SampleDataset(tickets=self.dataset.tickets, seed=self.dataset.seed, revision=revision)
            self.render.dataset = self.dataset

    def add_token(self, token: str, scopes: frozenset[str] = SCOPES) -> None:
        self.tokens[token] = scopes

    def merge(self, secondary: int, primary: int) -> None:
        """Intercom's merge: the secondary is closed and linked to the primary, which gets a merge part."""
        self.render.merged[secondary] = primary

    def refuse(self, path: str, status: int = 404) -> None:
        """Answer every authenticated request for `path` (e.g. "/conversations/search") with `status` in
        Intercom's error shape; 0 serves it again."""
        with self.lock:
            if status:
                self.refused[path] = status
            else:
                self.refused.pop(path, None)

    def set_rate_limit(self, per_minute: int | None) -> None:
        self.windows = Windows(per_minute, self.windows.window_s)

    def set_base_url(self, url: str) -> None:
        self.base_url = url
        self.render.base_url = url

    # ---- plumbing ------------------------------------------------------------------------------------
    def routes_api(self) -> None:
        self.route("GET", "/me", lambda r: self.api(r, lambda: Response.json(self.render.me())))
        self.route("GET", "/admins", lambda r: self.api(r, lambda: Response.json({"type": "admin.list", "admins": [
            self.render.admin(a) for a in self.dataset.agents() if not a.deleted]})))
        self.route("GET", "/admins/{admin_id}", self.get_admin)
        self.route("GET", "/teams", lambda r: self.api(r, lambda: Response.json(
            {"type": "team.list", "teams": self.render.teams()})))
        self.route("GET", "/tags", lambda r: self.api(r, lambda: Response.json({"type": "list",
                                                                               "data": self.render.tags()})))
        self.route("GET", "/conversations/attributes", lambda r: self.api(r, lambda: Response.json(
            {"type": "list", "data": self.render.attributes()})))
        self.route("POST", "/conversations/search", self.search_conversations)
        self.route("GET", "/conversations/deleted", self.list_deleted)
        self.route("GET", "/conversations/{conversation_id}", self.get_conversation)
        self.route("GET", "/contacts", self.list_contacts)
        self.route("POST", "/contacts/search", self.search_contacts)
        self.route("GET", "/companies/{company_id}", self.get_company)
        self.route("GET", "/i/o/{aid}/{sig}/{name}", self.download)

    def dispatch(self, request: Request) -> Response:
        """VendorApp's routing, with every API request and answer checked against the document."""
        if request.path.startswith("/i/o/"):
            return super().dispatch(request)  # the download host is not part of the API
        template = next((pattern for method, regex, pattern, _h in self.routes
                         if method == request.method and regex.match(request.path)), None)
        if template is None:
            return error(404, "not_found", "Resource Not Found")
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            with self.lock:
                self.calls["401"] += 1
            return error(401, "unauthorized", "Access Token Invalid")  # before any other check, like Intercom
        checked = spec.request_for(base_url=self.base_url, method=request.method, path=request.path,
                                   query=request.query, headers=request.headers, body=request.body)
        version = request.headers.get("intercom-version")
        with self.lock:
            self.calls[f"version {version or 'missing'}"] += 1
        if version is not None and version not in VERSIONS:
            return error(400, "intercom_version_invalid", "The Intercom-Version header is not a valid version.")
        problem = spec.check_request(checked)
        if problem:
            self._violation(f"request {request.method} {template}: {problem}")
            return error(400, "parameter_invalid", f"Request does not match Intercom's API: {problem}")
        response = super().dispatch(request)
        problem = spec.check_response(checked, template=template, status=response.status, body=response.body)
        if problem:
            self._violation(f"answer {response.status} {request.method} {template}: {problem}")
        return response

    def _violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)

    def api(self, request: Request, handler: Any) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if token in self.foreign_tokens:
            if self.strict:  # strict: a token of another region's workspace is refused as forbidden
                return error(403, "forbidden", "The access token is not valid for this region.")
            return error(401, "unauthorized", "Access Token Invalid")
        scopes = self.tokens.get(token)
        if scopes is None:
            with self.lock:
                self.calls["401"] += 1
            return error(401, "unauthorized", "Access Token Invalid")  # no rate-limit headers without a token
        now = time.time()
        with self.lock:
            if now < self._blocked_until:
                self.calls["early_retries"] += 1
            allowed, limit, remaining, reset = self.windows.take(now)
            if self._refusals > 0:
                self._refusals -= 1
                allowed, remaining, reset = False, 0, math.ceil(now + self._retry_after)
            if not allowed:
                self.calls["429"] += 1
                self._blocked_until = max(self._blocked_until, reset)
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                   "X-RateLimit-Reset": str(reset), "Date": email.utils.formatdate(now, usegmt=True)}
        if not allowed:
            return error(429, "rate_limit_exceeded", f"Exceeded rate limit of {limit} in "
                         f"{self.windows.window_s}_seconds", headers)
        needed = next((scope for prefix, scope in SCOPE_OF if request.path.startswith(prefix)), None)
        refused = self.refused.get(request.path)
        if refused:
            response = error(refused, {403: "forbidden", 404: "not_found"}.get(refused, "parameter_invalid"),
                             "Resource Not Found" if refused == 404 else "Refused by the test")
        elif needed and needed not in scopes:
            response = error(403, "forbidden", f"You do not have the required scope ({needed}) to access this resource")
        else:
            response = handler()
        response.headers.update(headers)
        return response

    # ---- admins, companies -----------------------------------------------------------------------------
    def get_admin(self, request: Request) -> Response:
        def run() -> Response:
            agent = next((a for a in self.dataset.agents() if a.source_id == request.params["admin_id"]
                          and not a.deleted), None)
            return Response.json(self.render.admin(agent)) if agent else error(404, "not_found", "Admin Not Found")

        return self.api(request, run)

    def get_company(self, request: Request) -> Response:
        def run() -> Response:
            company = self.render.company(request.params["company_id"])
            return Response.json(company) if company else error(404, "company_not_found", "Company Not Found")

        return self.api(request, run)

    # ---- conversations ---------------------------------------------------------------------------------
    def _live(self, i: int) -> bool:
        return self.dataset.exists(i) and self.dataset.deleted_revision(i) is None

    def search_conversations(self, request: Request) -> Response:
        def run() -> Response:
            body = json.loads(request.body or b"{}")
            query, paging = body.get("query"), body.get("pagination") or {}
            per_page = int(paging.get("per_page") or 20)
            if not 1 <= per_page <= 150:
                return error(400, "parameter_invalid", "per_page must be between 1 and 150")
            try:
                match = search.compile_query(query, fields=CONVERSATION_FIELDS, zone=self.zone,
                                             day_precision=self.strict)
                offset = search.decode_cursor(paging.get("starting_after"), query)
            except search.QueryError as exc:
                return error(400, "parameter_invalid", str(exc))
            candidates = search.id_candidates(query)
            ids = ([int(c) for c in candidates if c.isdigit()] if candidates is not None
                   else range(1, self.dataset.total_ticket_ids() + 1))
            found = [i for i in ids if self._live(i) and match(_LazyDoc(self, i))]
            if self.strict:
                found.sort()  # strict: creation order
            else:  # newest update first
                found.sort(key=lambda i: (self.dataset.updated_at(i), i), reverse=True)
            page = found[offset:offset + per_page]
            pages: dict[str, Any] = {"type": "pages", "page": offset // per_page + 1, "per_page": per_page,
                                     "total_pages": math.ceil(len(found) / per_page)}
            if offset + per_page < len(found):
                pages["next"] = {"per_page": per_page,
                                 "starting_after": search.encode_cursor(offset + per_page, query)}
            return Response.json({"type": "conversation.list", "pages": pages, "total_count": len(found),
                                  "conversations": [self.render.conversation(i, with_parts=False) for i in page]})

        return self.api(request, run)

    def get_conversation(self, request: Request) -> Response:
        def run() -> Response:
            raw = request.params["conversation_id"]
            cid = int(raw) if raw.isdigit() else -1
            if not self._live(cid):
                return error(404, "not_found", "Resource Not Found")
            with self.lock:
                self.served.append(cid)
            return Response.json(self.render.conversation(cid, with_parts=True))

        return self.api(request, run)

    def list_deleted(self, request: Request) -> Response:
        def run() -> Response:
            q = request.query
            page, per_page = int(q.get("page") or 1), int(q.get("per_page") or 20)
            if per_page > 60 or page < 1:
                return error(400, "parameter_invalid", "per_page must be at most 60")
            gone = [(epoch(self.dataset.updated_at(i)), i) for i in range(1, self.dataset.total_ticket_ids() + 1)
                    if self.dataset.deleted_revision(i) is not None]
            gone.sort(reverse=q.get("order", "desc") != "asc")
            chunk = gone[(page - 1) * per_page:page * per_page]
            total_pages = max(1, math.ceil(len(gone) / per_page))
            pages: dict[str, Any] = {"type": "pages", "page": page, "per_page": per_page, "total_pages": total_pages}
            if page < total_pages:
                pages["next"] = (f"{self.base_url}/conversations/deleted?per_page={per_page}"
                                 f"&order={q.get('order', 'desc')}&page={page + 1}")
            return Response.json({"type": "conversations.list", "total_count": len(gone), "pages": pages,
                                  "conversations": [{"type": "conversation", "id": str(i), "metrics_retained": False,
                                                     "deleted_at": at} for at, i in chunk]})

        return self.api(request, run)

    # ---- contacts --------------------------------------------------------------------------------------
    def _contact_ids(self, candidates: list[str] | None) -> list[int]:
        if candidates is None:
            return list(range(CONTACT_ID_OFFSET + 1, CONTACT_ID_OFFSET + self.dataset.contact_count + 1))
        return [int(c) for c in candidates if c.isdigit()]

    def list_contacts(self, request: Request) -> Response:
        def run() -> Response:
            ids = [i for i in self._contact_ids(None) if str(i) not in self.merged_contacts]
            data = [self.render.contact(self.dataset.contact_by_id(str(i))) for i in ids[:50]]
            return Response.json({"type": "list", "data": data, "total_count": len(ids),
                                  "pages": {"type": "pages", "page": 1, "per_page": 50,
                                            "total_pages": math.ceil(len(ids) / 50)}})

        return self.api(request, run)

    def search_contacts(self, request: Request) -> Response:
        def run() -> Response:
            body = json.loads(request.body or b"{}")
            query, paging = body.get("query"), body.get("pagination") or {}
            per_page = int(paging.get("per_page") or 50)
            try:
                match = search.compile_query(query, fields=CONTACT_FIELDS, zone=self.zone, day_precision=True)
                offset = search.decode_cursor(paging.get("starting_after"), query)
            except search.QueryError as exc:
                return error(400, "parameter_invalid", str(exc))
            found = []
            for i in self._contact_ids(search.id_candidates(query)):
                contact = self.dataset.contact_by_id(str(i))
                if contact is None or str(i) in self.merged_contacts:  # merged contacts are not searchable
                    continue
                rendered = self.render.contact(contact)
                if match(rendered):
                    found.append(rendered)
            pages: dict[str, Any] = {"type": "pages", "page": offset // per_page + 1, "per_page": per_page,
                                     "total_pages": math.ceil(len(found) / per_page)}
            if offset + per_page < len(found):
                pages["next"] = {"per_page": per_page, "starting_after": search.encode_cursor(offset + per_page, query)}
            return Response.json({"type": "list", "data": found[offset:offset + per_page],
                                  "total_count": len(found), "pages": pages})

        return self.api(request, run)

    # ---- downloads (the CDN: no token, no rate limit) ----------------------------------------------------
    def download(self, request: Request) -> Response:
        p = request.params
        if not self.render.downloads.valid(p["aid"], p["sig"], request.query.get("expires", "")):
            with self.lock:
                self.calls["expired_downloads"] += 1
            return Response(403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                            {"Content-Type": "application/xml"})
        attachment = self.render.attachment(p["aid"])
        if attachment is None:
            return Response(404, b"Not Found", {"Content-Type": "text/plain"})
        size = attachment.size or 0
        return Response(200, headers={"Content-Type": attachment.content_type},
                        stream=self.dataset.attachment_bytes(attachment.source_id, size), length=size)


class _LazyDoc(dict):
    """A conversation's searchable fields, computed on first use: `updated_at` and `id` cost nothing, the
    rest needs the ticket generated."""

    def __init__(self, app: IntercomApp, i: int) -> None:
        super().__init__(id=str(i), updated_at=epoch(app.dataset.updated_at(i)))
        self._app, self._i = app, i

    def __missing__(self, key: str) -> Any:
        self.update(self._app.render.search_doc(self._i))
        return self[key]
