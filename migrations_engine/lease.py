"""A run's lease and heartbeat: one task execution at a time works on a run.

The lease is taken with a conditional UPDATE (free, or its heartbeat stale) and renewed by the
heartbeat, which also notices pause, cancel and the end of an interval window. A worker killed at any
moment leaves a stale heartbeat; the periodic tick (tasks.py) hands the run to another execution.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from migrations_engine.models import Run
from migrations_engine.parallel import write_lock
from migrations_engine.windows import outside_window


class StopRequested(Exception):
    """The run was paused or cancelled: stop after the current ticket."""


class LeaseLost(StopRequested):
    """Another execution took the run over (this one looked dead): stop without touching the run."""


class HandOver(StopRequested):
    """Fair scheduling: give the worker to a demo waiting for one; the run goes on in its next chunk."""


class OutsideWindow(StopRequested):
    """The interval window closed: pause until the next one."""


def acquire_lease(run_id: int, token: str | None = None) -> str | None:
    """Take the run's lease when it is free (or its heartbeat stale). `token`: the chain token the task
    carries; a message whose token is no longer the run's (an older or duplicated one) takes nothing.
    None (in-process drivers, messages of an older version) skips that check."""
    owner = lease_owner_name()
    now = timezone.now()
    stale = now - timedelta(seconds=getattr(settings, "ENGINE_STALE_SECONDS", 60))
    runs = Run.objects.filter(pk=run_id, state=Run.State.RUNNING)
    if token is not None:
        runs = runs.filter(chunk_token=token)
    taken = runs.filter(
        Q(lease_owner="") | Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True)
    ).filter(Q(resume_at__isnull=True) | Q(resume_at__lte=now)).update(
        lease_owner=owner, heartbeat_at=now, queued_at=None)
    return owner if taken else None


def lease_owner_name() -> str:
    """`host:pid:random`: unique per execution, and says which worker process holds a run."""
    return f"{socket.gethostname()[:12]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


def release_lease(run_id: int, owner: str) -> None:
    Run.objects.filter(pk=run_id, lease_owner=owner).update(lease_owner="")


def new_chain_token() -> str:
    return uuid.uuid4().hex


def hand_over(run_id: int, owner: str) -> str | None:
    """Release the lease and name the next chunk's token in one UPDATE, only while this execution still
    holds the lease: the chain of chunk tasks goes on from the one execution that worked, so duplicated
    messages (a watchdog's rescue, a broker's redelivery) never fork it. None when the lease was lost."""
    token = new_chain_token()
    moved = Run.objects.filter(pk=run_id, lease_owner=owner).update(
        lease_owner="", chunk_token=token, queued_at=timezone.now())
    return token if moved else None


class Heartbeat:
    """Renews the lease and notices pause/cancel/window end, at most every second.

    Called from every ticket thread (parallel.py): one of them renews at a time, and once a stop is
    noticed every thread sees it at its next ticket (`raise_if_stopped`)."""

    def __init__(self, run: Run, owner: str) -> None:
        self.run, self.owner, self.last = run, owner, 0.0
        self.stopped: type[StopRequested] | None = None
        self._lock = threading.Lock()

    def raise_if_stopped(self) -> None:
        if self.stopped is not None:
            raise self.stopped

    def beat(self, *, force: bool = False) -> None:
        self.raise_if_stopped()
        now = time.monotonic()
        if not force and now - self.last < 1.0:
            return
        if not self._lock.acquire(blocking=force):
            return  # another thread is renewing right now
        try:
            self.last = now
            self._renew()
        except StopRequested as exc:
            self.stopped = type(exc)
            raise
        finally:
            self._lock.release()

    def _renew(self) -> None:
        with write_lock():
            updated = Run.objects.filter(pk=self.run.pk, lease_owner=self.owner, state=Run.State.RUNNING).update(
                heartbeat_at=timezone.now())
        if not updated:
            if Run.objects.filter(pk=self.run.pk, state=Run.State.RUNNING).exists():
                raise LeaseLost
            raise StopRequested
        if outside_window(self.run):
            raise OutsideWindow

    def sleep(self, seconds: float) -> None:
        """Wait without letting the lease go stale."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))
            self.beat()
