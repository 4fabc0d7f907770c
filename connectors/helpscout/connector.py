"""Help Scout (Mailbox API 2.0) source connector.

Config: `{"app_id", "app_secret", "mailbox_id" (optional until the wizard's mailbox step), "api_url"}`;
the OAuth token endpoint is `{api_url}/v2/oauth2/token`. Calls: one list call per 25 conversations with
their threads embedded (`embed=threads`), so a ticket costs ~1/25 of a call; a thread list only for a
conversation whose embedded threads are incomplete; attachments on demand from their data endpoint.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from connectors.base import (
    PERMANENT_STATUSES,
    Agent,
    Attachment,
    CheckResult,
    ConfigField,
    InvalidConfig,
    NotFound,
    PermanentRefusal,
    SourceConnector,
    Ticket,
    TicketPage,
    VendorError,
    as_object,
)
from connectors.helpscout.auth import HelpScoutAuth, TokenSource
from connectors.helpscout.docs import HelpScoutDocs
from connectors.helpscout.mapping import agent_from, ticket_from
from connectors.helpscout.organizations import HelpScoutPeople, Properties
from connectors.http import HttpClient, RetryPolicy, guard_url
from connectors.source_http import RetryAfterGate, raise_for_status

CHECK_RETRY = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=1.0)
SERVICE = "Help Scout"
DEFAULT_API_URL = "https://api.helpscout.net"
B64_CHUNK = 4 * 64 * 1024  # base64 characters per decoded chunk (a multiple of 4)


def fmt_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HelpScoutConnector(HelpScoutDocs, HelpScoutPeople, SourceConnector):
    key: ClassVar[str] = "helpscout"
    label: ClassVar[str] = "Help Scout"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("app_id", "App ID", help_text="Create an app under Your Profile → My Apps in Help Scout."),
        ConfigField("app_secret", "App Secret", kind="secret"),
        ConfigField("mailbox_id", "Mailbox id", required=False, placeholder="123456",
                    help_text="Optional: only this Help Scout mailbox. The inbox step also lets you pick one."),
        ConfigField("api_url", "API address", kind="url", required=False, placeholder=DEFAULT_API_URL,
                    help_text="Leave empty for Help Scout's own API."),
        ConfigField("docs_api_key", "Docs API key", kind="secret", required=False,
                    help_text="Optional: to move your Help Scout Docs articles. Docs has its own key: "
                              "Your Profile → Authentication → API Keys."),
        ConfigField("docs_api_url", "Docs API address", kind="url", required=False, placeholder="https://docsapi.helpscout.net",
                    help_text="Leave empty for Help Scout's own Docs API."),
    )
    features: ClassVar[frozenset[str]] = frozenset({"mailboxes"})

    def __init__(self, config: dict[str, Any]) -> None:
        cleaned = self.validate_config(config)
        super().__init__(cleaned)
        self.api_url = cleaned["api_url"]
        self.mailbox_id = cleaned.get("mailbox_id")
        self.tokens = TokenSource(f"{self.api_url}/v2/oauth2/token", cleaned["app_id"], cleaned["app_secret"])
        self.auth = HelpScoutAuth(self.tokens, api_host=urlsplit(self.api_url).netloc)
        self.gate = RetryAfterGate()
        self.http = HttpClient(self.api_url, headers={"Accept": "application/hal+json, application/json"},
                               service_name=SERVICE, pacer=self.gate, auth=self.auth)
        self._fields: dict[str, dict[str, Any]] | None = None
        # organizations and customers (connectors/helpscout/organizations.py)
        self._people_lock = threading.Lock()
        self._props: dict[str, Properties] = {}
        self._customers: dict[str, dict[str, Any] | None] = {}
        self._org_ids: dict[str, str] | None = None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        cleaned = super().validate_config(config)
        raw = (cleaned.get("api_url") or DEFAULT_API_URL).rstrip("/")
        parts = urlsplit(raw if "://" in raw else f"https://{raw}")
        if not parts.hostname:
            raise InvalidConfig("The Help Scout API address must look like https://api.helpscout.net.")
        cleaned["api_url"] = guard_url(f"{parts.scheme}://{parts.netloc}")
        if cleaned.get("mailbox_id") is not None:
            if not re.fullmatch(r"\d+", str(cleaned["mailbox_id"])):
                raise InvalidConfig("Mailbox must be a Help Scout mailbox id (a number).")
            cleaned["mailbox_id"] = str(cleaned["mailbox_id"])
        return cleaned

    def close(self) -> None:
        self.http.close()
        if "_docs" in self.__dict__:
            self.__dict__.pop("_docs").close()

    # ---- plumbing ----------------------------------------------------------------------------------
    def _get(self, path: str, *, what: str, params: dict[str, Any] | None = None,
             expect: tuple[int, ...] = (200,), account_level: bool = True) -> httpx.Response:
        """`account_level`: a listing of the account (not one record): a 400/403/404/405/422 there is
        permanent (PermanentRefusal, the engine pauses the run at once instead of waiting)."""
        route = "GET " + re.sub(r"/\d+", "/:id", urlsplit(path).path)
        response = self.http.request("GET", path, params=params, route=route)
        if response.status_code not in expect:
            status = response.status_code
            if account_level and status in PERMANENT_STATUSES and status != 401:
                raise PermanentRefusal.for_listing(service=SERVICE, endpoint=route, status=status, what=what)
            raise_for_status(response, service=SERVICE, what=what)
        return response

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise VendorError(f"Help Scout sent {what} in an unexpected form (not JSON).") from None
        if not isinstance(body, dict):
            raise VendorError(f"Help Scout sent {what} in an unexpected form.")
        return body

    def _hal(self, path: str, name: str, *, what: str, params: dict[str, Any] | None = None
             ) -> Iterator[dict[str, Any]]:
        """Every item of a HAL list: follows `_links.next`, or the `page` block's numbers when the answer
        has no next link (Help Scout documents both; neither is promised on every list)."""
        url: str | None = path
        query = dict(params or {})
        while url:
            body = self._json(self._get(url, what=what, params=query or None), what)
            yield from (i for i in (body.get("_embedded") or {}).get(name) or [] if isinstance(i, dict))
            nxt = ((body.get("_links") or {}).get("next") or {}).get("href")
            page = as_object(body.get("page"))
            if nxt:
                url, query = nxt, {}  # the next link carries every parameter
            elif int(page.get("number") or 1) < int(page.get("totalPages") or 0):
                query = {**(params or {}), "page": int(page.get("number") or 1) + 1}
            else:
                url = None

    def _mailbox_param(self, filter: dict[str, Any] | None) -> str | None:
        chosen = (filter or {}).get("mailbox_id") or self.mailbox_id
        return str(chosen) if chosen else None

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        """Custom field name -> definition (type, dropdown options), from every mailbox in scope."""
        if self._fields is None:
            boxes = [self.mailbox_id] if self.mailbox_id else [b for b, _ in self.mailboxes()]
            fields: dict[str, dict[str, Any]] = {}
            for box in boxes:
                listed = self.optional(f"The custom fields of Help Scout mailbox {box}", lambda b=box: list(self._hal(
                    f"/v2/mailboxes/{b}/fields", "fields", what="the custom fields")), [],
                    without="custom field values are moved as Help Scout shows them in the conversation.")
                for f in listed:
                    fields[str(f.get("name") or f.get("id"))] = f
            self._fields = fields
        return self._fields

    # ---- SourceConnector -------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """Asked while a person waits in the wizard: retry briefly, then say what is wrong."""
        patient, self.http.retry = self.http.retry, CHECK_RETRY
        try:
            return self._check()
        finally:
            self.http.retry = patient

    def _check(self) -> CheckResult:
        me = self._json(self._get("/v2/users/me", what="your user profile", account_level=False), "your profile")
        boxes = self.mailboxes()
        if self.mailbox_id and self.mailbox_id not in dict(boxes):
            raise NotFound(f"Help Scout has no mailbox {self.mailbox_id} for this app: pick one from the list.")
        name = dict(boxes).get(self.mailbox_id or "") or (boxes[0][1] if boxes else "Help Scout")
        # Every Help Scout account shares one API address: the company id (documented on
        # GET /v2/users/me) tells accounts apart; without it, the app (which belongs to one company).
        company = me.get("companyId")
        account = f"company {company}" if company not in (None, "") else f"app {self.config.get('app_id')}"
        return CheckResult(account_name=name, user_email=me.get("email"),
                           details={"mailboxes": [{"id": b, "name": n} for b, n in boxes]},
                           account_id=f"{self.api_url} {account}")

    def mailboxes(self) -> list[tuple[str, str]]:
        return [(str(m["id"]), str(m.get("name") or m["id"])) for m in self._hal("/v2/mailboxes", "mailboxes",
                                                                                   what="the mailboxes")
                if m.get("id") is not None]

    def agents(self) -> list[Agent]:
        """Help Scout users. A deleted user is gone from Help Scout's list: conversations still naming them
        go to the default teammate through the mapping."""
        return [agent_from(u) for u in self._hal("/v2/users", "users", what="the users")]

    def count(self, what: str, *, filter: dict[str, Any] | None = None) -> int:
        mailbox = self._mailbox_param(filter)
        if what == "agents":
            return len(self.agents())
        if what == "contacts":
            params = {"mailbox": mailbox} if mailbox else None
            return _total(self._json(self._get("/v2/customers", what="the customer count", params=params),
                                     "the customer count"), "the customer count")
        tickets = 0
        for status in ("active", "pending", "closed", "spam"):  # `all` would also count the trash
            params = {"status": status, **({"mailbox": mailbox} if mailbox else {})}
            body = self._json(self._get("/v2/conversations", what="the conversation count", params=params),
                              "the conversation count")
            tickets += _total(body, "the conversation count")
        return tickets

    def tickets(self, *, since: datetime | None = None, ids: list[str] | None = None,
                filter: dict[str, Any] | None = None, cursor: dict[str, Any] | None = None) -> Iterator[TicketPage]:
        if ids is not None:
            yield from self._tickets_by_id(ids, cursor)
            return
        params: dict[str, Any] = {"status": "all", "sortField": "modifiedAt", "sortOrder": "asc", "embed": "threads",
                                  "page": int((cursor or {}).get("page", 1))}
        if cursor and cursor.get("since"):
            params["modifiedSince"] = cursor["since"]
        elif since is not None:
            params["modifiedSince"] = fmt_time(since)
        mailbox = self._mailbox_param(filter)
        if mailbox:
            params["mailbox"] = mailbox
        wanted_tags = set((filter or {}).get("tags") or [])
        recent: set[str] | None = None  # ids of the page read before, in this process
        while True:
            caught = self._shifted_into_previous_page(params, recent) if recent is not None else []
            body = self._json(self._get("/v2/conversations", what="the conversations", params=params),
                              "the conversations")
            conversations = [c for c in (body.get("_embedded") or {}).get("conversations") or []
                             if isinstance(c, dict) and str(c.get("id")) not in (recent or set())]
            recent = {str(c.get("id")) for c in conversations} | {str(c.get("id")) for c in caught}
            tickets = self.identified([self._ticket(c) for c in caught + conversations])
            if wanted_tags:
                tickets = [t for t in tickets if wanted_tags & set(t.tags)]
            page = body.get("page") or {}
            more = int(page.get("number", params["page"])) < int(page.get("totalPages", 0))
            params["page"] = int(params["page"]) + 1
            cursor_out = {"page": params["page"], "since": params.get("modifiedSince")} if more else None
            yield TicketPage(tickets=tickets, cursor=cursor_out,
                             deleted_ticket_ids=[t.source_id for t in tickets if t.deleted])
            if not more:
                return

    def _shifted_into_previous_page(self, params: dict[str, Any], recent: set[str]) -> list[dict[str, Any]]:
        """Offset paging over a live mailbox: when a conversation already read is modified, it moves to
        the end and every later one shifts back a place, so the next page would start one too far. Reading
        the previous page again (ids only, no threads) catches what shifted into it."""
        previous = {**params, "page": int(params["page"]) - 1}
        previous.pop("embed", None)
        body = self._json(self._get("/v2/conversations", what="the conversations", params=previous),
                          "the conversations")
        missed = [str(c.get("id")) for c in (body.get("_embedded") or {}).get("conversations") or []
                  if isinstance(c, dict) and str(c.get("id")) not in recent]
        out = []
        for conversation_id in missed:  # rare: fetch each with its threads
            response = self._get(f"/v2/conversations/{conversation_id}", what=f"conversation {conversation_id}",
                                 params={"embed": "threads"}, expect=(200, 404), account_level=False)
            if response.status_code == 200:
                out.append(self._json(response, f"conversation {conversation_id}"))
        return out

    def _ticket(self, conversation: dict[str, Any], merged_ids: list[str] | None = None) -> Ticket:
        """The conversation with every thread. Embedded threads are complete when there are at least as
        many as the conversation's `threads` count (whether that count includes line items and drafts or
        not); otherwise, or without a count, the thread list is read."""
        embedded = (conversation.get("_embedded") or {}).get("threads")
        threads = embedded if isinstance(embedded, list) else None
        count = conversation.get("threads")
        complete = threads is not None and isinstance(count, int) and len(threads) >= count
        if conversation.get("state") != "deleted" and not complete and conversation.get("id") is not None:
            try:
                threads = list(self._hal(f"/v2/conversations/{conversation['id']}/threads", "threads",
                                         what=f"the threads of conversation {conversation['id']}"))
            except (NotFound, PermanentRefusal):  # deleted meanwhile: what was embedded is all there is
                threads = threads or []
        return ticket_from(conversation, threads or [], self.fields, merged_ids=merged_ids)

    def _tickets_by_id(self, ids: list[str], cursor: dict[str, Any] | None) -> Iterator[TicketPage]:
        offset = int((cursor or {}).get("ids_offset", 0))
        if offset >= len(ids):
            yield TicketPage(tickets=[], cursor=None)
        page_size = 25
        while offset < len(ids):
            chunk = ids[offset:offset + page_size]
            offset += len(chunk)
            tickets: list[Ticket] = []
            gone: list[str] = []
            for raw in chunk:
                if not str(raw).isdigit():
                    continue
                response = self._get(f"/v2/conversations/{raw}", what=f"conversation {raw}",
                                     params={"embed": "threads"}, expect=(200, 404), account_level=False)
                if response.status_code == 404:
                    gone.append(str(raw))  # deleted (or never existed): nothing to migrate
                    continue
                conversation = self._json(response, f"conversation {raw}")
                # connectors/http.py followed a 301: the conversation was merged into another one.
                merged = [str(raw)] if str(conversation.get("id")) != str(raw) else []
                existing = next((t for t in tickets if t.source_id == str(conversation.get("id"))), None)
                if existing is not None:
                    existing.merged_ids.extend(merged)
                    continue
                tickets.append(self._ticket(conversation, merged_ids=merged))
            yield TicketPage(tickets=tickets, cursor={"ids_offset": offset} if offset < len(ids) else None,
                             deleted_ticket_ids=gone + [t.source_id for t in tickets if t.deleted])

    # ---- attachments ---------------------------------------------------------------------------------
    def download(self, attachment: Attachment) -> Iterator[bytes]:
        """Help Scout hands attachment bytes as base64 in JSON; decode it chunk by chunk. Docs files (assets
        named by articles) are plain downloads (docs.py)."""
        if attachment.source_id == attachment.url and attachment.url:
            return self.download_docs_file(attachment)
        if not attachment.url:
            raise NotFound(f"Help Scout gave no data link for the attachment {attachment.filename!r}.")
        response = self._get(attachment.url, what=f"the attachment {attachment.filename!r}", account_level=False)
        try:
            data = response.json()["data"]
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            raise VendorError(f"Help Scout sent the attachment {attachment.filename!r} in an unexpected form.") from exc
        return _decode_chunks(data)


def _total(body: dict[str, Any], what: str) -> int:
    try:
        return int((body.get("page") or {}).get("totalElements", 0))
    except (TypeError, ValueError, AttributeError):
        raise VendorError(f"Help Scout sent {what} in an unexpected form.") from None


def _decode_chunks(data: str) -> Iterator[bytes]:
    for start in range(0, len(data), B64_CHUNK):
        yield base64.b64decode(data[start:start + B64_CHUNK])
