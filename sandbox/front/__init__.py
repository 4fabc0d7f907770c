"""A local Front (Core API) for tests, benchmarks and the offline try-out. See docs/front.md.

    with FrontStandin(token="t", rpm=600, latency_ms=0, process_delay_s=0.05) as front:
        front.url, front.state(), front.set_faults(error_rate=0.1)
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import TYPE_CHECKING, Any

from sandbox.front.limits import BurstLimit, CompanyBudget, Faults
from sandbox.front.oauth import PRIVATE_REFUSAL, OAuthServer
from sandbox.front.state import ALL_SCOPES, Company

if TYPE_CHECKING:
    from sandbox.front.server import Handler

__all__ = ["ALL_SCOPES", "FrontStandin"]


class FrontStandin:
    def __init__(self, *, token: str = "sandbox-front-token", rpm: int = 100, latency_ms: int = 0,  # noqa: S107
                 process_delay_s: float = 1.0, faults: float = 0.0, host: str = "127.0.0.1", port: int = 0,
                 burst_per_second: int = 5, validate_responses: bool = True, budget_capacity: int | None = None,
                 company_name: str = "Acme Support (Front sandbox)", strict: bool = False, partner_rpm: int = 120,
                 oauth_client_id: str = "sandbox-oauth-client", oauth_client_secret: str = "sandbox-oauth-secret",  # noqa: S107
                 oauth_token_ttl: float = 3600.0, inboxes: int = 3) -> None:
        self.host, self.port = host, port
        # strict=True takes the other reading of every Front guess in docs/vendor-guesses.md.
        self.strict = strict
        self.company = Company(name=company_name, strict=strict)
        for n in range(len(self.company.inboxes) + 1, inboxes + 1):  # beyond the three seeded ones
            self.company.add_inbox(f"Queue {n}", f"queue{n}@acme.example")
        self.budget = CompanyBudget(rpm, budget_capacity)
        # Calls made with an OAuth access token count against Front's separate partner budget (DESIGN §8).
        self.partner_budget = CompanyBudget(partner_rpm, budget_capacity)
        self.oauth = OAuthServer(client_id=oauth_client_id, client_secret=oauth_client_secret,
                                 token_ttl=oauth_token_ttl, strict=strict)
        self.burst = BurstLimit(burst_per_second)
        self.faults = Faults()
        # --faults RATE: that share of requests fails, half as 5xx answers, half as dropped connections.
        self.faults.update({"error_rate": faults / 2, "drop_rate": faults / 2, "latency_ms": latency_ms})
        self.process_delay_s = process_delay_s
        self.validate_responses = validate_responses
        admin = next(iter(self.company.teammates))
        self.tokens: dict[str, tuple[frozenset[str], str]] = {token: (ALL_SCOPES, admin)}
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FrontStandin:
        from sandbox.front.server import FrontServer, Handler

        handler = type("BoundHandler", (Handler,), {"standin": self})
        self._server = FrontServer((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        self.company.base_url = self.url
        from sandbox.front import spec

        spec.openapi_for(self.url)  # parse the spec now, not on the first request
        self._thread = threading.Thread(target=self._server.serve_forever, name="front-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FrontStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        if self._server is None:
            self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stop()

    # --- test helpers --------------------------------------------------------------------------
    def state(self) -> dict:
        return self.company.dump()

    def set_faults(self, **switches: Any) -> None:
        """error_rate, drop_rate, latency_ms, storm_seconds, clear=True, and script=[...]: the fate of the
        next requests, in order: "500"/"502"/"503", "drop" (before handling), "drop_after" (handled, answer
        lost), "429" (budget), "429burst"."""
        self.faults.update(switches)

    def add_token(self, token: str, *, scopes: set[str] | frozenset[str] = ALL_SCOPES) -> None:
        admin = next(iter(self.company.teammates))
        self.tokens[token] = (frozenset(scopes), admin)

    def merge(self, source_id: str, target_id: str) -> None:
        """Merge one conversation into another, as a Front user would: the old id then answers 301."""
        with self.company.lock:
            source, target = self.company.conversations[source_id], self.company.conversations[target_id]
            source.merged_into = target_id
            # Like Front, the merged conversation's messages and comments now live in the target.
            target.message_ids += source.message_ids
            target.comment_ids += source.comment_ids
            for mid in source.message_ids:
                self.company.messages[mid]["conversation_id"] = target_id
            for com in source.comment_ids:
                self.company.comments[com]["conversation_id"] = target_id
            source.message_ids, source.comment_ids = [], []

    def process_now(self) -> None:
        with self.company.lock:
            self.company.process_due(now=float("inf"))

    def inbox_id(self, name: str = "Support") -> str:
        return next(i for i, inbox in self.company.inboxes.items() if inbox["name"] == name)

    def teammate_id(self, email: str) -> str:
        return next(t for t, v in self.company.teammates.items() if v["email"] == email)

    # --- request policing, called by the handler ------------------------------------------------
    def _token(self, headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else ""

    def scopes_of(self, headers: dict[str, str]) -> frozenset[str]:
        token = self._token(headers)
        if self.oauth.is_access_token(token):  # an OAuth app's permissions are set on the app: all of ours
            return ALL_SCOPES if self.oauth.teammate_of(token) else frozenset()
        return self.tokens.get(token, (frozenset(), ""))[0]

    def teammate_of(self, headers: dict[str, str]) -> str | None:
        token = self._token(headers)
        if self.oauth.is_access_token(token):
            return self.oauth.teammate_of(token)
        return self.tokens.get(token, (frozenset(), None))[1]

    def add_private_inbox(self, name: str, *, owner_email: str = "agent1@example.com") -> str:
        """A teammate's private inbox: an API token reaches it, an OAuth token does not."""
        with self.company.lock:
            iid, cid = self.company.new_id("inb"), self.company.new_id("cha")
            self.company.inboxes[iid] = {"id": iid, "name": name, "private": True,
                                         "owner": self.teammate_id(owner_email)}
            self.company.channels[cid] = {"id": cid, "inbox_id": iid, "name": name,
                                          "address": f"{name.lower().replace(' ', '-')}@acme.example"}
        return iid

    def _oauth_refused(self, path: str) -> bool:
        """What an OAuth token may not reach: a private inbox (and what is in it), knowledge bases."""
        if path.startswith("/knowledge_bases") or path.startswith("/knowledge_base"):
            return True
        parts = path.split("/")
        return len(parts) > 2 and parts[1] == "inboxes" and bool(
            self.company.inboxes.get(parts[2], {}).get("private"))

    def oauth_request(self, method: str, path: str, query: list, body: bytes,
                      headers: dict[str, str]) -> tuple[int, bytes, str, dict]:
        """/oauth/authorize (the approval page) and /oauth/token (code exchange, refresh)."""
        if path.rstrip("/") == "/oauth/authorize" and method == "GET":
            return self.oauth.authorize_page(dict(query), self.company.teammates)
        if path.rstrip("/") == "/oauth/authorize" and method == "POST":
            from urllib.parse import parse_qsl

            return self.oauth.authorize_post(dict(parse_qsl(body.decode())), self.company.teammates)
        if path.rstrip("/") == "/oauth/token" and method == "POST":
            return self.oauth.token(headers, body)
        return 404, b'{"error": "not_found"}', "application/json", {}

    def api_request(self, handler: Handler, method: str, path: str, query: list, body: bytes) -> None:
        from sandbox.front.routes import ApiError
        from sandbox.front.server import api_answer

        co = self.company
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        extra: dict[str, str] = {}
        remaining: str | None = None  # overrides x-ratelimit-remaining for injected 429s
        fault = None
        oauth = False
        try:
            fault = self.faults.next_fault()
            if fault:
                co.count("faults_injected")
            if fault == "drop":
                co.count("connections_dropped")
                handler.drop()
                return
            if fault in ("500", "502", "503"):
                raise ApiError(int(fault), "Server error", "Injected fault: the stand-in is pretending to fail")
            token = self._token(headers)
            oauth = self.oauth.is_access_token(token)
            if oauth and self.oauth.teammate_of(token) is None:
                raise ApiError(401, "Unauthorized", "The access token is invalid or has expired")
            if not oauth and token not in self.tokens:
                raise ApiError(401, "Unauthorized", "Invalid or missing API token")
            budget = self.partner_budget if oauth else self.budget
            if fault in ("storm", "429"):
                co.count("rate_limited_budget")
                remaining = "0"
                if fault == "storm":  # like Front, say when the budget is back: the storm's end
                    extra["retry-after"] = str(max(1, math.ceil(self.faults.storm_until - time.monotonic())))
                raise ApiError(429, "Too many requests", "Rate limit exceeded for this company")
            if fault == "429burst":
                co.count("rate_limited_burst")
                raise ApiError(429, "Too many requests", "Burst limit: at most 5 requests per second on this resource")
            wait = budget.take()
            if wait is not None:
                co.count("rate_limited_budget")
                co.count("rate_limited", "partner" if oauth else "token")
                extra["retry-after"] = str(max(1, int(wait + 0.999)))
                raise ApiError(429, "Too many requests", "Rate limit exceeded for this company")
            co.count("budget_spent")
            co.count("spent", "partner" if oauth else "token")
            if oauth and self._oauth_refused(path):
                co.count("oauth_refused")
                if self.strict:  # Front does not say how the refusal reads: strict answers as if it did not exist
                    raise ApiError(404, "Not found", "Resource not found")
                raise ApiError(403, "Forbidden", PRIVATE_REFUSAL)
            status, payload, extra, _ = api_answer(self, method, path, query, body, headers,
                                                          headers.get("content-type", ""))
            if fault == "drop_after":  # done, but the answer is lost on the way back
                co.count("connections_dropped")
                handler.drop()
                return
        except ApiError as exc:
            status, payload = exc.status, {"_error": {"status": exc.status, "title": exc.title, "message": exc.message}}
            if status == 429 and "retry-after" not in extra:
                extra["retry-after"] = "1"
        rate = (self.partner_budget if oauth else self.budget).headers()
        if status == 429 and payload["_error"]["message"].startswith("Burst"):
            # A burst 429 leaves the company budget untouched: the headers say so.
            rate["x-ratelimit-remaining"] = str(max(1, int(rate["x-ratelimit-remaining"])))
        elif status == 429:
            rate["x-ratelimit-remaining"] = remaining or "0"
        co.count("statuses", str(status))
        raw = json.dumps(payload).encode() if payload is not None else b""
        handler.send(status, raw, headers={**rate, **extra})

    # --- control routes (no auth, no budget) ----------------------------------------------------
    def control(self, method: str, path: str, body: bytes) -> tuple[int, bytes, str]:
        from sandbox.front.html import render

        if method == "GET" and path in ("/", "/__sandbox", "/__sandbox/"):
            return 200, render(self.state()).encode(), "text/html; charset=utf-8"
        if method == "GET" and path.startswith("/__sandbox/open/"):
            # Front's app opens a conversation at app.frontapp.com/open/<id>; reports link here offline
            # (FRONT_APP_URL=<stand-in>/__sandbox on the embedded default).
            return 200, render(self.state(), open_id=path.removeprefix("/__sandbox/open/")).encode(), \
                "text/html; charset=utf-8"
        if method == "GET" and path == "/__sandbox/state":
            return 200, json.dumps(self.state() | {"faults": self.faults.as_dict(), "oauth": self.oauth.as_dict()},
                                   indent=1).encode(), "application/json"
        if method == "GET" and path == "/__sandbox/counters":  # the counters alone: cheap to poll (benchmarks)
            with self.company.lock:
                counters = json.loads(json.dumps(self.company.counters))
            return 200, json.dumps(counters | {"rpm": self.budget.rpm, "at": time.time()}).encode(), "application/json"
        if method == "POST" and path == "/__sandbox/faults":
            try:
                self.set_faults(**json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return 400, json.dumps({"error": str(exc)}).encode(), "application/json"
            return 200, json.dumps(self.faults.as_dict()).encode(), "application/json"
        if method == "POST" and path == "/__sandbox/rpm":
            self.budget.set_rpm(int(json.loads(body or b"{}").get("rpm", self.budget.rpm)))
            return 200, json.dumps({"rpm": self.budget.rpm}).encode(), "application/json"
        if method == "POST" and path == "/__sandbox/partner_rpm":
            self.partner_budget.set_rpm(int(json.loads(body or b"{}").get("rpm", self.partner_budget.rpm)))
            return 200, json.dumps({"rpm": self.partner_budget.rpm}).encode(), "application/json"
        if method == "POST" and path == "/__sandbox/oauth":
            try:
                answer = self.oauth.control(json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return 400, json.dumps({"error": str(exc)}).encode(), "application/json"
            return 200, json.dumps(answer).encode(), "application/json"
        if method == "POST" and path == "/__sandbox/merge":
            data = json.loads(body or b"{}")
            self.merge(data["source"], data["target"])
            return 200, b"{}", "application/json"
        return 404, json.dumps({"error": "unknown sandbox route"}).encode(), "application/json"

