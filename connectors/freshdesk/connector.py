"""Freshdesk (API v2) source connector: config `{"url": "https://<domain>.freshdesk.com", "api_key": ...}`.

Calls per ticket: one `GET /tickets/{id}?include=conversations,requester` (description, attachments, the
first ten conversations and the requester in one answer), plus conversation pages only for tickets with
more than ten. List pages cost one call per 100 tickets. Detail calls of one page run a few at a time,
so a slow vendor round trip does not leave the plan's per-minute budget unused.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from connectors.base import (
    PERMANENT_STATUSES,
    Agent,
    Attachment,
    CheckResult,
    ConfigField,
    Contact,
    InvalidConfig,
    NotFound,
    PermanentRefusal,
    SourceConnector,
    Ticket,
    TicketPage,
    VendorError,
    as_object,
    unreadable_ticket,
)
from connectors.freshdesk.companies import CompanySource, FieldLabels
from connectors.freshdesk.mapping import (
    AccountMeta,
    agent_from,
    contact_from,
    deleted_stub,
    mailbox_of,
    ticket_from,
)
from connectors.freshdesk.solutions import FreshdeskSolutions
from connectors.freshdesk.stream import MergedTicketList, PageCapReached, parse_time
from connectors.http import HttpClient, RetryPolicy, guard_url
from connectors.source_http import RetryAfterGate, raise_for_status, stream_get

CHECK_RETRY = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=1.0)
SERVICE = "Freshdesk"
MAX_PER_PAGE = 100
INCLUDED_CONVERSATIONS = 10  # `include=conversations` returns at most ten


def normalise_url(raw: str) -> str:
    """Accept `acme`, `acme.freshdesk.com` or a full URL; keep scheme + host (+ port) only."""
    raw = (raw or "").strip().rstrip("/")
    if not raw:
        raise InvalidConfig("Freshdesk URL is required.")
    if re.fullmatch(r"[A-Za-z0-9-]+", raw):
        raw = f"{raw}.freshdesk.com"
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if not parts.hostname:
        raise InvalidConfig("Freshdesk URL must look like https://yourcompany.freshdesk.com.")
    return guard_url(f"{parts.scheme}://{parts.netloc}")


class FreshdeskConnector(FreshdeskSolutions, CompanySource, SourceConnector):
    key: ClassVar[str] = "freshdesk"
    label: ClassVar[str] = "Freshdesk"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("url", "Freshdesk URL", kind="url", placeholder="https://yourcompany.freshdesk.com",
                    help_text="The address of your Freshdesk help desk."),
        ConfigField("api_key", "API key", kind="secret",
                    help_text="An administrator's API key: Profile settings → View API key."),
    )
    features: ClassVar[frozenset[str]] = frozenset({"mailboxes"})

    def __init__(self, config: dict[str, Any]) -> None:
        cleaned = self.validate_config(config)
        super().__init__(cleaned)
        self.base_url = cleaned["url"]
        self.per_page = max(1, min(MAX_PER_PAGE, int(config.get("page_size") or MAX_PER_PAGE)))
        self.workers = max(1, int(config.get("detail_workers") or 4))
        token = base64.b64encode(f"{cleaned['api_key']}:X".encode()).decode()
        self.gate = RetryAfterGate(concurrency=self.workers)
        self.http = HttpClient(self.base_url, headers={"Authorization": f"Basic {token}",
                                                       "Accept": "application/json"},
                               service_name=SERVICE, pacer=self.gate)
        self._meta: AccountMeta | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._users: dict[str, Contact | None] = {}  # user id -> contact read by id (None: not found)
        self._users_lock = threading.Lock()
        self._labels: dict[str, FieldLabels] = {}  # "company_fields" / "contact_fields"
        self._records: dict[str, dict[str, Any] | None] = {}  # contact id -> /contacts/{id} (None: gone)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        cleaned = super().validate_config(config)
        cleaned["url"] = normalise_url(cleaned["url"])
        return cleaned

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()

    # ---- plumbing ----------------------------------------------------------------------------------
    def _get(self, path: str, *, what: str, params: dict[str, Any] | None = None, ok404: bool = False,
             account_level: bool = True) -> Any:
        """`account_level`: a listing of the account (not one record): a 400/403/404/405/422 there is
        permanent (PermanentRefusal, the engine pauses the run at once instead of waiting)."""
        route = "GET " + re.sub(r"/\d+", "/:id", urlsplit(path).path)
        response = self.http.request("GET", path, params=params, route=route)
        if ok404 and response.status_code == 404:
            return None
        if account_level and response.status_code in PERMANENT_STATUSES and response.status_code != 401:
            raise PermanentRefusal.for_listing(service=SERVICE, endpoint=route, status=response.status_code,
                                               what=what)
        raise_for_status(response, service=SERVICE, what=what)
        return response

    def _pages(self, path: str, *, what: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Follow `Link: rel="next"` until the list ends."""
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": MAX_PER_PAGE, **(params or {})}
        while url:
            response = self._get(url, what=what, params=query)
            body = _json(response, what)
            yield from (i for i in (body if isinstance(body, list) else []) if isinstance(i, dict))
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries every parameter

    @property
    def meta(self) -> AccountMeta:
        if self._meta is None:
            fields = self.optional("Freshdesk's ticket fields", lambda: _json(self._get(
                "/api/v2/ticket_fields", what="the ticket fields"), "the ticket fields"), [],
                without="statuses are shown by their number and custom fields by their API name.")
            self._meta = AccountMeta.from_fields(fields if isinstance(fields, list) else [], self.agents())
            self._meta.groups_as_mailboxes = self._groups_as_mailboxes()
        return self._meta

    def user(self, user_id: str) -> Contact | None:
        """A person a ticket names who is neither a current agent nor its requester: a deleted agent
        (Freshdesk turns one into a contact), a CC who replied... read once by id, cached."""
        with self._users_lock:
            if user_id in self._users:
                return self._users[user_id]
        found = None
        if user_id.isdigit():
            response = self._get(f"/api/v2/contacts/{user_id}", what=f"contact {user_id}", ok404=True,
                                 account_level=False)
            body = _json(response, f"contact {user_id}") if response is not None else None
            found = contact_from(body) if isinstance(body, dict) else None
        with self._users_lock:
            self._users[user_id] = found
        return found

    # ---- SourceConnector -------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """Asked while a person waits in the wizard: retry briefly, then say what is wrong."""
        patient, self.http.retry = self.http.retry, CHECK_RETRY
        try:
            return self._check()
        finally:
            self.http.retry = patient

    def _check(self) -> CheckResult:
        me = _json(self._get("/api/v2/agents/me", what="your agent profile", account_level=False), "your profile")
        me = me if isinstance(me, dict) else {}
        host = urlsplit(self.base_url).hostname or self.base_url
        contact = me.get("contact") or {}
        return CheckResult(account_name=host.split(".")[0] if host.endswith(".freshdesk.com") else host,
                           user_email=contact.get("email"), details={"agent_id": me.get("id")},
                           account_id=self.base_url)  # one Freshdesk account per help desk address

    def agents(self) -> list[Agent]:
        """Current agents (active and deactivated). Freshdesk turns a deleted agent into a contact: their
        tickets then point at an id that is not in this list, which the mapping sends to the default teammate."""
        return [agent_from(a) for a in self._pages("/api/v2/agents", what="the agents") if a.get("id") is not None]

    def mailboxes(self) -> list[tuple[str, str]]:
        """Freshdesk products (brands with their own support address) are the mailboxes a filter can pick;
        an account without products (or whose plan does not list them) sorts tickets into groups, listed
        instead as `group:<id>`. Neither listing is needed to migrate: without them, no mailbox filter."""
        listed = self.optional("Freshdesk products", lambda: list(self._pages("/api/v2/products", what="the products")),
                               [], without="tickets are sorted by group instead.")
        products = [(str(p["id"]), str(p.get("name") or p["id"])) for p in listed if p.get("id") is not None]
        if products:
            return products
        groups = self.optional("Freshdesk groups", lambda: list(self._pages("/api/v2/groups", what="the groups")),
                               [], without="tickets cannot be filtered by group.")
        return [(f"group:{g['id']}", str(g.get("name") or g["id"])) for g in groups if g.get("id") is not None]

    def _groups_as_mailboxes(self) -> bool:
        boxes = self.mailboxes()
        return bool(boxes) and all(box.startswith("group:") for box, _ in boxes)

    def count(self, what: str, *, filter: dict[str, Any] | None = None) -> int:
        if what == "agents":
            return len(self.agents())
        if what == "contacts":
            return self._contact_count()
        return self._ticket_count(filter)

    def _ticket_count(self, filter: dict[str, Any] | None) -> int:
        """The search API's `total` (one call); where search refuses the query, count the list instead."""
        clauses = ["created_at:>'1970-01-01'"]
        box = str((filter or {}).get("mailbox_id") or "")
        if box:
            field, _, value = box.rpartition(":")
            clauses.append(f"group_id:{int(value)}" if field == "group" else f"product_id:{int(value)}")
        if filter and filter.get("group_id"):
            clauses.append(f"group_id:{int(filter['group_id'])}")
        if not (filter and filter.get("tags")):
            query = '"' + " AND ".join(clauses) + '"'
            response = self.http.request("GET", "/api/v2/search/tickets", params={"query": query},
                                         route="GET /api/v2/search/tickets")
            if response.status_code == 200:
                return _total(response, "the ticket count")
            if response.status_code not in (400, 403, 404):
                raise_for_status(response, service=SERVICE, what="the ticket count")
        lists = MergedTicketList(self._list_page, per_page=MAX_PER_PAGE, since=None, cursor=None, kinds=("live",))
        count = 0
        while (nxt := lists.next()) is not None:
            count += self._wanted(nxt[1], filter)
        return count

    def _contact_count(self) -> int:
        response = self.http.request("GET", "/api/v2/search/contacts", route="GET /api/v2/search/contacts",
                                     params={"query": "\"created_at:>'1970-01-01'\""})
        if response.status_code == 200:
            return _total(response, "the contact count")
        return sum(1 for _ in self._pages("/api/v2/contacts", what="the contacts"))

    def tickets(self, *, since: datetime | None = None, ids: list[str] | None = None,
                filter: dict[str, Any] | None = None, cursor: dict[str, Any] | None = None) -> Iterator[TicketPage]:
        if ids is not None:
            yield from self._tickets_by_id(ids, cursor)
            return
        lists = MergedTicketList(self._list_page, per_page=self.per_page, since=since,
                                 cursor=(cursor or {}).get("windows"))
        while True:
            picked: list[tuple[str, dict[str, Any]]] = []
            while len(picked) < self.per_page:
                nxt = lists.next()
                if nxt is None:
                    break
                if self._wanted(nxt[1], filter):
                    picked.append(nxt)
            exhausted = len(picked) < self.per_page
            tickets = self.identified(self._build(picked))
            yield TicketPage(tickets=tickets, cursor=None if exhausted else {"windows": lists.cursor()},
                             deleted_ticket_ids=[t.source_id for t in tickets if t.deleted])
            if exhausted:
                return

    @staticmethod
    def _wanted(item: dict[str, Any], filter: dict[str, Any] | None) -> bool:
        if not filter:
            return True
        box = str(filter.get("mailbox_id") or "")
        if box and mailbox_of(item, groups=box.startswith("group:")) != box:
            return False
        if filter.get("group_id") and str(item.get("group_id")) != str(filter["group_id"]):
            return False
        wanted_tags = set(filter.get("tags") or [])
        return not wanted_tags or bool(wanted_tags & set(item.get("tags") or []))

    def _list_page(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        response = self.http.request("GET", "/api/v2/tickets", params=params, route="GET /api/v2/tickets")
        if response.status_code == 400 and params.get("page", 1) > 1 and _page_refused(response):
            raise PageCapReached
        if response.status_code in PERMANENT_STATUSES and response.status_code != 401:
            raise PermanentRefusal.for_listing(service=SERVICE, endpoint="GET /api/v2/tickets",
                                               status=response.status_code, what="the ticket list")
        raise_for_status(response, service=SERVICE, what="the ticket list")
        body = _json(response, "the ticket list")
        items = [i for i in (body if isinstance(body, list) else []) if _listable(i)]
        return items, "next" in response.links

    def _build(self, picked: list[tuple[str, dict[str, Any]]]) -> list[Ticket]:
        meta = self.meta
        live = [item["id"] for kind, item in picked if kind == "live"]
        details = dict(zip(live, self._map(self._detail, live), strict=True))
        out = []
        for kind, item in picked:
            if kind == "live" and details.get(item["id"]) is not None:
                out.append(details[item["id"]])
            elif kind != "live":
                out.append(deleted_stub({**item, "spam": kind == "spam" or item.get("spam")}, meta, self.base_url))
        return out

    def _map(self, fn: Any, items: list[Any]) -> list[Any]:
        if self.workers == 1 or len(items) < 2:
            return [fn(i) for i in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="freshdesk")
        return list(self._pool.map(fn, items))

    def _detail(self, ticket_id: int) -> Ticket | None:
        response = self._get(f"/api/v2/tickets/{ticket_id}", what=f"ticket {ticket_id}", ok404=True,
                             params={"include": "conversations,requester"}, account_level=False)
        if response is None:
            return None  # deleted for good between the list and now
        detail = _json(response, f"ticket {ticket_id}")
        if not isinstance(detail, dict):
            return unreadable_ticket(ticket_id, service=SERVICE, error=TypeError("not an object"))
        conversations = detail.pop("conversations", None) or []
        if not isinstance(conversations, list) or len(conversations) >= INCLUDED_CONVERSATIONS:
            conversations = list(self._pages(f"/api/v2/tickets/{ticket_id}/conversations",
                                             what=f"the conversations of ticket {ticket_id}"))
        people = {str(c.get("user_id")) for c in conversations if isinstance(c, dict) and c.get("user_id")}
        requester = as_object(detail.get("requester"))
        unknown = people - set(self.meta.agents) - {str(detail.get("requester_id")), str(requester.get("id"))}
        users = {u: found for u in sorted(unknown) if (found := self.user(u)) is not None}
        return ticket_from(detail, conversations, self.meta, self.base_url, users=users)

    def _tickets_by_id(self, ids: list[str], cursor: dict[str, Any] | None) -> Iterator[TicketPage]:
        offset = int((cursor or {}).get("ids_offset", 0))
        if offset >= len(ids):
            yield TicketPage(tickets=[], cursor=None)
        while offset < len(ids):
            chunk = ids[offset:offset + self.per_page]
            offset += len(chunk)
            wanted = [int(x) for x in chunk if str(x).isdigit()]
            tickets = [t for t in self._map(self._detail, wanted) if t is not None]
            yield TicketPage(tickets=tickets, cursor={"ids_offset": offset} if offset < len(ids) else None,
                             deleted_ticket_ids=[t.source_id for t in tickets if t.deleted])

    # ---- attachments ---------------------------------------------------------------------------------
    def download(self, attachment: Attachment) -> Iterator[bytes]:
        """Fetch just in time; an expired link is refreshed by reading the ticket/conversation again."""
        url, _, locator = (attachment.url or "").partition("#")
        what = f"the attachment {attachment.filename!r}"
        if not url:
            raise NotFound(f"Freshdesk gave no link for {what}.")
        if attachment.inline:
            status, chunks = stream_get(self.http, url, service=SERVICE, what=what, send_credentials=False)
            if chunks is None:
                raise_for_status_code(status, what)
            return chunks  # type: ignore[return-value]
        if _expired(url):
            url = self._fresh_link(attachment, locator)
        status, chunks = stream_get(self.http, url, service=SERVICE, what=what, send_credentials=False)
        if chunks is None and status in (400, 403):  # S3 answers 403 "Request has expired"
            url = self._fresh_link(attachment, locator)
            status, chunks = stream_get(self.http, url, service=SERVICE, what=what, send_credentials=False)
        if chunks is None:
            raise_for_status_code(status, what)
        return chunks  # type: ignore[return-value]

    def _fresh_link(self, attachment: Attachment, locator: str) -> str:
        where = {k: v[-1] for k, v in parse_qs(locator).items()}
        ticket_id = where.get("ticket")
        if not ticket_id:
            raise NotFound(f"The link of the attachment {attachment.filename!r} expired and cannot be renewed.")
        response = self._get(f"/api/v2/tickets/{ticket_id}", what=f"ticket {ticket_id}",
                             params={"include": "conversations"}, account_level=False)
        detail = _json(response, f"ticket {ticket_id}")
        holders = [detail, *(detail.get("conversations") or [])]
        conv_id = where.get("conversation")
        if conv_id and not any(str(c.get("id")) == conv_id for c in holders[1:]):
            holders.extend(self._pages(f"/api/v2/tickets/{ticket_id}/conversations",
                                       what=f"the conversations of ticket {ticket_id}"))
        for holder in holders:
            for item in holder.get("attachments") or []:
                if str(item.get("id")) == attachment.source_id and item.get("attachment_url"):
                    return item["attachment_url"]
        raise NotFound(f"The attachment {attachment.filename!r} is no longer on the Freshdesk ticket.")


def _json(response: Any, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise VendorError(f"Freshdesk sent {what} in an unexpected form (not JSON).") from None


def _total(response: Any, what: str) -> int:
    body = _json(response, what)
    try:
        return int(body.get("total", 0))
    except (TypeError, ValueError, AttributeError):
        raise VendorError(f"Freshdesk sent {what} in an unexpected form.") from None


def _listable(item: Any) -> bool:
    """A list item the keyset windows can order (an id and an update time); others cannot be paged past."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), int) or isinstance(item.get("id"), bool):
        return False
    try:
        parse_time(item["updated_at"])
    except (TypeError, ValueError, AttributeError, KeyError):
        return False
    return True


def raise_for_status_code(status: int, what: str) -> None:
    if status == 404:
        raise NotFound(f"Freshdesk no longer has {what}.")
    raise VendorError(f"Freshdesk refused to hand over {what} (error {status}).")


def _page_refused(response: Any) -> bool:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return False
    return any(e.get("field") == "page" for e in errors if isinstance(e, dict))


def _expired(url: str) -> bool:
    """Pre-signed links carry their issue time and lifetime (S3 v4: X-Amz-Date + X-Amz-Expires; v2: Expires)."""
    query = {k.lower(): v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    now = datetime.now(UTC).timestamp()
    try:
        if "expires" in query:
            return now >= float(query["expires"]) - 5
        if "x-amz-date" in query and "x-amz-expires" in query:
            raw = query["x-amz-date"]
            issued = float(raw) if raw.isdigit() else datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=UTC).timestamp()
            return now >= issued + float(query["x-amz-expires"]) - 5
    except ValueError:
        return False
    return False
