"""After a `kill -9` of the embedded worker nothing of it keeps running: its beat (and pool) die with it,
so a restart never has two schedulers ticking (config/worker_group.py). Real processes, real SIGKILL."""

from __future__ import annotations

import os
import signal
import sys
import time

import psutil
import pytest

from config.worker_group import WORKER_PGID_FILE, start_worker, stop_worker_group
from tests.support.worker import database_url_for_tests

pytestmark = pytest.mark.django_db(transaction=True)


def _start(tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url_for_tests()}
    log = open(tmp_path / "worker.log", "ab")  # noqa: SIM115 - closed with the test's tmp folder
    proc = start_worker(python=sys.executable, env=env, data_dir=tmp_path, extra=["--loglevel", "WARNING"], stdout=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the pool (2) and the beat (1) are forked once the worker is up
        children = psutil.Process(proc.pid).children(recursive=True)
        if len(children) >= 3:
            time.sleep(1)
            return proc, psutil.Process(proc.pid).children(recursive=True)
        assert proc.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.3)
    raise AssertionError("the worker did not fork its pool and beat: " + (tmp_path / "worker.log").read_text())


def _alive(processes) -> list:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _wait_gone(processes, timeout=15.0) -> list:
    deadline = time.monotonic() + timeout
    while _alive(processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _alive(processes)


def test_sigkill_of_the_worker_then_the_supervisor_stops_the_whole_group(tmp_path):
    proc, children = _start(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(1)
    orphans = _alive(children)
    assert orphans, "expected the forked beat/pool to outlive a SIGKILLed worker (what this guards against)"
    stop_worker_group(proc, data_dir=tmp_path)  # what the supervisor does when its worker exits
    assert _wait_gone(children) == []
    assert not (tmp_path / WORKER_PGID_FILE).exists()


def test_a_restart_after_the_supervisor_died_too_reaps_the_old_beat_first(tmp_path):
    proc, children = _start(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)  # worker killed, and no supervisor left to clean up
    proc.wait(timeout=10)
    assert _alive(children)
    again, new_children = _start(tmp_path)  # the next `dev.py run`
    try:
        assert _wait_gone(children) == [], "the previous worker's beat still runs beside the new one"
        assert _alive(new_children)
    finally:
        stop_worker_group(again, data_dir=tmp_path)
    assert _wait_gone(new_children) == []
