"""Billing actions: choose a plan, open a Stripe Checkout for a frozen order.

Payment itself is confirmed only by Stripe's signed webhook (billing/webhooks.py), never here and never
by the success redirect.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import stripe
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Order
from billing.plans import Plan, get_plan
from billing.selectors import billing_enabled, counts_known, missing_counts, quote_for
from billing.stripe_api import stripe_client

logger = logging.getLogger(__name__)


class BillingError(Exception):
    """A problem to show the user in plain words (never a secret or a stack trace)."""


def choose_plan(*, migration, plan_key: str) -> Plan:
    plan = get_plan(plan_key)
    if plan is None:
        raise BillingError(_("This plan does not exist."))
    if migration.plan != plan.key:
        migration.plan = plan.key
        migration.save(update_fields=["plan", "updated_at"])
    return plan


def adopt_unbound_orders(*, migration, source_account: str) -> int:
    """Bind paid orders made before orders froze the source account (their `source_account` is empty) to
    the account a migration is first seen connected to, so an upgrade does not make the owner pay again.

    Called only when the migration itself had no recorded identity yet, on its first successful
    connection check after the upgrade; from then on the usual rule holds (another account = another
    order). The frozen counts still have to cover the source's counts.
    """
    if not source_account:
        return 0
    return Order.objects.filter(migration=migration, source_account="").update(
        source_account=source_account)


def create_order(*, migration, plan: Plan, user=None) -> Order:
    """Freeze the current price of `plan` for the migration on a new order."""
    if not counts_known(migration=migration):
        raise BillingError(_("The record counts are not known yet: count the records on the objects step first."))
    q = quote_for(migration=migration, plan=plan)
    return Order.objects.create(
        migration=migration,
        migration_name=migration.name,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        plan=plan.key,
        plan_name=plan.name,
        currency=q.currency,
        counts=q.counts,
        source_account=migration.source_account_id,
        source_account_name=migration.source_account_name,
        lines=q.lines,
        full_price=q.full_price,
        credit=q.credit,
        total=q.total,
        customer_email=getattr(user, "email", "") or "",
    )


def _count_again(*, migration) -> None:
    """The price is fixed from counts taken now from the connected account, never from a cache."""
    from wizard.connections import ConnectionProblem
    from wizard.services import count_problems, counts_refresh

    try:
        counts_refresh(migration=migration)
    except ConnectionProblem as exc:
        problem = str(exc)
    else:
        problems = count_problems(migration=migration)
        problem = next((problems[key] for key in missing_counts(migration=migration) if key in problems), "")
    if problem:
        raise BillingError(_("Your help desk's records could not be counted just now, so no price can be fixed: "
                             "%(problem)s") % {"problem": problem})


def _open_checkout_for_same_price(*, migration, plan: Plan) -> Order | None:
    """A pending order with the same frozen price whose Stripe session is still open (Pay pressed twice,
    or the customer came back from the cancel page): reuse it rather than risk two payments."""
    q = quote_for(migration=migration, plan=plan)
    since = timezone.now() - timedelta(hours=23)  # Checkout Sessions live 24 hours
    candidates = Order.objects.filter(
        migration=migration, plan=plan.key, status=Order.Status.PENDING, total=q.total, currency=q.currency,
        created_at__gte=since, stripe_session_id__isnull=False,
    ).exclude(checkout_url="")
    for order in candidates[:3]:
        if order.counts != q.counts or order.lines != q.lines or order.source_account != migration.source_account_id:
            continue
        try:
            session = stripe_client().v1.checkout.sessions.retrieve(order.stripe_session_id)
        except stripe.StripeError:
            return None
        if session.status == "open":
            return order
    return None


def start_checkout(*, migration, plan_key: str, user, success_url: str, cancel_url: str) -> Order:
    """Create the order and its Stripe Checkout Session; the caller redirects to `order.checkout_url`.

    `success_url` gets `?session_id={CHECKOUT_SESSION_ID}` appended (Stripe fills it in). When earlier
    payments already cover the price, the order is settled at once without Stripe.
    """
    if not billing_enabled():
        raise BillingError(_("Billing is disabled on this server: full migrations are allowed without payment."))
    plan = choose_plan(migration=migration, plan_key=plan_key)
    _count_again(migration=migration)
    reusable = _open_checkout_for_same_price(migration=migration, plan=plan)
    if reusable is not None:
        return reusable
    order = create_order(migration=migration, plan=plan, user=user)
    if order.total == 0:
        order.status = Order.Status.PAID
        order.paid_at = timezone.now()
        order.note = "Covered by earlier payments"
        order.save(update_fields=["status", "paid_at", "note", "updated_at"])
        return order
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": order.total,
                    "product_data": {"name": f"Frontport {order.plan_name}: {migration.name}"[:250]},
                },
                "quantity": 1,
            }
        ],
        "success_url": f"{success_url}?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": cancel_url,
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk), "migration_id": str(migration.pk), "plan": order.plan},
    }
    if order.customer_email:
        params["customer_email"] = order.customer_email
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": f"frontport-order-{order.pk}"}
        )
    except stripe.StripeError as exc:
        # Log Stripe's own message and request id (no key is ever in them); show plain words.
        logger.warning("Stripe refused checkout for order %s: %s", order.pk, getattr(exc, "user_message", exc))
        order.status = Order.Status.FAILED
        order.note = "Checkout could not be created"
        order.save(update_fields=["status", "note", "updated_at"])
        raise BillingError(_("The payment page could not be opened. Please try again in a moment.")) from exc
    with transaction.atomic():
        order.stripe_session_id = session.id
        order.checkout_url = session.url or ""
        order.save(update_fields=["stripe_session_id", "checkout_url", "updated_at"])
    return order
