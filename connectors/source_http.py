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

from connectors import deadline
from connectors.base import (
    BadCredentials,
    MissingPermission,
    NotFound,
    RateLimited,
    Unreachable,
    VendorError,
)
from connectors.http import HttpClient

CHUNK = 256 * 1024


def _seconds(raw: str | None) -> float | None:
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


class RetryAfterGate:
    """Pacer: no pacing while the budget lasts; one request at a time when it runs low; after a 429
    everyone waits the time the vendor asked for.

    Serialising near the end of the budget matters with concurrent detail fetches: otherwise the requests
    already in flight when the 429 arrives reach a vendor that has just asked us to wait."""

    LOW_WATER = 5  # remaining requests at which concurrent threads go single file
    SERIAL_TIMEOUT_S = 60.0  # never wait forever on a thread that died holding the turn

    def __init__(self, *, concurrency: int = 1, clock: Any = time.monotonic, sleep: Any = time.sleep) -> None:
        self.concurrency = max(1, concurrency)
        self._cost = 1  # credits one request costs (Freshdesk: X-RateLimit-Used-CurrentRequest)
        self._lock = threading.Lock()
        self._turn = threading.Lock()
        self._local = threading.local()
        self._blocked_until = 0.0
        self._low = False
        self._last_remaining = 0
        self._clock = clock
        self._sleep = sleep
        self.limits: dict[str, str] = {}
        self.waited = 0.0
        self.refusals = 0

    def acquire(self, resource: str | None) -> float:
        waited = 0.0
        if self._low and not getattr(self._local, "turn", False):
            start = self._clock()
            left = deadline.remaining()
            timeout = self.SERIAL_TIMEOUT_S if left is None else max(0.0, min(self.SERIAL_TIMEOUT_S, left))
            self._local.turn = self._turn.acquire(timeout=timeout)
            waited += self._clock() - start
        with self._lock:
            wait = self._blocked_until - self._clock()
        if wait > 0:
            try:
                deadline.check_wait(wait, service="The help desk")  # a web request cannot wait that long
            except deadline.DeadlineExceeded:
                if getattr(self._local, "turn", False):  # the call ends here: hand the turn on
                    self._local.turn = False
                    self._turn.release()
                raise
            self._sleep(wait)
            waited += wait
        with self._lock:
            self.waited += waited
        return waited

    def observe(self, response: httpx.Response, resource: str | None) -> None:
        headers = response.headers
        for name in ("x-ratelimit-total", "x-ratelimit-remaining", "x-ratelimit-limit-minute",
                     "x-ratelimit-remaining-minute"):
            if name in headers:
                self.limits[name] = headers[name]
        remaining = headers.get("x-ratelimit-remaining", headers.get("x-ratelimit-remaining-minute"))
        if response.status_code == 429:
            wait = _seconds(headers.get("retry-after")) or _seconds(headers.get("x-ratelimit-retry-after"))
            with self._lock:
                self.refusals += 1
                self._low = True
                self._blocked_until = max(self._blocked_until, self._clock() + (1.0 if wait is None else wait))
        elif remaining is not None and remaining.isdigit():
            left = int(remaining)
            used = headers.get("x-ratelimit-used-currentrequest", "")
            with self._lock:
                self._cost = max(self._cost, int(used)) if used.isdigit() else self._cost
                # Enough left for every other thread to have one request in flight, plus this one.
                low_water = max(self.LOW_WATER, self._cost * (self.concurrency + 1))
                if left <= low_water:
                    self._low = True
                elif left > self._last_remaining + low_water:
                    self._low = False  # a fresh window (answers overtaking each other never jump this far)
                self._last_remaining = left
        if getattr(self._local, "turn", False) and response.status_code != 429:
            self._local.turn = False  # a 429 keeps the turn: this thread retries first, after the wait
            self._turn.release()


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


def stream_get(http: HttpClient, url: str, *, service: str, what: str, accept: tuple[int, ...] = (200,),
               send_credentials: bool = True) -> tuple[int, Iterator[bytes] | None]:
    """Open `url` for streaming. Returns (status, chunks); chunks is None when status is not accepted.

    Goes through `HttpClient.open_stream`: SSRF guard, the connector's pacer and pool, retries on
    429/5xx/network errors before any byte is read. `send_credentials` False drops the client's
    Authorization header (pre-signed links on another host: the API key must not travel to the storage
    host, and S3 refuses a request with two authorisations).
    """
    try:
        response = http.open_stream("GET", url, route="GET attachment", resource="download",
                                    credentials=send_credentials)
    except Unreachable as exc:
        raise Unreachable(f"Could not reach {service} to download {what}.") from exc
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
