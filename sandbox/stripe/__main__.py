"""`python -m sandbox.stripe --port P [--webhook-url URL] [--webhook-secret S] [--api-key K] [--strict]`.

Defaults suit the embedded run command: the webhook goes to $SITE_URL/billing/stripe/webhook/ signed with
$STRIPE_WEBHOOK_SECRET (or the sandbox secret the settings use when only the stand-in is configured).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading

from sandbox.stripe.constants import SANDBOX_SECRET_KEY, SANDBOX_WEBHOOK_SECRET
from sandbox.stripe.server import StripeStandin


def main() -> None:
    site = os.environ.get("SITE_URL", "").rstrip("/")
    parser = argparse.ArgumentParser(prog="python -m sandbox.stripe", description="Local Stripe stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--webhook-url", default=f"{site}/billing/stripe/webhook/" if site else None)
    parser.add_argument("--webhook-secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET") or SANDBOX_WEBHOOK_SECRET)
    parser.add_argument("--api-key", default=SANDBOX_SECRET_KEY)
    parser.add_argument("--strict", action="store_true",
                        help="take the other reading of every guess in docs/vendor-guesses.md (Stripe section)")
    args = parser.parse_args()
    standin = StripeStandin(api_key=args.api_key, webhook_secret=args.webhook_secret,
                            webhook_url=args.webhook_url, host=args.host, port=args.port, strict=args.strict)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with standin:
        print(f"Stripe stand-in on {standin.url} (webhooks to {args.webhook_url or 'nowhere'})", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
