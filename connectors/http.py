"""The one outbound HTTP layer every connector uses: one `httpx.Client` per connection, and the loop on top.

What it does for every call: an SSRF guard on the URL and on the address each connection opens
(connectors/addresses.py), timeouts, pacing against a shared budget, retries only on 429 / 5xx / network
errors (exponential back-off with full jitter, `Retry-After` honoured), 301 followed with the same method
and body, counters for benchmarks, and the caller's overall deadline when there is one
(connectors/deadline.py: a web request's vendor calls).

httpx does the HTTP: connection pool, keep-alive, TLS, timeouts, proxies from the environment
(HTTP(S)_PROXY, NO_PROXY, as httpx always does), and auth flows (Help Scout's token, an `httpx.Auth`).
What it leaves to the vendor client: turning a final 4xx into a typed, readable error.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from connectors import addresses, deadline
from connectors.base import RateLimited, Unreachable, VendorError
from connectors.counters import Stats

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
# A multipart body of known length up to this size is read into one buffer before sending: httpcore
# writes every part header, file chunk and CRLF in its own syscall otherwise. Larger bodies stream.
JOIN_BODY_UP_TO = 1024 * 1024
MAX_RETRY_AFTER = 120.0  # seconds; a longer Retry-After is capped (a run's chunk backs off by itself)


ENV_NAMES = {"DATA_DIR": "FRONTPORT_DATA_DIR"}  # settings whose environment variable is named differently


def setting(name: str, default: Any) -> Any:
    """A Django setting when Django is configured (the app), else the environment variable of the same
    name, else `default` (scripts, benchmarks and worker processes without Django)."""
    try:
        from django.conf import settings

        if settings.configured:
            return getattr(settings, name, default)
    except ImportError:  # Django missing: fall back to the environment
        pass
    raw = os.environ.get(ENV_NAMES.get(name, name))
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw


def private_urls_allowed() -> bool:
    return bool(setting("ALLOW_PRIVATE_URLS", False))


def guard_url(url: str, *, allow_private: bool | None = None) -> str:
    """connectors.addresses.guard_url with ALLOW_PRIVATE_URLS as the default."""
    return addresses.guard_url(url, allow_private=private_urls_allowed() if allow_private is None else allow_private)


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
QueryParams = dict[str, Any] | list[tuple[str, Any]]


DRAIN_UP_TO = 64 * 1024  # an unread answer body up to this size is read before it is dropped


def _discard(response: httpx.Response) -> None:
    """Drop an answer we will not use (redirect, retried error). A small unread body is read first so its
    keep-alive connection goes back to the pool (httpcore closes a connection whose body was left unread)."""
    try:
        if not response.is_stream_consumed and int(response.headers.get("content-length") or DRAIN_UP_TO + 1) <= DRAIN_UP_TO:
            response.read()
    except httpx.HTTPError:
        pass  # the connection is dropped with the answer
    finally:
        response.close()


class _NoCookies(CookieJar):
    """Every call carries its own credentials: cookies a vendor sets are never stored or sent back."""

    def __init__(self) -> None:
        super().__init__(policy=DefaultCookiePolicy(allowed_domains=[]))


class HttpClient:
    """A base URL + default headers + the retry/pacing/redirect loop over one `httpx.Client` (its pool is
    shared by every thread using this connection; counters are locked, `last_attempts` is per thread).

    auth: an `httpx.Auth` for credentials that are not a fixed header (Help Scout's renewing token).
    transport: for tests only (an `httpx.MockTransport`); by default httpx's own transport, whose
    connections open through the SSRF guard unless ALLOW_PRIVATE_URLS.
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
        auth: httpx.Auth | None = None,
        resource_of: Callable[[str], str | None] | None = None,
        allow_private: bool | None = None,
    ) -> None:
        allow_private = private_urls_allowed() if allow_private is None else allow_private
        self._allow_private = allow_private
        self.base_url = guard_url(base_url, allow_private=allow_private).rstrip("/")
        self.service_name = service_name
        self.pacer: Pacer = pacer or NoPacing()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._timeout = httpx.Timeout(timeout)
        if transport is None and not allow_private:
            transport = addresses.GuardedTransport()
        self._client = httpx.Client(headers=headers or {}, timeout=self._timeout, follow_redirects=False,
                                    transport=transport, auth=auth, cookies=_NoCookies())
        self.stats = Stats()
        self._resource_of = resource_of
        self._local = threading.local()

    def close(self) -> None:
        self._client.close()

    @property
    def last_attempts(self) -> int:
        """How many sends this thread's last request took (2+ means an earlier answer was lost or refused)."""
        return getattr(self._local, "attempts", 1)

    def pause(self, seconds: float) -> None:
        """Sleep with the client's sleep function (tests inject one that only records), within the deadline."""
        deadline.check_wait(seconds, service=self.service_name)
        self._sleep(seconds)

    def url_for(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            # A link the server gave (pagination): it passes the guard too.
            return guard_url(path_or_url, allow_private=self._allow_private)
        return f"{self.base_url}{path_or_url}"

    def request(self, method: str, path_or_url: str, *, route: str | None = None, resource: str | None = None,
                params: QueryParams | None = None, json: Any = None, body: BodyFactory | None = None,
                expect: tuple[int, ...] = ()) -> httpx.Response:
        """Send with pacing and retries; return the final response (2xx or a non-retryable 4xx), body read.

        route: a label for counters ("POST /inboxes/:id/imported_messages"); resource: the key of a
        per-resource burst limit (default: `resource_of(path)` when given, else the path; None = none). body: a factory returning httpx keyword arguments, called once
        per attempt so streamed multipart bodies are rebuilt from the start on a retry.
        """
        return self._exchange(method, path_or_url, route=route, resource=resource, params=params, json=json,
                              body=body, expect=expect, stream=False, credentials=True)

    def open_stream(self, method: str, path_or_url: str, *, route: str | None = None, resource: str | None = None,
                    params: QueryParams | None = None, expect: tuple[int, ...] = (),
                    credentials: bool = True) -> httpx.Response:
        """Like request(), but the final response's body is not read: iterate `iter_bytes()`, then close() it.

        Guard, pacing, redirects and retries apply up to the final response; a failure while reading the
        body raises (bytes may already have been handed out, so only the caller can start over).
        credentials=False sends no Authorization header and no auth flow (pre-signed links on a storage host).
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

    def _deadline_timeout(self) -> dict[str, Any]:
        """Under a caller's deadline, the client's timeouts each capped to the time left (else nothing:
        the client's own timeouts apply)."""
        left = deadline.check_time_left(service=self.service_name)
        if left is None:
            return {}
        t = self._timeout

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        return {"timeout": httpx.Timeout(connect=cap(t.connect), read=cap(t.read), write=cap(t.write),
                                         pool=cap(t.pool))}

    def _send(self, method: str, url: str, params: QueryParams | None, kwargs: dict[str, Any],
              credentials: bool, stream: bool) -> httpx.Response:
        request = self._client.build_request(method, url, params=params, **self._deadline_timeout(), **kwargs)
        if not credentials:
            request.headers.pop("Authorization", None)
        if "files" in kwargs and int(request.headers.get("content-length") or JOIN_BODY_UP_TO + 1) <= JOIN_BODY_UP_TO:
            request.read()  # one buffer, one write (see JOIN_BODY_UP_TO)
        if credentials:
            return self._client.send(request, stream=stream)
        return self._client.send(request, stream=stream, auth=None)

    def _wait_before_retry(self, seconds: float) -> None:
        deadline.check_wait(seconds, service=self.service_name)
        self._sleep(seconds)

    def _exchange(self, method: str, path_or_url: str, *, route: str | None, resource: str | None,
                  params: QueryParams | None, json: Any, body: BodyFactory | None, expect: tuple[int, ...],
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
                self._wait_before_retry(self.retry.backoff(attempt))
                continue
            self.pacer.observe(response, resource)
            status = response.status_code
            if status in REDIRECT_STATUSES and "location" in response.headers:
                _discard(response)
                redirects += 1
                self.stats.add("redirects")
                if redirects > self.retry.max_redirects:
                    raise VendorError(f"{self.service_name} redirected too many times.")
                url = guard_url(urljoin(url, response.headers["location"]), allow_private=self._allow_private)
                if status == 303:  # "see other": fetch the answer with a GET (the body was taken)
                    method, json, body = "GET", None, None
                # Like httpx: credentials never follow a redirect to another host.
                credentials = credentials and urlsplit(url)[:2] == origin
                params = None  # the Location carries its own query
                continue  # otherwise same method, same body (Front: a merged conversation)
            if status in RETRYABLE_STATUSES and status not in expect:
                _discard(response)
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
                self._wait_before_retry(min(wait, MAX_RETRY_AFTER))
                continue
            self._local.attempts = attempt + 1
            return response
