"""A local stand-in for Stripe (Checkout Sessions + signed webhooks): see sandbox/stripe/server.py."""

from sandbox.stripe.constants import SANDBOX_SECRET_KEY, SANDBOX_WEBHOOK_SECRET
from sandbox.stripe.server import StripeStandin
from sandbox.stripe.state import sign

__all__ = ["SANDBOX_SECRET_KEY", "SANDBOX_WEBHOOK_SECRET", "StripeStandin", "sign"]
