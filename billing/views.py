"""Plan-and-payment pages and the Stripe webhook. Thin: access through wizard.access, logic in services."""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import selectors
from billing.models import Order
from billing.plans import all_plans, default_plan, get_plan
from billing.pricing import charged_entities
from billing.services import BillingError, start_checkout
from billing.webhooks import handle_event
from wizard.access import Level, get_migration_for
from wizard.run_services import after_payment

logger = logging.getLogger(__name__)


def _selected_plan(request: HttpRequest, migration):
    return get_plan(request.GET.get("plan")) or get_plan(migration.plan) or default_plan()


@login_required
@require_GET
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    migration, level = get_migration_for(request.user, pk, level=Level.VIEWER)
    enabled = selectors.billing_enabled()
    selected = _selected_plan(request, migration)
    counts_known = selectors.counts_known(migration=migration)
    options = [{"plan": p, "quote": selectors.quote_for(migration=migration, plan=p)} for p in all_plans()]
    quote = next(o["quote"] for o in options if o["plan"].key == selected.key)
    context = {
        "migration": migration,
        "level": level,
        "can_pay": level >= Level.OWNER,
        "billing_enabled": enabled,
        "counts_known": counts_known,
        "missing_counts": selectors.missing_counts(migration=migration),
        "count_problems": (migration.record_counts or {}).get("unavailable") or {},
        "counts": selectors.current_counts(migration=migration),
        "raw_counts": migration.record_counts or {},
        "entities": charged_entities(),
        "options": options,
        "selected": selected,
        "quote": quote,
        "covering": selectors.covering_order(migration=migration) if enabled else None,
        "paid_plan": selectors.paid_plan(migration=migration) if enabled else None,
        "has_orders": selectors.orders_for(migration=migration).exists(),
    }
    if request.htmx and request.GET.get("partial") == "breakdown":
        return render(request, "billing/_breakdown.html", context)
    return render(request, "billing/plan.html", context)


@login_required
@require_POST
def checkout(request: HttpRequest, pk: int) -> HttpResponse:
    migration, _level = get_migration_for(request.user, pk, level=Level.OWNER)
    plan_url = reverse("billing:plan", args=[migration.pk])
    plan_key = request.POST.get("plan", "")
    try:
        order = start_checkout(
            migration=migration,
            plan_key=plan_key,
            user=request.user,
            success_url=request.build_absolute_uri(reverse("billing:success", args=[migration.pk])),
            cancel_url=request.build_absolute_uri(reverse("billing:cancel", args=[migration.pk])),
        )
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect(plan_url)
    if order.is_paid:  # settled by earlier payments, no Stripe needed
        return redirect("billing:receipt", pk=migration.pk, order_pk=order.pk)
    return redirect(order.checkout_url, permanent=False)


def _order_for(migration, *, order_pk=None, session_id=None) -> Order:
    orders = selectors.orders_for(migration=migration)
    if order_pk is not None:
        return get_object_or_404(orders, pk=order_pk)
    return get_object_or_404(orders, stripe_session_id=session_id or "-")


@login_required
@require_GET
def success(request: HttpRequest, pk: int) -> HttpResponse:
    """Where Stripe sends the customer back. Shows the order's state; it never marks anything paid."""
    migration, _level = get_migration_for(request.user, pk, level=Level.VIEWER)
    order = _order_for(migration, session_id=request.GET.get("session_id"))
    return render(request, "billing/success.html", _order_context(migration, order))


@login_required
@require_GET
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    migration, _level = get_migration_for(request.user, pk, level=Level.VIEWER)
    return render(request, "billing/cancel.html", {"migration": migration})


@login_required
@require_GET
def order_status(request: HttpRequest, pk: int, order_pk: int) -> HttpResponse:
    """htmx fragment polled by the success page until the webhook has confirmed the payment."""
    migration, _level = get_migration_for(request.user, pk, level=Level.VIEWER)
    order = _order_for(migration, order_pk=order_pk)
    return render(request, "billing/_order_status.html", _order_context(migration, order))


def _order_context(migration, order: Order) -> dict:
    """The order and, once it is paid, where to go next: the full-run step when the payment opened it."""
    context = {"migration": migration, "order": order, "next_url": "", "next_blocked": ""}
    if order.status == Order.Status.PAID:
        context["next_url"], context["next_blocked"] = after_payment(migration=migration)
    return context


@login_required
@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    migration, _level = get_migration_for(request.user, pk, level=Level.VIEWER)
    orders = selectors.orders_for(migration=migration).select_related("created_by")
    return render(request, "billing/history.html", {"migration": migration, "orders": orders})


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int, order_pk: int) -> HttpResponse:
    migration, _level = get_migration_for(request.user, pk, level=Level.VIEWER)
    order = _order_for(migration, order_pk=order_pk)
    return render(request, "billing/receipt.html", {"migration": migration, "order": order})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's signed events. 400 for anything unsigned, forged or too old; 200 once applied or ignored."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return HttpResponseBadRequest("Webhooks are not configured.")
    try:
        # The raw body: a re-serialised payload would not match the signature.
        event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature", ""), secret)
    except (ValueError, stripe.SignatureVerificationError):
        logger.warning("Rejected a Stripe webhook with a missing, invalid or expired signature")
        return HttpResponseBadRequest("Invalid signature.")
    outcome = handle_event(event=event.to_dict())
    return HttpResponse(outcome, content_type="text/plain")
