"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.support.worker import WorkerProcess


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real Celery worker subprocess (needs `transaction=True` data: it is another process)."""
    worker = WorkerProcess(log_path=tmp_path / "worker.log").start()
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
