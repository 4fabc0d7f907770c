"""The Front Core API client the engine uses (target side of every migration).

Every call goes through connectors.http (pacing against the company budget shared by all processes,
retries, 301 follow) and every failure comes out as a typed ConnectorError with a readable message.
The client spends as few calls as Front allows: tags/teammates/inboxes are read once and cached,
contacts are looked up once per handle, and message uids are resolved late enough to rarely poll empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx

from connectors.base import ConfigField
from connectors.budget import SharedBudget
from connectors.counters import Stats
from connectors.front import errors
from connectors.front.budgets import PARTNER, TOKEN, BudgetPair, company_budget
from connectors.front.errors import raise_for_front
from connectors.front.forms import flatten_form, spool_uploads
from connectors.front.oauth import FrontAuth, OAuthSession
from connectors.front.types import MAX_TAG_NAME, EnsuredContact, ImportedMessage, Preflight, Upload
from connectors.front.uids import UidTimer
from connectors.http import HttpClient, RetryPolicy, setting

# One read per scope the connect step can check (scope names as Front's API reference gives them in
# x-required-scopes): a GET of a listing or of an unknown id (404 = allowed, 403 = missing). Write scopes
# are never probed: no request to a customer's Front may be invalid on purpose, and a valid write would
# create something. A missing write scope shows on the first real write of the demo, which pauses the
# run naming the scope (ROUTE_SCOPES below). "{inbox}" is the first inbox's id.
SCOPE_PROBES: list[tuple[str, str]] = [
    ("inboxes:read", "/inboxes"),
    ("channels:read", "/inboxes/{inbox}/channels"),
    ("teammates:read", "/teammates"),
    ("tags:read", "/tags?limit=1"),
    ("contacts:read", "/contacts?limit=1"),
    ("custom_fields:read", "/conversations/custom_fields"),
    ("conversations:read", "/inboxes/{inbox}/conversations?limit=1"),
    ("messages:read", "/messages/alt:uid:preflight"),
    ("comments:read", "/conversations/cnv_preflight/comments"),
]
WRITE_SCOPES = ["tags:write", "contacts:write", "messages:write", "comments:write", "conversations:write"]

# The scope each route needs (x-required-scopes in Front's reference), so a 403 names it even when
# Front's answer does not.
ROUTE_SCOPES = {
    "GET /me": None, "GET /inboxes": "inboxes:read", "GET /inboxes/:id/channels": "channels:read",
    "GET /teammates": "teammates:read", "GET /tags": "tags:read", "POST /company/tags": "tags:write",
    "GET /conversations/custom_fields": "custom_fields:read", "GET /contacts/custom_fields": "custom_fields:read",
    "GET /contacts/:alias": "contacts:read", "POST /contacts": "contacts:write",
    "POST /contacts/:id/handles": "contacts:write", "PATCH /contacts/:id": "contacts:write",
    "POST /inboxes/:id/imported_messages": "messages:write", "GET /messages/alt:uid": "messages:read",
    "POST /conversations/:id/comments": "comments:write", "GET /conversations/:id/comments": "comments:read",
    "PATCH /conversations/:id": "conversations:write", "GET /conversations/:id": "conversations:read",
    "GET /inboxes/:id/conversations": "conversations:read", "GET /conversations/:id/messages": "messages:read",
}


_ID_PATH = re.compile(r"^/(?:inboxes|conversations|contacts|messages|comments|tags|teammates|channels|accounts)/[^/]+")


def burst_resource(path: str) -> str | None:
    """Front's burst limit (5 requests/second) applies per resource: an endpoint with an id in it."""
    return path if _ID_PATH.match(path) and not path.endswith("/custom_fields") else None


def _id_from_link(url: str | None) -> str | None:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] if url else None


class FrontClient:
    # What a Front connection is made of, declared like a source connector's fields: the wizard keeps a
    # saved token bound to the API URL it was entered with (wizard/credentials.py).
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("api_url", "Front API URL", kind="url"),
        ConfigField("token", "Front API token", kind="secret"),
    )

    def __init__(self, token: str, api_url: str | None = None, budget_key: str | None = None, *,
                 retry: RetryPolicy | None = None, budget: SharedBudget | BudgetPair | None = None,
                 uid_initial_delay: float = 1.0, oauth: OAuthSession | None = None) -> None:
        """token: the API token ("" when connected through OAuth alone). oauth: the OAuth connection; with
        it, calls are paced by a BudgetPair (the company and partner budgets) and each goes out on the
        connection whose budget it was taken from (FrontAuth renews the OAuth token, budgets.py)."""
        api_url = (api_url or setting("FRONT_API_URL", "https://api2.frontapp.com")).rstrip("/")
        # Without a company id yet, one budget per (API URL, token): tokens of one company should pass
        # the company id (from preflight) so they share one budget.
        budget_key = budget_key or hashlib.sha256(f"{api_url}|{token or id(oauth)}".encode()).hexdigest()[:24]
        if budget is None:
            kinds = ([TOKEN] if token else []) + ([PARTNER] if oauth is not None else [])
            budget = BudgetPair({k: company_budget(budget_key, k) for k in kinds})
            if kinds == [TOKEN]:
                budget = budget.budgets[TOKEN]
        self.budget: SharedBudget | BudgetPair = budget
        pair = budget if isinstance(budget, BudgetPair) else None
        self.http = HttpClient(
            api_url,
            headers={"Accept": "application/json"},
            service_name="Front",
            pacer=self.budget,
            retry=retry,
            resource_of=burst_resource,
            auth=FrontAuth(api_token=token or None, oauth=oauth, pacer=pair),
        )
        self.oauth = oauth
        self.private_inboxes: set[str] = set()  # OAuth cannot reach them: imports there use the API token
        self.uids = UidTimer(initial_delay=uid_initial_delay)
        self._stats = Stats()
        self._lock = threading.Lock()
        self._tags: dict[str, str] | None = None
        self._tag_create_lock = threading.Lock()
        self._contacts: dict[str, str] = {}

    # --- plumbing ---------------------------------------------------------------------------
    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> FrontClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stats(self) -> dict[str, Any]:
        merged: dict[str, float] = {**self.http.stats.snapshot(), **self._stats.snapshot()}
        merged["budget_429"] = self.budget.budget_429
        merged["burst_429"] = self.budget.burst_429
        merged["paced_seconds"] = round(self.budget.waited, 3)
        if isinstance(self.budget, BudgetPair):
            for kind, calls in self.budget.calls_by_kind().items():
                merged[f"calls_{kind}"] = calls
        else:
            merged[f"calls_{self.budget.kind}"] = self.budget.calls
        return dict(merged)

    def token_only(self) -> contextlib.AbstractContextManager[None]:
        """Calls in this block use the API token (what OAuth cannot reach: private inboxes, knowledge bases)."""
        if isinstance(self.budget, BudgetPair):
            return self.budget.only(TOKEN)
        return contextlib.nullcontext()

    def _call(self, method: str, path: str, *, what: str, route: str, ok: tuple[int, ...] = (200,),
              conflict: type[errors.InvalidRequest] | None = None, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, route=route, **kwargs)
        if response.status_code not in ok:
            raise_for_front(response, what=what, scope=ROUTE_SCOPES.get(route), conflict=conflict)
        return response

    def _iterate(self, path: str, *, what: str, route: str, paged: bool = False) -> Iterator[dict]:
        """Every result of a listing, following `_pagination.next` (paged routes take `limit`, max 100)."""
        url: str | None = path
        params: dict[str, Any] | None = {"limit": 100} if paged else None
        while url:
            body = self._call("GET", url, what=what, route=route, params=params).json()
            yield from body.get("_results", [])
            url = (body.get("_pagination") or {}).get("next")
            params = None  # the next link carries its own query

    # --- account ----------------------------------------------------------------------------
    def me(self) -> dict:
        return self._call("GET", "/me", what="read the account", route="GET /me").json()

    def inboxes(self) -> list[dict]:
        return list(self._iterate("/inboxes", what="list inboxes", route="GET /inboxes"))

    def inbox_channels(self, inbox_id: str) -> list[dict]:
        return list(self._iterate(f"/inboxes/{inbox_id}/channels", what="list the inbox's channels",
                                  route="GET /inboxes/:id/channels"))

    def teammates(self) -> list[dict]:
        return list(self._iterate("/teammates", what="list teammates", route="GET /teammates"))

    def conversation_custom_fields(self) -> list[dict]:
        return list(self._iterate("/conversations/custom_fields", what="list conversation custom fields",
                                  route="GET /conversations/custom_fields"))

    def contact_custom_fields(self) -> list[dict]:
        return list(self._iterate("/contacts/custom_fields", what="list contact custom fields",
                                  route="GET /contacts/custom_fields"))

    def preflight(self) -> Preflight:
        """Check the token, name the company, list inboxes (with channel addresses), name missing read
        scopes. Only valid reads are sent; write scopes are listed as `unchecked_scopes`."""
        response = self._call("GET", "/me", what="read the account", route="GET /me")
        me = response.json()
        limit = response.headers.get("x-ratelimit-limit")
        missing: list[str] = []
        inboxes: list[dict] = []
        for scope, path in SCOPE_PROBES:
            if "{inbox}" in path and not inboxes:
                continue  # no inbox to ask about: nothing to migrate into anyway (the wizard says so)
            url = path.replace("{inbox}", inboxes[0]["id"]) if inboxes else path
            r = self.http.request("GET", url, route="GET (preflight)")
            if r.status_code == 403:
                missing.append(scope)
            elif r.status_code == 401:
                raise_for_front(r, what="check the token")
            elif scope == "inboxes:read" and r.status_code == 200:
                inboxes = r.json().get("_results", [])
        for inbox in inboxes:
            try:
                inbox["addresses"] = [c.get("address") for c in self.inbox_channels(inbox["id"]) if c.get("address")]
            except errors.MissingPermission:
                inbox["addresses"] = []
        return Preflight(company_name=me.get("name", ""), inboxes=inboxes, missing_scopes=missing,
                         company_id=me.get("id"), rate_limit=int(limit) if limit and limit.isdigit() else None,
                         unchecked_scopes=list(WRITE_SCOPES),
                         connections={i["id"]: TOKEN if i.get("is_private") else "either" for i in inboxes})

    # --- tags --------------------------------------------------------------------------------
    def tags(self) -> list[dict]:
        """Every tag the token can see (company, team and teammate tags)."""
        return list(self._iterate("/tags", what="list tags", route="GET /tags", paged=True))

    def remember_tags(self, tags: dict[str, str] | None) -> None:
        """Tag ids by name already read in this run (Run.context): no second read of the tags."""
        if tags is not None:
            with self._lock:
                self._tags = dict(tags)

    def known_tags(self) -> dict[str, str]:
        with self._lock:
            return dict(self._tags or {})

    def _match_tag(self, name: str) -> tuple[str, str] | None:
        """(id, Front's name) of the tag called `name`: the same name, else the same name ignoring case.
        Front does not say whether tag names are case-sensitive; either way no near-duplicate is made."""
        tags = self._tags or {}
        if name in tags:
            return tags[name], name
        folded = name.casefold()
        return next(((tid, known) for known, tid in tags.items() if known.casefold() == folded), None)

    def ensure_tag(self, name: str) -> str:
        """The id of the tag with this name (cut to 64 characters), created once if missing."""
        return self.tag_for(name)[0]

    def tag_for(self, name: str) -> tuple[str, str]:
        """(id, name as Front has it) of the tag with this name, cut to 64 characters; read once per
        client (or given by remember_tags), created as a company tag once when missing.

        Imports name tags; Front's reference only says "List of tag names to add to the conversation", not
        that unknown names are created, so the engine makes sure every tag exists first. Creation is
        serialised (one POST per missing name), and a refusal because the name exists (409 or 400:
        Front does not document which, nor whether names compare ignoring case) reads the tags again."""
        name = name.strip()[:MAX_TAG_NAME]
        with self._tag_create_lock:
            with self._lock:
                if self._tags is None:
                    self._tags = {t["name"]: t["id"] for t in self.tags()}
                found = self._match_tag(name)
            if found:
                return found
            response = self.http.request("POST", "/company/tags", route="POST /company/tags", json={"name": name})
            if response.status_code in (400, 409, 422):  # the name exists after all (another worker, or case)
                with self._lock:
                    self._tags = {t["name"]: t["id"] for t in self.tags()}
                    found = self._match_tag(name)
                if found:
                    return found
            if response.status_code != 201:
                raise_for_front(response, what=f"create the tag {name!r}", scope="tags:write")
            tag = response.json()
            with self._lock:
                self._tags[tag.get("name") or name] = tag["id"]
            self._stats.add("tags_created")
            return tag["id"], tag.get("name") or name

    # --- contacts ----------------------------------------------------------------------------
    def find_contact(self, *, source: str, handle: str) -> dict | None:
        alias = quote(f"alt:{source}:{handle}", safe=":@+")
        response = self.http.request("GET", f"/contacts/{alias}", route="GET /contacts/:alias")
        if response.status_code == 404:
            return None
        raise_for_front(response, what="look up a contact", scope="contacts:read")
        return response.json()

    def ensure_contact(self, *, name: str | None, emails: list[str] | None = None,
                       phones: list[str] | None = None) -> str:
        """The id of the contact owning these handles; created (or completed) without duplicates."""
        return self.ensure_contact_found(name=name, emails=emails, phones=phones).id

    def ensure_contact_found(self, *, name: str | None, emails: list[str] | None = None,
                             phones: list[str] | None = None, details: dict[str, Any] | None = None) -> EnsuredContact:
        """`ensure_contact`, saying whether the contact was created here with `details` (description,
        custom_fields: sent with the create, no second call) or already existed (`found`: Front's record,
        so the caller can merge its custom fields, which a PATCH replaces as a whole)."""
        handles = [("email", e.strip().lower()) for e in emails or [] if e and e.strip()]
        handles += [("phone", p.strip()) for p in phones or [] if p and p.strip()]
        handles = list(dict.fromkeys(handles))  # the same address twice is one handle
        if not handles:
            raise errors.InvalidRequest("A contact needs at least one email address or phone number.")
        for source, handle in handles:
            if f"{source}:{handle}" in self._contacts:
                return EnsuredContact(self._contacts[f"{source}:{handle}"], created=False, found=None)
        # One lookup, by the first handle: a contact that owns one of the others makes the create below
        # answer 409, and only then are the others looked up. On a Front that does not know the
        # requester yet (a migration's usual case) that is the minimum: one lookup and one create.
        source, handle = handles[0]
        contact = self.find_contact(source=source, handle=handle)
        created = False
        if contact is None:
            body: dict[str, Any] = {"handles": [{"source": s, "handle": h} for s, h in handles], **(details or {})}
            if name:
                body["name"] = name
            response = self.http.request("POST", "/contacts", route="POST /contacts", json=body)
            # A handle that already belongs to a contact (another worker created it meanwhile, or one of the
            # other handles is someone's): 409 or 400, Front documents neither. Look the others up.
            if response.status_code in (400, 409, 422):
                contact = next(filter(None, (self.find_contact(source=s, handle=h) for s, h in handles)), None)
                if contact is None:
                    raise_for_front(response, what="create a contact", scope="contacts:write")
                    raise AssertionError("unreachable: a 400/409/422 is an error")
            else:
                raise_for_front(response, what="create a contact", scope="contacts:write")
                contact, created = response.json(), True
        known = {(h.get("source"), (h.get("handle") or "").lower()) for h in contact.get("handles", [])}
        for source, handle in handles:
            if (source, handle.lower()) not in known:
                self.add_contact_handle(contact["id"], source=source, handle=handle)
        for source, handle in handles:
            self._contacts[f"{source}:{handle}"] = contact["id"]
        return EnsuredContact(contact["id"], created=created, found=None if created else contact)

    def add_contact_handle(self, contact_id: str, *, source: str, handle: str) -> None:
        response = self.http.request("POST", f"/contacts/{contact_id}/handles", route="POST /contacts/:id/handles",
                                     json={"source": source, "handle": handle})
        if response.status_code in (400, 409, 422) and self.find_contact(source=source, handle=handle):
            return  # the handle is already someone's (409 or 400, Front documents neither): keep going
        if response.status_code != 204:
            raise_for_front(response, what="add a handle to a contact", scope="contacts:write")

    def update_contact(self, contact_id: str, **fields: Any) -> None:
        self._call("PATCH", f"/contacts/{contact_id}", what="update a contact", route="PATCH /contacts/:id",
                   ok=(204,), json=fields)

    # --- messages ----------------------------------------------------------------------------
    @staticmethod
    def import_body(message: ImportedMessage) -> dict[str, Any]:
        sender: dict[str, Any] = {"handle": message.sender_handle}
        if message.sender_name:
            sender["name"] = message.sender_name
        if message.author_id and not message.is_inbound:
            sender["author_id"] = message.author_id
        metadata: dict[str, Any] = {"is_inbound": message.is_inbound, "is_archived": message.is_archived,
                                    "should_skip_rules": message.should_skip_rules}
        if message.thread_ref:
            metadata["thread_ref"] = message.thread_ref
        body: dict[str, Any] = {
            "sender": sender, "to": list(message.to), "body": message.body, "body_format": message.body_format,
            "external_id": message.external_id, "created_at": int(message.created_at.timestamp()),
            "metadata": metadata,
        }
        for key in ("cc", "bcc", "tags"):
            if getattr(message, key):
                body[key] = list(getattr(message, key))
        for key in ("subject", "assignee_id", "conversation_id"):
            if getattr(message, key):
                body[key] = getattr(message, key)
        return body

    def _send_with_files(self, method: str, path: str, *, route: str, what: str, payload: dict,
                         attachments: list[Upload], ok: tuple[int, ...],
                         conflict: type[errors.InvalidRequest] | None = None) -> httpx.Response:
        if not attachments:
            return self._call(method, path, what=what, route=route, ok=ok, conflict=conflict, json=payload)
        spooled = spool_uploads(attachments)  # raises AttachmentTooLarge before any byte is sent
        try:
            def body() -> dict[str, Any]:
                files = []
                for index, (upload, spool) in enumerate(spooled):
                    spool.seek(0)
                    files.append((f"attachments[{index}]", (upload.filename, spool, upload.content_type)))
                return {"data": dict(flatten_form(payload)), "files": files}

            return self._call(method, path, what=what, route=route, ok=ok, conflict=conflict, body=body)
        finally:
            for _, spool in spooled:
                spool.close()

    def import_message(self, inbox_id: str, message: ImportedMessage, attachments: list[Upload] | None = None) -> str:
        """Import one historical message; returns Front's message_uid (the import is asynchronous)."""
        try:
            response = self._send_with_files(
                "POST", f"/inboxes/{inbox_id}/imported_messages", route="POST /inboxes/:id/imported_messages",
                what="import a message", payload=self.import_body(message), attachments=attachments or [],
                # The only conflict an import can meet: "Front won't import two messages with the same
                # external ID" (the spec), answered 409 whatever the words.
                ok=(202,), conflict=errors.DuplicateExternalId)
        except errors.DuplicateExternalId as exc:
            exc.external_id = message.external_id
            # A retry after a lost answer finds the first attempt's import: the message *is* in Front.
            exc.after_retry = self.http.last_attempts > 1
            raise
        uid = response.json()["message_uid"]
        self.uids.started(uid)
        self._stats.add("messages_imported")
        return uid

    def uid_ready_in(self, message_uid: str, *, imported_at: float | None = None) -> float:
        """Seconds before resolving this uid is probably worth a call (0: now). Lets the engine resolve late."""
        return self.uids.seconds_left(message_uid, imported_at)

    def resolve_uid(self, message_uid: str, *, wait: bool = True,
                    imported_at: float | None = None) -> tuple[str, str | None] | None:
        """(message id, conversation id) of an imported message, or None while Front still processes it.

        With wait=True, first sleeps until the message is probably processed (learned from earlier
        answers), so the poll is rarely empty. imported_at (UNIX time of the import) lets a process that
        did not import the message wait just as well. Empty polls count in stats["empty_uid_polls"].
        """
        if wait:
            self.uids.wait_until_ready(message_uid, imported_at)
        response = self.http.request("GET", f"/messages/alt:uid:{message_uid}", route="GET /messages/alt:uid")
        if response.status_code == 404:
            self._stats.add("empty_uid_polls")
            self.uids.was_not_ready(message_uid, imported_at)
            return None
        raise_for_front(response, what="look up an imported message", scope="messages:read")
        self.uids.was_ready(message_uid)
        body = response.json()
        conversation_id = _id_from_link(((body.get("_links") or {}).get("related") or {}).get("conversation"))
        return body["id"], conversation_id

    def add_comment(self, conversation_id: str, *, body: str, author_id: str | None = None,
                    attachments: list[Upload] | None = None) -> str:
        payload: dict[str, Any] = {"body": body}
        if author_id:
            payload["author_id"] = author_id
        response = self._send_with_files(
            "POST", f"/conversations/{conversation_id}/comments", route="POST /conversations/:id/comments",
            what="add a comment", payload=payload, attachments=attachments or [], ok=(201,))
        return response.json()["id"]

    _UNSET: Any = object()

    def update_conversation(self, conversation_id: str, *, status: str | None = None, assignee_id: Any = _UNSET,
                            tag_ids: list[str] | None = None, custom_fields: dict | None = None) -> None:
        """Change status (open/archived/deleted), assignee (None unassigns), tags (replaced), custom fields."""
        payload: dict[str, Any] = {}
        if status:
            payload["status"] = status
        if assignee_id is not self._UNSET:
            payload["assignee_id"] = assignee_id
        if tag_ids is not None:
            payload["tag_ids"] = tag_ids
        if custom_fields is not None:
            payload["custom_fields"] = custom_fields
        if payload:
            self._call("PATCH", f"/conversations/{conversation_id}", what="update a conversation",
                       route="PATCH /conversations/:id", ok=(204,), json=payload)

    def get_conversation(self, conversation_id: str) -> dict:
        return self._call("GET", f"/conversations/{conversation_id}", what="read a conversation",
                          route="GET /conversations/:id").json()

    def get_conversation_or_none(self, conversation_id: str) -> dict | None:
        """The conversation, or None when Front does not know it (a delta run checking what still exists)."""
        try:
            return self.get_conversation(conversation_id)
        except errors.NotFound:
            return None

    def iter_inbox_conversations(self, inbox_id: str) -> Iterator[dict]:
        return self._iterate(f"/inboxes/{inbox_id}/conversations", what="list the inbox's conversations",
                             route="GET /inboxes/:id/conversations", paged=True)

    def iter_messages(self, conversation_id: str) -> Iterator[dict]:
        return self._iterate(f"/conversations/{conversation_id}/messages", what="list a conversation's messages",
                             route="GET /conversations/:id/messages", paged=True)

    def iter_comments(self, conversation_id: str) -> Iterator[dict]:
        return self._iterate(f"/conversations/{conversation_id}/comments", what="list a conversation's comments",
                             route="GET /conversations/:id/comments")
