"""A run that waits on a tight Front budget is alive, and says so.

Under a small budget shared by several migrations a ticket can take minutes of paced calls. The lease's
heartbeat used to be renewed only between tickets, so a healthy run looked dead (stale heartbeat): the
tick handed it to a second execution, and a pause was taken as "no worker holds it". The pacer now
renews the heartbeat while it waits, and a stop (pause) is noticed there, between two calls.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from django.db import connections
from django.utils import timezone

from migrations_engine import runner
from migrations_engine.models import FrontWrite, Run
from migrations_engine.services import pause_run, start_run
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.engine.conftest import make_migration


@pytest.mark.django_db(transaction=True)
def test_heartbeat_stays_fresh_while_calls_wait_on_the_budget(owner, settings):
    settings.ENGINE_TICKET_THREADS = 1  # one thread: nothing else would beat between two tickets
    settings.ENGINE_CHUNK_SECONDS = 300
    settings.ENGINE_FRONT_BURST_GATE = False
    # 60 requests per minute: about one call a second, so one ticket (contact, tags, several imports,
    # uid lookup, notes) takes several seconds of paced calls.
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=60, burst_per_second=100_000, latency_ms=0,
                      process_delay_s=0.02, validate_responses=False) as front:
        migration = make_migration(owner=owner, front=front, source_config={"tickets": 30, "seed": 7},
                                   options={"tag": "migrated", "token_share": 100})
        run = start_run(migration=migration, kind="full")
        outcome: list[str] = []

        def work() -> None:
            try:
                outcome.append(runner.execute_chunk(run.pk))
            finally:
                connections.close_all()

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        ages: list[float] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            row = Run.objects.filter(pk=run.pk).values("heartbeat_at", "lease_owner").get()
            if row["lease_owner"] and row["heartbeat_at"]:
                ages.append((timezone.now() - row["heartbeat_at"]).total_seconds())
            time.sleep(0.2)
        calls_seen = sum(json.load(urllib.request.urlopen(f"{front.url}/__sandbox/counters"))["routes"].values())  # noqa: S310
        paused_at = time.monotonic()
        paused = pause_run(run=run)
        worker.join(timeout=60)
        stopped_after = time.monotonic() - paused_at

    assert not worker.is_alive()
    # It worked all along (paced), with fewer calls than 20 seconds could hold at full speed.
    assert 10 <= calls_seen <= 25, calls_seen
    assert FrontWrite.objects.filter(migration=migration, state="sent").exists()
    # The heartbeat was renewed while the thread waited for the budget: never older than a few seconds,
    # though tickets took longer than that (before, it aged by a whole ticket's paced calls).
    assert ages and max(ages) < 3.0, max(ages)
    # So a pause found a live worker (pausing, not paused over its head), which stopped between two calls.
    assert paused.state == Run.State.PAUSING
    assert outcome and Run.objects.get(pk=run.pk).state == Run.State.PAUSED
    assert stopped_after < 10, stopped_after
