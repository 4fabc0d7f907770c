"""`python -m sandbox.front --port P [--token T] [--rpm N] [--latency-ms MS] [--process-delay-s S] [--faults RATE]
[--strict]
[--partner-rpm N] [--oauth-client-id ID] [--oauth-client-secret S] [--oauth-token-ttl SECONDS]`."""

from __future__ import annotations

import argparse
import sys

from sandbox.front import FrontStandin


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox.front", description="A local stand-in for Front's Core API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed at start)")
    parser.add_argument("--token", default="sandbox-front-token", help="the API token it accepts")
    parser.add_argument("--rpm", type=int, default=100, help="company budget, requests per minute (Front: 50/100/200)")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every API answer")
    parser.add_argument("--process-delay-s", type=float, default=1.0, help="time before an import becomes visible")
    parser.add_argument("--faults", type=float, default=0.0, help="share of requests that fail (5xx or dropped)")
    parser.add_argument("--company", default="Acme Support (Front sandbox)")
    parser.add_argument("--inboxes", type=int, default=3, help="how many inboxes (Support, Billing, Sales, then Queue 4...)")
    parser.add_argument("--strict", action="store_true",
                        help="take the other reading of every guess in docs/vendor-guesses.md (Front section)")
    parser.add_argument("--partner-rpm", type=int, default=120,
                        help="partner budget for calls on OAuth tokens, requests per minute (Front: 120 per company)")
    parser.add_argument("--oauth-client-id", default="sandbox-oauth-client", help="the OAuth app's client id")
    parser.add_argument("--oauth-client-secret", default="sandbox-oauth-secret", help="the OAuth app's client secret")
    parser.add_argument("--oauth-token-ttl", type=float, default=3600.0,
                        help="lifetime of an OAuth access token in seconds (Front: about an hour)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    standin = FrontStandin(token=args.token, rpm=args.rpm, latency_ms=args.latency_ms, host=args.host, port=args.port,
                           process_delay_s=args.process_delay_s, faults=args.faults, company_name=args.company,
                           strict=args.strict, partner_rpm=args.partner_rpm, oauth_client_id=args.oauth_client_id,
                           oauth_client_secret=args.oauth_client_secret, oauth_token_ttl=args.oauth_token_ttl,
                           inboxes=args.inboxes)
    standin.start()
    print(f"Front stand-in listening on {standin.url} (state: {standin.url}/__sandbox/state)", flush=True)
    try:
        standin.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
