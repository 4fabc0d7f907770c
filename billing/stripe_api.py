"""The one place that builds a Stripe client (the real API, or the local stand-in via STRIPE_API_BASE)."""

from __future__ import annotations

import stripe
from django.conf import settings

NETWORK_RETRIES = 2  # safe: every create carries an Idempotency-Key


def stripe_client() -> stripe.StripeClient:
    """Stripe is called while a person waits (checkout): each attempt may take a third of
    VENDOR_CALL_DEADLINE_SECONDS, so the call ends near the deadline (the SDK's own pauses between
    attempts are under two seconds in all, and it never waits on a Retry-After)."""
    base = settings.STRIPE_API_BASE
    per_attempt = float(settings.VENDOR_CALL_DEADLINE_SECONDS) / (NETWORK_RETRIES + 1)
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=per_attempt),
    )
