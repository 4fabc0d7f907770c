"""Several tickets of a page at once, on threads (DESIGN.md §7: the engine is never the bottleneck).

Why threads: handling a ticket is mostly waiting for Front. While one ticket waits for its answer,
another builds its next call, so the engine and Front (two processes, often two machines) work at the
same time instead of taking turns. Under a tight budget the threads simply queue on the shared pacer.

What keeps the crash protocol of docs/engine.md intact:
- one ticket is handled by one thread from start to end, so its journal rows are written in order;
- the page's checkpoint is saved by the calling thread only after every ticket of the page settled;
- the run's counters and the ticket rows they count are written under one lock (`counters_lock`), so
  the saved counters always match the tickets saved as completed;
- on SQLite, which allows one writer at a time, the engine's writes queue on an in-process lock
  (`write_lock`) rather than in SQLite's busy handler, which sleeps in steps of several milliseconds;
- inside an open transaction (a caller's atomic block, a test's `db` fixture) other threads could not
  see its rows, so everything runs inline on the calling thread.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connection, connections

_SQLITE_WRITES = threading.RLock()
T = TypeVar("T")


def write_lock() -> contextlib.AbstractContextManager[Any]:
    """Held around the engine's database writes: serialises them on SQLite, free elsewhere."""
    if connection.vendor == "sqlite":
        return _SQLITE_WRITES
    return contextlib.nullcontext()


def thread_count() -> int:
    """Tickets handled at once by one task execution (ENGINE_TICKET_THREADS; 1 inside a transaction)."""
    if connection.in_atomic_block:
        return 1
    return max(1, int(getattr(settings, "ENGINE_TICKET_THREADS", 8)))


class Outcome(Generic[T]):
    """The result of one job: its value, or the exception it raised (re-raised by the caller)."""

    __slots__ = ("error", "value")

    def __init__(self) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None


_STOP = object()


class TicketPool:
    """A fixed set of threads for one chunk. Each thread keeps its own database connection for the
    chunk (opening one per ticket would cost more than the ticket) and closes it when the pool does."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()  # (job, its Outcome, done queue), or _STOP
        self._threads: list[threading.Thread] = []
        for index in range(size if size > 1 else 0):
            thread = threading.Thread(target=self._serve, name=f"ticket-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is _STOP:
                    return
                func, slot, done = job
                try:
                    slot.value = func()
                except BaseException as exc:  # noqa: BLE001 - handed to the caller, which decides
                    slot.error = exc
                done.put(None)
        finally:
            connections.close_all()

    def run(self, jobs: Sequence[Callable[[], T]]) -> list[Outcome[T]]:
        """Run every job (inline when the pool has no threads); wait for all; return their outcomes in
        order. Exceptions are captured, not raised: one failing ticket must not abandon the others."""
        outcomes: list[Outcome[T]] = [Outcome() for _ in jobs]
        if not self._threads:
            for job, slot in zip(jobs, outcomes, strict=True):
                try:
                    slot.value = job()
                except Exception as exc:  # noqa: BLE001 - same contract as the threaded path
                    slot.error = exc
            return outcomes
        done: queue.SimpleQueue[None] = queue.SimpleQueue()  # C-implemented: cheaper than a Semaphore per job
        for job, slot in zip(jobs, outcomes, strict=True):
            self._jobs.put((job, slot, done))
        for _ in jobs:
            done.get()
        return outcomes

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=60)
        self._threads = []

    def __enter__(self) -> TicketPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
