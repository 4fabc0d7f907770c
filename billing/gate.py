"""The billing/plan gate the engine asks before starting a run.

`run_refusal` returns a plain-language reason when billing or the plan forbids a run of this kind, or
None when it may start. With no payment provider configured (billing off) every run is allowed, as
DESIGN.md §1 step 9 says. With billing on:
- a demo is always free;
- every other kind needs a paid order for the migration, and the highest paid plan must include it;
- a full run or re-migration also needs known record counts and a paid order priced for the source
  account connected now (orders freeze its identity) whose frozen counts still cover the current counts
  (within BILLING_COUNT_TOLERANCE_PERCENT), so growing the source, or switching to a bigger account,
  means paying the difference;
- a re-migration must start within `remigration_days()` of the first completed full run (the engine
  enforces it, so it holds with billing off too).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from billing.plans import RUN_KIND_LABELS
from billing.selectors import (
    billing_enabled,
    counts_known,
    covering_order,
    paid_orders,
    paid_orders_for_account,
    paid_plan,
)

FREE_KINDS = {"demo"}
COVERAGE_KINDS = {"full", "remigration"}


def run_refusal(*, migration, kind: str) -> str | None:
    if not billing_enabled() or kind in FREE_KINDS:
        return None
    plan = paid_plan(migration=migration)
    if plan is None:
        return _("This run needs a paid plan. Choose a plan and pay on the plan and payment step first.")
    if not plan.allows(kind):
        upgrade = _upgrade_name(kind)
        label = str(RUN_KIND_LABELS.get(kind, kind))
        if upgrade:
            return _("The %(plan)s plan does not include: %(what)s. Upgrade to %(upgrade)s on the plan step.") % {
                "plan": plan.name, "what": label, "upgrade": upgrade}
        return _("The %(plan)s plan does not include: %(what)s.") % {"plan": plan.name, "what": label}
    if kind in COVERAGE_KINDS:
        refusal = _coverage_refusal(migration=migration)
        if refusal:
            return refusal
    return None


def _coverage_refusal(*, migration) -> str | None:
    """Why no paid order covers the source as connected now (counts unknown, another account, more
    records), or None when one does."""
    if not counts_known(migration=migration):
        return _("The number of records in your help desk is not known: count them on the objects step "
                 "(“Count again”) before starting the full migration.")
    if covering_order(migration=migration) is not None:
        return None
    if not paid_orders_for_account(migration=migration).exists():
        paid = paid_orders(migration=migration).first()
        return _(
            "The payment was for the help desk account %(paid)s, but this migration is now connected to "
            "%(current)s. Connect the account that was paid for, or pay for this one on the plan step."
        ) % {"paid": (paid.source_account_name or paid.source_account or _("another account")) if paid else "",
             "current": migration.source_account_name or migration.source_type}
    return _(
        "The source now has more records than were paid for. Pay the difference on the plan step "
        "before starting the full migration."
    )


def _upgrade_name(kind: str) -> str | None:
    from billing.plans import all_plans

    return next((plan.name for plan in all_plans() if plan.allows(kind)), None)


def remigration_days(*, migration) -> int:
    """Days after the first completed full run during which a re-migration may start: the paid plan's
    window when billing is on, else ENGINE_REMIGRATION_DAYS. The one rule; the engine enforces it."""
    plan = paid_plan(migration=migration) if billing_enabled() else None
    return plan.remigration_days if plan is not None else settings.ENGINE_REMIGRATION_DAYS
