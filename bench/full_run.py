"""Benchmark a full run: sample source -> Front stand-in (issue 5, acceptance 6).

    python bench/full_run.py throttled [--tickets 100] [--rpm 100] [--latency-ms 200]
    python bench/full_run.py throttled --rpm 100 --oauth-rpm 120 --token-share 100 [--baseline]
    python bench/full_run.py unthrottled [--tickets 10000]

--oauth-rpm N connects Front through the stand-in's OAuth server too: its calls count against a separate
partner budget of N rpm (Front: 120 per company), and the engine spreads calls over both budgets.
--token-share P lets the run use P % of the company (API token) budget (0 = partner budget only).
--baseline then runs the same tickets/hour measure token-only (share 100 %) and prints the ratio.

The Front stand-in runs in its own process (as Front would); the engine runs chunk after chunk in this
process, exactly what one Celery worker does, so the memory figures are a worker's. Prints tickets/hour,
calls per ticket against the minimum the API allows, budget used, wasted calls, memory growth, and CPU
per ticket for the engine (this process) and for the stand-in (its process) separately, from each
process's own CPU times (DESIGN.md §7: engine <= 15 ms per ticket unthrottled).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "bench-front-token"  # noqa: S105 - the stand-in's token, not a secret
OAUTH_CLIENT, OAUTH_SECRET = "bench-oauth-client", "bench-oauth-secret"  # the stand-in's OAuth app


def serve_front(url_file: str, settings: str) -> None:
    """The Front stand-in in its own process (as Front would be), with FrontStandin keyword arguments
    given as JSON; its URL is written to url_file once it listens."""
    from sandbox.front import FrontStandin

    standin = FrontStandin(validate_responses=False, **json.loads(settings)).start()
    Path(url_file).write_text(standin.url)
    standin.serve_forever()


def start_front(**standin: object) -> tuple[subprocess.Popen, str]:
    """Start serve_front in a subprocess; returns it and the stand-in's URL. Also used by http_client.py."""
    url_file = Path(tempfile.mkdtemp(prefix="bench-front-")) / "url"
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.full_run import serve_front; "
            f"serve_front({str(url_file)!r}, {json.dumps(standin)!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    for _ in range(300):
        if url_file.exists() and url_file.read_text():
            return proc, url_file.read_text()
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the Front stand-in did not start")


def setup_django(data_dir: str, burst_gate: bool) -> None:
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "V2hhdCBhIHRlc3Qga2V5IGZvciBGcm9udHBvcnQhIT0=")
    os.environ["FRONTPORT_DATA_DIR"] = data_dir
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{data_dir}/bench.sqlite3")
    os.environ["ALLOW_PRIVATE_URLS"] = "true"
    os.environ["ENGINE_FRONT_BURST_GATE"] = "true" if burst_gate else "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["EMAIL_URL"] = "dummymail://"  # the run-finished email would pollute the JSON output
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def minimum_calls(source) -> tuple[int, int]:
    """(tickets, fewest Front calls they need): DESIGN.md §7's arithmetic over the actual source data."""
    tickets = calls = 0
    handles: set[str] = set()  # the client caches contacts by handle: one identity, one lookup + create
    tags = {"migrated"}  # the run's migration tag; each tag Front lacks is created once before imports name it
    for page in source.tickets():
        for t in page.tickets:
            if t.deleted or not t.messages:
                continue
            tickets += 1
            public = [m for m in t.messages if m.kind != "private_note"]
            notes = len(t.messages) - len(public)
            fields = any(v not in (None, "", []) for v in t.custom_fields.values())
            calls += max(1, len(public))
            tags.update(tag.strip()[:64].casefold() for tag in t.tags if tag and tag.strip())
            if notes or fields:
                calls += 1 + notes + (1 if fields else 0)  # one uid lookup, then the comments
            req = t.requester
            first = ([e.strip().lower() for e in req.emails if e and e.strip()]
                     + [p.strip() for p in req.phones if p and p.strip()])[:1] if req else []
            if first and first[0] not in handles:
                handles.add(first[0])
                calls += 2  # one lookup and, Front starting empty, one create
    seeded = {"vip", "escalated"}  # the stand-in's own tags (a source's "vip" uses Front's "VIP")
    return tickets, calls + len(tags - seeded) + 3  # teammates, inbox channels and tags, read once per run


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["throttled", "unthrottled"])
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--rpm", type=int)
    parser.add_argument("--latency-ms", type=int)
    parser.add_argument("--process-delay-s", type=float, default=None)
    parser.add_argument("--oauth-rpm", type=int, default=0, help="partner budget (OAuth connection); 0: token only")
    parser.add_argument("--token-share", type=int, default=100, help="percent of the token budget the run may use")
    parser.add_argument("--baseline", action="store_true", help="also run token-only and print the ratio")
    parser.add_argument("--baseline-tickets", type=int,
                        help="tickets of the token-only run (default: the same; fewer tickets cost more calls each)")
    args = parser.parse_args()
    throttled = args.mode == "throttled"
    args.tickets = args.tickets or (100 if throttled else 10_000)
    args.rpm = args.rpm or (100 if throttled else 1_000_000)
    args.latency_ms = args.latency_ms if args.latency_ms is not None else (200 if throttled else 0)
    args.process_delay_s = args.process_delay_s if args.process_delay_s is not None else (1.0 if throttled else 0.05)
    args.burst = 5 if throttled else 1_000_000
    data_dir = tempfile.mkdtemp(prefix="bench-engine-")
    os.environ["FRONT_OAUTH_CLIENT_ID"], os.environ["FRONT_OAUTH_CLIENT_SECRET"] = OAUTH_CLIENT, OAUTH_SECRET
    setup_django(data_dir, burst_gate=throttled)
    reports = [measure(args)]
    if args.baseline:
        base = argparse.Namespace(**{**vars(args), "oauth_rpm": 0, "token_share": 100,
                                     "tickets": args.baseline_tickets or args.tickets})
        reports.append(measure(base))
        ratio = reports[0]["tickets_per_hour"] / max(1, reports[1]["tickets_per_hour"])
        print(json.dumps({"tickets_per_hour": reports[0]["tickets_per_hour"],
                          "token_only_tickets_per_hour": reports[1]["tickets_per_hour"],
                          "ratio": round(ratio, 2)}, indent=1))
    return 0 if all(r["state"] == "completed" for r in reports) else 1


def measure(args) -> dict:
    front_proc, front_url = start_front(token=TOKEN, rpm=args.rpm, latency_ms=args.latency_ms,
                                        process_delay_s=args.process_delay_s, burst_per_second=args.burst,
                                        partner_rpm=args.oauth_rpm or 120, oauth_client_id=OAUTH_CLIENT,
                                        oauth_client_secret=OAUTH_SECRET)
    try:
        return run(args, front_url, front_proc.pid)
    finally:
        front_proc.terminate()
        front_proc.wait(timeout=10)


def oauth_grant(front_url: str):
    """Approve the bench's OAuth app on the stand-in's authorize page, as an admin would; the tokens."""
    import re
    from urllib.parse import parse_qs, urlsplit

    import httpx

    from connectors.front.oauth import OAuthApp

    app = OAuthApp(client_id=OAUTH_CLIENT, client_secret=OAUTH_SECRET, oauth_url=front_url)
    redirect = "http://127.0.0.1:1/front/oauth/callback/"
    page = httpx.get(app.authorize_url(redirect_uri=redirect, state="bench"))
    admin = re.search(r'<option value="([^"]+)">Ada', page.text).group(1)  # type: ignore[union-attr]
    answer = httpx.post(f"{front_url}/oauth/authorize", data={
        "client_id": OAUTH_CLIENT, "redirect_uri": redirect, "state": "bench", "teammate": admin, "decision": "approve"})
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    try:
        return app.exchange(code=code, redirect_uri=redirect)
    finally:
        app.close()


def run(args, front_url: str, front_pid: int) -> dict:
    import psutil
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from connectors.registry import get_connector
    from migrations_engine import records, runner
    from migrations_engine.models import Run
    from migrations_engine.services import start_run
    from wizard.models import Migration

    state = json.load(urllib.request.urlopen(f"{front_url}/__sandbox/state"))  # noqa: S310 - loopback
    owner, _ = get_user_model().objects.get_or_create(username="bench", email="bench@example.com")
    config = {"tickets": args.tickets, "seed": 1, "page_size": 100}
    token_on = args.token_share > 0 or not args.oauth_rpm
    migration = Migration.objects.create(
        owner=owner, name="bench", source_type="sample", source_config=config, front_api_url=front_url,
        front_token=TOKEN if token_on else "", front_inbox_id=state["inboxes"][0]["id"],
        options={"tag": "migrated", "token_share": args.token_share}, front_company_name=f"bench-{front_url}")
    if args.oauth_rpm:
        from wizard.models import save_grant

        settings.FRONT_OAUTH_URL = settings.FRONT_OAUTH_API_URL = front_url
        save_grant(migration_id=migration.pk, tokens=oauth_grant(front_url))
    tickets, minimum = minimum_calls(get_connector("sample", config))
    process = psutil.Process()
    front = psutil.Process(front_pid)
    front_cpu_start = sum(front.cpu_times()[:2])
    rss_start = process.memory_info().rss
    rss_at_1k = None
    cpu_start = process.cpu_times()
    started = time.monotonic()
    run = start_run(migration=migration, kind="full")
    while True:
        run.refresh_from_db()
        if run.state != Run.State.RUNNING:
            break
        if runner.execute_chunk(run.pk) in ("wait", "busy"):
            time.sleep(0.5)
        handled = records.tickets_handled(run.counters)
        if rss_at_1k is None and handled >= 1000:
            rss_at_1k = process.memory_info().rss
    elapsed = time.monotonic() - started
    cpu = process.cpu_times()
    engine_cpu = (cpu.user - cpu_start.user) + (cpu.system - cpu_start.system)
    rss_end = process.memory_info().rss
    front_cpu = sum(front.cpu_times()[:2]) - front_cpu_start  # the machine may be shared: CPU, not wall, is fair
    counters = json.load(urllib.request.urlopen(f"{front_url}/__sandbox/state"))["counters"]  # noqa: S310
    calls = sum(counters["routes"].values())
    spent = counters.get("spent", {})
    budgets = {"token": {"rpm": args.rpm, "share_pct": args.token_share if args.oauth_rpm else 100,
                         "calls": spent.get("token", 0), "429": counters.get("rate_limited", {}).get("token", 0)}}
    if args.oauth_rpm:
        budgets["partner"] = {"rpm": args.oauth_rpm, "calls": spent.get("partner", 0),
                              "429": counters.get("rate_limited", {}).get("partner", 0)}
    for b in budgets.values():
        allowed = b["rpm"] * b.get("share_pct", 100) / 100 * elapsed / 60
        b["used_pct_of_budget"] = round(100 * b["calls"] / (b["rpm"] * elapsed / 60), 1) if b["rpm"] < 100_000 else None
        b["used_pct_of_share"] = round(100 * b["calls"] / allowed, 1) if allowed and b["rpm"] < 100_000 else None
    statuses = counters["statuses"]
    wasted = statuses.get("429", 0) + counters["routes"].get("GET /messages/{message_id}", 0) - _resolves(run)
    report = {
        "mode": args.mode, "tickets": tickets, "state": run.state, "counts": run.counters["tickets"],
        "elapsed_s": round(elapsed, 1), "tickets_per_s": round(tickets / elapsed, 2),
        "tickets_per_hour": round(tickets * 3600 / elapsed),
        "front_calls": calls, "calls_per_ticket": round(calls / tickets, 3),
        "minimum_calls_per_ticket": round(minimum / tickets, 3),
        "budget_rpm": args.rpm, "budget_used_pct": round(100 * spent.get("token", 0) / (args.rpm * elapsed / 60), 1)
        if args.rpm < 100_000 else None,
        "budgets": budgets,
        "calls_by_route": counters["routes"],
        "wasted_calls": {"429": statuses.get("429", 0), "empty_uid_polls": max(0, wasted - statuses.get("429", 0)),
                         "pct": round(100 * wasted / calls, 2)},
        # CPU, not wall time: the machine is shared. The engine is this process (the worker: pipeline, ORM,
        # SQLite, the sample source, the HTTP client); the stand-in is its own process, measured apart.
        "engine_cpu_s": round(engine_cpu, 1), "engine_cpu_ms_per_ticket": round(1000 * engine_cpu / tickets, 2),
        "front_standin_cpu_s": round(front_cpu, 1),
        "front_standin_cpu_ms_per_ticket": round(1000 * front_cpu / tickets, 2),
        "front_standin_ms_per_call": round(1000 * front_cpu / calls, 2),
        "worker_rss_mb": {"start": rss_start >> 20, "at_1k": (rss_at_1k or rss_end) >> 20, "end": rss_end >> 20,
                          "growth_after_1k": ((rss_end - (rss_at_1k or rss_start)) >> 20)},
    }
    print(json.dumps(report, indent=1), flush=True)
    return report


def _resolves(run) -> int:
    """uid lookups that found their message (the useful ones): one per ticket that needed a conversation id."""
    from migrations_engine.models import FrontWrite

    return FrontWrite.objects.filter(run=run, kind="comment").values("ticket_source_id").distinct().count()


if __name__ == "__main__":
    sys.exit(main())
