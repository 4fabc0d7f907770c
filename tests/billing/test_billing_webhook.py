"""The webhook is the only thing that pays: signatures, replays, duplicates and out-of-order events.

Orders are opened through the real `stripe` package against the stand-in; the stand-in builds the
events exactly as it would deliver them, and the test posts them (signed) through Django's test client.
"""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from billing.gate import run_refusal
from billing.models import Order, StripeEvent
from billing.services import start_checkout
from sandbox.stripe import sign

WEBHOOK = "/billing/stripe/webhook/"


def open_order(migration, owner, plan="basic") -> Order:
    return start_checkout(migration=migration, plan_key=plan, user=owner,
                          success_url="http://testserver/ok", cancel_url="http://testserver/no")


def post(client, event: dict, secret: str, *, timestamp=None, body: bytes | None = None):
    payload = json.dumps(event).encode()
    header = sign(payload, secret, timestamp)
    return client.post(WEBHOOK, data=body if body is not None else payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=header)


def completed_event(standin, order: Order) -> dict:
    standin.pay(order.stripe_session_id)  # no webhook URL set: the test delivers it
    return standin.events[-1]


@pytest.fixture
def paid(client, stripe_billing, migration, owner):
    order = open_order(migration, owner)
    assert post(client, completed_event(stripe_billing, order), stripe_billing.webhook_secret).status_code == 200
    order.refresh_from_db()
    return order


def test_full_run_refused_before_payment_and_allowed_after_the_webhook(client, stripe_billing, migration, owner):
    assert run_refusal(migration=migration, kind="demo") is None
    assert "paid plan" in run_refusal(migration=migration, kind="full")
    order = open_order(migration, owner)
    assert order.status == Order.Status.PENDING and order.checkout_url.startswith(stripe_billing.url)
    # The customer coming back to the success page proves nothing: still refused.
    session_id = order.stripe_session_id
    assert client.get(reverse("billing:success", args=[migration.pk]), {"session_id": session_id}).status_code == 302
    assert run_refusal(migration=migration, kind="full") is not None
    response = post(client, completed_event(stripe_billing, order), stripe_billing.webhook_secret)
    assert response.status_code == 200 and response.content == b"paid"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.stripe_payment_intent.startswith("pi_")
    assert run_refusal(migration=migration, kind="full") is None
    migration.refresh_from_db()
    assert migration.plan == "basic"


@pytest.mark.parametrize("tamper", ["wrong_secret", "old_timestamp", "changed_body", "no_header", "not_json"])
def test_forged_or_replayed_webhooks_are_rejected_and_change_nothing(client, stripe_billing, migration, owner, tamper):
    order = open_order(migration, owner)
    event = completed_event(stripe_billing, order)
    secret = stripe_billing.webhook_secret
    if tamper == "wrong_secret":
        response = post(client, event, "whsec_attacker")
    elif tamper == "old_timestamp":
        response = post(client, event, secret, timestamp=int(time.time()) - 600)
    elif tamper == "changed_body":
        forged = json.dumps({**event, "id": "evt_other"}).encode()
        response = post(client, event, secret, body=forged)
    elif tamper == "no_header":
        response = client.post(WEBHOOK, data=json.dumps(event), content_type="application/json")
    else:
        payload = b"{not json"
        response = client.post(WEBHOOK, data=payload, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=sign(payload, secret))
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert not StripeEvent.objects.exists()
    assert run_refusal(migration=migration, kind="full") is not None


def test_same_event_twice_pays_once(client, stripe_billing, migration, owner):
    order = open_order(migration, owner)
    event = completed_event(stripe_billing, order)
    assert post(client, event, stripe_billing.webhook_secret).content == b"paid"
    order.refresh_from_db()
    first_paid_at = order.paid_at
    again = post(client, event, stripe_billing.webhook_secret)
    assert again.status_code == 200 and again.content == b"duplicate"
    order.refresh_from_db()
    assert order.paid_at == first_paid_at
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert Order.objects.filter(status=Order.Status.PAID).count() == 1


def test_expired_after_completed_does_not_unpay(client, stripe_billing, paid):
    session = {**stripe_billing.session(paid.stripe_session_id), "status": "expired"}
    late = stripe_billing.state.build_event("checkout.session.expired", session)
    assert post(client, late, stripe_billing.webhook_secret).content == b"stale"
    failed = stripe_billing.state.build_event("checkout.session.async_payment_failed", session)
    assert post(client, failed, stripe_billing.webhook_secret).content == b"stale"
    paid.refresh_from_db()
    assert paid.status == Order.Status.PAID


def test_completed_after_expired_still_pays(client, stripe_billing, migration, owner):
    order = open_order(migration, owner)
    session = stripe_billing.session(order.stripe_session_id)
    completed = stripe_billing.state.build_event(
        "checkout.session.completed", {**session, "status": "complete", "payment_status": "paid"})
    expired = stripe_billing.state.build_event("checkout.session.expired", {**session, "status": "expired"})
    assert post(client, expired, stripe_billing.webhook_secret).content == b"expired"
    assert post(client, completed, stripe_billing.webhook_secret).content == b"paid"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_delayed_payment_waits_for_async_success(client, stripe_billing, migration, owner):
    order = open_order(migration, owner)
    session = {**stripe_billing.session(order.stripe_session_id), "status": "complete"}
    unpaid = stripe_billing.state.build_event("checkout.session.completed", {**session, "payment_status": "unpaid"})
    assert post(client, unpaid, stripe_billing.webhook_secret).content == b"awaiting_payment"
    assert run_refusal(migration=order.migration, kind="full") is not None
    succeeded = stripe_billing.state.build_event("checkout.session.async_payment_succeeded",
                                                 {**session, "payment_status": "paid"})
    assert post(client, succeeded, stripe_billing.webhook_secret).content == b"paid"
    assert run_refusal(migration=order.migration, kind="full") is None


def test_unknown_events_and_sessions_are_acknowledged_and_ignored(client, stripe_billing, migration, owner):
    order = open_order(migration, owner)
    other = stripe_billing.state.build_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert post(client, other, stripe_billing.webhook_secret).content == b"ignored"
    foreign = stripe_billing.state.build_event(
        "checkout.session.completed", {"id": "cs_someone_else", "payment_status": "paid", "metadata": {}})
    assert post(client, foreign, stripe_billing.webhook_secret).content == b"unknown_session"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_amount_different_from_the_frozen_price_never_unlocks(client, stripe_billing, migration, owner):
    order = open_order(migration, owner)
    session = stripe_billing.session(order.stripe_session_id)
    cheap = stripe_billing.state.build_event(
        "checkout.session.completed", {**session, "payment_status": "paid", "amount_total": 100})
    assert post(client, cheap, stripe_billing.webhook_secret).content == b"amount_mismatch"
    order.refresh_from_db()
    assert order.status == Order.Status.MISMATCH
    assert run_refusal(migration=migration, kind="full") is not None


def test_webhook_is_refused_when_billing_is_off(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert client.post(WEBHOOK, data="{}", content_type="application/json").status_code == 400


def test_pressing_pay_twice_reuses_the_open_checkout(stripe_billing, migration, owner):
    first = open_order(migration, owner)
    assert open_order(migration, owner).pk == first.pk
    other_plan = open_order(migration, owner, plan="signature")
    assert other_plan.pk != first.pk
    stripe_billing.expire(first.stripe_session_id)  # no webhook URL: the order is still pending here
    assert open_order(migration, owner).pk not in (first.pk, other_plan.pk)
