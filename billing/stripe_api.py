"""The one place that builds a Stripe client (the real API, or the local stand-in via STRIPE_API_BASE)."""

from __future__ import annotations

import stripe
from django.conf import settings


def stripe_client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=2,  # safe: every create carries an Idempotency-Key
    )
