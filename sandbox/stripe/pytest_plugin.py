"""pytest fixtures for the Stripe stand-in (registered in the root conftest.py `pytest_plugins`).

- `stripe_standin`: a running stand-in (no webhook URL until a test sets one).
- `stripe_billing`: the stand-in plus Django settings pointing the app at it (billing on).
- `stripe_live_billing`: `stripe_billing` whose webhooks reach the `live_server` (transactional tests).
"""

from __future__ import annotations

import pytest

from sandbox.stripe.server import StripeStandin

WEBHOOK_PATH = "/billing/stripe/webhook/"


@pytest.fixture
def stripe_standin():
    with StripeStandin(delivery_attempts=2, retry_delay_s=0.05) as standin:
        yield standin


@pytest.fixture
def stripe_billing(settings, stripe_standin):
    settings.STRIPE_SECRET_KEY = stripe_standin.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_standin.webhook_secret
    settings.STRIPE_API_BASE = stripe_standin.url
    return stripe_standin


@pytest.fixture
def stripe_live_billing(stripe_billing, live_server):
    stripe_billing.webhook_url = live_server.url + WEBHOOK_PATH
    return stripe_billing
