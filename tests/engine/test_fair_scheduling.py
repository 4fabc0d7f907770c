"""Fair scheduling (issue 20): one chain of chunk tasks per run, the tick leaves runs that only wait in
the queue alone, a demo waiting for a worker makes full runs hand theirs over, and a demo goes first on
its company's budget (the demo lane)."""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.registry import get_connector
from migrations_engine import budgets, runner
from migrations_engine.budgets import EngineBudget, company_budget_key
from migrations_engine.models import Run
from migrations_engine.services import dispatch_due, queue_for, start_run
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive, make_migration

BACKENDS = ["sqlite", pytest.param("redis", marks=pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)"))]


def test_queues_by_kind():
    assert queue_for("demo") == "demos"
    assert {queue_for(k) for k in ("full", "delta", "remigration", "retry")} == {"runs"}


def test_a_duplicated_message_never_forks_a_run(migration, front, settings):
    settings.ENGINE_CHUNK_SECONDS = 0  # a chunk per group of tickets: many hand-overs
    migration.source_config = {"tickets": 40, "seed": 7}
    migration.save()
    run = start_run(migration=migration, kind="full")
    Run.objects.filter(pk=run.pk).update(chunk_token="first")
    assert runner.execute(run.pk, token="stale") == ("busy", None)  # a token the run never had: dropped
    outcome, token = runner.execute(run.pk, token="first")
    assert outcome == "continue" and token and token != "first"
    run.refresh_from_db()
    assert run.chunk_token == token and run.queued_at is not None and run.lease_owner == ""
    # The same message delivered twice (a redelivery, a rescue): the second one takes nothing.
    assert runner.execute(run.pk, token="first") == ("busy", None)
    chunks = 1
    while outcome == "continue":
        outcome, token = runner.execute(run.pk, token=token)
        chunks += 1
    assert outcome == "done" and chunks > 2
    run.refresh_from_db()
    assert run.state == "completed"
    state = front.state()
    assert max(Counter(m["external_id"] for c in state["conversations"] for m in c["messages"]).values()) == 1
    assert check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                          state=state)["tickets"] > 30


def test_the_tick_leaves_a_run_that_waits_in_the_queue(migration, front, settings):
    run = start_run(migration=migration, kind="full")
    old = timezone.now() - timedelta(minutes=5)
    # Its last chunk ended long ago (stale heartbeat) but its next message is queued: workers are busy.
    Run.objects.filter(pk=run.pk).update(lease_owner="", heartbeat_at=old, started_at=old, chunk_token="queued",
                                         queued_at=timezone.now() - timedelta(seconds=30))
    assert dispatch_due()["rescued"] == 0
    # A message queued longer than ENGINE_QUEUE_RESCUE_SECONDS may be lost (a worker killed while it held
    # it reserved): the same token is sent again, so the run keeps its place and cannot fork.
    Run.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(seconds=settings.ENGINE_QUEUE_RESCUE_SECONDS + 1))
    assert dispatch_due()["rescued"] == 1
    assert dispatch_due()["rescued"] == 0  # one extra message per period at most
    run.refresh_from_db()
    assert run.chunk_token == "queued" and run.queued_at > timezone.now() - timedelta(seconds=30)
    outcome, next_token = runner.execute(run.pk, token="queued")  # whichever copy arrives first works...
    assert outcome in ("continue", "done") and next_token != "queued"
    assert runner.execute(run.pk, token="queued") == ("busy", None)  # ...and the other is dropped


def test_a_waiting_demo_makes_a_full_run_hand_its_worker_over(migration, front, owner, settings):
    settings.ENGINE_DEMO_WAIT_SECONDS = 1
    migration.source_config = {"tickets": 150, "seed": 7}
    migration.save()
    run = start_run(migration=migration, kind="full")
    other = make_migration(owner=owner, front=front, name="demo", front_inbox_id=front.inbox_id("Billing"))
    demo = start_run(migration=other, kind="demo")
    Run.objects.filter(pk=demo.pk).update(queued_at=timezone.now() - timedelta(seconds=5))  # waiting for a worker
    assert runner.demo_waiting(older_than=1)
    assert runner.execute_chunk(run.pk) == "continue"  # handed over at a heartbeat after a second of work
    run.refresh_from_db()
    assert run.lease_owner == "" and run.state == "running"
    assert run.phase != "prepare"  # it worked a little (phases and pages are saved as they end)...
    assert run.counters["tickets"]["done"] < 140  # ...and stopped well before the end
    Run.objects.filter(pk=demo.pk).update(lease_owner="worker-2:1:x", queued_at=None)  # a worker took the demo
    assert not runner.demo_waiting(older_than=1)
    assert drive(run).state == "completed"
    state = front.state()
    assert max(Counter(m["external_id"] for c in state["conversations"] for m in c["messages"]).values()) == 1
    assert check_fidelity(migration=migration, run=Run.objects.get(pk=run.pk),
                          connector=get_connector("sample", migration.source_config), state=state)["tickets"] > 120


def test_budget_keys_per_company_and_kind():
    token = company_budget_key(api_url="https://api2.frontapp.com", company="Acme")
    assert token.startswith("front:") and token.count(":") == 1  # the key earlier versions used
    partner = company_budget_key(api_url="https://api2.frontapp.com", company="Acme", kind="partner")
    assert partner == f"{token}:partner"
    assert company_budget_key(api_url="https://api2.frontapp.com", company="Other") != token


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_demo_lane_puts_a_demo_first_on_its_company_budget(backend, tmp_path, monkeypatch):
    monkeypatch.setattr(budgets, "PRIORITY_HOLD_SECONDS", 0.3)
    redis_url = os.environ.get("REDIS_URL", "") if backend == "redis" else ""
    key = f"front:lane-test-{backend}-{os.getpid()}"
    # 60 rpm: a token a second, a bucket of 1.2 tokens. Refill is negligible during the test.
    full = EngineBudget(key, default_limit=60, redis_url=redis_url, data_dir=tmp_path)
    demo = EngineBudget(key, default_limit=60, priority=True, redis_url=redis_url, data_dir=tmp_path)
    other_company = EngineBudget(key + "-other", default_limit=60, redis_url=redis_url, data_dir=tmp_path)
    full.reset()
    other_company.reset()
    assert full._try_take() == 0.0  # nobody in the lane: a full run takes its token
    assert full._try_take() > 0  # the bucket is empty now
    full.reset()
    assert demo._try_take() == 0.0  # the demo's call marks the lane
    full.reset()
    wait = full._try_take()  # a full run of the same company must leave LANE_RESERVE tokens: it waits...
    assert wait > budgets.LANE_RESERVE - 0.5
    assert demo._try_take() == 0.0  # ...while the demo finds a token at once
    assert other_company._try_take() == 0.0  # another company's runs never wait for it
    import time

    time.sleep(0.35)  # the demo stopped calling: the lane empties by itself
    full.reset()
    assert full._try_take() == 0.0
