"""`python -m sandbox.zendesk --port P [--tickets N] [--seed S] [--rpm N] [--strict]`: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys

from sandbox.zendesk.server import DEFAULT_TOKENS
from sandbox.zendesk.standin import ZendeskStandin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.zendesk", description="Zendesk Support API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--revision", type=int, default=0)
    parser.add_argument("--rpm", type=int, default=700, help="account requests per minute (0 = unlimited)")
    parser.add_argument("--export-rpm", type=int, default=10, help="incremental exports per minute (0 = unlimited)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKENS["admin"], help="API token of agent1@example.com (admin)")
    parser.add_argument("--strict", action="store_true",
                        help="take the other reading of every vendor guess (docs/vendor-guesses.md)")
    args = parser.parse_args(argv)
    standin = ZendeskStandin(tickets=args.tickets, seed=args.seed, revision=args.revision, rpm=args.rpm,
                             export_rpm=args.export_rpm, host=args.host, port=args.port,
                             hosts=(args.host, "127.0.0.1", "localhost", "acme.zendesk.localhost"),
                             tokens={"admin": args.token}, latency_ms=args.latency_ms, strict=args.strict)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    standin.start()
    print(f"Zendesk stand-in on http://{args.host}:{standin.port} ({args.tickets} tickets, seed {args.seed}); "
          f"sign in as agent1@example.com with API token {args.token}", flush=True)
    try:
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
