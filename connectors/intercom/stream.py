"""Every conversation updated since a point, oldest update first, through Intercom's search endpoint.

The search reference documents neither the order of its results nor whether `updated_at` compares to the
second (its contacts twin truncates dates to the workspace's calendar day). So the stream does not rely
on either: it reads the account in **time windows** `[lo, hi)`. Each window is searched with its bounds
widened by a day and a bit on both sides (whatever the precision, nothing inside is missed), every page of
the answer is read as (updated_at, id) pairs only, the pairs outside the window are dropped, and the rest
are sorted. Windows adapt: one that holds more than `WINDOW_MAX` pairs is narrowed (down to a day), one that
holds few doubles the next. Deleted conversations (`GET /conversations/deleted`, id and deletion time)
join the window their deletion time falls in. Memory holds one window's pairs, never conversations.

A position is the key `(time, id)` of the last conversation handed out: the resume cursor. The window
after it is searched again and everything up to that key dropped, so a resumed run does not fetch a
finished conversation again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

DAY = 86_400
PAD = DAY + 3_600  # a day (day-precision search) and an hour (daylight saving time)
WINDOW_MAX = 20_000  # (time, id) pairs held at once
START_WIDTH = 30 * DAY
SEARCH_PAGE = 150  # Intercom's largest search page


@dataclass(frozen=True, order=True)
class Key:
    """A conversation's place in the stream: update (or deletion) time, then id."""

    at: int
    number: int
    id: str
    deleted: bool = field(default=False, compare=False)

    @classmethod
    def of(cls, at: int, conversation_id: str, *, deleted: bool = False) -> Key:
        return cls(int(at), int(conversation_id) if conversation_id.isdigit() else 0, conversation_id, deleted)

    def position(self) -> list[Any]:
        return [self.at, self.id]


def after_position(raw: Any) -> Key | None:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        return None
    return Key.of(int(raw[0]), str(raw[1]))


Search = Callable[[dict[str, Any]], Generator[dict[str, Any], None, None]]  # closed when a window is narrowed


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _count(value: Any, default: int | None = 0) -> Any:
    """An integer from the answer (a count, a UNIX time), else `default`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default


class WindowedSearch:
    """Yields `(Key, window width)` for every conversation updated at or after `since`, in key order."""

    def __init__(self, *, search: Search, filters: list[dict[str, Any]], deleted: list[Key],
                 now: Callable[[], float] = time.time, window_max: int = WINDOW_MAX) -> None:
        self.search = search
        self.window_max = window_max
        self.filters = filters
        self.deleted = sorted(deleted)
        self.now = now
        self.windows = 0  # searches made (first pages), for tests and stats

    def _query(self, lo: int, hi: int | None) -> dict[str, Any]:
        bounds = [{"field": "updated_at", "operator": ">", "value": max(0, lo - PAD)}]
        if hi is not None:
            bounds.append({"field": "updated_at", "operator": "<", "value": hi + PAD})
        return {"operator": "AND", "value": bounds + self.filters}

    def keys(self, *, since: int, after: Key | None, width: int = START_WIDTH) -> Iterator[tuple[Key, int]]:
        lo = max(since, after.at if after else since)
        while True:
            horizon = int(self.now()) - PAD  # windows closer to now than this stay open-ended
            hi: int | None = lo + width if lo + width < horizon else None
            pages = self.search(self._query(lo, hi))
            first = next(pages, None)
            self.windows += 1
            total = _count((first or {}).get("total_count"))
            span = (hi if hi is not None else horizon) - lo  # an open window narrows to a closed one
            if total > self.window_max and span > DAY:
                pages.close()  # too many for one window: narrow it, in proportion (at least by half)
                width = max(DAY, min(span // 2, span * self.window_max // (2 * total)))
                continue
            found: dict[str, Key] = {}
            for page in [first, *pages] if first else []:
                for item in page.get("conversations") or []:
                    at, cid = _count(_dict(item).get("updated_at"), None), str(_dict(item).get("id") or "")
                    if cid and at is not None and lo <= at and (hi is None or at < hi):
                        found[cid] = Key.of(at, cid)
            for key in self.deleted:
                if lo <= key.at and (hi is None or key.at < hi):
                    found[key.id] = key  # deleted wins over a stale search index
            for key in sorted(found.values()):
                if after is None or key > after:
                    yield key, width
            if hi is None:
                return
            lo = hi
            if len(found) < self.window_max // 4:
                width *= 2
