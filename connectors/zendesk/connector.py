"""Zendesk Support -> canonical records.

Tickets come from the cursor-based incremental export (`start_time`, then `cursor` until
`end_of_stream`), which is ordered by update time, includes deleted tickets (status "deleted") and
sideloads the users it references. Each live ticket's thread comes from its comments (cursor
pagination, inline images included); a private comment becomes a private note. Custom field ids
become names (and dropdown tags become option names) through /ticket_fields, read once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import (
    Agent,
    Attachment,
    BadCredentials,
    CheckResult,
    ConfigField,
    Contact,
    InvalidConfig,
    MissingPermission,
    NotFound,
    Organization,
    OrganizationPage,
    SourceConnector,
    Ticket,
    TicketPage,
    VendorError,
    unreadable_ticket,
)
from connectors.downloads import stream_download
from connectors.zendesk.client import ZendeskClient, normalize_url
from connectors.zendesk.help_center import ZendeskHelpCenter
from connectors.zendesk.mapping import FieldNames, build_ticket, to_agent
from connectors.zendesk.organizations import KeyedFields, organization_pages, to_organization
from connectors.zendesk.pacing import EXPORTS_PER_MINUTE

EXPORT_PAGE = 1000  # Zendesk's maximum per export page
COMMENT_PAGE = 100  # Zendesk's maximum per comments page
SHOW_MANY = 100  # Zendesk's maximum ids per show_many call
DEFAULT_WORKERS = 4  # parallel comment fetches; 4 x ~200 ms calls stays under 700 requests/minute


class ZendeskConnector(ZendeskHelpCenter, SourceConnector):
    key: ClassVar[str] = "zendesk"
    label: ClassVar[str] = "Zendesk Support"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("url", "Zendesk address", kind="url", placeholder="https://yourcompany.zendesk.com",
                    help_text="Your Zendesk account address, or just its subdomain."),
        ConfigField("email", "Admin email", kind="email", required=False,
                    help_text="The email address of a Zendesk admin (exports need an admin)."),
        ConfigField("token", "API token", kind="secret", required=False,
                    help_text="Admin Center > Apps and integrations > Zendesk API > add an API token."),
        ConfigField("oauth_token", "OAuth token", kind="secret", required=False,
                    help_text="Instead of email and API token: an OAuth access token with read scope."),
    )
    features: ClassVar[frozenset[str]] = frozenset({"mailboxes", "inline_images"})

    def __init__(self, config: dict[str, Any]) -> None:
        cleaned = self.validate_config(config)
        super().__init__(cleaned)
        self.page_size = min(EXPORT_PAGE, max(1, int(config.get("page_size") or EXPORT_PAGE)))
        self.comment_page = min(COMMENT_PAGE, self.page_size)
        self._export_per_minute = int(config.get("export_per_minute") or EXPORTS_PER_MINUTE)
        self._export_window_s = float(config.get("export_window_s") or 60.0)
        self._client: ZendeskClient | None = None
        self._fields: FieldNames | None = None
        self._keyed: dict[str, KeyedFields] = {}  # "user_fields" / "organization_fields"
        self._agents: dict[str, Agent] | None = None
        self.workers = max(1, min(16, int(config.get("workers") or DEFAULT_WORKERS)))
        self._pool: ThreadPoolExecutor | None = None
        self._looked_up: dict[str, dict[str, Any]] = {}  # user id -> user ({} when Zendesk has none)
        self._lookup_lock = threading.Lock()

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in config.items()
                   if k in {"url", "email", "token", "oauth_token"} and v not in (None, "")}
        if not cleaned.get("url"):
            raise InvalidConfig("Enter your Zendesk address, like https://yourcompany.zendesk.com.")
        if not cleaned.get("oauth_token") and not (cleaned.get("email") and cleaned.get("token")):
            raise InvalidConfig("Enter an admin's email address and API token, or an OAuth token.")
        if cleaned.get("email") and "@" not in cleaned["email"]:
            raise InvalidConfig("The admin email address does not look like an email address.")
        normalize_url(cleaned["url"])  # the URL rules (https, *.zendesk.com) fail early with their own sentence
        return cleaned

    # ---- plumbing ---------------------------------------------------------------------------------
    @property
    def client(self) -> ZendeskClient:
        if self._client is None:
            self._client = ZendeskClient(url=self.config["url"], email=self.config.get("email"),
                                         token=self.config.get("token"), oauth_token=self.config.get("oauth_token"),
                                         export_per_minute=self._export_per_minute,
                                         export_window_s=self._export_window_s)
        return self._client

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def fields(self) -> FieldNames:
        """Custom field names; without the listing, values are kept under "Field <id>" (with a warning)."""
        if self._fields is None:
            listed = self.optional("Zendesk ticket field names", lambda: list(self.client.paginate(
                "/api/v2/ticket_fields.json", "ticket_fields", what="the ticket fields")), None,
                without="custom field values are listed under their field ids.")
            self._fields = FieldNames(listed or [], available=listed is not None)
        return self._fields

    def keyed_fields(self, kind: str) -> KeyedFields:
        """User or organization field titles (read once); without the listing, values keep their keys."""
        if kind not in self._keyed:
            what = {"user_fields": "Zendesk user field names", "organization_fields": "Zendesk organization field names"}
            listed = self.optional(what[kind], lambda: list(self.client.paginate(
                f"/api/v2/{kind}.json", kind, what=f"the {kind.replace('_', ' ')}")), None,
                without="their values are listed under the fields' keys.")
            self._keyed[kind] = KeyedFields(listed or [], available=listed is not None)
        return self._keyed[kind]

    def organizations(self, *, cursor: dict[str, Any] | None = None) -> Iterator[OrganizationPage]:
        yield from organization_pages(self.client, self.keyed_fields("organization_fields"), cursor=cursor,
                                      per_page=self.page_size)

    def organization(self, source_id: str) -> Organization | None:
        if not source_id.isdigit():
            return None
        try:
            data = self.client.get(f"/api/v2/organizations/{source_id}.json", what="an organization",
                                   account_level=False)
        except NotFound:
            return None
        raw = data.get("organization")
        fields = self.keyed_fields("organization_fields")
        return to_organization(raw, fields, self.client.base_url) if isinstance(raw, dict) else None

    def count_organizations(self) -> int:
        data = self.client.get("/api/v2/organizations/count.json", what="the organization count")
        return _count_value(data.get("count"), "the organization count")

    def contact_field_names(self) -> list[str]:
        return list(self.keyed_fields("user_fields").titles.values())

    def contact_details(self, contact: Contact) -> Contact:
        """A user record carries one email and one phone: the others are identities (one call per contact)."""
        if not contact.source_id.isdigit():
            return contact
        listed = self.client.paginate(f"/api/v2/users/{contact.source_id}/identities.json", "identities",
                                      what=f"the addresses of user {contact.source_id}")
        emails, phones = list(contact.emails), list(contact.phones)
        for identity in listed:
            value = identity.get("value")
            if not isinstance(value, str) or not value.strip():
                continue
            if identity.get("type") == "email" and value.lower() not in {e.lower() for e in emails}:
                emails.append(value)
            elif identity.get("type") == "phone_number" and value not in phones:
                phones.append(value)
        return replace(contact, emails=emails, phones=phones)

    def _agent_map(self) -> dict[str, Agent]:
        if self._agents is None:
            live = self.client.paginate("/api/v2/users.json", "users",
                                        [("role[]", "agent"), ("role[]", "admin"), ("per_page", 100)], what="the agents")
            agents = {str(u["id"]): to_agent(u) for u in live if u.get("id") is not None}
            # Deleted agents: without this listing, a deleted author is still named from the comments'
            # sideloaded users or /users/show_many (see _complete_users).
            deleted = self.optional("Zendesk's list of deleted users", lambda: list(self.client.paginate(
                "/api/v2/deleted_users.json", "deleted_users", what="the deleted users")), [],
                without="deleted agents are named from the tickets they wrote and go to the default teammate.")
            for u in deleted:
                if u.get("role") in ("agent", "admin") and u.get("id") is not None:  # deleted end users are not agents
                    agents.setdefault(str(u["id"]), to_agent(u, deleted=True))
            self._agents = agents
        return self._agents

    def _complete_users(self, users: dict[str, dict[str, Any]], wanted: set[str]) -> None:
        """Read the users a ticket names that no sideload carried (deleted authors, CCs...), 100 per call,
        once per connector: their names and roles must not depend on what a sideload happens to include."""
        missing = sorted(i for i in wanted if i.isdigit() and i not in users and i not in self._looked_up)
        for start in range(0, len(missing), SHOW_MANY):
            chunk = missing[start:start + SHOW_MANY]
            data = self.optional("Zendesk user details", lambda c=chunk: self.client.get(
                "/api/v2/users/show_many.json", {"ids": ",".join(c)}, what="the users of a ticket"), {},
                without="authors Zendesk no longer lists are shown by their id.")
            with self._lookup_lock:
                for u in data.get("users") or []:
                    if isinstance(u, dict) and u.get("id") is not None:
                        self._looked_up[str(u["id"])] = u
                for i in chunk:
                    self._looked_up.setdefault(i, {})
        for i in wanted:
            if i not in users and self._looked_up.get(i):
                users[i] = self._looked_up[i]

    # ---- interface ----------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        me = self.client.get("/api/v2/users/me.json").get("user") or {}
        if me.get("id") is None:  # Zendesk answers anonymous callers with a placeholder user
            raise BadCredentials("Zendesk did not accept these credentials: check the admin's email address "
                                 "and API token (or the OAuth token).")
        if me.get("role") != "admin":
            raise MissingPermission(f"{me.get('email') or 'This user'} is a Zendesk {me.get('role') or 'user'}, "
                                    "not an admin. Zendesk lets only admins export tickets: use an admin's "
                                    "email address and API token.")
        subdomain = self.client.host.split(".")[0] if self.client.host.endswith(".zendesk.com") else self.client.host
        return CheckResult(account_name=subdomain, user_email=me.get("email"),
                           details={"name": me.get("name"), "role": me.get("role")},
                           account_id=self.client.base_url)  # one Zendesk account per subdomain

    def count(self, what: str, *, filter: dict[str, Any] | None = None) -> int:
        if what == "agents":
            return len(self._agent_map())
        if what == "contacts":
            data = self.client.get("/api/v2/users/count.json", {"role": "end-user"}, what="the contact count")
            return _count_value(data.get("count"), "the contact count")
        terms = _search_terms(filter)
        if terms:
            data = self.client.get("/api/v2/search/count.json", {"query": "type:ticket " + terms},
                                   what="the ticket count")
        else:
            data = self.client.get("/api/v2/tickets/count.json", what="the ticket count")
        return _count_value(data.get("count"), "the ticket count")

    def agents(self) -> list[Agent]:
        return list(self._agent_map().values())

    def mailboxes(self) -> list[tuple[str, str]]:
        """Brands; an account that does not list them has no brand filter (a warning says so)."""
        brands = self.optional("Zendesk brands", lambda: list(self.client.paginate(
            "/api/v2/brands.json", "brands", what="the brands")), [],
            without="tickets cannot be filtered by brand.")
        return [(str(b["id"]), str(b.get("name") or b["id"])) for b in brands
                if b.get("id") is not None and b.get("active", True) and not b.get("is_deleted")]

    def tickets(
        self,
        *,
        since: datetime | None = None,
        ids: list[str] | None = None,
        filter: dict[str, Any] | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Iterator[TicketPage]:
        if ids is not None:
            yield from self._by_ids(ids, cursor)
            return
        params: dict[str, Any] = {"per_page": self.page_size, "include": "users"}
        if cursor and cursor.get("after_cursor"):
            params["cursor"] = cursor["after_cursor"]
        else:
            params["start_time"] = int(since.timestamp()) if since else 0
        while True:
            data = self.client.get("/api/v2/incremental/tickets/cursor.json", params, what="the ticket export")
            users = {str(u["id"]): u for u in data.get("users") or []}
            raw = [t for t in data.get("tickets") or [] if _matches(t, filter)]
            tickets = self._tickets_with_threads(raw, users)
            done = bool(data.get("end_of_stream")) or not data.get("after_cursor")
            yield TicketPage(tickets=tickets, cursor=None if done else {"after_cursor": data["after_cursor"]},
                             deleted_ticket_ids=[t.source_id for t in tickets if t.deleted])
            if done:
                return
            params = {"per_page": self.page_size, "include": "users", "cursor": data["after_cursor"]}

    def _by_ids(self, ids: list[str], cursor: dict[str, Any] | None) -> Iterator[TicketPage]:
        offset = int(cursor["ids_offset"]) if cursor else 0
        if offset >= len(ids):
            yield TicketPage(tickets=[], cursor=None)
        step = min(SHOW_MANY, self.page_size)
        while offset < len(ids):
            chunk = [str(x).strip() for x in ids[offset:offset + step]]
            offset += len(chunk)
            wanted = [x for x in chunk if x.isdigit()]
            found: dict[str, Ticket] = {}
            if wanted:
                data = self.client.get("/api/v2/tickets/show_many.json", {"ids": ",".join(wanted), "include": "users"},
                                       what="the chosen tickets")
                users = {str(u["id"]): u for u in data.get("users") or []}
                found = {t.source_id: t for t in self._tickets_with_threads(data.get("tickets") or [], users)}
            tickets = [found[x] for x in wanted if x in found]
            yield TicketPage(tickets=tickets, cursor={"ids_offset": offset} if offset < len(ids) else None,
                             deleted_ticket_ids=[t.source_id for t in tickets if t.deleted])

    def _tickets_with_threads(self, raw: list[dict[str, Any]], users: dict[str, dict[str, Any]]) -> list[Ticket]:
        """Fetch the page's threads a few at a time: one comments call per ticket is the cost that
        dominates, and Zendesk's latency (not its rate limit) would otherwise set the pace."""
        self.fields()
        self.keyed_fields("user_fields")
        self._agent_map()  # shared caches filled once, before the threads start
        raw = [t for t in raw if isinstance(t, dict)]
        if self.workers <= 1 or len(raw) <= 1:
            return self.identified([self._ticket(t, users) for t in raw])
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="zendesk-comments")
        return self.identified(list(self._pool.map(lambda t: self._ticket(t, users), raw)))

    def _ticket(self, raw: dict[str, Any], users: dict[str, dict[str, Any]]) -> Ticket:
        comments: list[dict[str, Any]] = []
        if not isinstance(raw.get("id"), int | str) or isinstance(raw.get("id"), bool):
            return unreadable_ticket(None, service="Zendesk", error=ValueError("the ticket has no id"))
        if raw.get("status") != "deleted":  # a deleted ticket's comments are gone (404)
            try:
                comments = list(self._comments(raw["id"], users))
            except NotFound:  # deleted between the export and now: nothing left to migrate
                raw = {**raw, "status": "deleted"}
        named = {str(c.get("author_id")) for c in comments if isinstance(c, dict)}
        named |= {str(i) for i in (raw.get("email_cc_ids") or raw.get("collaborator_ids") or [])}
        if raw.get("requester_id"):
            named.add(str(raw["requester_id"]))
        self._complete_users(users, {i for i in named if i not in self._agent_map()})
        return build_ticket(raw, comments, users=users, agents=self._agent_map(), fields=self.fields(),
                            base_url=self.client.base_url, user_fields=self.keyed_fields("user_fields"))

    def _comments(self, ticket_id: int, users: dict[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"page[size]": self.comment_page, "include_inline_images": "true",
                                  "include": "users"}
        path = f"/api/v2/tickets/{ticket_id}/comments.json"
        while True:
            data = self.client.get(path, params, what=f"the comments of ticket {ticket_id}", account_level=False)
            for u in data.get("users") or []:
                if isinstance(u, dict) and u.get("id") is not None:
                    users.setdefault(str(u["id"]), u)
            yield from data.get("comments") or []
            meta = data.get("meta") or {}
            if not meta.get("has_more") or not meta.get("after_cursor"):
                return
            params = {**params, "page[after]": meta["after_cursor"]}

    def download(self, attachment: Attachment) -> Iterator[bytes]:
        if not attachment.url:
            raise InvalidConfig(f"Zendesk gave no address for the attachment {attachment.filename!r}.")
        return stream_download(self.client.files, attachment.url, what=f"the attachment {attachment.filename!r}")


def _count_value(count: Any, what: str) -> int:
    """`{"count": {"value": n}}` (tickets, users) or `{"count": n}` (search)."""
    value = count.get("value") if isinstance(count, dict) else count
    try:
        return int(value)  # type: ignore[arg-type]  # whatever Zendesk sent: a refusal is caught below
    except (TypeError, ValueError):
        raise VendorError(f"Zendesk sent {what} in an unexpected form.") from None


def _filter_values(filter: dict[str, Any] | None, *keys: str) -> set[str]:
    out: set[str] = set()
    for key in keys:
        value = (filter or {}).get(key)
        if value in (None, "", []):
            continue
        out |= {str(v) for v in value} if isinstance(value, list | tuple | set) else {str(value)}
    return out


def _matches(raw: dict[str, Any], filter: dict[str, Any] | None) -> bool:
    """Brand (mailbox), group and tag filters, applied to the export (which has no server-side filter)."""
    brands = _filter_values(filter, "mailbox_id", "brand_id")
    groups = _filter_values(filter, "group_id")
    tags = _filter_values(filter, "tags")
    if brands and str(raw.get("brand_id")) not in brands:
        return False
    if groups and str(raw.get("group_id")) not in groups:
        return False
    return not tags or bool(tags & set(raw.get("tags") or []))


def _search_terms(filter: dict[str, Any] | None) -> str:
    terms = [f"brand_id:{b}" for b in sorted(_filter_values(filter, "mailbox_id", "brand_id"))]
    terms += [f"group_id:{g}" for g in sorted(_filter_values(filter, "group_id"))]
    terms += [f"tags:{t}" for t in sorted(_filter_values(filter, "tags"))]
    return " ".join(terms)
