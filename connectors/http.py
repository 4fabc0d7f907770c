"""The one outbound HTTP layer every connector uses (httpx).

What it does for every call: an SSRF guard on the URL, timeouts, pacing against a shared budget,
retries only on 429 / 5xx / network errors (exponential back-off with full jitter, `Retry-After`
honoured), 301 followed with the same method and body, and counters for benchmarks.

What it leaves to the vendor client: turning a final 4xx into a typed, readable error.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies

import httpx

from connectors.base import InvalidConfig, RateLimited, Unreachable, VendorError
from connectors.counters import Stats
from connectors.transport import JOIN_BODY_UP_TO, PooledTransport

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)


ENV_NAMES = {"DATA_DIR": "FRONTPORT_DATA_DIR"}  # settings whose environment variable is named differently


def setting(name: str, default: Any) -> Any:
    """A Django setting when Django is configured (the app), else the environment variable of the same
    name, else `default` (scripts, benchmarks and worker processes without Django)."""
    try:
        from django.conf import settings

        if settings.configured:
            return getattr(settings, name, default)
    except Exception:  # noqa: S110 - Django missing or not set up: fall back to the environment
        pass
    raw = os.environ.get(ENV_NAMES.get(name, name))
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw


def guard_url(url: str, *, allow_private: bool | None = None) -> str:
    """Refuse URLs that would make the server talk to itself or its network (SSRF).

    Only http(s) URLs with a host; unless ALLOW_PRIVATE_URLS is set, only https and only hosts that
    resolve to public addresses. Raises InvalidConfig with a plain sentence.
    """
    if allow_private is None:
        allow_private = bool(setting("ALLOW_PRIVATE_URLS", False))
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidConfig("The address must start with https:// and name a server.")
    if parts.username or parts.password:
        raise InvalidConfig("The address must not contain a user name or password.")
    if allow_private:
        return url.strip()
    if parts.scheme != "https":
        raise InvalidConfig("The address must use https://.")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Unreachable(f"The server {parts.hostname} could not be found: check the address.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise InvalidConfig(f"The address {parts.hostname} points to a private network, which is not allowed.")
    return url.strip()


class Pacer(Protocol):
    """Decides when a call may go out, and learns from the answers (see connectors/budget.py)."""

    def acquire(self, resource: str | None) -> float: ...  # blocks; returns seconds waited

    def observe(self, response: httpx.Response, resource: str | None) -> None: ...


class NoPacing:
    def acquire(self, resource: str | None) -> float:
        return 0.0

    def observe(self, response: httpx.Response, resource: str | None) -> None:
        return None


@dataclass
class RetryPolicy:
    max_attempts: int = 6  # first try included
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_redirects: int = 3

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait in [0, base * 2^attempt], capped."""
        return random.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


def retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


BodyFactory = Callable[[], dict[str, Any]]


def _environment_has_proxy() -> bool:
    """True when HTTP(S)_PROXY / ALL_PROXY is set: httpx's own stack then routes as httpx always did."""
    return any(key in getproxies() for key in ("http", "https", "all"))


class HttpClient:
    """A base URL + auth headers + the retry/pacing loop. One instance per connection, safe to share between
    threads (connections are pooled per request, counters are locked, `last_attempts` is per thread).

    Requests go straight to an httpx transport (connectors/transport.py's PooledTransport unless one is
    injected) rather than through httpx.Client.send: the Client's cookie jar, auth flows and event hooks
    are unused here (every call carries its token) and cost about a third of the CPU of a call.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        service_name: str = "the server",
        pacer: Pacer | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        resource_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self.base_url = guard_url(base_url).rstrip("/")
        self.service_name = service_name
        self.pacer: Pacer = pacer or NoPacing()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._timeout = httpx.Timeout(timeout).as_dict()
        # httpx's default headers (User-Agent, Accept-Encoding, ...) under the caller's, as httpx.Client sends.
        self._headers = httpx.Client(headers=headers or {}, transport=httpx.MockTransport(lambda r: None)).headers
        self._client: httpx.Client | None = None
        if transport is None and _environment_has_proxy():
            self._client = httpx.Client(headers=self._headers, timeout=timeout, follow_redirects=False)
        self._transport: httpx.BaseTransport = transport or PooledTransport()
        self.stats = Stats()
        self._resource_of = resource_of
        self._local = threading.local()

    def close(self) -> None:
        self._transport.close()
        if self._client is not None:
            self._client.close()

    @property
    def last_attempts(self) -> int:
        """How many sends this thread's last request took (2+ means an earlier answer was lost or refused)."""
        return getattr(self._local, "attempts", 1)

    def pause(self, seconds: float) -> None:
        """Sleep with the client's sleep function (tests inject one that only records)."""
        self._sleep(seconds)

    def url_for(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return guard_url(path_or_url)  # a link the server gave (pagination): it passes the guard too
        return f"{self.base_url}{path_or_url}"

    def request(self, method: str, path_or_url: str, *, route: str | None = None, resource: str | None = None,
                params: dict[str, Any] | None = None, json: Any = None, body: BodyFactory | None = None,
                expect: tuple[int, ...] = ()) -> httpx.Response:
        """Send with pacing and retries; return the final response (2xx or a non-retryable 4xx), body read.

        route: a label for counters ("POST /inboxes/:id/imported_messages"); resource: the key of a
        per-resource burst limit (default: `resource_of(path)` when given, else the path; None = none). body: a factory returning httpx keyword arguments, called once
        per attempt so streamed multipart bodies are rebuilt from the start on a retry.
        """
        return self._exchange(method, path_or_url, route=route, resource=resource, params=params, json=json,
                              body=body, expect=expect, stream=False, credentials=True)

    def open_stream(self, method: str, path_or_url: str, *, route: str | None = None, resource: str | None = None,
                    params: dict[str, Any] | None = None, expect: tuple[int, ...] = (),
                    credentials: bool = True) -> httpx.Response:
        """Like request(), but the final response's body is not read: iterate `iter_bytes()`, then close() it.

        Guard, pacing, redirects and retries apply up to the final response; a failure while reading the
        body raises (bytes may already have been handed out, so only the caller can start over).
        credentials=False sends no Authorization header (pre-signed links on a storage host).
        """
        return self._exchange(method, path_or_url, route=route, resource=resource, params=params, json=None,
                              body=None, expect=expect, stream=True, credentials=credentials)

    @contextmanager
    def stream(self, method: str, path_or_url: str, **options: Any) -> Iterator[httpx.Response]:
        """`with http.stream("GET", url) as response: for chunk in response.iter_bytes(): ...` (see open_stream)."""
        response = self.open_stream(method, path_or_url, **options)
        try:
            yield response
        finally:
            response.close()

    def _send(self, method: str, url: str, params: dict[str, Any] | None, kwargs: dict[str, Any],
              credentials: bool, stream: bool) -> httpx.Response:
        request = httpx.Request(method, url, params=params, headers=self._headers,
                                extensions={"timeout": self._timeout}, **kwargs)
        if not credentials:
            request.headers.pop("Authorization", None)
        if "files" in kwargs and not isinstance(self._transport, PooledTransport) and (
                int(request.headers.get("content-length") or JOIN_BODY_UP_TO + 1) <= JOIN_BODY_UP_TO):
            # httpcore writes each multipart piece in its own syscall; one buffer is one write
            # (PooledTransport gathers by itself, without this copy).
            request.read()
        if self._client is not None:  # a proxy is configured: httpx's full stack
            return self._client.send(request, stream=stream)
        response = self._transport.handle_request(request)
        response.request = request
        if not stream:
            try:
                response.read()
            except BaseException:
                response.close()
                raise
        return response

    def _exchange(self, method: str, path_or_url: str, *, route: str | None, resource: str | None,
                  params: dict[str, Any] | None, json: Any, body: BodyFactory | None, expect: tuple[int, ...],
                  stream: bool, credentials: bool) -> httpx.Response:
        url = self.url_for(path_or_url)
        path = urlsplit(url).path
        route = route or f"{method} {path}"
        resource = resource or (self._resource_of(path) if self._resource_of else path)
        origin = urlsplit(url)[:2]
        route_key = f"route:{route}"
        redirects = 0
        attempt = 0
        while True:
            waited = self.pacer.acquire(resource)
            if waited:
                self.stats.add("paced_seconds", waited)
            kwargs: dict[str, Any] = body() if body else {}
            if json is not None:
                kwargs["json"] = json
            self.stats.add_many("requests", route_key)
            try:
                response = self._send(method, url, params, kwargs, credentials, stream)
            except httpx.TransportError as exc:
                self.stats.add("network_errors")
                attempt += 1
                if attempt >= self.retry.max_attempts:
                    raise Unreachable(
                        f"Could not reach {self.service_name} after {attempt} attempts: the connection failed."
                    ) from exc
                self.stats.add("retries")
                self._sleep(self.retry.backoff(attempt))
                continue
            self.pacer.observe(response, resource)
            status = response.status_code
            if status in REDIRECT_STATUSES and "location" in response.headers:
                response.close()
                redirects += 1
                self.stats.add("redirects")
                if redirects > self.retry.max_redirects:
                    raise VendorError(f"{self.service_name} redirected too many times.")
                url = guard_url(urljoin(url, response.headers["location"]))
                if status == 303:  # "see other": fetch the answer with a GET (the body was taken)
                    method, json, body = "GET", None, None
                # Like httpx: credentials never follow a redirect to another host.
                credentials = credentials and urlsplit(url)[:2] == origin
                params = None  # the Location carries its own query
                continue  # otherwise same method, same body (Front: a merged conversation)
            if status in RETRYABLE_STATUSES and status not in expect:
                response.close()
                attempt += 1
                self.stats.add(f"status_{status}")
                wait = retry_after_seconds(response)
                if attempt >= self.retry.max_attempts:
                    if status == 429:
                        raise RateLimited(
                            f"{self.service_name} kept refusing requests because of its rate limit; "
                            "the run will try again later.",
                            retry_after=wait,
                        )
                    raise VendorError(
                        f"{self.service_name} is having trouble (error {status}); it was retried several times."
                    )
                self.stats.add("retries")
                if wait is None:
                    wait = self.retry.backoff(attempt)
                else:
                    wait += random.uniform(0, 0.25)  # de-synchronise workers that got the same value
                self._sleep(min(wait, 120.0))
                continue
            self._local.attempts = attempt + 1
            return response
