"""Price breakdowns for several count profiles: tiers are graduated, lines exact, amounts integers."""

from __future__ import annotations

import pytest

from billing.plans import get_plan
from billing.pricing import priced_counts, quote


def _records(q, entity):
    return [(line["first"], line["last"], line["amount"]) for line in q.lines
            if line["kind"] == "records" and line["entity"] == entity]


@pytest.fixture
def basic():
    return get_plan("basic")


def test_small_account_is_lifted_to_the_minimum_charge(basic, settings):
    q = quote(plan=basic, counts={"tickets": 100, "contacts": 50, "agents": 2})
    # 100 x 0.20 + 50 x 0.01 + 2 x 5.00 = 20.00 + 0.50 + 10.00 = 30.50 < 49.00 minimum
    assert _records(q, "tickets") == [(1, 100, 2_000)]
    assert _records(q, "contacts") == [(1, 50, 50)]
    assert _records(q, "agents") == [(1, 2, 1_000)]
    minimum = [line for line in q.lines if line["kind"] == "minimum"]
    assert minimum == [{"kind": "minimum", "amount": settings.BILLING_MINIMUM_CHARGE - 3_050}]
    assert q.total == q.full_price == settings.BILLING_MINIMUM_CHARGE


def test_mid_size_account_spans_two_ticket_tiers(basic):
    q = quote(plan=basic, counts={"tickets": 2_500, "contacts": 1_200, "agents": 12})
    assert _records(q, "tickets") == [(1, 1_000, 20_000), (1_001, 2_500, 15_000)]
    assert _records(q, "contacts") == [(1, 1_200, 1_200)]
    assert _records(q, "agents") == [(1, 10, 5_000), (11, 12, 400)]
    assert q.total == 20_000 + 15_000 + 1_200 + 5_000 + 400
    assert all(isinstance(line["amount"], int) for line in q.lines)
    assert [line["kind"] for line in q.lines].count("free") == 1  # replies, notes, attachments


def test_large_account_costs_less_per_ticket(basic):
    small = quote(plan=basic, counts={"tickets": 10_000, "contacts": 0, "agents": 0})
    large = quote(plan=basic, counts={"tickets": 250_000, "contacts": 0, "agents": 0})
    assert _records(large, "tickets") == [
        (1, 1_000, 20_000), (1_001, 10_000, 90_000), (10_001, 100_000, 360_000), (100_001, 250_000, 225_000)]
    assert large.total == 695_000
    # Non-linear: 25x the tickets for under 7x the price.
    assert large.total / 250_000 < small.total / 10_000 / 3


def test_sub_cent_prices_round_up_once_per_line(basic):
    q = quote(plan=basic, counts={"tickets": 0, "contacts": 100_003, "agents": 0})
    # 10,000 x 1 cent, 90,000 x 0.5 cent, 3 x 0.2 cent = 0.6 cent -> 1 cent
    assert _records(q, "contacts") == [(1, 10_000, 10_000), (10_001, 100_000, 45_000), (100_001, 100_003, 1)]


def test_signature_adds_its_plan_price_and_credit_is_deducted():
    signature = get_plan("signature")
    counts = {"tickets": 2_500, "contacts": 1_200, "agents": 12}
    basic_total = quote(plan=get_plan("basic"), counts=counts).total
    q = quote(plan=signature, counts=counts, credit=basic_total)
    assert [line for line in q.lines if line["kind"] == "plan"][0]["amount"] == signature.price == 14_900
    assert q.full_price == basic_total + 14_900
    assert q.credit == basic_total and q.total == 14_900
    assert q.lines[-1] == {"kind": "credit", "amount": -basic_total}


def test_operator_overrides_tiers_plan_prices_and_currency(settings):
    settings.BILLING_PRICE_TIERS = {"tickets": [[None, 10_000]]}
    settings.BILLING_CURRENCY = "eur"
    settings.BILLING_PLANS = {**settings.BILLING_PLANS, "basic": {**settings.BILLING_PLANS["basic"], "price": 1_000}}
    q = quote(plan=get_plan("basic"), counts={"tickets": 30, "contacts": 0, "agents": 0})
    assert q.currency == "eur"
    assert _records(q, "tickets") == [(1, 30, 3_000)]
    assert q.total == settings.BILLING_MINIMUM_CHARGE  # 30.00 + 10.00 plan < 49.00


def test_only_chosen_objects_are_charged():
    counts = priced_counts({"tickets": 10, "contacts": 99, "agents": 3}, {"tickets": True, "contacts": False})
    assert counts == {"tickets": 10, "contacts": 0, "agents": 3}
    assert priced_counts({"tickets": "7"}, {}) == {"tickets": 7, "contacts": 0, "agents": 0}
