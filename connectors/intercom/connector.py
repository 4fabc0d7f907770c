"""Intercom (REST API 2.16) source connector.

Config: `{"access_token", "region": "us"|"eu"|"au", "api_url" (optional)}`; hidden knobs for tests and
benchmarks: `page_size` (conversations per TicketPage, default 50), `workers` (parallel conversation reads,
default 4), `region_urls` (the regional hosts, replacing Intercom's own), `part_limit` (the most parts
Intercom returns for one conversation: 500).

Calls: conversations are listed through `POST /conversations/search` (time windows, 150 per page, ids and
update times only, see stream.py), then read one by one (`GET /conversations/{id}`: the parts come only
there), a few at a time; one contacts search per page of conversations (`id IN [...]`), each company
named once; admins, teams, tags and conversation attributes read once. So about one call per
conversation.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from connectors.base import (
    Agent,
    Attachment,
    CheckResult,
    ConfigField,
    ConnectorError,
    InvalidConfig,
    NotFound,
    SourceConnector,
    Ticket,
    TicketPage,
    VendorError,
    as_object,
)
from connectors.http import HttpClient, guard_url
from connectors.intercom import mapping
from connectors.intercom.client import (
    API_VERSION,
    APP_HOSTS,
    CHECK_RETRY,
    REGION_NAMES,
    REGIONS,
    SERVICE,
    IntercomClient,
    base_url,
    is_intercom_answer,
)
from connectors.intercom.people import People
from connectors.intercom.stream import START_WIDTH, Key, WindowedSearch, after_position
from connectors.source_http import stream_get


def _epoch(dt: datetime) -> int:
    return int(dt.astimezone(UTC).timestamp())


def _total(answer: dict[str, Any]) -> int:
    total = answer.get("total_count")
    if not isinstance(total, int) or isinstance(total, bool):
        raise VendorError("Intercom answered a count without a number (total_count).")
    return total


class IntercomConnector(SourceConnector):
    key: ClassVar[str] = "intercom"
    label: ClassVar[str] = "Intercom"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("access_token", "Access token", kind="secret",
                    help_text="In Intercom's Developer Hub, open your app → Configure → Authentication. It needs the "
                              "Read conversations, Read and list users and companies, Read admins and Read tags "
                              "permissions."),
        ConfigField("region", "Region", kind="choice",
                    choices=(("us", "United States (api.intercom.io)"), ("eu", "Europe (api.eu.intercom.io)"),
                             ("au", "Australia (api.au.intercom.io)")),
                    help_text="Where your Intercom workspace is hosted (Settings → Workspace → General)."),
        ConfigField("api_url", "API address", kind="url", required=False, placeholder="https://api.intercom.io",
                    help_text="Leave empty to use Intercom's own servers for the region."),
    )
    features: ClassVar[frozenset[str]] = frozenset({"mailboxes"})

    def __init__(self, config: dict[str, Any]) -> None:
        cleaned = self.validate_config(config)
        super().__init__(cleaned)
        self.region = cleaned["region"]
        self.region_urls = {r: guard_url(u) for r, u in (config.get("region_urls") or {}).items() if r in REGIONS}
        url = self.region_urls.get(self.region) if self.region_urls and not cleaned.get("api_url") else None
        self.url = url or base_url(region=self.region, api_url=cleaned.get("api_url"))
        self.token = cleaned["access_token"]
        self.page_size = max(1, int(config.get("page_size") or 50))
        self.workers = max(1, int(config.get("workers") or 4))
        self.part_limit = max(1, int(config.get("part_limit") or mapping.PART_LIMIT))
        self.client = IntercomClient(url=self.url, token=self.token, workers=self.workers)
        self._pool: ThreadPoolExecutor | None = None
        self._me: dict[str, Any] | None = None
        self._attribute_types: dict[str, str] | None = None
        self.people = People(self.client)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        cleaned = super().validate_config({"region": "us", **config})
        cleaned["region"] = str(cleaned["region"]).lower()
        base_url(region=cleaned["region"], api_url=cleaned.get("api_url"))  # InvalidConfig in plain words
        return cleaned

    @property
    def http(self) -> HttpClient:
        return self.client.http

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()

    # ---- account facts read once ----------------------------------------------------------------------
    @property
    def me(self) -> dict[str, Any]:
        if self._me is None:
            self._me = self.client.get("/me", what="your admin profile")
        return self._me

    @property
    def app_url(self) -> str:
        """Where a conversation opens in Intercom's inbox (report links); empty when /me cannot say."""
        try:
            app = self.me.get("app")
        except ConnectorError:
            return ""
        if not isinstance(app, dict) or not app.get("id_code"):
            return ""
        region = str(app.get("region") or self.region).lower()
        return f"{APP_HOSTS.get(region, APP_HOSTS['us'])}/a/inbox/{app['id_code']}/inbox"

    @property
    def attribute_types(self) -> dict[str, str]:
        """Conversation attribute name -> data type (read once; optional: without it, values as sent)."""
        if self._attribute_types is None:
            listed = self.optional("Intercom's conversation attributes", lambda: self.client.get(
                "/conversations/attributes", what="the conversation attributes").get("data"), [],
                without="their values are migrated as Intercom sends them")
            self._attribute_types = {str(a["name"]): str(a.get("data_type") or "") for a in listed or []
                                     if isinstance(a, dict) and a.get("name")}
        return self._attribute_types

    # ---- SourceConnector -------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """Asked while a person waits in the wizard: retry briefly, then say what is wrong."""
        patient, self.http.retry = self.http.retry, CHECK_RETRY
        try:
            return self._check()
        finally:
            self.http.retry = patient

    def _check(self) -> CheckResult:
        response = self.client.request("GET", "/me", what="your admin profile", ok=(200, 401, 403, 404))
        if response.status_code in (401, 403):
            home = self._region_of_token()
            if home:
                raise InvalidConfig(f"This access token belongs to a workspace hosted in {REGION_NAMES[home]}, not "
                                    f"{REGION_NAMES[self.region]}: choose {REGION_NAMES[home]} as the region.")
            self.client.raise_for(response, what="your admin profile", path="/me")
        if response.status_code != 200 or not is_intercom_answer(response):
            raise NotFound(f"The address {self.url} does not answer like Intercom's API: check it, or leave it empty "
                           "to use Intercom's own servers.")
        self._me = response.json()
        # One cheap call per permission the migration needs, so a missing one is named now, not mid-run.
        self.client.post("/conversations/search", {"query": {"field": "updated_at", "operator": ">", "value": 0},
                                                   "pagination": {"per_page": 1}}, what="the conversations",
                         account_level=False)
        for path, what in (("/admins", "the teammates (admins)"), ("/contacts", "the contacts"), ("/tags", "the tags")):
            self.client.get(path, what=what, account_level=False)
        app = as_object(self.me.get("app"))
        return CheckResult(account_name=app.get("name") or app.get("id_code") or SERVICE,
                           user_email=self.me.get("email"),
                           details={"region": self.region, "app_id": app.get("id_code"), "api_version": API_VERSION},
                           # The workspace id names the account wherever its API is reached.
                           account_id=f"workspace {app['id_code']}" if app.get("id_code") else self.url)

    def _region_of_token(self) -> str | None:
        """The region whose host accepts the token, when it is not the chosen one (Intercom's own hosts,
        or `region_urls`; never when `api_url` replaced the host)."""
        if self.config.get("api_url"):
            return None
        hosts = self.region_urls or REGIONS
        for region, url in hosts.items():
            if region == self.region:
                continue
            probe = HttpClient(url, headers={"Authorization": f"Bearer {self.token}", "Intercom-Version": API_VERSION,
                                             "Accept": "application/json"}, service_name=SERVICE, retry=CHECK_RETRY)
            try:
                if probe.request("GET", "/me", route="GET /me (region probe)").status_code == 200:
                    return region
            except ConnectorError:
                continue
            finally:
                probe.close()
        return None

    def agents(self) -> list[Agent]:
        """Intercom's admins. A deleted teammate is gone from the list: their messages keep their name and
        go to the default teammate through the mapping."""
        admins = self.client.get("/admins", what="the teammates (admins)").get("admins")
        return [mapping.agent_from(a) for a in admins if isinstance(a, dict) and isinstance(a.get("id"), str | int)] \
            if isinstance(admins, list) else []

    def mailboxes(self) -> list[tuple[str, str]]:
        """Intercom's teams: a conversation belongs to the team it is assigned to."""
        teams = self.client.get("/teams", what="the teams").get("teams")
        return [(str(t["id"]), str(t.get("name") or t["id"])) for t in teams
                if isinstance(t, dict) and isinstance(t.get("id"), str | int)] if isinstance(teams, list) else []

    def count(self, what: str, *, filter: dict[str, Any] | None = None) -> int:
        if what == "tickets":
            filters = self._filters(filter)
            if filters is None:
                return 0
            query = {"operator": "AND", "value": [{"field": "updated_at", "operator": ">", "value": 0}, *filters]}
            page = self.client.post("/conversations/search", {"query": query, "pagination": {"per_page": 1}},
                                    what="the conversation count")
            return _total(page)
        if what == "contacts":
            return _total(self.client.get("/contacts", what="the contact count"))
        if what == "agents":
            return len(self.agents())
        raise InvalidConfig(f"Intercom has no count of {what}.")

    def _filters(self, filter: dict[str, Any] | None) -> list[dict[str, Any]] | None:
        """Search filters for a selection; None when nothing can match (tags unknown to Intercom)."""
        out: list[dict[str, Any]] = []
        team = (filter or {}).get("mailbox_id") or (filter or {}).get("group_id")
        if team:
            if not str(team).isdigit():
                raise InvalidConfig("Choose an Intercom team from the list (team ids are numbers).")
            out.append({"field": "team_assignee_id", "operator": "=", "value": int(team)})
        wanted = [str(t) for t in (filter or {}).get("tags") or []]
        if wanted:
            known = {t.get("name"): str(t.get("id")) for t in self.client.get("/tags", what="the tags").get("data") or []}
            ids = [known[name] for name in wanted if name in known]
            if not ids:
                return None
            out.append({"field": "tag_ids", "operator": "IN", "value": ids})
        return out

    # ---- tickets -------------------------------------------------------------------------------------------
    def tickets(self, *, since: datetime | None = None, ids: list[str] | None = None,
                filter: dict[str, Any] | None = None, cursor: dict[str, Any] | None = None) -> Iterator[TicketPage]:
        if ids is not None:
            yield from self._tickets_by_id([str(i) for i in ids], cursor)
            return
        filters = self._filters(filter)
        if filters is None:
            yield TicketPage(tickets=[], cursor=None)
            return
        since_ts = int((cursor or {}).get("since", _epoch(since) if since else 0))
        after = after_position((cursor or {}).get("after"))
        width = int((cursor or {}).get("width") or START_WIDTH)
        # Deleted conversations carry no team or tag: a filtered full run leaves them out; a delta lists them
        # so conversations it migrated earlier are marked deleted (the others are skipped in the report).
        with_deleted = not filters or since is not None or bool((cursor or {}).get("with_deleted"))
        deleted = self._deleted_keys(since_ts) if with_deleted else []
        windows = WindowedSearch(search=lambda q: self.client.search("/conversations/search", q,
                                                                      what="the conversations"),
                                 filters=filters, deleted=deleted)
        state = {"since": since_ts, "with_deleted": with_deleted}
        chunk: list[Key] = []
        for key, window_width in windows.keys(since=since_ts, after=after, width=width):
            if len(chunk) == self.page_size:
                yield self._page(chunk, {**state, "after": chunk[-1].position(), "width": window_width})
                chunk = []
            chunk.append(key)
        yield self._page(chunk, None)

    def _deleted_keys(self, since_ts: int) -> list[Key]:
        """Conversations deleted at or after `since_ts` (the endpoint lists every deleted id; read it all)."""
        def listing() -> list[Key]:
            out: list[Key] = []
            page, pages = 1, 1
            while page <= pages:
                body = self.client.get("/conversations/deleted", what="the deleted conversations",
                                       params={"page": page, "per_page": 60, "order": "asc"})
                for item in body.get("conversations") or []:
                    at = item.get("deleted_at") if isinstance(item, dict) else None
                    if isinstance(at, int) and not isinstance(at, bool) and at >= since_ts and item.get("id"):
                        out.append(Key.of(at, str(item["id"]), deleted=True))
                pages = int((body.get("pages") or {}).get("total_pages") or 1)
                page += 1
            return out

        return self.optional("Intercom's list of deleted conversations", listing, [],
                             without="deletions are noticed only for conversations asked for by id")

    def _page(self, keys: list[Key], cursor: dict[str, Any] | None) -> TicketPage:
        live = [k.id for k in keys if not k.deleted]
        found = dict(zip(live, self._fetch(live), strict=True))
        tickets: list[Ticket] = []
        for key in keys:
            conversation = found.get(key.id)
            if conversation is None:  # deleted (listed so, or gone since the search)
                tickets.append(mapping.deleted_ticket(key.id, datetime.fromtimestamp(key.at, UTC)))
            else:
                tickets.append(conversation)
        tickets = self.identified(tickets)
        return TicketPage(tickets=tickets, cursor=cursor, deleted_ticket_ids=[t.source_id for t in tickets if t.deleted])

    def _fetch(self, conversation_ids: list[str]) -> list[Ticket | None]:
        """Read conversations a few at a time; None for one that is gone."""
        if not conversation_ids:
            return []
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="intercom")
        raw = list(self._pool.map(self.client.conversation, conversation_ids))
        contacts = self.people.contacts(sorted({c for conv in raw for c in mapping.contact_ids(conv)}))
        return [None if conv is None else mapping.ticket_from(
                    conv, fallback_id=cid, contacts=contacts, attribute_types=self.attribute_types,
                    app_url=self.app_url, api_host=self._api_host(), part_limit=self.part_limit)
                for cid, conv in zip(conversation_ids, raw, strict=True)]

    def _api_host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def _tickets_by_id(self, ids: list[str], cursor: dict[str, Any] | None) -> Iterator[TicketPage]:
        offset = int((cursor or {}).get("ids_offset", 0))
        if offset >= len(ids):
            yield TicketPage(tickets=[], cursor=None)
        while offset < len(ids):
            chunk = list(dict.fromkeys(ids[offset:offset + self.page_size]))
            offset += self.page_size
            fetched = self._fetch([i for i in chunk if i.isdigit()])
            by_id = dict(zip([i for i in chunk if i.isdigit()], fetched, strict=True))
            tickets = [t for i in chunk if (t := by_id.get(i)) is not None]
            gone = [i for i in chunk if i.isdigit() and by_id.get(i) is None]
            yield TicketPage(tickets=tickets, cursor={"ids_offset": offset} if offset < len(ids) else None,
                             deleted_ticket_ids=gone)

    # ---- attachments -----------------------------------------------------------------------------------
    def download(self, attachment: Attachment) -> Iterator[bytes]:
        """Download links are pre-signed (no token is sent with them) and may expire: on a refusal, the
        conversation is read again for a fresh link."""
        url, _, locator = (attachment.url or "").partition("#")
        what = f"the attachment {attachment.filename!r}"
        if not url:
            raise NotFound(f"Intercom gave no link for {what}.")
        status, chunks = stream_get(self.http, url, service=SERVICE, what=what, send_credentials=False)
        if chunks is None and status in (401, 403, 404, 410):
            status, chunks = stream_get(self.http, self._fresh_link(attachment, locator), service=SERVICE, what=what,
                                        send_credentials=False)
        if chunks is None:
            if status in (403, 404, 410):
                raise NotFound(f"Intercom no longer serves {what} (error {status}).")
            raise VendorError(f"Intercom refused the download of {what} (error {status}).")
        return chunks

    def _fresh_link(self, attachment: Attachment, locator: str) -> str:
        where = {k: v[-1] for k, v in parse_qs(locator).items()}
        conversation_id, part_id = where.get("conversation"), where.get("part")
        if not conversation_id or not part_id:
            raise NotFound(f"The link of the attachment {attachment.filename!r} expired and cannot be renewed.")
        ticket = self._fetch([conversation_id])[0]
        for message in ticket.messages if ticket else []:
            if message.source_id != part_id:
                continue
            for fresh in message.attachments:
                if fresh.source_id == attachment.source_id and fresh.url:
                    return fresh.url.partition("#")[0]
        raise NotFound(f"The attachment {attachment.filename!r} is no longer on the Intercom conversation.")
