"""Small pieces the Help Scout and Freshdesk connectors share on top of connectors/http.py.

- `RetryAfterGate`: a Pacer that, once the vendor answers 429, holds *every* thread of the connector until
  the vendor's wait has passed (`Retry-After` or Help Scout's `X-RateLimit-Retry-After`), so concurrent
  detail fetches never hammer a vendor that asked us to wait; it also keeps the last rate-limit headers.
- `raise_for_status`: a final 4xx/5xx -> a typed ConnectorError with a plain sentence (never the body).
- `stream_get`: stream a file through the connector's HTTP client (SSRF guard, same pool, retries on
  429/5xx before the first byte).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from connectors.base import (
    BadCredentials,
    ConnectorError,
    MissingPermission,
    NotFound,
    RateLimited,
    Unreachable,
    VendorError,
)
from connectors.http import RETRYABLE_STATUSES, HttpClient, guard_url

CHUNK = 256 * 1024


def _seconds(raw: str | None) -> float | None:
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


class RetryAfterGate:
    """Pacer: no pacing until the vendor says 429; then everyone waits the time it asked for."""

    def __init__(self, clock: Any = time.monotonic, sleep: Any = time.sleep) -> None:
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._clock = clock
        self._sleep = sleep
        self.limits: dict[str, str] = {}
        self.waited = 0.0
        self.refusals = 0

    def acquire(self, resource: str) -> float:
        with self._lock:
            wait = self._blocked_until - self._clock()
        if wait > 0:
            self._sleep(wait)
            with self._lock:
                self.waited += wait
            return wait
        return 0.0

    def observe(self, response: httpx.Response, resource: str) -> None:
        headers = response.headers
        for name in ("x-ratelimit-total", "x-ratelimit-remaining", "x-ratelimit-limit-minute",
                     "x-ratelimit-remaining-minute"):
            if name in headers:
                self.limits[name] = headers[name]
        if response.status_code != 429:
            return
        wait = _seconds(headers.get("retry-after")) or _seconds(headers.get("x-ratelimit-retry-after"))
        if wait is None:
            wait = 1.0
        with self._lock:
            self.refusals += 1
            self._blocked_until = max(self._blocked_until, self._clock() + wait)


def raise_for_status(response: httpx.Response, *, service: str, what: str) -> None:
    """Turn a final non-2xx answer into a typed error that reads well in the wizard."""
    code = response.status_code
    if code < 400:
        return
    if code == 401:
        raise BadCredentials(f"{service} did not accept the credentials: check them and try again.")
    if code == 403:
        raise MissingPermission(f"{service} refused access to {what}: the account needs administrator rights.")
    if code == 404:
        raise NotFound(f"{service} could not find {what}.")
    if code == 429:
        raise RateLimited(f"{service} kept refusing requests because of its rate limit.")
    if code >= 500:
        raise VendorError(f"{service} had a problem answering for {what} (error {code}).")
    raise VendorError(f"{service} refused the request for {what} (error {code}).")


def stream_get(http: HttpClient, url: str, *, service: str, what: str,
               accept: tuple[int, ...] = (200,)) -> tuple[int, Iterator[bytes] | None]:
    """Open `url` for streaming. Returns (status, chunks); chunks is None when status is not accepted.

    The 429/5xx/network retry loop of connectors/http.py does not stream, so this repeats it briefly
    for the attachment path (before any byte is read, nothing is lost by retrying).
    """
    guard_url(url)
    attempt = 0
    while True:
        http.pacer.acquire("download")
        http.stats["requests"] += 1
        http.stats["route:GET attachment"] += 1
        try:
            # The connector's own pool: same limits, same proxies, same TLS settings.
            request = http._http.build_request("GET", url)  # noqa: SLF001 - no public streaming API yet
            response = http._http.send(request, stream=True)  # noqa: SLF001
        except httpx.TransportError as exc:
            attempt += 1
            if attempt >= http.retry.max_attempts:
                raise Unreachable(f"Could not reach {service} to download {what}.") from exc
            time.sleep(http.retry.backoff(attempt))
            continue
        http.pacer.observe(response, "download")
        if response.status_code in RETRYABLE_STATUSES and attempt + 1 < http.retry.max_attempts:
            response.close()
            attempt += 1
            time.sleep(_seconds(response.headers.get("retry-after")) or http.retry.backoff(attempt))
            continue
        if response.status_code not in accept:
            response.close()
            return response.status_code, None
        return response.status_code, _chunks(response, service=service, what=what)


def _chunks(response: httpx.Response, *, service: str, what: str) -> Iterator[bytes]:
    try:
        yield from response.iter_bytes(CHUNK)
    except httpx.TransportError as exc:
        raise Unreachable(f"The download of {what} from {service} was cut off.") from exc
    finally:
        response.close()


def plain_error(exc: Exception) -> ConnectorError:
    return exc if isinstance(exc, ConnectorError) else VendorError(str(exc))
