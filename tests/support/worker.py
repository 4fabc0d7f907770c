"""Start a REAL Celery worker process against the test database and broker.

Tests that need it must use `@pytest.mark.django_db(transaction=True)`: the worker is another process
and only sees committed rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url_for_tests() -> str:
    """The URL of the database the tests use right now (pytest-django's test database)."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerProcess:
    """A `celery -A config worker` subprocess that can be killed and restarted."""

    def __init__(self, *, concurrency: int = 1, extra_env: dict[str, str] | None = None, log_path: Path | None = None):
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DATABASE_URL"] = database_url_for_tests()
        env.update(self.extra_env)
        return env

    def start(self) -> WorkerProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._log = log if self.log_path else None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING",
             "--concurrency", str(self.concurrency), "--without-gossip", "--without-mingle",
             "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so kill() reaches the pool children too
        )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until the worker has answered a real task."""
        from migrations_engine.tasks import ping

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.proc.returncode}")
            try:
                if ping.apply_async(expires=5).get(timeout=5).get("pong"):
                    return
            except Exception:  # noqa: S112 - not ready yet
                continue
        raise TimeoutError("celery worker did not answer within the timeout")

    def kill(self) -> None:
        """SIGKILL the whole worker process group: no clean shutdown, like a crash."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log:
            self._log.close()
            self._log = None
