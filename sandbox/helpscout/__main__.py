"""`python -m sandbox.helpscout --port P [--tickets N] [--seed S] [--rpm N] [--app-id ID] [--app-secret S] [--strict]`."""

from __future__ import annotations

import argparse

from sandbox.helpscout.app import HelpScoutApp
from sandbox.vendorhttp import ServedApp


def main() -> None:
    parser = argparse.ArgumentParser(description="Help Scout Mailbox API 2.0 stand-in serving the sample help desk.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--revision", type=int, default=0)
    parser.add_argument("--app-id", default="hs-app-id")
    parser.add_argument("--app-secret", default="hs-app-secret")
    parser.add_argument("--token-ttl-s", type=int, default=172_800, help="lifetime of access tokens")
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute (the plan's limit)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--strict", action="store_true",
                        help="take the other reading of every vendor guess (docs/vendor-guesses.md)")
    args = parser.parse_args()
    app = HelpScoutApp(tickets=args.tickets, seed=args.seed, revision=args.revision, app_id=args.app_id,
                       app_secret=args.app_secret, token_ttl_s=args.token_ttl_s, rpm=args.rpm,
                       latency_ms=args.latency_ms, strict=args.strict)
    served = ServedApp(app, args.port)
    print(f"Help Scout stand-in on {served.url} (app id {args.app_id})", flush=True)
    try:
        served.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
