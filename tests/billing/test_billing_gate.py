"""`billing.gate.run_refusal`: billing off allows all; with billing on, payment, plan and counts decide."""

from __future__ import annotations

import pytest

from billing.gate import run_refusal
from billing.models import Order
from billing.plans import get_plan
from billing.services import create_order


def pay(migration, plan_key: str) -> Order:
    """A paid order as the webhook leaves it (the webhook itself is tested in test_billing_webhook)."""
    order = create_order(migration=migration, plan=get_plan(plan_key))
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    order.refresh_from_db()
    return order


@pytest.mark.parametrize("kind", ["demo", "full", "delta", "remigration", "retry", "interval"])
def test_billing_off_allows_every_run(settings, migration, kind):
    settings.STRIPE_SECRET_KEY = ""
    assert run_refusal(migration=migration, kind=kind) is None


def test_basic_allows_full_but_not_signature_kinds(stripe_billing, migration):
    pay(migration, "basic")
    assert run_refusal(migration=migration, kind="full") is None
    for kind in ("delta", "interval", "remigration", "retry", "review"):
        reason = run_refusal(migration=migration, kind=kind)
        assert reason and "Basic" in reason and "Signature" in reason


def test_signature_allows_delta_retry_and_interval(stripe_billing, migration):
    pay(migration, "signature")
    for kind in ("full", "delta", "interval", "retry", "review"):
        assert run_refusal(migration=migration, kind=kind) is None, kind


def test_unpaid_kinds_other_than_demo_are_refused(stripe_billing, migration):
    assert run_refusal(migration=migration, kind="demo") is None
    for kind in ("full", "delta", "retry"):
        assert run_refusal(migration=migration, kind=kind) is not None


def test_counts_growing_past_the_tolerance_need_the_difference_paid(stripe_billing, settings, migration):
    settings.BILLING_COUNT_TOLERANCE_PERCENT = 5
    first = pay(migration, "basic")
    migration.record_counts = {**migration.record_counts, "tickets": 2_600}  # +4 %
    migration.save()
    assert run_refusal(migration=migration, kind="full") is None
    migration.record_counts = {**migration.record_counts, "tickets": 4_000}
    migration.save()
    assert "more records" in run_refusal(migration=migration, kind="full")
    # Delta runs are about new records: the plan decides, not the old counts.
    second = create_order(migration=migration, plan=get_plan("basic"))
    assert second.credit == first.total and second.total == second.full_price - first.total == 1_500 * 10
    Order.objects.filter(pk=second.pk).update(status=Order.Status.PAID)
    assert run_refusal(migration=migration, kind="full") is None


def test_paid_order_is_frozen_when_counts_and_prices_change(stripe_billing, settings, migration):
    order = pay(migration, "signature")
    lines, total = list(order.lines), order.total
    migration.record_counts = {"tickets": 90_000, "contacts": 1, "agents": 1}
    migration.save()
    settings.BILLING_PLANS = {**settings.BILLING_PLANS,
                              "signature": {**settings.BILLING_PLANS["signature"], "price": 99_999}}
    order.refresh_from_db()
    assert order.lines == lines and order.total == total and order.counts["tickets"] == 2_500


def test_remigration_window_follows_the_plan_when_the_engine_has_no_run_history(stripe_billing, migration):
    pay(migration, "signature")
    # Until the engine's Run model exists the plan alone decides; with it, the 10-day window applies.
    reason = run_refusal(migration=migration, kind="remigration")
    assert reason is None or "full migration" in reason
