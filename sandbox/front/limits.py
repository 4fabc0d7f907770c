"""Front's two rate limits as the stand-in enforces them, and the fault switches."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field


class CompanyBudget:
    """Per-company budget: a token bucket holding `rpm` requests, refilled at rpm/60 per second.

    headers(): x-ratelimit-limit (per minute), x-ratelimit-remaining (whole requests left now) and
    x-ratelimit-reset (UNIX time at which the bucket is full again).
    """

    def __init__(self, rpm: int, capacity: int | None = None) -> None:
        self.rpm = rpm
        self.capacity = capacity  # None: a minute's worth; tests use a small one to catch any overuse
        self.tokens = float(self.cap)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    @property
    def cap(self) -> float:
        return float(self.capacity or self.rpm)

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.cap, self.tokens + (now - self.stamp) * self.rpm / 60.0)
        self.stamp = now

    def take(self) -> float | None:
        """None when the request may proceed (one token spent), else seconds until one is available."""
        with self.lock:
            self._refill()
            if self.tokens >= 1:
                self.tokens -= 1
                return None
            return (1 - self.tokens) * 60.0 / self.rpm

    def headers(self) -> dict[str, str]:
        with self.lock:
            self._refill()
            full_in = (self.cap - self.tokens) * 60.0 / self.rpm
            return {"x-ratelimit-limit": str(self.rpm), "x-ratelimit-remaining": str(int(self.tokens)),
                    "x-ratelimit-reset": str(math.ceil(time.time() + full_in))}

    def set_rpm(self, rpm: int) -> None:
        with self.lock:
            self._refill()
            self.rpm = rpm
            self.tokens = min(self.tokens, self.cap)


class BurstLimit:
    """At most `per_second` requests per second on one resource (an endpoint with an id)."""

    def __init__(self, per_second: int = 5) -> None:
        self.per_second = per_second
        self.seen: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def take(self, resource: str) -> float | None:
        with self.lock:
            now = time.monotonic()
            window = self.seen[resource]
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.per_second:
                return 1.0 - (now - window[0])
            window.append(now)
            return None


@dataclass
class Faults:
    """Fault switches, settable at start and at run time (POST /__sandbox/faults)."""

    error_rate: float = 0.0  # share of API requests answered 500/502/503
    drop_rate: float = 0.0  # share of API requests whose connection is closed without an answer
    latency_ms: int = 0  # added to every API answer
    storm_until: float = 0.0  # monotonic time until which every API request gets a budget 429
    script: list[str] = field(default_factory=list)  # next requests' fate, see FrontStandin.set_faults
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, data: dict) -> None:
        with self.lock:
            if data.get("clear"):  # first, so {"clear": true, "drop_rate": 1} means "only this"
                self.error_rate = self.drop_rate = 0.0
                self.latency_ms, self.storm_until, self.script[:] = 0, 0.0, []
            for name in ("error_rate", "drop_rate"):
                if name in data:
                    setattr(self, name, max(0.0, min(1.0, float(data[name]))))
            if "latency_ms" in data:
                self.latency_ms = max(0, int(data["latency_ms"]))
            if "storm_seconds" in data:
                self.storm_until = time.monotonic() + float(data["storm_seconds"])
            if "script" in data:
                self.script.extend(str(s) for s in data["script"])

    def next_fault(self) -> str | None:
        with self.lock:
            if self.script:
                return self.script.pop(0)
            if time.monotonic() < self.storm_until:
                return "storm"
            roll = random.random()
            if roll < self.error_rate:
                return random.choice(["500", "502", "503"])
            if roll < self.error_rate + self.drop_rate:
                return "drop"
            return None

    def as_dict(self) -> dict:
        return {"error_rate": self.error_rate, "drop_rate": self.drop_rate, "latency_ms": self.latency_ms,
                "storm_seconds_left": max(0.0, round(self.storm_until - time.monotonic(), 1)),
                "scripted": list(self.script)}
