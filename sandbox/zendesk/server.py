"""A real HTTP server that answers like Zendesk Support's API for one account (subdomain "acme").

Serves a `SampleDataset` with Zendesk's auth (basic `email/token:TOKEN` or OAuth bearer; 401 "Couldn't
authenticate you"), roles (incremental exports are for admins: 403 otherwise), an unknown host answered
like a non-existent subdomain (404 HTML page), cursor-based incremental ticket export, cursor-paginated
comments, sideloaded users, and rate limits: an account-wide requests-per-minute budget plus Zendesk's
10 requests per minute for incremental exports, both answered with 429 + Retry-After. Faults can be
injected (`refuse_next`), and every request is logged so tests can check what was (not) re-read.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.base import Ticket
from connectors.sample.generator import SampleDataset
from sandbox.zendesk import render

ADMIN_EMAIL = "agent1@example.com"
AGENT_EMAIL = "agent2@example.com"  # a non-admin agent
DEFAULT_TOKENS = {"admin": "zd-admin-token", "agent": "zd-agent-token", "oauth": "zd-oauth-token"}
NOT_FOUND_PAGE = (b"<!DOCTYPE html><html><head><title>Help Center Closed</title></head><body>"
                  b"<h1>Oops! The help desk you are looking for does not exist.</h1></body></html>")


@dataclass
class Limits:
    rpm: int = 700  # account-wide requests per minute; 0 = unlimited
    export_rpm: int = 10  # incremental exports per minute (Zendesk's documented limit)
    window_s: float = 60.0  # length of a rate-limit "minute" (tests shorten it)


@dataclass
class StandinState:
    dataset: SampleDataset
    limits: Limits
    hosts: tuple[str, ...]
    tokens: dict[str, str]
    latency_s: float = 0.0
    # The other reading of every guess in docs/vendor-guesses.md (Zendesk section).
    strict: bool = False
    refused: dict[str, int] = field(default_factory=dict)  # path (no .json) -> status answered (tests)
    lock: threading.Lock = field(default_factory=threading.Lock)
    account_hits: deque = field(default_factory=deque)
    export_hits: deque = field(default_factory=deque)
    refusals: int = 0
    refusal_retry_after: int = 1
    blocked_until: float = 0.0  # a client must not come back before this instant after a 429
    early_retries: int = 0
    log: deque = field(default_factory=lambda: deque(maxlen=200_000))
    counters: dict[str, int] = field(default_factory=dict)

    _tickets: OrderedDict = field(default_factory=OrderedDict)

    def ticket(self, i: int) -> Ticket:
        """The dataset's ticket i, remembered for a while: an export page and then each ticket's
        comments ask for the same records, and generating them is the stand-in's main cost."""
        dataset = self.dataset
        key = (dataset, i)  # datasets compare by value: equal ones generate identical tickets
        with self.lock:
            hit = self._tickets.get(key)
            if hit is not None:
                self._tickets.move_to_end(key)
                return hit
        ticket = dataset.ticket(i)
        with self.lock:
            self._tickets[key] = ticket
            while len(self._tickets) > 4096:
                self._tickets.popitem(last=False)
        return ticket

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1


class ZendeskHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms stalls
    server: ZendeskServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and benchmarks read the log
        return

    # ---- plumbing ---------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        limits = self.server.state.limits
        if limits.rpm and not (headers and "X-Rate-Limit" in headers):  # Zendesk announces its budget
            used = len(self.server.state.account_hits)
            self.send_header("X-Rate-Limit", str(limits.rpm))
            self.send_header("X-Rate-Limit-Remaining", str(max(0, limits.rpm - used)))
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), headers=headers)

    def _error(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": error, "description": description}, headers)

    @property
    def base(self) -> str:
        return f"http://{self.headers.get('Host', '127.0.0.1')}"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        state = self.server.state
        parts = urlsplit(self.path)
        path = re.sub(r"\.json$", "", parts.path)
        query = {k: v for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with state.lock:
            state.log.append(("GET", path, parts.query))
        if state.latency_s:
            time.sleep(state.latency_s)
        host = (self.headers.get("Host") or "").split(":")[0]
        if host not in state.hosts:
            self._send(404, NOT_FOUND_PAGE, "text/html; charset=utf-8")
            return
        if self._rate_limited(path):
            return
        from sandbox.zendesk.help_center import serve_file

        if path.startswith("/hc/article_attachments/") and serve_file(self, path):  # help-center files: public
            return
        if path.startswith("/attachments/token/"):
            if self.headers.get("Authorization"):
                with state.lock:
                    state.count("attachment_with_credentials")  # clients should not leak them there
            self._attachment(path)  # token URLs need no credentials, like Zendesk's
            return
        user = self._authenticate()
        if user is False:
            return
        from sandbox.zendesk.routes import route

        route(self, path, query, user)

    def _rate_limited(self, path: str) -> bool:
        state = self.server.state
        now = time.monotonic()
        with state.lock:
            if now < state.blocked_until:
                state.early_retries += 1
            if state.refusals > 0:
                state.refusals -= 1
                retry = state.refusal_retry_after
                state.blocked_until = now + retry
                state.count("injected_429")
            else:
                retry = self._window_wait(state.account_hits, state.limits.rpm, now)
                if retry == 0 and "/incremental/" in path:
                    retry = self._window_wait(state.export_hits, state.limits.export_rpm, now)
                    if retry == 0 and state.limits.export_rpm:
                        state.export_hits.append(now)
                if retry == 0:
                    if state.limits.rpm:
                        state.account_hits.append(now)
                    return False
                state.blocked_until = max(state.blocked_until, now + retry)
                state.count("429")
        self._error(429, "TooManyRequests", "Rate limit exceeded: retry after the number of seconds given.",
                    {"Retry-After": str(retry), "X-Rate-Limit": str(state.limits.rpm or 100_000),
                     "X-Rate-Limit-Remaining": "0"})
        return True

    def _window_wait(self, hits: deque, limit: int, now: float) -> int:
        if not limit:
            return 0
        window = self.server.state.limits.window_s
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) < limit:
            return 0
        return max(1, math.ceil(hits[0] + window - now))

    def _authenticate(self) -> dict[str, Any] | None | bool:
        """The user a request acts as; None for anonymous; False when a 401 was sent."""
        state = self.server.state
        header = self.headers.get("Authorization") or ""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        agents = {a.email: a for a in state.dataset.agents()}
        if scheme.lower() == "bearer" and value == state.tokens["oauth"]:
            return render.agent_user(agents[ADMIN_EMAIL], self.base)
        if scheme.lower() == "basic":
            try:
                login, _, secret = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                login, secret = "", ""
            email, _, kind = login.partition("/")
            if kind == "token":
                if email == ADMIN_EMAIL and secret == state.tokens["admin"]:
                    return render.agent_user(agents[ADMIN_EMAIL], self.base)
                if email == AGENT_EMAIL and secret == state.tokens["agent"]:
                    return render.agent_user(agents[AGENT_EMAIL], self.base)
        self._error(401, "Couldn't authenticate you", "Couldn't authenticate you")
        return False

    def _attachment(self, path: str) -> None:
        match = re.fullmatch(r"/attachments/token/(\d+)/?", path)
        size = self.server.attachment_size(match.group(1)) if match else None
        if size is None:
            self._error(404, "RecordNotFound", "Not found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        for chunk in self.server.state.dataset.attachment_bytes(match.group(1), size):
            self.wfile.write(chunk)


class ZendeskServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: StandinState) -> None:
        super().__init__(address, ZendeskHandler)
        self.state = state

    def attachment_size(self, attachment_id: str) -> int | None:
        """Find an attachment's declared size from its id (message*10+k, message = ticket*1000+n)."""
        aid = int(attachment_id)
        ticket_id, message_id = aid // 10_000, aid // 10
        ds = self.state.dataset
        if not ds.exists(ticket_id):
            return None
        for m in self.state.ticket(ticket_id).messages:
            if int(m.source_id) == message_id:
                for a in m.attachments:
                    if a.source_id == attachment_id:
                        return a.size
        return None


def users_payload(users: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for u in users:
        seen.setdefault(u["id"], u)
    return list(seen.values())
