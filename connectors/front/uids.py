"""When to ask Front for an imported message: late enough that the answer is rarely "not yet".

Front processes imports asynchronously; `GET /messages/alt:uid:{uid}` is 404 until it is done, and
every 404 is a wasted call of the company budget. The timer learns how long processing takes: an
empty poll at age `a` means it takes longer than `a` (raise the estimate), a hit lets it drift down
slowly so it follows a faster Front. Ages use wall-clock time, so a process that did not import the
message can still wait correctly when told when it was imported (`imported_at`).
"""

from __future__ import annotations

import threading
import time


class UidTimer:
    def __init__(self, initial_delay: float = 1.0, max_delay: float = 60.0) -> None:
        self.estimate = initial_delay
        self.max_delay = max_delay
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    def started(self, uid: str, at: float | None = None) -> None:
        with self._lock:
            self._started[uid] = time.time() if at is None else at
            if len(self._started) > 50_000:  # forget the oldest: a long run must not grow without end
                for old in list(self._started)[:10_000]:
                    del self._started[old]

    def imported_at(self, uid: str) -> float | None:
        return self._started.get(uid)

    def seconds_left(self, uid: str, imported_at: float | None = None) -> float:
        """How long before this uid is probably processed (0 if its import time is unknown or it is due)."""
        start = imported_at if imported_at is not None else self._started.get(uid)
        if start is None:
            return 0.0
        return max(0.0, start + self.estimate - time.time())

    def wait_until_ready(self, uid: str, imported_at: float | None = None) -> float:
        left = self.seconds_left(uid, imported_at)
        if left > 0:
            time.sleep(left)
        return left

    def was_not_ready(self, uid: str, imported_at: float | None = None) -> None:
        start = imported_at if imported_at is not None else self._started.get(uid)
        age = time.time() - start if start is not None else self.estimate
        with self._lock:
            self.estimate = min(self.max_delay, max(self.estimate, age) * 1.5 + 0.05)

    def was_ready(self, uid: str) -> None:
        with self._lock:
            self._started.pop(uid, None)
            self.estimate = max(0.05, self.estimate * 0.97)
