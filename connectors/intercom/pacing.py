"""Pacing for Intercom's rate limit, shared by the threads of one connector.

Intercom counts requests per app in fixed windows and announces, on every authenticated answer, the
window's budget (`X-RateLimit-Limit`), what is left of it (`X-RateLimit-Remaining`) and when it starts
afresh (`X-RateLimit-Reset`, a UNIX time). Its reference shows ten-second windows (a per-minute limit
shared out); the pacer does not depend on the window's length. A 429 carries the same headers and no
`Retry-After`.

So: calls go out freely while the window has budget; when what is left gets down to one call per thread
in flight, every thread waits for the reset, so the connector uses the whole budget without drawing
429s. A 429 (another app of the workspace spent the budget, or a window that measures differently) holds
every thread until its reset. The reset is read against the answer's own `Date` header, so a server
clock that differs from ours does not shorten the wait.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable

import httpx

MARGIN_S = 0.05  # a little past the reset: the window must have turned on the vendor's side
UNKNOWN_RESET_S = 2.0  # a 429 without a usable reset: wait this long


def _int(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(float(raw))
    except ValueError:
        return None


class IntercomPacer:
    def __init__(self, *, concurrency: int = 1, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, wall: Callable[[], float] = time.time) -> None:
        self.concurrency = max(1, concurrency)
        self._clock, self._sleep, self._wall = clock, sleep, wall
        self._lock = threading.Lock()
        self._remaining: int | None = None  # what the last answer said is left, minus calls sent since
        self._reset_at = 0.0  # when the current window ends, on our monotonic clock
        self._blocked_until = 0.0
        self.limit: int | None = None
        self.waited = 0.0
        self.refusals = 0

    def acquire(self, resource: str | None) -> float:
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                if now >= self._reset_at and self._remaining is not None and now >= self._blocked_until:
                    self._remaining = None  # a new window: the next answer says how much it holds
                wait = self._blocked_until - now
                if wait <= 0 and self._remaining is not None and self._remaining <= self.concurrency:
                    wait = self._reset_at - now + MARGIN_S
                if wait <= 0:
                    if self._remaining is not None:
                        self._remaining -= 1
                    self.waited += waited
                    return waited
            self._sleep(wait)
            waited += wait

    def observe(self, response: httpx.Response, resource: str | None) -> None:
        headers = response.headers
        limit, remaining = _int(headers.get("x-ratelimit-limit")), _int(headers.get("x-ratelimit-remaining"))
        reset = _int(headers.get("x-ratelimit-reset"))
        if limit is None and remaining is None and response.status_code != 429:
            return  # an answer without the headers (no credentials, a download host)
        server_now = self._server_time(headers.get("date"))
        with self._lock:
            now = self._clock()
            reset_at = now + max(0.0, reset - server_now) if reset is not None else None
            if limit is not None:
                self.limit = limit
            if reset_at is not None and (reset_at > self._reset_at + 0.5 or self._remaining is None):
                self._reset_at, self._remaining = reset_at, remaining  # the first answer of a window
            elif remaining is not None and self._remaining is not None:
                self._remaining = min(self._remaining, remaining)  # answers overtaking each other
            if response.status_code == 429:
                self.refusals += 1
                until = reset_at + MARGIN_S if reset_at is not None and reset_at > now else now + UNKNOWN_RESET_S
                self._blocked_until = max(self._blocked_until, until)
                self._reset_at = max(self._reset_at, until)
                self._remaining = 0

    def _server_time(self, raw: str | None) -> float:
        """The answer's own clock (its Date header, to the second), else ours."""
        if raw:
            try:
                return email.utils.parsedate_to_datetime(raw).timestamp()
            except (TypeError, ValueError):
                pass
        return self._wall()
