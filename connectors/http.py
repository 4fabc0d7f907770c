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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from connectors.base import InvalidConfig, RateLimited, Unreachable, VendorError

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
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


class HttpClient:
    """A base URL + auth headers + the retry/pacing loop. One instance per connection, thread-safe enough
    for one worker thread; share a Pacer (not the client) between threads or processes."""

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
        self._http = httpx.Client(headers=headers or {}, timeout=timeout, follow_redirects=False, transport=transport)
        self.stats: Counter[str] = Counter()
        self._resource_of = resource_of
        self._local = threading.local()

    def close(self) -> None:
        self._http.close()

    @property
    def last_attempts(self) -> int:
        """How many sends this thread's last request took (2+ means an earlier answer was lost or refused)."""
        return getattr(self._local, "attempts", 1)

    def url_for(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return guard_url(path_or_url)  # a link the server gave (pagination): it passes the guard too
        return f"{self.base_url}{path_or_url}"

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        route: str | None = None,
        resource: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        body: BodyFactory | None = None,
        expect: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send with pacing and retries; return the final response (2xx or a non-retryable 4xx).

        route: a label for counters ("POST /inboxes/:id/imported_messages"); resource: the key of a
        per-resource burst limit (default: `resource_of(path)` when given, else the path; None = none). body: a factory returning httpx keyword arguments, called once
        per attempt so streamed multipart bodies are rebuilt from the start on a retry.
        """
        url = self.url_for(path_or_url)
        route = route or f"{method} {urlsplit(url).path}"
        path = urlsplit(url).path
        resource = resource or (self._resource_of(path) if self._resource_of else path)
        redirects = 0
        attempt = 0
        while True:
            self.stats["paced_seconds"] += self.pacer.acquire(resource)
            kwargs: dict[str, Any] = body() if body else {}
            if json is not None:
                kwargs["json"] = json
            self.stats["requests"] += 1
            self.stats[f"route:{route}"] += 1
            try:
                response = self._http.request(method, url, params=params, **kwargs)
            except httpx.TransportError as exc:
                self.stats["network_errors"] += 1
                attempt += 1
                if attempt >= self.retry.max_attempts:
                    raise Unreachable(
                        f"Could not reach {self.service_name} after {attempt} attempts: the connection failed."
                    ) from exc
                self.stats["retries"] += 1
                self._sleep(self.retry.backoff(attempt))
                continue
            self.pacer.observe(response, resource)
            if response.status_code in (301, 302, 307, 308) and "location" in response.headers:
                redirects += 1
                self.stats["redirects"] += 1
                if redirects > self.retry.max_redirects:
                    raise VendorError(f"{self.service_name} redirected too many times.")
                url = guard_url(urljoin(url, response.headers["location"]))
                continue  # same method, same body (Front: a merged conversation)
            if response.status_code in RETRYABLE_STATUSES and response.status_code not in expect:
                attempt += 1
                self.stats[f"status_{response.status_code}"] += 1
                wait = retry_after_seconds(response)
                if attempt >= self.retry.max_attempts:
                    if response.status_code == 429:
                        raise RateLimited(
                            f"{self.service_name} kept refusing requests because of its rate limit; "
                            "the run will try again later.",
                            retry_after=wait,
                        )
                    raise VendorError(
                        f"{self.service_name} is having trouble (error {response.status_code}); "
                        "it was retried several times."
                    )
                self.stats["retries"] += 1
                if wait is None:
                    wait = self.retry.backoff(attempt)
                else:
                    wait += random.uniform(0, 0.25)  # de-synchronise workers that got the same value
                self._sleep(min(wait, 120.0))
                continue
            self._local.attempts = attempt + 1
            return response
