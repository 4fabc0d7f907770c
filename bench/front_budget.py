"""How fully does the Front client use a company's budget? Imports N messages into the Front stand-in.

    python bench/front_budget.py --messages 200 --rpm 100 --latency-ms 200

Runs the call pattern of a migration (DESIGN §7): a contact lookup (and create) per distinct requester,
one import per message carrying tags/assignee/thread_ref, and, for tickets with a private note, one late
uid lookup then one comment. Prints requests sent, budget used, 429s, empty uid polls, calls/message.
Targets: budget used >= 95 %, wasted calls (429s, empty polls, retries) < 1 %.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("ALLOW_PRIVATE_URLS", "true")  # the stand-in listens on loopback

from connectors.budget import SharedBudget  # noqa: E402
from connectors.front import FrontClient, ImportedMessage  # noqa: E402
from sandbox.front import FrontStandin  # noqa: E402

TOKEN = "bench-token"  # noqa: S105 - the stand-in's token


def run(args: argparse.Namespace) -> dict:
    standin = FrontStandin(token=TOKEN, rpm=args.rpm, latency_ms=args.latency_ms,
                           process_delay_s=args.process_delay_s).start()
    budget = SharedBudget(f"bench-{uuid.uuid4().hex}", redis_url=os.environ.get("REDIS_URL", ""),
                          data_dir=Path(tempfile.mkdtemp(prefix="front-bench-")))
    client = FrontClient(token=TOKEN, api_url=standin.url, budget=budget)
    inbox = standin.inbox_id()
    agent = standin.teammate_id("agent1@example.com")
    start = datetime(2022, 1, 1, tzinfo=UTC)
    waiting: deque[tuple[str, int]] = deque()  # (uid of a ticket's first message, ticket number) needing a note
    comments = 0

    def drain(force: bool) -> None:
        """Resolve uids that are probably processed by now (all of them at the end) and post their notes."""
        nonlocal comments
        while waiting and (force or client.uids.seconds_left(waiting[0][0]) <= 0):
            uid, ticket = waiting.popleft()
            found = client.resolve_uid(uid)
            if found is None:  # not yet: try again later rather than spin
                waiting.append((uid, ticket))
                if not force:
                    return
                continue
            client.add_comment(found[1], body=f"Private note of ticket {ticket} (by Alice, 2022-01-01)",
                               author_id=agent)
            comments += 1

    began = time.monotonic()
    ticket, sent = 0, 0
    while sent < args.messages:
        ticket += 1
        requester = f"customer{ticket % args.requesters}@example.org"
        client.ensure_contact(name=f"Customer {ticket % args.requesters}", emails=[requester])
        first_uid = None
        for n in range(min(args.messages_per_ticket, args.messages - sent)):
            inbound = n % 2 == 0
            uid = client.import_message(inbox, ImportedMessage(
                external_id=f"bench-{ticket}-{n}", created_at=start + timedelta(minutes=ticket * 10 + n),
                sender_handle=requester if inbound else "support@acme.example", to=["support@acme.example"]
                if inbound else [requester], subject=f"Ticket {ticket}", body=f"<p>Message {n} of ticket {ticket}</p>",
                is_inbound=inbound, author_id=None if inbound else agent, tags=["Migrated"],
                assignee_id=agent, thread_ref=f"bench-ticket-{ticket}"))
            first_uid = first_uid or uid
            sent += 1
            drain(force=False)
        if args.notes_every and ticket % args.notes_every == 0:
            waiting.append((first_uid, ticket))
    drain(force=True)
    elapsed = time.monotonic() - began
    stats = client.stats
    counters = standin.state()["counters"]
    standin.stop()
    accepted = sum(v for k, v in counters["statuses"].items() if k != "429")
    capacity = args.rpm * elapsed / 60
    wasted = stats.get("budget_429", 0) + stats.get("burst_429", 0) + stats.get("empty_uid_polls", 0) \
        + stats.get("network_errors", 0) + sum(v for k, v in stats.items() if k.startswith("status_5"))
    return {"messages": sent, "tickets": ticket, "comments": comments, "seconds": round(elapsed, 1),
            "requests": stats["requests"], "accepted": accepted, "budget_used_pct": round(100 * accepted / capacity, 1),
            "429s": stats.get("budget_429", 0) + stats.get("burst_429", 0), "empty_uid_polls": stats.get("empty_uid_polls", 0),
            "wasted_pct": round(100 * wasted / max(1, stats["requests"]), 2),
            "calls_per_message": round(stats["requests"] / sent, 3), "uid_delay_estimate_s": round(client.uids.estimate, 2),
            "backend": budget.backend}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rpm", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--process-delay-s", type=float, default=1.0)
    parser.add_argument("--messages-per-ticket", type=int, default=3)
    parser.add_argument("--notes-every", type=int, default=3, help="every Nth ticket has a private note (0: none)")
    parser.add_argument("--requesters", type=int, default=20, help="distinct customers")
    result = run(parser.parse_args())
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    ok = result["budget_used_pct"] >= 95 and result["wasted_pct"] < 1
    print("target (budget >= 95 %, waste < 1 %):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
