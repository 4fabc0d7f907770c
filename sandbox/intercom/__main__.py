"""`python -m sandbox.intercom --port P [--tickets N] [--seed S] [--revision R] [--strict] [--rpm N] [--token T]`."""

from __future__ import annotations

import argparse

from sandbox.intercom.app import IntercomApp
from sandbox.vendorhttp import ServedApp


def main() -> None:
    parser = argparse.ArgumentParser(description="Intercom REST API 2.16 stand-in serving the sample help desk.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--revision", type=int, default=0)
    parser.add_argument("--token", default="ic-access-token", help="the workspace's access token")
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute (the app's limit)")
    parser.add_argument("--strict", action="store_true",
                        help="take the other reading of every guess in docs/vendor-guesses.md (Intercom)")
    parser.add_argument("--attachment-ttl-s", type=float, default=None, help="download links expire after this")
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    app = IntercomApp(tickets=args.tickets, seed=args.seed, revision=args.revision, token=args.token, rpm=args.rpm,
                      strict=args.strict, attachment_ttl_s=args.attachment_ttl_s, latency_ms=args.latency_ms)
    served = ServedApp(app, args.port)
    print(f"Intercom stand-in on {served.url} (access token {args.token})", flush=True)
    try:
        served.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
