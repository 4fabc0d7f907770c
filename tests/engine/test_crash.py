"""A real Celery worker is SIGKILLed at random points of a 500-ticket full run and restarted; the run
resumes and ends with 0 duplicates and 0 missing records. Then again with the Front stand-in injecting
5 % faults (5xx and dropped connections) and 429 storms (issue 5, acceptance 3)."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from connectors.registry import get_connector
from migrations_engine.models import RecordMap, Run
from migrations_engine.services import start_run
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from tests.engine.compare import check_fidelity
from tests.engine.conftest import make_migration
from tests.support.worker import WorkerProcess

TICKETS = 500
WORKER_ENV = {
    "ENGINE_STALE_SECONDS": "5",  # a dead worker's run is handed over after 5 s without heartbeat
    "ENGINE_TICK_SECONDS": "1",  # the beat's watchdog tick
    "ENGINE_CHUNK_SECONDS": "4",  # short chunks: many checkpoints and hand-offs
    "ENGINE_QUEUE_RESCUE_SECONDS": "8",  # a message lost with a killed worker's reservation is sent again
    "ENGINE_FRONT_BURST_GATE": "false",
    "ENGINE_RETRY_BASE_DELAY": "0.02",  # the stand-in's faults are instant: retry quickly
}


class WorkerWithBeat(WorkerProcess):
    """The worker as the embedded default runs it: with the beat (periodic watchdog tick) inside."""

    def start(self) -> WorkerWithBeat:
        import subprocess
        import sys

        from tests.support.worker import ROOT

        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._log = log if self.log_path else None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "-s", str(self.log_path) + ".beat",
             "--loglevel", "WARNING", "--concurrency", "2", "--without-gossip", "--without-mingle",
             "-n", f"crash-{time.monotonic_ns()}@%h"],
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self


def _crash_run(*, owner, tmp_path, faults: bool) -> None:
    rng = random.Random(5 if faults else 3)
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, latency_ms=1,
                      process_delay_s=0.05, validate_responses=False) as front:
        migration = make_migration(owner=owner, front=front, source_config={"tickets": TICKETS, "seed": 21})
        worker = WorkerWithBeat(extra_env=WORKER_ENV, log_path=tmp_path / "worker.log").start()
        kills = 0
        try:
            run = start_run(migration=migration, kind="full")
            if faults:
                front.set_faults(error_rate=0.025, drop_rate=0.025)
            deadline = time.monotonic() + 170
            while time.monotonic() < deadline:
                run.refresh_from_db()
                if run.state != Run.State.RUNNING:
                    break
                if kills < 4:
                    time.sleep(rng.uniform(1.5, 5.0))
                    worker.kill()
                    kills += 1
                    if faults and kills == 2:
                        front.set_faults(storm_seconds=2.0)  # a 429 storm while the worker is down and up
                    worker = WorkerWithBeat(extra_env=WORKER_ENV, log_path=tmp_path / "worker.log").start()
                else:
                    time.sleep(0.5)
            run.refresh_from_db()
            assert run.state == Run.State.COMPLETED, (run.state, run.counters["tickets"], run.reason, run.recent_errors,
                                                      (tmp_path / "worker.log").read_text()[-3000:])
        finally:
            worker.stop()
        front.set_faults(clear=True)
        state = front.state()
    assert kills == 4
    connector = get_connector("sample", migration.source_config)
    # Field by field: one conversation per ticket, every message and note once, nothing missing.
    seen = check_fidelity(migration=migration, run=run, connector=connector, state=state)
    assert seen["tickets"] > 450
    external_ids = Counter(m["external_id"] for c in state["conversations"] for m in c["messages"])
    assert max(external_ids.values()) == 1
    states = Counter(RecordMap.objects.filter(migration=migration, entity="ticket").values_list("state", flat=True))
    assert states["pending"] == 0 and states["failed"] == 0, states
    assert sum(states.values()) == TICKETS
    if faults:
        assert state["counters"]["faults_injected"] > 20


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkilled_worker_loses_nothing(owner, tmp_path):
    _crash_run(owner=owner, tmp_path=tmp_path, faults=False)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkilled_worker_with_faults_and_429_storms(owner, tmp_path):
    _crash_run(owner=owner, tmp_path=tmp_path, faults=True)
