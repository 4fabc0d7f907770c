"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.support import cache as test_cache
from tests.support.worker import WorkerProcess


@pytest.fixture(autouse=True)
def _fresh_cache_namespace():
    """Rate-limit counters and other cached values never leak from one test into the next."""
    test_cache.next_epoch()


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real Celery worker subprocess (needs `transaction=True` data: it is another process)."""
    worker = WorkerProcess(log_path=tmp_path / "worker.log").start()
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


@pytest.fixture(params=[False, True], ids=["ours", "strict"])
def standin_strict(request) -> bool:
    """Both readings of every vendor guess (docs/vendor-guesses.md): a stand-in built with
    `strict=standin_strict` takes the other reading of each guess when True. End-to-end tests that ask
    for this fixture run once per reading."""
    return request.param
