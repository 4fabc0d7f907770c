"""How fully does the Front client use a company's budget? Imports N messages into the Front stand-in.

    python bench/front_budget.py --messages 200 --rpm 100 --latency-ms 200 [--workers 2]
    python bench/front_budget.py --messages 400 --rpm 100 --oauth-rpm 120 --token-share 100 --workers 2

Runs the call pattern of a migration (DESIGN §7): a contact lookup (and create) per distinct requester,
one import per message carrying tags/assignee/thread_ref, and, for tickets with a private note, one late
uid lookup then one comment. With --workers K, K processes share the tickets and one company budget
(Redis when REDIS_URL is set, else the SQLite store). Prints requests sent, budget used, 429s, empty uid
polls, calls per message. Targets: budget used >= 95 %, wasted calls (429s, empty polls, retries) < 1 %.
With --oauth-rpm N the client also holds an OAuth connection (approved on the stand-in's authorize page)
whose calls count against a separate partner budget of N rpm; --token-share P lets it use P % of the token
budget (0: partner only). Each budget's use and tickets/hour are printed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("ALLOW_PRIVATE_URLS", "true")  # the stand-in listens on loopback

from connectors.front import FrontClient, ImportedMessage  # noqa: E402
from connectors.front.budgets import PARTNER, BudgetPair, company_budget  # noqa: E402
from connectors.front.budgets import TOKEN as TOKEN_KIND  # noqa: E402
from connectors.front.oauth import MemoryTokenStore, OAuthApp, OAuthSession, OAuthTokens  # noqa: E402
from sandbox.front import FrontStandin  # noqa: E402

TOKEN = "bench-token"  # noqa: S105 - the stand-in's token
CLIENT_ID, CLIENT_SECRET = "bench-oauth-client", "bench-oauth-secret"  # noqa: S105 - the stand-in's OAuth app
START = datetime(2022, 1, 1, tzinfo=UTC)


def work(args: argparse.Namespace, url: str, inbox: str, agent: str, index: int, budget_key: str,
         data_dir: str, tokens: OAuthTokens | None = None) -> dict:
    """One worker: the tickets numbered index, index + workers, ... (each process its own client)."""
    shared = {"redis_url": os.environ.get("REDIS_URL", ""), "data_dir": Path(data_dir)}
    budgets = {}
    if args.token_share > 0 or tokens is None:
        budgets[TOKEN_KIND] = company_budget(budget_key, TOKEN_KIND, share=args.token_share / 100, **shared)
    oauth = None
    if tokens is not None:
        budgets[PARTNER] = company_budget(budget_key, PARTNER, **shared)
        oauth = OAuthSession(OAuthApp(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, oauth_url=url),
                             MemoryTokenStore(tokens))
    budget = BudgetPair(budgets)
    client = FrontClient(token=TOKEN if TOKEN_KIND in budgets else "", api_url=url, budget=budget, oauth=oauth)
    waiting: deque[tuple[str, int]] = deque()  # (uid of a ticket's first message, ticket) needing a note
    comments = messages = 0

    def drain(force: bool) -> None:
        """Resolve uids that are probably processed by now (all of them at the end) and post their notes."""
        nonlocal comments
        while waiting and (force or client.uid_ready_in(waiting[0][0]) <= 0):
            uid, ticket = waiting.popleft()
            found = client.resolve_uid(uid)
            if found is None:  # not yet: try again later rather than spin
                waiting.append((uid, ticket))
                if not force:
                    return
                continue
            client.add_comment(found[1], body=f"Private note of ticket {ticket} (by Alice, 2022-01-01)", author_id=agent)
            comments += 1

    started = time.time()  # the window is measured from the first call to the last, not process start-up
    per_ticket = args.messages_per_ticket
    tickets = range(1 + index, (args.messages + per_ticket - 1) // per_ticket + 1, args.workers)
    for ticket in tickets:
        requester = f"customer{ticket % args.requesters}@example.org"
        client.ensure_contact(name=f"Customer {ticket % args.requesters}", emails=[requester])
        first_uid = None
        for n in range(min(per_ticket, args.messages - (ticket - 1) * per_ticket)):
            inbound = n % 2 == 0
            uid = client.import_message(inbox, ImportedMessage(
                external_id=f"bench-{ticket}-{n}", created_at=START + timedelta(minutes=ticket * 10 + n),
                sender_handle=requester if inbound else "support@acme.example",
                to=["support@acme.example"] if inbound else [requester], subject=f"Ticket {ticket}",
                body=f"<p>Message {n} of ticket {ticket}</p>", is_inbound=inbound, author_id=None if inbound else agent,
                tags=["Migrated"], assignee_id=agent, thread_ref=f"bench-ticket-{ticket}"))
            first_uid = first_uid or uid
            messages += 1
            drain(force=False)
        if args.notes_every and ticket % args.notes_every == 0:
            waiting.append((first_uid, ticket))
    drain(force=True)
    return {**client.stats, "started": started, "finished": time.time(), "messages": messages, "comments": comments, "tickets": len(tickets),
            "uid_estimate": client.uids.estimate, "backend": budget.backend}


def approve(standin: FrontStandin) -> OAuthTokens:
    """Approve the OAuth app on the stand-in's authorize page as its admin; the exchanged tokens."""
    import re
    from urllib.parse import parse_qs, urlsplit

    import httpx

    app = OAuthApp(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, oauth_url=standin.url)
    redirect = "http://127.0.0.1:1/callback/"
    page = httpx.get(app.authorize_url(redirect_uri=redirect, state="bench")).text
    admin = re.search(r'<option value="([^"]+)">Ada', page).group(1)  # type: ignore[union-attr]
    answer = httpx.post(f"{standin.url}/oauth/authorize", data={
        "client_id": CLIENT_ID, "redirect_uri": redirect, "state": "bench", "teammate": admin, "decision": "approve"})
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    return app.exchange(code=code, redirect_uri=redirect)


def run(args: argparse.Namespace) -> dict:
    standin = FrontStandin(token=TOKEN, rpm=args.rpm, latency_ms=args.latency_ms, faults=args.faults,
                           process_delay_s=args.process_delay_s, partner_rpm=args.oauth_rpm or 120,
                           oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_SECRET).start()
    inbox, agent = standin.inbox_id(), standin.teammate_id("agent1@example.com")
    budget_key, data_dir = f"bench-{uuid.uuid4().hex}", tempfile.mkdtemp(prefix="front-bench-")
    tokens = approve(standin) if args.oauth_rpm else None
    jobs = [(args, standin.url, inbox, agent, i, budget_key, data_dir, tokens) for i in range(args.workers)]
    if args.workers == 1:
        results = [work(*jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            results = pool.starmap(work, jobs)
    elapsed = max(r["finished"] for r in results) - min(r["started"] for r in results)
    counters = standin.state()["counters"]
    standin.stop()
    total: Counter = Counter()
    for r in results:
        total.update({k: v for k, v in r.items() if isinstance(v, int | float) and k not in ("started", "finished")})
    accepted = counters["budget_spent"]  # requests that counted against a budget (token or partner)
    spent, limited = counters.get("spent", {}), counters.get("rate_limited", {})
    budgets = {"token": (args.rpm, spent.get("token", 0), limited.get("token", 0))}
    if args.oauth_rpm:
        budgets["partner"] = (args.oauth_rpm, spent.get("partner", 0), limited.get("partner", 0))
    per_budget = {f"{kind}_budget": f"{calls} calls, {round(100 * calls / (rpm * elapsed / 60), 1)} % of {rpm} rpm, "
                  f"{n429} x 429" for kind, (rpm, calls, n429) in budgets.items()}
    wasted = total["budget_429"] + total["burst_429"] + total["empty_uid_polls"] + total["network_errors"] \
        + sum(v for k, v in total.items() if k.startswith("status_5"))
    return {"workers": args.workers, "messages": total["messages"], "tickets": total["tickets"],
            "comments": total["comments"], "seconds": round(elapsed, 1), "requests": total["requests"],
            "accepted": accepted,
            # of what the client may spend: its share of the token budget plus the partner budget
            "budget_used_pct": round(100 * accepted / ((args.rpm * args.token_share / 100 + args.oauth_rpm)
                                                       * elapsed / 60), 1),
            **per_budget, "tickets_per_hour": round(total["tickets"] * 3600 / elapsed),
            "429s": total["budget_429"] + total["burst_429"], "empty_uid_polls": total["empty_uid_polls"],
            "wasted_pct": round(100 * wasted / max(1, total["requests"]), 2),
            "calls_per_message": round(total["requests"] / max(1, total["messages"]), 3),
            "retries": total["retries"], "faults_injected": counters["faults_injected"],
            "backend": results[0]["backend"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rpm", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--process-delay-s", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the company budget")
    parser.add_argument("--faults", type=float, default=0.0, help="share of requests the stand-in fails (5xx/drops)")
    parser.add_argument("--messages-per-ticket", type=int, default=3)
    parser.add_argument("--notes-every", type=int, default=3, help="every Nth ticket has a private note (0: none)")
    parser.add_argument("--requesters", type=int, default=20, help="distinct customers")
    parser.add_argument("--oauth-rpm", type=int, default=0, help="partner budget of an OAuth connection (0: none)")
    parser.add_argument("--token-share", type=int, default=100, help="percent of the token budget the client may use")
    result = run(parser.parse_args())
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    ok = result["budget_used_pct"] >= 95 and result["wasted_pct"] < 1
    print("target (budget >= 95 %, waste < 1 %):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
