"""`python -m sandbox.freshdesk --port P [--tickets N] [--seed S] [--rpm N] [--api-key K] [--strict]`."""

from __future__ import annotations

import argparse

from sandbox.freshdesk.app import FreshdeskApp
from sandbox.vendorhttp import ServedApp


def main() -> None:
    parser = argparse.ArgumentParser(description="Freshdesk API v2 stand-in serving the sample help desk.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--revision", type=int, default=0)
    parser.add_argument("--api-key", default="fd-api-key")
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute (the plan's limit)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--strict", action="store_true",
                        help="take the other reading of every vendor guess (docs/vendor-guesses.md)")
    parser.add_argument("--attachment-ttl-s", type=float, default=300.0)
    parser.add_argument("--minimal", action="store_true", help="cheap one-message tickets for volume tests")
    args = parser.parse_args()
    app = FreshdeskApp(tickets=args.tickets, seed=args.seed, revision=args.revision, api_key=args.api_key,
                       rpm=args.rpm, latency_ms=args.latency_ms, strict=args.strict, attachment_ttl_s=args.attachment_ttl_s,
                       minimal=args.minimal)
    served = ServedApp(app, args.port)
    print(f"Freshdesk stand-in on {served.url} (api key {args.api_key})", flush=True)
    try:
        served.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
