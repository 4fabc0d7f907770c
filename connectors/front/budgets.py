"""A Front company's two request budgets, and the pacer that spreads a migration's calls over both.

Front counts calls made with a company's API tokens against the company budget (50 / 100 / 200 rpm by
plan) and calls a partner app makes through OAuth against a separate partner budget of 120 rpm per
company (DESIGN.md §8). Each is one `SharedBudget` per (company, kind), shared by every worker:

    token = company_budget("cmp_1", "token", share=0.8)   # 80 % of the company budget
    partner = company_budget("cmp_1", "partner")
    pacer = BudgetPair({"token": token, "partner": partner})

`BudgetPair` is the `connectors.http.Pacer` of a client holding both connections: each call takes from
whichever budget has a call due now (the company budget first, so neither idles), and the connection that
call goes out on is `pair.kind` in the calling thread (FrontAuth reads it to set the Authorization header).
Answers are observed by the budget they were spent on, so each learns its own `x-ratelimit-*` headers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from connectors import deadline
from connectors.budget import SharedBudget
from connectors.front import errors

TOKEN = "token"  # noqa: S105 - a connection kind, not a secret
PARTNER = "partner"
KINDS = (TOKEN, PARTNER)
DEFAULT_LIMITS = {TOKEN: 50, PARTNER: 120}  # Front's smallest plan; the partner budget per company
DEFAULT_TOKEN_SHARE = 0.8  # of the company budget a migration may spend: the team's integrations keep the rest


def budget_key(company_key: str, kind: str) -> str:
    """The shared bucket's name. The token budget keeps the name it always had (front:<company>)."""
    if kind not in KINDS:
        raise ValueError(f"unknown budget kind {kind!r}")
    return f"front:{company_key}" if kind == TOKEN else f"front:{company_key}:{kind}"


def company_budget(company_key: str, kind: str = TOKEN, *, share: float = 1.0,
                   cls: type[SharedBudget] = SharedBudget, redis_url: str | None = None,
                   data_dir: Path | None = None) -> SharedBudget:
    """The budget `kind` ("token" or "partner") of one Front company, shared by every process.
    share: the part of it this caller may spend (only meaningful for the token budget)."""
    return cls(budget_key(company_key, kind), default_limit=DEFAULT_LIMITS[kind], redis_url=redis_url,
               data_dir=data_dir, kind=kind, share=share if kind == TOKEN else 1.0)


class BudgetPair:
    """Pacer over the budgets of the connections a client holds (one or both kinds)."""

    def __init__(self, budgets: dict[str, SharedBudget], *, sleep: Callable[[float], None] = time.sleep) -> None:
        if not budgets:
            raise ValueError("a BudgetPair needs at least one budget")
        self.budgets = dict(budgets)
        self._local = threading.local()
        self._sleep = sleep
        self.waited = 0.0

    def wait_with(self, sleep: Callable[[float], None]) -> None:
        """How the pacer waits for a call to be due: the engine's heartbeat sleep, so a run waiting on a
        tight budget keeps its lease (and notices a pause) between two calls."""
        self._sleep = sleep

    # --- which connection -----------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """The connection the calling thread's current call goes out on."""
        return getattr(self._local, "kind", None) or next(iter(self.budgets))

    @contextmanager
    def only(self, kind: str) -> Iterator[None]:
        """Calls in this block go out on `kind` alone (what OAuth cannot reach needs the API token)."""
        if kind not in self.budgets:
            raise errors.InvalidConfig(
                "This needs Front's API token (a teammate's private inbox or a knowledge base cannot be reached "
                "through Front's OAuth): add an API token on the connect step." if kind == TOKEN else
                "This needs the Front OAuth connection.")
        previous = getattr(self._local, "only", None)
        self._local.only = kind
        try:
            yield
        finally:
            self._local.only = previous

    def _kinds(self) -> list[str]:
        only = getattr(self._local, "only", None)
        if only:
            if self.budgets[only].share <= 0:
                raise errors.InvalidConfig("This needs Front's API token, but the migration may use 0 % of its "
                                           "budget: raise the budget share in the options.")
            return [only]
        usable = [k for k, b in self.budgets.items() if b.share > 0]
        if not usable:
            raise errors.InvalidConfig("The migration may use none of Front's budgets: raise the budget share "
                                       "or connect Front with OAuth.")
        return usable

    # --- Pacer protocol -------------------------------------------------------------------------
    def acquire(self, resource: str | None) -> float:
        kinds = self._kinds()
        waited = 0.0
        while True:
            waits: dict[str, float] = {}
            for kind in kinds:
                wait = self.budgets[kind].try_acquire()
                if wait <= 0:
                    self._local.kind = kind
                    break
                waits[kind] = wait
            else:
                wait = min(min(waits.values()), 5.0)
                deadline.check_wait(wait, service="Front's rate limit")
                self._sleep(wait)
                waited += wait
                continue
            break
        if resource:  # Front's per-resource burst limit is one, whatever the connection: one gate
            waited += next(iter(self.budgets.values()))._burst_gate(resource)
        self.waited += waited
        return waited

    def observe(self, response: httpx.Response, resource: str | None) -> None:
        self.budgets[self.kind].observe(response, resource)

    # --- what FrontClient.stats and the runner read -------------------------------------------------
    @property
    def budget_429(self) -> int:
        return sum(b.budget_429 for b in self.budgets.values())

    @property
    def burst_429(self) -> int:
        return sum(b.burst_429 for b in self.budgets.values())

    @property
    def limit(self) -> float:
        """Calls per minute this client may spend in all (its share of the company budget + the partner's)."""
        return sum(b.limit * b.share for b in self.budgets.values())

    @property
    def backend(self) -> str:
        return next(iter(self.budgets.values())).backend

    def calls_by_kind(self) -> dict[str, int]:
        return {kind: b.calls for kind, b in self.budgets.items()}
