"""A counter several threads can bump at once without losing counts.

`Counter()[key] += 1` is a read then a write: two threads doing it at once can both read 4 and both write 5.
`Stats.add` does both under one lock. Reads look like a Counter (a missing key is 0) and iterate over a
snapshot, so a reader never sees the dictionary change size under it. There is deliberately no
`__setitem__`: `stats[key] += 1` fails loudly instead of silently losing counts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping


class Stats(Mapping[str, float]):
    __slots__ = ("_counts", "_lock")

    def __init__(self) -> None:
        self._counts: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, key: str, amount: float = 1) -> None:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + amount

    def add_many(self, *keys: str) -> None:
        """+1 on each key under one lock (the hot path counts two or three keys per request)."""
        with self._lock:
            counts = self._counts
            for key in keys:
                counts[key] = counts.get(key, 0) + 1

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self._counts)

    def __getitem__(self, key: str) -> float:
        return self._counts.get(key, 0)

    def get(self, key: str, default: float | None = None) -> float | None:  # type: ignore[override]
        return self._counts.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._counts

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.snapshot()))

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        return f"Stats({dict(self.snapshot())!r})"
