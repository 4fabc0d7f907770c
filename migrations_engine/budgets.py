"""The Front budgets a run spends: one per Front company and kind, shared by every worker and every
migration of that company (connectors/budget.py keeps the buckets in Redis, or in a SQLite file on the
embedded default), and the demo lane that keeps a demo from queueing behind full runs of its company.

Keys: `front:<hash of API URL | company>` for the API-token budget (kind "token", the key earlier
versions used, so a company's bucket is the same across an upgrade) and `front:<hash>:<kind>` for any
other budget of the same company (e.g. a partner integration's OAuth budget, DESIGN.md §8).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from django.conf import settings

from connectors.budget import BUCKET_SECONDS, Lane, SharedBudget
from connectors.front.budgets import TOKEN, budget_key

PRIORITY_HOLD_SECONDS = 1.5  # a demo's call keeps the lane busy this long
LANE_RESERVE = 2.0  # tokens other runs leave in the company bucket while the lane is busy


def company_key(*, api_url: str, company: str) -> str:
    """One Front company's name in the budget keys: the company (or, unknown yet, the token) on that API."""
    return hashlib.sha256(f"{api_url}|{company}".encode()).hexdigest()[:24]


def company_budget_key(*, api_url: str, company: str, kind: str = TOKEN) -> str:
    return budget_key(company_key(api_url=api_url, company=company), kind)


class EngineBudget(SharedBudget):
    """The shared company budget as runs use it.

    * `priority=True` (demos): each call marks the company's demo lane busy for PRIORITY_HOLD_SECONDS;
      while it is marked, calls of other runs of that company take a token only when LANE_RESERVE tokens
      stay in the bucket after theirs, so the demo finds a token at once whenever it calls, and what it
      does not use still goes to the full runs. The budget itself is never exceeded: the lane only
      decides who goes first.
    * the per-resource burst gate can be switched off for unthrottled stand-ins
      (ENGINE_FRONT_BURST_GATE=false in benchmarks and tests), never against the real Front.
    """

    def __init__(self, key: str, *, priority: bool = False, **kwargs: object) -> None:
        super().__init__(key, **kwargs)  # type: ignore[arg-type]
        self.priority = priority
        self.lane_key = f"{self.key}:demo-lane"
        self._lane_file: Path | None = None
        if self._redis is None:
            assert self._db_path is not None
            self._lane_file = self._db_path.parent / f"demo-lane-{hashlib.sha1(self.key.encode(), usedforsecurity=False).hexdigest()[:16]}"

    # The file store's lane (the embedded default); on Redis the lane lives in the bucket's script.
    def _lane_busy(self) -> bool:
        assert self._lane_file is not None
        try:
            return self._lane_file.stat().st_mtime > time.time() - PRIORITY_HOLD_SECONDS
        except FileNotFoundError:
            return False

    def _mark_lane(self) -> None:
        assert self._lane_file is not None
        self._lane_file.touch()
        os.utime(self._lane_file)

    def _try_take(self, key: str | None = None, *, limit: float | None = None, depth: float = BUCKET_SECONDS,
                  reserve: float = 0.0, lane: Lane | None = None) -> float:
        if (key is None or key == self.key) and self._redis is not None:
            # The lane in the bucket's own script: one Redis round trip per call instead of two.
            lane = Lane(self.lane_key, "mark" if self.priority else "check", PRIORITY_HOLD_SECONDS, LANE_RESERVE)
        elif key is None or key == self.key:  # the company bucket (not a per-resource burst gate)
            if self.priority:
                self._mark_lane()
            elif self._lane_busy():
                reserve = max(reserve, LANE_RESERVE)
        return super()._try_take(key, limit=limit, depth=depth, reserve=reserve, lane=lane)

    def _burst_gate(self, resource: str) -> float:
        if not getattr(settings, "ENGINE_FRONT_BURST_GATE", True):
            return 0.0
        return super()._burst_gate(resource)
