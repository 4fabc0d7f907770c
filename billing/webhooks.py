"""Stripe webhook processing: the only place an order becomes paid.

Every event id is recorded once (unique row), inside the same transaction as its effect, so a second
delivery of the same event changes nothing. Events may arrive in any order: an order that is paid
stays paid whatever comes later (an `expired` or `failed` after `completed` is stale); a `completed`
after `expired` still pays, because the money was taken. Unknown event types are recorded and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Order, StripeEvent
from wizard.models import Migration

logger = logging.getLogger(__name__)

PAID_STATES = {"paid", "no_payment_required"}


def handle_event(*, event: dict) -> str:
    """Apply one verified Stripe event; returns what happened (also stored on the event row)."""
    event_id = str(event.get("id") or "")
    event_type = str(event.get("type") or "")
    if not event_id:
        return "invalid"
    created = event.get("created")
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=event_id,
                    type=event_type[:100],
                    outcome="processing",
                    created=datetime.fromtimestamp(int(created), tz=UTC) if created else None,
                )
        except IntegrityError:
            return "duplicate"
        handler = HANDLERS.get(event_type)
        obj = (event.get("data") or {}).get("object") or {}
        if handler is None:
            outcome, order = "ignored", None
        else:
            order = _locked_order_for_session(obj)
            outcome = "unknown_session" if order is None else handler(order, obj)
        record.outcome = outcome
        record.order = order
        record.save(update_fields=["outcome", "order"])
    logger.info("Stripe event %s (%s): %s", event_id, event_type, outcome)
    return outcome


def _locked_order_for_session(session: dict) -> Order | None:
    orders = Order.objects.select_for_update()
    session_id = session.get("id")
    if session_id:
        order = orders.filter(stripe_session_id=session_id).first()
        if order is not None:
            return order
    # The webhook can beat our own save of the session id: fall back to the order id we sent.
    order_id = (session.get("metadata") or {}).get("order_id") or session.get("client_reference_id")
    if order_id and str(order_id).isdigit():
        order = orders.filter(pk=int(order_id)).first()
        if order is not None and order.stripe_session_id in (None, "", session_id):
            if session_id and not order.stripe_session_id:
                order.stripe_session_id = session_id
                order.save(update_fields=["stripe_session_id", "updated_at"])
            return order
    return None


def _charged(session: dict) -> tuple[int | None, str]:
    """What the session charged in the currency we created it in. With Adaptive Pricing, webhook endpoints
    on API versions before 2025-03-31 get `currency`/`amount_total` in the customer's currency and ours
    under `currency_conversion` (later versions keep ours and add `presentment_details`)."""
    conversion = session.get("currency_conversion") or {}
    if conversion.get("source_currency") and conversion.get("amount_total") is not None:
        return conversion["amount_total"], str(conversion["source_currency"]).lower()
    return session.get("amount_total"), str(session.get("currency") or "").lower()


def _mark_paid(order: Order, session: dict) -> str:
    if order.status == Order.Status.PAID:
        return "already_paid"
    amount, currency = _charged(session)
    if amount is not None and (int(amount) != order.total or (currency and currency != order.currency)):
        # Never unlock a run for a different amount than the frozen price; staff review it.
        logger.warning("Stripe session for order %s paid %s %s, expected %s %s",
                       order.pk, amount, currency, order.total, order.currency)
        order.status = Order.Status.MISMATCH
        order.note = f"Stripe reported {amount} {currency}"[:255]
        order.save(update_fields=["status", "note", "updated_at"])
        return "amount_mismatch"
    order.status = Order.Status.PAID
    order.paid_at = timezone.now()
    order.stripe_payment_intent = str(session.get("payment_intent") or "")[:255]
    email = (session.get("customer_details") or {}).get("email") or session.get("customer_email")
    if email:
        order.customer_email = str(email)[:254]
    order.save(update_fields=["status", "paid_at", "stripe_payment_intent", "customer_email", "updated_at"])
    if order.migration_id:  # the paid plan is the migration's plan from now on
        Migration.objects.filter(pk=order.migration_id).update(plan=order.plan)
    return "paid"


def on_completed(order: Order, session: dict) -> str:
    if session.get("payment_status") in PAID_STATES:
        return _mark_paid(order, session)
    return "awaiting_payment"  # a delayed method (bank debit): async_payment_succeeded will follow


def on_async_succeeded(order: Order, session: dict) -> str:
    return _mark_paid(order, session)


def on_async_failed(order: Order, session: dict) -> str:
    if order.status != Order.Status.PENDING:
        return "stale"
    order.status = Order.Status.FAILED
    order.save(update_fields=["status", "updated_at"])
    return "failed"


def on_expired(order: Order, session: dict) -> str:
    if order.status != Order.Status.PENDING:
        return "stale"  # e.g. `expired` delivered after `completed`: a paid order stays paid
    order.status = Order.Status.EXPIRED
    order.save(update_fields=["status", "updated_at"])
    return "expired"


HANDLERS: dict[str, Callable[[Order, dict], str]] = {
    "checkout.session.completed": on_completed,
    "checkout.session.async_payment_succeeded": on_async_succeeded,
    "checkout.session.async_payment_failed": on_async_failed,
    "checkout.session.expired": on_expired,
}
