"""Pacing for Zendesk's two limits, shared by the threads of one connector.

- Incremental exports: 10 requests per minute (a sliding window: never an 11th inside 60 s).
- The account budget (700 requests/minute on most plans, announced in `X-Rate-Limit` on every answer):
  a shallow token bucket refilled at 95 % of it, learned from the first answer. Until then calls go out freely;
  a 429 is still honoured by http.py through its `Retry-After`.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import httpx

EXPORTS_PER_MINUTE = 10  # Zendesk's limit for incremental export endpoints
SAFETY = 0.95  # refill at 95 % of the budget...
# ...and keep the bucket shallow: in any window of one "minute", at most depth + 95 % of the limit go
# out. A depth of half the remaining 5 % leaves 2.5 % of the limit for requests that reach Zendesk a
# little later than they left (a busy machine bunches them into the next window).
DEPTH = (1 - SAFETY) / 2


class ZendeskPacer:
    def __init__(self, *, export_per_minute: int = EXPORTS_PER_MINUTE, minute_s: float = 60.0) -> None:
        self.export_per_minute = export_per_minute
        self.minute_s = minute_s  # tests shorten the "minute" of a stand-in
        self._exports: deque[float] = deque()
        self._lock = threading.Lock()
        self._limit: int | None = None  # account requests per minute, from X-Rate-Limit
        self._tokens = 0.0
        self._stamp = time.monotonic()
        self._unpaced = 0  # requests sent before the first answer announced the limit

    def acquire(self, resource: str | None) -> float:
        with self._lock:
            now = time.monotonic()
            wait = self._account_wait(now)
            if resource and "/incremental/" in resource and self.export_per_minute:
                at = now + wait
                while self._exports and self._exports[0] <= at - self.minute_s:
                    self._exports.popleft()
                if len(self._exports) >= self.export_per_minute:
                    wait = max(wait, self._exports[0] + self.minute_s - now)
                self._exports.append(now + wait)
        if wait > 0:
            time.sleep(wait)
        return wait

    def _account_wait(self, now: float) -> float:
        """Take one token (possibly in the future); return how long the caller must wait for it."""
        if not self._limit:
            self._unpaced += 1
            return 0.0
        rate = self._limit / self.minute_s * SAFETY
        capacity = self._depth()
        self._tokens = min(capacity, self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / rate

    def _depth(self) -> float:
        return max(1.0, (self._limit or 0) * DEPTH)

    def observe(self, response: httpx.Response, resource: str | None) -> None:
        raw = response.headers.get("x-rate-limit") or response.headers.get("ratelimit-limit")
        if not raw or not raw.strip().isdigit():
            return
        limit = int(raw)
        with self._lock:
            if limit != self._limit and limit > 0:
                first = self._limit is None
                self._limit = limit
                if first:  # what went out unpaced counts against the first window
                    self._tokens = self._depth() - self._unpaced
                    self._stamp = time.monotonic()
