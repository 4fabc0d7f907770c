"""The Front Core API client the engine uses (target side of every migration).

Every call goes through connectors.http (pacing against the company budget shared by all processes,
retries, 301 follow) and every failure comes out as a typed ConnectorError with a readable message.
The client spends as few calls as Front allows: tags/teammates/inboxes are read once and cached,
contacts are looked up once per handle, and message uids are resolved late enough to rarely poll empty.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from connectors.budget import SharedBudget
from connectors.counters import Stats
from connectors.front import errors
from connectors.front.errors import raise_for_front
from connectors.front.forms import flatten_form, spool_uploads
from connectors.front.types import MAX_TAG_NAME, ImportedMessage, Preflight, Upload
from connectors.front.uids import UidTimer
from connectors.http import HttpClient, RetryPolicy, setting

# One cheap probe per scope a migration needs (scope names as Front's API reference gives them in
# x-required-scopes). Reads are GETs of one item or an unknown id (404 = allowed); writes send an
# empty body, which Front refuses as invalid (400) when the scope is there and as forbidden (403)
# when it is not, so nothing is ever created. "{inbox}" is the first inbox's id.
SCOPE_PROBES: list[tuple[str, str, str, dict | None]] = [
    ("inboxes:read", "GET", "/inboxes", None),
    ("channels:read", "GET", "/inboxes/{inbox}/channels", None),
    ("teammates:read", "GET", "/teammates", None),
    ("tags:read", "GET", "/tags?limit=1", None),
    ("tags:write", "POST", "/tags", {}),
    ("contacts:read", "GET", "/contacts?limit=1", None),
    ("contacts:write", "POST", "/contacts", {}),
    ("custom_fields:read", "GET", "/conversations/custom_fields", None),
    ("conversations:read", "GET", "/inboxes/{inbox}/conversations?limit=1", None),
    ("conversations:write", "PATCH", "/conversations/cnv_preflight", {"status": "preflight"}),
    ("messages:read", "GET", "/messages/alt:uid:preflight", None),
    ("messages:write", "POST", "/inboxes/{inbox}/imported_messages", {}),
    ("comments:read", "GET", "/conversations/cnv_preflight/comments", None),
    ("comments:write", "POST", "/conversations/cnv_preflight/comments", {}),
]


_ID_PATH = re.compile(r"^/(?:inboxes|conversations|contacts|messages|comments|tags|teammates|channels)/[^/]+")


def burst_resource(path: str) -> str | None:
    """Front's burst limit (5 requests/second) applies per resource: an endpoint with an id in it."""
    return path if _ID_PATH.match(path) and not path.endswith("/custom_fields") else None


def _id_from_link(url: str | None) -> str | None:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] if url else None


class FrontClient:
    def __init__(self, token: str, api_url: str | None = None, budget_key: str | None = None, *,
                 retry: RetryPolicy | None = None, budget: SharedBudget | None = None,
                 uid_initial_delay: float = 1.0) -> None:
        api_url = (api_url or setting("FRONT_API_URL", "https://api2.frontapp.com")).rstrip("/")
        # Without a company id yet, one budget per (API URL, token): tokens of one company should pass
        # the company id (from preflight) so they share one budget.
        budget_key = budget_key or hashlib.sha256(f"{api_url}|{token}".encode()).hexdigest()[:24]
        self.budget = budget or SharedBudget(f"front:{budget_key}", default_limit=50)
        self.http = HttpClient(
            api_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            service_name="Front",
            pacer=self.budget,
            retry=retry,
            resource_of=burst_resource,
        )
        self.uids = UidTimer(initial_delay=uid_initial_delay)
        self._stats = Stats()
        self._lock = threading.Lock()
        self._tags: dict[str, str] | None = None
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
        return dict(merged)

    def _call(self, method: str, path: str, *, what: str, route: str, ok: tuple[int, ...] = (200,),
              **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, route=route, **kwargs)
        if response.status_code not in ok:
            raise_for_front(response, what=what)
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
        """Check the token, name the company, list inboxes (with channel addresses), name missing scopes."""
        response = self._call("GET", "/me", what="read the account", route="GET /me")
        me = response.json()
        limit = response.headers.get("x-ratelimit-limit")
        missing: list[str] = []
        inboxes: list[dict] = []
        for scope, method, path, body in SCOPE_PROBES:
            inbox_id = inboxes[0]["id"] if inboxes else "inb_preflight"
            r = self.http.request(method, path.replace("{inbox}", inbox_id), route=f"{method} (preflight)", json=body)
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
                         company_id=me.get("id"), rate_limit=int(limit) if limit and limit.isdigit() else None)

    # --- tags --------------------------------------------------------------------------------
    def tags(self) -> list[dict]:
        return list(self._iterate("/tags", what="list tags", route="GET /tags", paged=True))

    def ensure_tag(self, name: str) -> str:
        """The id of the tag with this name (cut to 64 characters), created once if missing."""
        name = name.strip()[:MAX_TAG_NAME]
        with self._lock:
            if self._tags is None:
                self._tags = {t["name"]: t["id"] for t in self.tags()}
            if name in self._tags:
                return self._tags[name]
        response = self.http.request("POST", "/tags", route="POST /tags", json={"name": name})
        if response.status_code == 409:  # created meanwhile by another worker: read it back
            with self._lock:
                self._tags = {t["name"]: t["id"] for t in self.tags()}
                if name in self._tags:
                    return self._tags[name]
        if response.status_code != 201:
            raise_for_front(response, what=f"create the tag {name!r}")
        tag_id = response.json()["id"]
        with self._lock:
            self._tags[name] = tag_id
        return tag_id

    # --- contacts ----------------------------------------------------------------------------
    def find_contact(self, *, source: str, handle: str) -> dict | None:
        alias = quote(f"alt:{source}:{handle}", safe=":@+")
        response = self.http.request("GET", f"/contacts/{alias}", route="GET /contacts/:alias")
        if response.status_code == 404:
            return None
        raise_for_front(response, what="look up a contact")
        return response.json()

    def ensure_contact(self, *, name: str | None, emails: list[str] | None = None,
                       phones: list[str] | None = None) -> str:
        """The id of the contact owning these handles; created (or completed) without duplicates."""
        handles = [("email", e.strip().lower()) for e in emails or [] if e and e.strip()]
        handles += [("phone", p.strip()) for p in phones or [] if p and p.strip()]
        handles = list(dict.fromkeys(handles))  # the same address twice is one handle
        if not handles:
            raise errors.InvalidRequest("A contact needs at least one email address or phone number.")
        for source, handle in handles:
            if f"{source}:{handle}" in self._contacts:
                return self._contacts[f"{source}:{handle}"]
        # One lookup, by the first handle: a contact that owns one of the others makes the create below
        # answer 409, and only then are the others looked up. On a Front that does not know the
        # requester yet (a migration's usual case) that is the minimum: one lookup and one create.
        source, handle = handles[0]
        contact = self.find_contact(source=source, handle=handle)
        if contact is None:
            body: dict[str, Any] = {"handles": [{"source": s, "handle": h} for s, h in handles]}
            if name:
                body["name"] = name
            response = self.http.request("POST", "/contacts", route="POST /contacts", json=body)
            if response.status_code == 409:  # another worker created it meanwhile
                contact = next(filter(None, (self.find_contact(source=s, handle=h) for s, h in handles)), None)
                if contact is None:
                    raise_for_front(response, what="create a contact")
                    raise AssertionError("unreachable: a 409 is an error")
            else:
                raise_for_front(response, what="create a contact")
                contact = response.json()
        known = {(h.get("source"), (h.get("handle") or "").lower()) for h in contact.get("handles", [])}
        for source, handle in handles:
            if (source, handle.lower()) not in known:
                self.add_contact_handle(contact["id"], source=source, handle=handle)
        for source, handle in handles:
            self._contacts[f"{source}:{handle}"] = contact["id"]
        return contact["id"]

    def add_contact_handle(self, contact_id: str, *, source: str, handle: str) -> None:
        response = self.http.request("POST", f"/contacts/{contact_id}/handles", route="POST /contacts/:id/handles",
                                     json={"source": source, "handle": handle})
        if response.status_code not in (204, 409):  # 409: the handle is already someone's; keep going
            raise_for_front(response, what="add a handle to a contact")

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
                         attachments: list[Upload], ok: tuple[int, ...]) -> httpx.Response:
        if not attachments:
            return self._call(method, path, what=what, route=route, ok=ok, json=payload)
        spooled = spool_uploads(attachments)  # raises AttachmentTooLarge before any byte is sent
        try:
            def body() -> dict[str, Any]:
                files = []
                for index, (upload, spool) in enumerate(spooled):
                    spool.seek(0)
                    files.append((f"attachments[{index}]", (upload.filename, spool, upload.content_type)))
                return {"data": dict(flatten_form(payload)), "files": files}

            return self._call(method, path, what=what, route=route, ok=ok, body=body)
        finally:
            for _, spool in spooled:
                spool.close()

    def import_message(self, inbox_id: str, message: ImportedMessage, attachments: list[Upload] | None = None) -> str:
        """Import one historical message; returns Front's message_uid (the import is asynchronous)."""
        try:
            response = self._send_with_files(
                "POST", f"/inboxes/{inbox_id}/imported_messages", route="POST /inboxes/:id/imported_messages",
                what="import a message", payload=self.import_body(message), attachments=attachments or [],
                ok=(202,))
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
        raise_for_front(response, what="look up an imported message")
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
