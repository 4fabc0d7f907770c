"""Read-only questions about billing: is it on, what is paid, what would a plan cost now."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet, Sum

from billing.models import Order
from billing.plans import Plan, get_plan, plan_rank
from billing.pricing import PRICED_ENTITIES, Quote, priced_counts, quote


def billing_enabled() -> bool:
    """Billing is on exactly when the operator configured a Stripe secret key."""
    return bool(settings.STRIPE_SECRET_KEY)


def orders_for(*, migration) -> QuerySet[Order]:
    return Order.objects.filter(migration=migration)


def paid_orders(*, migration) -> QuerySet[Order]:
    return orders_for(migration=migration).filter(status=Order.Status.PAID)


def current_counts(*, migration) -> dict[str, int]:
    return priced_counts(migration.record_counts or {}, migration.selected_objects or {})


def missing_counts(*, migration) -> list[str]:
    """The counts the price needs that are not known (a chosen object the source could not count yet)."""
    counts, selected = migration.record_counts or {}, migration.selected_objects or {}
    return [key for key in PRICED_ENTITIES if (selected.get(key, True) if selected else True) and key not in counts]


def counts_known(*, migration) -> bool:
    """Pricing waits only for the counts it needs: those of the chosen objects."""
    counts = migration.record_counts or {}
    return any(key in counts for key in PRICED_ENTITIES) and not missing_counts(migration=migration)


def _covers(order: Order, counts: dict[str, int]) -> bool:
    """A paid order covers counts that grew by at most the tolerance since payment (new tickets keep coming)."""
    tolerance = int(settings.BILLING_COUNT_TOLERANCE_PERCENT)
    for entity in PRICED_ENTITIES:
        paid_for = int(order.counts.get(entity, 0))
        if counts.get(entity, 0) > paid_for + (paid_for * tolerance) // 100:
            return False
    return True


def paid_orders_for_account(*, migration) -> QuerySet[Order]:
    """Paid orders priced for the source account the migration is connected to now."""
    return paid_orders(migration=migration).filter(source_account=migration.source_account_id or "")


def covering_order(*, migration) -> Order | None:
    """The best-plan paid order, priced for the connected source account, whose frozen counts cover the
    migration's current counts, if any."""
    counts = current_counts(migration=migration)
    covering = [order for order in paid_orders_for_account(migration=migration) if _covers(order, counts)]
    return max(covering, key=lambda order: (plan_rank(order.plan), order.pk), default=None)


def paid_plan(*, migration) -> Plan | None:
    """The highest plan paid for this migration (whatever the counts), or None when nothing is paid."""
    keys = set(paid_orders(migration=migration).values_list("plan", flat=True))
    plans = [plan for plan in (get_plan(key) for key in keys) if plan is not None]
    return max(plans, key=lambda plan: plan_rank(plan.key), default=None)


def amount_paid(*, migration) -> int:
    return paid_orders(migration=migration).aggregate(total=Sum("total"))["total"] or 0


def quote_for(*, migration, plan: Plan) -> Quote:
    """What `plan` costs for the migration's current counts, less what was already paid for it."""
    return quote(plan=plan, counts=current_counts(migration=migration), credit=amount_paid(migration=migration))
