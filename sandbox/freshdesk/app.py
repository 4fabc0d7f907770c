"""Freshdesk API v2 stand-in: routes, Basic auth with an API key, per-plan rate limit, paging limits.

What it copies from the public reference because connectors trip on it:
- `GET /api/v2/tickets` without `updated_since` returns only tickets created in the last 30 days;
- `per_page` is at most 100 and `page` at most 300 (beyond: 400 "Validation failed"), so an account of
  more than 30,000 tickets cannot be read by paging one window;
- deleted and spam tickets are left out of the list unless `filter=deleted` / `filter=spam`;
- the next page is announced by a `Link: <...>; rel="next"` header;
- `X-RateLimit-Total`, `X-RateLimit-Remaining`, `X-RateLimit-Used-CurrentRequest` on every answer, 429 with
  `Retry-After` when the minute's budget is spent;
- attachment links are pre-signed and expire; inline images live only in the HTML body.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from connectors.sample.generator import SampleDataset
from sandbox.freshdesk import companies, solutions
from sandbox.freshdesk.render import GROUPS, PRODUCTS, AttachmentSigner, FreshdeskRenderer, inline_id
from sandbox.vendorhttp import MinuteWindow, Request, Response, VendorApp

MAX_PER_PAGE = 100
MAX_PAGE = 300
INCLUDES = {"requester", "stats", "description", "conversations", "company"}


def _validation(field: str, message: str, code: str = "invalid_value") -> Response:
    return Response.json({"description": "Validation failed",
                          "errors": [{"field": field, "message": message, "code": code}]}, 400)


def _parse_time(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class FreshdeskApp(VendorApp):
    service = "freshdesk"

    def __init__(self, *, tickets: int = 100, seed: int = 1, revision: int = 0, api_key: str = "fd-api-key",
                 rpm: int | None = None, window_s: float = 60.0, page_cap: int = MAX_PAGE,
                 attachment_ttl_s: float = 300.0, time_quantum_s: int = 1, minimal: bool = False,
                 spam_ids: set[int] | None = None, latency_ms: int = 0, since_exclusive: bool = False,
                 products: bool = True, strict: bool = False) -> None:
        super().__init__(latency_ms=latency_ms)
        self.dataset = SampleDataset(tickets=tickets, seed=seed, revision=revision)
        # strict: the other reading of every Freshdesk guess in docs/vendor-guesses.md.
        self.strict = strict
        self.refused: dict[str, int] = {}  # route pattern -> status answered (tests: refuse())
        self.api_key = api_key
        self.limit = MinuteWindow(rpm, window_s)
        self.page_cap = page_cap
        self.signer = AttachmentSigner(attachment_ttl_s)
        self.render = FreshdeskRenderer(self.dataset, self.signer, time_quantum_s=time_quantum_s,
                                        minimal=minimal, strict=strict)
        self.spam_ids = set(spam_ids or ())
        self.products = products  # False: an account without products (brands); tickets sort into groups
        self.render.products = products
        self.since_exclusive = since_exclusive or strict  # read `updated_since` as ">" instead of ">="
        self.now = datetime.now(UTC)
        self.routes_api()

    # ---- state changes tests use -------------------------------------------------------------------
    def set_revision(self, revision: int) -> None:
        """Replay `revision` rounds of changes (new replies, status changes, deletions, new tickets)."""
        with self.lock:
            self.dataset = SampleDataset(tickets=self.dataset.tickets, seed=self.dataset.seed, revision=revision)
            self.render.dataset = self.dataset

    def refuse(self, pattern: str, status: int = 404) -> None:
        """Answer every request for a route (e.g. "/api/v2/products") with `status`; 0 serves it again."""
        with self.lock:
            if status:
                self.refused[pattern] = status
            else:
                self.refused.pop(pattern, None)

    def dispatch(self, request: Request) -> Response:
        refused = dict(self.refused)
        if self.strict:  # strict: a plan whose API does not list products
            refused.setdefault("/api/v2/products", 404)
        for pattern, status in refused.items():
            if re.match("^" + re.sub(r"\{(\w+)\}", r"[^/]+", pattern) + "$", request.path):
                return self.api(request, lambda s=status: Response.json(
                    {"code": "access_denied" if s == 403 else "not_found",
                     "message": "You are not authorized to perform this action." if s == 403 else "Not found"}, s))
        return super().dispatch(request)

    def expire_attachment_links(self) -> None:
        self.signer.expire_all()

    def set_base_url(self, url: str) -> None:
        self.base_url = url
        self.render.dataset_base_url = url

    # ---- plumbing ------------------------------------------------------------------------------------
    def routes_api(self) -> None:
        api = "/api/v2"
        self.route("GET", f"{api}/agents/me", self.agents_me)
        self.route("GET", f"{api}/agents", self.list_agents)
        self.route("GET", f"{api}/contacts", self.list_contacts)
        self.route("GET", f"{api}/contacts/{{id}}", self.get_contact)
        self.route("GET", f"{api}/groups", lambda r: self.api(r, lambda: Response.json(
            [{"id": gid, "name": name, "description": None, "agent_ids": []} for gid, name in GROUPS])))
        self.route("GET", f"{api}/products", lambda r: self.api(r, lambda: Response.json(
            [{"id": pid, "name": name, "description": None, "primary_email": f"{name.split()[-1].lower()}@acme.test"}
             for pid, name in PRODUCTS] if self.products else [])))
        self.route("GET", f"{api}/ticket_fields", lambda r: self.api(r, lambda: Response.json(
            self.render.ticket_fields())))
        self.route("GET", f"{api}/tickets", self.list_tickets)
        self.route("GET", f"{api}/tickets/{{id}}", self.get_ticket)
        self.route("GET", f"{api}/tickets/{{id}}/conversations", self.list_conversations)
        self.route("GET", f"{api}/search/tickets", self.search_tickets)
        self.route("GET", f"{api}/search/contacts", self.search_contacts)
        self.route("GET", "/s3/attachments/{id}/{name}", self.download)
        self.route("GET", "/inline/attachment", self.download_inline)
        companies.add_routes(self)  # companies, company and contact fields (sandbox/freshdesk/companies.py)
        solutions.add_routes(self)  # Solutions: categories, folders, articles (sandbox/freshdesk/solutions.py)

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, _password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.api_key

    def api(self, request: Request, handler: Any, cost: int = 1) -> Response:
        """Auth, then the rate limit, then the handler; rate-limit headers on every answer."""
        if not self.authorized(request):
            return Response.json({"code": "invalid_credentials",
                                  "message": "You have to be logged in to perform this action."}, 401)
        injected = self.refusal()
        allowed, remaining, reset = self.limit.take(cost) if injected is None else (False, 0, injected)
        headers = {"X-RateLimit-Total": str(self.limit.limit or 1_000_000),
                   "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Used-CurrentRequest": str(cost)}
        if not allowed:
            if injected is None:
                self.note_refusal(max(1, math.ceil(reset)))
            retry = max(1, int(reset + 0.999))
            return Response.json({"message": "You have exceeded the limit of requests per minute"}, 429,
                                 {**headers, "Retry-After": str(retry)})
        response = handler()
        response.headers.update(headers)
        return response

    def paging(self, request: Request, default_per_page: int = 30) -> tuple[int, int] | Response:
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", str(default_per_page)))
        except ValueError:
            return _validation("page", "It should be a Positive Integer")
        if per_page < 1 or per_page > MAX_PER_PAGE:
            return _validation("per_page", f"It should be a Positive Number less than or equal to {MAX_PER_PAGE}")
        if page < 1:
            return _validation("page", "It should be a Positive Integer")
        if page > self.page_cap:
            return _validation("page", f"The page number should be less than or equal to {self.page_cap}")
        return page, per_page

    def page_of(self, request: Request, items: Iterator[Any], page: int, per_page: int
                ) -> tuple[list[Any], dict[str, str]]:
        """Slice one page out of a lazy sequence; a Link rel=next header when more follow."""
        out: list[Any] = []
        skip = (page - 1) * per_page
        more = False
        for n, item in enumerate(items):
            if n < skip:
                continue
            if len(out) == per_page:
                more = True
                break
            out.append(item)
        headers = {}
        if more:
            query = {**request.query, "page": str(page + 1), "per_page": str(per_page)}
            headers["Link"] = f'<{self.base_url}{request.path}?{urlencode(query)}>; rel="next"'
        return out, headers

    # ---- people ----------------------------------------------------------------------------------------
    def agents_me(self, request: Request) -> Response:
        return self.api(request, lambda: Response.json(self.render.agents()[0]))

    def list_agents(self, request: Request) -> Response:
        paging = self.paging(request)
        if isinstance(paging, Response):
            return paging

        def run() -> Response:
            items, headers = self.page_of(request, iter(self.render.agents()), *paging)
            return Response.json(items, headers=headers)

        return self.api(request, run)

    def _contact_ids(self) -> Iterator[int]:
        from connectors.sample.generator import CONTACT_ID_OFFSET

        return iter(range(CONTACT_ID_OFFSET + 1, CONTACT_ID_OFFSET + self.dataset.contact_count + 1))

    def list_contacts(self, request: Request) -> Response:
        paging = self.paging(request)
        if isinstance(paging, Response):
            return paging

        def run() -> Response:
            ids, headers = self.page_of(request, self._contact_ids(), *paging)
            return Response.json([self.render.contact(i) for i in ids], headers=headers)

        return self.api(request, run)

    def get_contact(self, request: Request) -> Response:
        def run() -> Response:
            contact = self.render.contact(int(request.params["id"])) if request.params["id"].isdigit() else None
            if contact is None:
                wanted = self.render.agent_of_user(request.params["id"])
                agent = next((a for a in self.dataset.agents() if a.source_id == wanted), None)
                if agent is None:
                    return Response.json({}, 404)
                # A deleted agent lives on as a contact.
                contact = {"id": int(request.params["id"]), "name": agent.name or "", "email": agent.email,
                           "other_emails": [], "phone": None, "mobile": None, "active": agent.active}
            return Response.json(contact)

        return self.api(request, run)

    # ---- tickets ---------------------------------------------------------------------------------------
    def _ticket_state(self, ticket_id: int) -> str:
        if self.dataset.deleted_revision(ticket_id) is not None:
            return "deleted"
        if ticket_id in self.spam_ids:
            return "spam"
        return "live"

    def _ticket_ids(self, *, since: datetime | None, state: str) -> Iterator[int]:
        """Ticket ids in updated_at order (ties by id), as the vendor reports the times."""
        floor = self.render.quantize(since) if since else None
        for _seg, ticket_id in self.dataset.ordered_ids(since=floor):
            if since is not None and (self.render.updated_at(ticket_id) < since or (
                    self.since_exclusive and self.render.updated_at(ticket_id) == since)):
                continue
            if self._ticket_state(ticket_id) == state:
                yield ticket_id

    def list_tickets(self, request: Request) -> Response:
        paging = self.paging(request)
        if isinstance(paging, Response):
            return paging
        q = request.query
        includes = {s for s in q.get("include", "").split(",") if s}
        if includes - {"requester", "stats", "description"}:
            return _validation("include", "It should be one of these values: 'requester,stats,description'")
        since = None
        if "updated_since" in q:
            since = _parse_time(q["updated_since"])
            if since is None:
                return _validation("updated_since", "It should be in the 'valid date time' format")
        order_by, order_type = q.get("order_by", "created_at"), q.get("order_type", "desc")
        if order_by not in ("created_at", "due_by", "updated_at", "status") or order_type not in ("asc", "desc"):
            return _validation("order_by", "It should be one of these values: 'created_at,due_by,updated_at,status'")
        state = q.get("filter", "live")
        if state not in ("live", "deleted", "spam"):
            return _validation("filter", "It should be one of these values: 'new_and_my_open,watching,spam,deleted'")

        def run() -> Response:
            if since is None:  # Freshdesk's default: only tickets created in the last 30 days
                window = self.now - timedelta(days=30)
                ids: Iterator[int] = (i for i in self._ticket_ids(since=None, state=state)
                                      if self.dataset.ticket(i).created_at >= window)
            else:
                ids = self._ticket_ids(since=since, state=state)
            if (order_by, order_type) != ("updated_at", "asc"):
                ids = iter(self._sorted(list(ids), order_by, order_type))
            page_ids, headers = self.page_of(request, ids, *paging)
            items = []
            for i in page_ids:
                item = self.render.ticket(i, spam=i in self.spam_ids, with_description="description" in includes)
                item.pop("attachments", None)  # the list never carries attachments
                if "requester" in includes and item.get("requester_id"):
                    item["requester"] = self.render.requester_embed(item["requester_id"])
                items.append(item)
            return Response.json(items, headers=headers)

        return self.api(request, run, cost=1 + len(includes))

    def _sorted(self, ids: list[int], order_by: str, order_type: str) -> list[int]:
        def key(i: int) -> Any:
            if order_by == "updated_at":
                return (self.render.updated_at(i), i)
            return (self.dataset.ticket(i).created_at, i)

        return sorted(ids, key=key, reverse=order_type == "desc")

    def get_ticket(self, request: Request) -> Response:
        includes = {s for s in request.query.get("include", "").split(",") if s}
        if includes - INCLUDES:
            return _validation("include", "It should be one of these values: 'conversations,requester,company,stats'")

        def run() -> Response:
            raw = request.params["id"]
            if not raw.isdigit() or not self.dataset.exists(int(raw)):
                return Response.json({}, 404)
            ticket_id = int(raw)
            with self.lock:
                self.served.append(ticket_id)
            item = self.render.ticket(ticket_id, spam=ticket_id in self.spam_ids)
            if "conversations" in includes:
                item["conversations"] = self.render.conversations(ticket_id)[:10]  # up to ten, oldest first
            if "requester" in includes and item.get("requester_id"):
                item["requester"] = self.render.requester_embed(item["requester_id"])
            return Response.json(item)

        return self.api(request, run, cost=1 + len(includes & {"conversations", "requester"}))

    def list_conversations(self, request: Request) -> Response:
        paging = self.paging(request)
        if isinstance(paging, Response):
            return paging

        def run() -> Response:
            raw = request.params["id"]
            if not raw.isdigit() or not self.dataset.exists(int(raw)):
                return Response.json({}, 404)
            items, headers = self.page_of(request, iter(self.render.conversations(int(raw))), *paging)
            return Response.json(items, headers=headers)

        return self.api(request, run)

    # ---- search (used for counts) -------------------------------------------------------------------
    def search_tickets(self, request: Request) -> Response:
        """Supports the clauses counts need: created_at:>'date', product_id:N, group_id:N joined by AND."""
        query = request.query.get("query", "").strip('"')
        clauses = [c.strip() for c in re.split(r"\bAND\b", query) if c.strip()]
        checks = []
        for clause in clauses:
            m = re.fullmatch(r"(created_at|updated_at):>'(\d{4}-\d{2}-\d{2})'", clause)
            if m:
                bound = _parse_time(m.group(2))
                field = m.group(1)
                checks.append(lambda i, f=field, b=bound: (self.render.updated_at(i) if f == "updated_at"
                                                           else self._created(i)) > b)
                continue
            m = re.fullmatch(r"(product_id|group_id):(\d+)", clause)
            if m:
                name, value = m.group(1), int(m.group(2))
                checks.append(lambda i, f=name, v=value: self._attr(i, f) == v)
                continue
            return _validation("query", f"Unsupported clause in the stand-in: {clause}")

        def run() -> Response:
            total = sum(1 for i in self._ticket_ids(since=None, state="live") if all(c(i) for c in checks))
            return Response.json({"results": [], "total": total})

        return self.api(request, run)

    def _created(self, ticket_id: int) -> datetime:
        if self.render.minimal:
            return self.render.updated_at(ticket_id)
        return self.dataset.ticket(ticket_id).created_at

    def _attr(self, ticket_id: int, field: str) -> int | None:
        if self.render.minimal:
            return None
        return self.render.ticket(ticket_id, with_description=False).get(field)

    def search_contacts(self, request: Request) -> Response:
        return self.api(request, lambda: Response.json({"results": [], "total": self.dataset.contact_count}))

    # ---- attachment bytes (pre-signed, no API auth, no API rate limit) -------------------------------
    def download(self, request: Request) -> Response:
        raw = request.params["id"]
        attachment = (self.render.attachment(int(raw)) or solutions.file_by_id(int(raw))) if raw.isdigit() else None
        if attachment is None:
            return Response(404, b"<Error><Code>NoSuchKey</Code></Error>", {"Content-Type": "application/xml"})
        if "authorization" in request.headers:  # what S3 says to a pre-signed URL sent with credentials
            return Response(400, b"<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed"
                            b"</Message></Error>", {"Content-Type": "application/xml"})
        if not self.signer.valid(int(raw), request.query):
            with self.lock:
                self.calls["expired_link"] += 1
            return Response(403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                            {"Content-Type": "application/xml"})
        return self._bytes(attachment.source_id, attachment.size or 0, attachment.content_type)

    def download_inline(self, request: Request) -> Response:
        attachment_id = inline_id(request.query.get("token", ""))
        attachment = (self.render.attachment(attachment_id) or solutions.file_by_id(attachment_id)) if attachment_id else None
        if attachment is None:
            return Response.json({}, 404)
        return self._bytes(attachment.source_id, attachment.size or 0, attachment.content_type)

    def _bytes(self, attachment_id: str, size: int, content_type: str) -> Response:
        return Response(200, headers={"Content-Type": content_type}, length=size,
                        stream=self.dataset.attachment_bytes(attachment_id, size))
