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
