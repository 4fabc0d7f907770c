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


def _full_run_finished(migration, days_ago: int) -> None:
    """A migration connected to Front whose full run completed `days_ago` days ago."""
    from datetime import timedelta

    from django.utils import timezone

    from migrations_engine.models import Run

    migration.front_api_url, migration.front_token, migration.front_inbox_id = "http://front.invalid", "t", "inb_1"
    migration.save()
    Run.objects.create(migration=migration, kind="full", state="completed", lineage="g0",
                       finished_at=timezone.now() - timedelta(days=days_ago))


@pytest.mark.parametrize(("window", "days_ago", "allowed"), [(20, 15, True), (10, 15, False)])
def test_remigration_window_is_the_paid_plans_one_rule(stripe_billing, settings, migration, window, days_ago,
                                                       allowed):
    """The plan's window, not a second engine setting, decides (ENGINE_REMIGRATION_DAYS stays at 10)."""
    from datetime import timedelta

    from django.utils import timezone

    from migrations_engine.services import RunRefused, start_run

    settings.ENGINE_REMIGRATION_DAYS = 10
    settings.BILLING_PLANS = {**settings.BILLING_PLANS,
                              "signature": {**settings.BILLING_PLANS["signature"], "remigration_days": window}}
    pay(migration, "signature")
    _full_run_finished(migration, days_ago)
    if allowed:
        later = timezone.now() + timedelta(days=1)  # scheduled: nothing is sent anywhere
        assert start_run(migration=migration, kind="remigration", scheduled_for=later).kind == "remigration"
    else:
        with pytest.raises(RunRefused, match=f"for {window} days after the full migration"):
            start_run(migration=migration, kind="remigration")


def test_remigration_window_with_billing_off_is_the_engine_setting(settings, migration):
    from migrations_engine.services import RunRefused, start_run

    settings.STRIPE_SECRET_KEY = ""
    settings.ENGINE_REMIGRATION_DAYS = 3
    _full_run_finished(migration, 4)
    with pytest.raises(RunRefused, match="for 3 days after the full migration"):
        start_run(migration=migration, kind="remigration")
