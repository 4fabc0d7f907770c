"""Reading Freshdesk's ticket list completely, in update order, past its 300-page cap.

`GET /api/v2/tickets` pages with `page` (at most 300) and `per_page` (at most 100), so one window of
`updated_since` shows at most 30,000 tickets. Offset paging also skips a ticket whenever another ticket
is updated mid-read (everything after it shifts one place). Both problems go away with *keyset windows*:
every request asks for `updated_since=<update time of the last ticket taken>` from page 1, and drops the
tickets already taken at exactly that time (the "boundary"). Only when more than a page of tickets share
one timestamp does it page deeper within that timestamp; past 300 such pages it stops with an error that
says so (never a silently short account).

Live, deleted (`filter=deleted`) and spam (`filter=spam`) tickets are three such lists, merged by update
time so the whole stream is oldest-update-first. A window's state is small and JSON-able: it is the
resume cursor.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import VendorError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_PAGE = 300

class PageCapReached(Exception):  # noqa: N818 - a signal, not an error for users
    """Freshdesk refused the page number (its cap may be lower than the documented 300)."""


Fetch = Callable[[dict[str, Any]], tuple[list[dict[str, Any]], bool]]  # params -> (items, has_next)


def parse_time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


def fmt_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KeysetWindow:
    """One ticket list (`filter` None, "deleted" or "spam") read as successive keyset windows."""

    def __init__(self, fetch: Fetch, *, list_filter: str | None, per_page: int, state: dict[str, Any]) -> None:
        self.fetch = fetch
        self.list_filter = list_filter
        self.per_page = per_page
        self.since = parse_time(state["since"])
        self.boundary: set[int] = set(state.get("boundary", []))
        self.next_page = int(state.get("next_page", 1))
        self.done = bool(state.get("done", False))
        self.buffer: deque[dict[str, Any]] = deque()
        self.requests = 0

    def state(self) -> dict[str, Any]:
        """Everything taken so far is before `since` or in `boundary`; buffered items are not taken yet."""
        return {"since": fmt_time(self.since), "boundary": sorted(self.boundary), "next_page": self.next_page,
                "done": self.done and not self.buffer}

    def head(self) -> dict[str, Any] | None:
        while not self.buffer and not self.done:
            self._fill()
        return self.buffer[0] if self.buffer else None

    def take(self) -> dict[str, Any]:
        item = self.buffer.popleft()
        updated = parse_time(item["updated_at"])
        if updated > self.since:
            self.since, self.boundary, self.next_page = updated, {item["id"]}, 1
        else:
            self.boundary.add(item["id"])
        return item

    def _too_many_at_once(self) -> VendorError:
        return VendorError(
            f"More than {(self.next_page - 1) * self.per_page:,} Freshdesk tickets share the update time "
            f"{fmt_time(self.since)}; Freshdesk cannot list past them. Please contact support."
        )

    def _fill(self) -> None:
        if self.next_page > MAX_PAGE:
            raise self._too_many_at_once()
        # One second early: whether Freshdesk reads `updated_since` as > or >=, tickets sharing the last
        # timestamp that were not taken yet are in the answer (the ones already taken are dropped below).
        start = max(EPOCH, self.since - timedelta(seconds=1))
        params: dict[str, Any] = {"updated_since": fmt_time(start),
                                  "order_by": "updated_at",
                                  "order_type": "asc", "per_page": self.per_page, "page": self.next_page}
        if self.list_filter:
            params["filter"] = self.list_filter
        try:
            items, has_next = self.fetch(params)
        except PageCapReached:
            raise self._too_many_at_once() from None
        self.requests += 1
        fresh = []
        for item in items:
            updated = parse_time(item["updated_at"])
            if updated < self.since or (updated == self.since and item["id"] in self.boundary):
                continue  # taken already
            fresh.append(item)
        self.buffer.extend(fresh)
        if not has_next:
            self.done = True
        elif not fresh or all(parse_time(i["updated_at"]) == self.since for i in fresh):
            # The whole page sits at the window's own timestamp: the next one must go one page deeper.
            self.next_page += 1
        else:
            self.next_page = 1  # `take` restarts the window at the last update time anyway


class MergedTicketList:
    """Live, deleted and spam lists merged by (updated_at, id); the cursor is the three window states."""

    KINDS: tuple[tuple[str, str | None], ...] = (("live", None), ("deleted", "deleted"), ("spam", "spam"))

    def __init__(self, fetch: Fetch, *, per_page: int, since: datetime | None, cursor: dict[str, Any] | None,
                 kinds: tuple[str, ...] = ("live", "deleted", "spam")) -> None:
        start = {"since": fmt_time(since or EPOCH)}
        self.windows = {
            name: KeysetWindow(fetch, list_filter=flt, per_page=per_page,
                               state=(cursor or {}).get(name) or dict(start))
            for name, flt in self.KINDS if name in kinds
        }

    def next(self) -> tuple[str, dict[str, Any]] | None:
        best: tuple[datetime, int, str] | None = None
        for name, window in self.windows.items():
            item = window.head()
            if item is None:
                continue
            key = (parse_time(item["updated_at"]), int(item["id"]), name)
            if best is None or key < best:
                best = key
        if best is None:
            return None
        return best[2], self.windows[best[2]].take()

    def cursor(self) -> dict[str, Any]:
        return {name: w.state() for name, w in self.windows.items()}

    @property
    def requests(self) -> int:
        return sum(w.requests for w in self.windows.values())
