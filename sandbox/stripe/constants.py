"""Fixed keys of the offline Stripe stand-in. They only ever work against the loopback stand-in."""

SANDBOX_SECRET_KEY = "sk_test_frontport_sandbox"  # noqa: S105 - a stand-in key, not a secret
SANDBOX_WEBHOOK_SECRET = "whsec_frontport_sandbox"  # noqa: S105 - a stand-in key, not a secret
