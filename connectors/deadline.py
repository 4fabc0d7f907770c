"""An overall deadline for vendor calls made while a person waits (a web request).

Inside a web request a vendor call must not hold the worker thread for minutes: retries, `Retry-After`
waits and pacing all count against one deadline. The caller sets it around the call
(`with deadline(15): ...`, see wizard/connections.py); connectors/http.py and the pacers read it:

- no wait (back-off, `Retry-After`, pacing) starts when it would end past the deadline: the call gives up
  at once with `DeadlineExceeded`, so a vendor asking for two minutes costs one attempt, not two minutes;
- every attempt's network timeouts are capped to the time left.

Outside such a block (Celery tasks, the CLI) there is no deadline and nothing changes. The deadline lives
in a context variable: it follows the code that set it, never another thread or task.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from connectors.base import ConnectorError


class DeadlineExceeded(ConnectorError):
    """The vendor did not answer within the caller's deadline (slow, or asked us to wait longer)."""

    code = "deadline"


@dataclass(frozen=True)
class Deadline:
    end: float
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return self.end - self.clock()


_current: ContextVar[Deadline | None] = ContextVar("frontport_vendor_deadline", default=None)


@contextmanager
def deadline(seconds: float, *, clock: Callable[[], float] = time.monotonic) -> Iterator[Deadline]:
    """Vendor calls inside the block end within `seconds` (an enclosing, tighter deadline still wins)."""
    chosen = Deadline(clock() + seconds, clock)
    outer = _current.get()
    if outer is not None and outer.remaining() < seconds:
        chosen = outer
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def current() -> Deadline | None:
    return _current.get()


def remaining() -> float | None:
    """Seconds left before the current deadline (None: no deadline)."""
    active = _current.get()
    return None if active is None else active.remaining()


def check_wait(seconds: float, *, service: str = "The server") -> None:
    """Raise DeadlineExceeded when waiting `seconds` now would end past the current deadline."""
    left = remaining()
    if left is not None and seconds >= left:
        raise DeadlineExceeded(f"{service} did not answer in time (it asked to wait {seconds:.0f} s); "
                               "try again in a minute.")


def check_time_left(*, service: str = "The server") -> float | None:
    """Seconds left (None: no deadline); raise DeadlineExceeded when none is left."""
    left = remaining()
    if left is not None and left <= 0:
        raise DeadlineExceeded(f"{service} did not answer in time; try again in a minute.")
    return left
