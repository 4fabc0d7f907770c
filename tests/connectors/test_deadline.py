"""connectors/deadline.py with the HTTP layer and the pacers: under a caller's deadline no wait starts
that would end past it, and attempts' timeouts are capped to the time left. Without one (Celery tasks,
the CLI) the retries are today's. A fake clock advanced by the client's sleep function: no test waits."""

from __future__ import annotations

import httpx
import pytest

from connectors.base import RateLimited
from connectors.budget import SharedBudget
from connectors.deadline import DeadlineExceeded, deadline, remaining
from connectors.http import HttpClient, RetryPolicy
from connectors.source_http import RetryAfterGate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def rate_limited(retry_after: str, seen: list[httpx.Request]):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(429, headers={"Retry-After": retry_after}, json={"_error": {"status": 429}})
    return handler


def client(handler, clock: FakeClock) -> HttpClient:
    return HttpClient("https://api.example.com", service_name="Front", transport=httpx.MockTransport(handler),
                      retry=RetryPolicy(max_attempts=6), sleep=clock.sleep, allow_private=True)


def test_a_long_retry_after_ends_the_call_at_once_under_a_deadline():
    clock, seen = FakeClock(), []
    http = client(rate_limited("120", seen), clock)
    with deadline(15, clock=clock), pytest.raises(DeadlineExceeded, match="try again in a minute"):
        http.request("GET", "/me")
    assert len(seen) == 1 and clock.sleeps == []  # one attempt; the two minutes were never waited


def test_retry_after_is_honoured_while_it_fits_in_the_deadline():
    clock, seen = FakeClock(), []
    http = client(rate_limited("4", seen), clock)
    with deadline(15, clock=clock), pytest.raises(DeadlineExceeded):
        http.request("GET", "/me")
    # Three waits of 4 s (+ up to 0.25 s of jitter) fit in 15 s; a fourth would end past it.
    assert len(seen) == 4 and len(clock.sleeps) == 3 and all(4 <= s <= 4.25 for s in clock.sleeps)


def test_without_a_deadline_the_retries_are_unchanged():
    clock, seen = FakeClock(), []
    http = client(rate_limited("120", seen), clock)
    with pytest.raises(RateLimited):
        http.request("GET", "/me")
    assert len(seen) == 6 and len(clock.sleeps) == 5 and all(s == 120 for s in clock.sleeps)  # capped at 120


def test_each_attempt_timeout_is_capped_to_the_time_left():
    clock, timeouts = FakeClock(), []

    def answer(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    http = client(answer, clock)
    http.request("GET", "/me")
    with deadline(15, clock=clock):
        clock.now += 12
        http.request("GET", "/me")
    assert timeouts[0]["read"] == 60.0 and timeouts[0]["connect"] == 10.0  # the client's own
    assert timeouts[1]["read"] == pytest.approx(3.0) and timeouts[1]["connect"] == pytest.approx(3.0)


def test_nested_deadlines_keep_the_tighter_one():
    clock = FakeClock()
    with deadline(5, clock=clock):
        with deadline(15, clock=clock):
            assert remaining() == pytest.approx(5)
        with deadline(2, clock=clock):
            assert remaining() == pytest.approx(2)
    assert remaining() is None


def test_a_blocked_company_budget_gives_up_at_once_under_a_deadline(tmp_path):
    import time

    budget = SharedBudget("deadline-test", redis_url="", data_dir=tmp_path)
    budget._set(blocked_until=time.time() + 100)  # a 429 told every process to wait 100 s
    with deadline(15), pytest.raises(DeadlineExceeded):
        budget.acquire(None)


def test_retry_after_gate_gives_up_at_once_under_a_deadline():
    clock = FakeClock()
    gate = RetryAfterGate(clock=clock, sleep=clock.sleep)
    gate.observe(httpx.Response(429, headers={"Retry-After": "60"}), "x")
    with deadline(15, clock=clock), pytest.raises(DeadlineExceeded):
        gate.acquire("x")
    assert clock.sleeps == []
    assert gate.acquire("x") == 60  # a run (no deadline) waits as asked
