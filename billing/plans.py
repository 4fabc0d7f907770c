"""Plans: operator settings (config/settings.py BILLING_PLANS, overridable from the environment).

Each plan says what it costs on top of the records, how long reports stay available after a full run
(verification days), how long re-migration stays possible, and which run kinds it allows. The engine's
gate (`billing.gate.run_refusal`) enforces the run kinds, not only the pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

DEFAULT_PLAN = "basic"

# Short, translatable descriptions of what each run kind means to a customer.
RUN_KIND_LABELS = {
    "demo": _("Free demo migration"),
    "full": _("Full migration"),
    "delta": _("Delta migration (what changed since the last run)"),
    "interval": _("Interval migration (runs only inside weekly windows)"),
    "remigration": _("Re-migration during the re-migration window"),
    "retry": _("Retry of failed records"),
    "review": _("Review of skipped and failed records"),
}


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    price: int  # minor units, added to the record lines
    verification_days: int
    remigration_days: int
    run_kinds: frozenset[str]

    def allows(self, kind: str) -> bool:
        return kind in self.run_kinds

    @property
    def features(self) -> list[str]:
        return [str(label) for kind, label in RUN_KIND_LABELS.items() if kind in self.run_kinds]


def all_plans() -> list[Plan]:
    """Plans in the operator's order (settings are read at call time so tests and operators can override)."""
    plans = []
    for key, conf in settings.BILLING_PLANS.items():
        plans.append(
            Plan(
                key=key,
                name=str(conf.get("name", key.title())),
                price=int(conf.get("price", 0)),
                verification_days=int(conf.get("verification_days", 5)),
                remigration_days=int(conf.get("remigration_days", 0)),
                run_kinds=frozenset(conf.get("run_kinds", ["demo", "full"])),
            )
        )
    return plans


def get_plan(key: str | None) -> Plan | None:
    return next((plan for plan in all_plans() if plan.key == key), None)


def default_plan() -> Plan:
    return get_plan(DEFAULT_PLAN) or all_plans()[0]


def plan_rank(key: str) -> int:
    """Position in the operator's list: later plans include more, so an upgrade goes up the list."""
    keys = [plan.key for plan in all_plans()]
    return keys.index(key) if key in keys else -1
