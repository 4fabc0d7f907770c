"""Both readings of every Stripe guess (docs/vendor-guesses.md, Stripe section): a payment unlocks the full
run whichever way Stripe renders the paid session in its webhook."""

from __future__ import annotations

import pytest

from billing.gate import run_refusal
from billing.models import Order
from sandbox.stripe import StripeStandin
from tests.billing.test_billing_webhook import open_order, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_both(settings, standin_strict):
    with StripeStandin(delivery_attempts=1, retry_delay_s=0.01, strict=standin_strict) as standin:
        settings.STRIPE_SECRET_KEY = standin.api_key
        settings.STRIPE_WEBHOOK_SECRET = standin.webhook_secret
        settings.STRIPE_API_BASE = standin.url
        yield standin


def test_a_payment_in_the_customers_currency_still_pays_the_frozen_price(client, stripe_both, migration, owner,
                                                                         standin_strict):
    """Strict: Adaptive Pricing as endpoints on API versions before 2025-03-31 see it (`currency` and
    `amount_total` in the customer's currency, ours under `currency_conversion`)."""
    order = open_order(migration, owner)
    session = stripe_both.pay(order.stripe_session_id)
    if standin_strict:
        assert session["currency"] != order.currency and session["amount_total"] != order.total
        assert session["currency_conversion"]["amount_total"] == order.total
    response = post(client, stripe_both.events[-1], stripe_both.webhook_secret)
    assert response.status_code == 200 and response.content == b"paid"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert run_refusal(migration=migration, kind="full") is None


def test_a_converted_amount_that_is_not_the_frozen_price_never_unlocks(client, stripe_both, migration, owner):
    order = open_order(migration, owner)
    stripe_both.pay(order.stripe_session_id)
    event = stripe_both.events[-1]
    session = event["data"]["object"]
    if session.get("currency_conversion"):
        session["currency_conversion"]["amount_total"] = order.total - 100
    else:
        session["amount_total"] = order.total - 100
    assert post(client, event, stripe_both.webhook_secret).content == b"amount_mismatch"
    order.refresh_from_db()
    assert order.status == Order.Status.MISMATCH
    assert run_refusal(migration=migration, kind="full") is not None
