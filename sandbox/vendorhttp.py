"""A small threaded HTTP server shared by the Help Scout and Freshdesk stand-ins.

Each stand-in subclasses `VendorApp` (routes + state) and is served by `serve(app, port)`. The server speaks
HTTP/1.1 with keep-alive so a connector's connection pool is exercised like against the real vendor, and
every request is counted per route so tests can assert on the calls a connector made.
"""

from __future__ import annotations

import html
import json
import re
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # A large body (attachment bytes) streamed chunk by chunk; `length` must then be given.
    stream: Iterable[bytes] | None = None
    length: int = 0

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None,
             content_type: str = "application/json") -> Response:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(status, data, {"Content-Type": f"{content_type}; charset=UTF-8", **(headers or {})})


Handler = Callable[[Request], Response]


def text_to_html(text: str) -> str:
    """How the vendors store a plain-text message: escaped, line breaks as <br>, in a <div>."""
    return "<div>" + html.escape(text).replace("\n", "<br>") + "</div>"


def iso(dt: datetime) -> str:
    """Vendor timestamps: UTC, second precision, a trailing Z."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MinuteWindow:
    """A fixed-window request budget like the vendors' per-minute limits (window length configurable for tests)."""

    def __init__(self, limit: int | None, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._start = time.monotonic()
        self._used = 0
        self._lock = threading.Lock()

    def take(self, cost: int = 1) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds until the window resets)."""
        with self._lock:
            now = time.monotonic()
            if now - self._start >= self.window_s:
                self._start, self._used = now, 0
            reset = max(0.0, self.window_s - (now - self._start))
            if self.limit is None:
                return True, 10**6, reset
            if self._used + cost > self.limit:
                return False, max(0, self.limit - self._used), reset
            self._used += cost
            return True, self.limit - self._used, reset


class VendorApp:
    """Routes and state of one stand-in. Subclasses call `route()` in `__init__`."""

    service = "vendor"

    def __init__(self, *, latency_ms: int = 0) -> None:
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self.calls: Counter[str] = Counter()
        self.latency_ms = latency_ms
        self.lock = threading.RLock()
        self.base_url = ""  # set once the server knows its port
        self.served: list[int] = []  # ticket ids whose details were served (contract: resume reads only the rest)
        self._refusals = 0
        self._retry_after = 0.0
        self._refused_until = 0.0

    def refuse_next(self, count: int, retry_after: float) -> None:
        """Answer the next `count` API requests with 429 and this Retry-After (tests)."""
        with self.lock:
            self._refusals, self._retry_after = count, retry_after

    def note_refusal(self, retry_after: float) -> None:
        """A 429 the rate limit itself gave: later requests before `retry_after` count as early."""
        with self.lock:
            self.calls["429"] += 1
            self._refused_until = max(self._refused_until, time.monotonic() + retry_after)

    def refusal(self) -> float | None:
        """A pending injected refusal's Retry-After, or None. Counts requests that came back too early."""
        with self.lock:
            now = time.monotonic()
            if now < self._refused_until:
                self.calls["early_retries"] += 1
            if self._refusals > 0:
                self._refusals -= 1
                self._refused_until = now + self._retry_after
                self.calls["429"] += 1
                return self._retry_after
        return None

    def set_base_url(self, url: str) -> None:
        self.base_url = url

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self.routes.append((method, regex, pattern, handler))

    def dispatch(self, request: Request) -> Response:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        for method, regex, pattern, handler in self.routes:
            match = regex.match(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                with self.lock:
                    self.calls[f"{method} {pattern}"] += 1
                return handler(request)
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        return Response.json({"message": f"No route {request.method} {request.path}"}, 404)


def _make_handler(app: VendorApp) -> type[socketserver.StreamRequestHandler]:
    """A lean HTTP/1.1 keep-alive handler: http.server's parser costs milliseconds per request, which
    volume tests (35,000 tickets) cannot afford. Enough of HTTP for httpx and vendor clients."""

    class _Handler(socketserver.StreamRequestHandler):
        disable_nagle_algorithm = True  # headers and streamed bodies go out in separate writes

        def handle(self) -> None:
            try:
                while self._one():
                    pass
            except (ConnectionResetError, BrokenPipeError):
                return  # the client closed a pooled connection: normal end of keep-alive

        def _one(self) -> bool:
            line = self.rfile.readline(65537)
            if not line:
                return False
            try:
                method, target, _version = line.decode("latin-1").split()
            except ValueError:
                return False
            headers: dict[str, str] = {}
            while True:
                raw = self.rfile.readline(65537)
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, _, value = raw.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(target)
            request = Request(
                method=method, path=unquote(parts.path),
                query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                headers=headers, body=body,
            )
            try:
                response = app.dispatch(request)
            except Exception as exc:  # a stand-in bug answers 500 like a vendor outage would
                response = Response.json({"message": f"stand-in error: {exc!r}"}, 500)
            size = response.length if response.stream is not None else len(response.body)
            reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
            head = [f"HTTP/1.1 {response.status} {reason}"]
            head += [f"{k}: {v}" for k, v in response.headers.items()]
            head.append(f"Content-Length: {size}")
            keep = headers.get("connection", "").lower() != "close"
            if not keep:
                head.append("Connection: close")
            data = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8")
            if method == "HEAD":
                self.wfile.write(data)
            elif response.stream is not None:
                self.wfile.write(data)
                for chunk in response.stream:
                    self.wfile.write(chunk)
            else:
                self.wfile.write(data + response.body)
            return keep

    return _Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class ServedApp:
    """Serve a VendorApp on 127.0.0.1 in a background thread: `with ServedApp(app) as s: s.url`."""

    def __init__(self, app: VendorApp, port: int = 0) -> None:
        self.app = app
        self.server = _Server(("127.0.0.1", port), _make_handler(app))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        app.set_base_url(self.url)
        self._thread: threading.Thread | None = None

    def start(self) -> ServedApp:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.app.service}-standin",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def __enter__(self) -> ServedApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
