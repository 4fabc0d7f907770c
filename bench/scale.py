"""Many migrations on many workers (issue 20): fair budgets per Front company, demos beside full runs.

    python bench/scale.py [--workers 4] [--concurrency 5] [--companies 5] [--per-company 4]
                          [--minutes 2.5] [--skip-throughput]

Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL, e.g. postgres://postgres@127.0.0.1:5432/fp_x and
redis://127.0.0.1:6379/5): a fresh database `<name>_scale` is created next to DATABASE_URL's, and the
Redis database is flushed (it must be yours). What runs:

1. Five Front stand-ins (one per company, each its own process) with different budgets, 120 to 600
   requests per minute (`--budgets`), each with a small bucket (3 s of refill) so any overuse draws 429s at once.
2. `--workers` real Celery worker processes (`--concurrency` pool slots each, every queue) and one beat.
3. 20 full runs (4 per company, sized so each company needs about `--minutes` of its budget). After 30 s
   two demos are requested (companies 1 and 2) while the full runs go on.

Every migration may spend the whole token budget (`--token-share 100`; the product's default share is 80 %,
which leaves the rest to the team's own integrations, so runs at the default fill 80 % by design).

Prints per company: budget used (calls over rpm x the time its runs were active), 429s, calls per ticket;
per migration: time to finish; per demo: seconds from the request to its first record. Then (unless
--skip-throughput) throughput with 1, 2 and 4 workers on an unthrottled stand-in.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.full_run import TOKEN, start_front  # noqa: E402

BUDGETS = [120, 200, 300, 450, 600]
CALLS_PER_TICKET = 7.5  # the sample help desk, measured (bench/full_run.py)


def fresh_database(base_url: str, suffix: str) -> str:
    import psycopg2

    parts = urlsplit(base_url)
    name = parts.path.lstrip("/") + suffix
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunsplit(parts._replace(path=f"/{name}"))


def environment(data_dir: str, database_url: str, redis_url: str, **engine: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "FRONTPORT_DATA_DIR": data_dir,
           "SECRET_KEY": "bench-" + "x" * 50, "FIELD_ENCRYPTION_KEY": "V2hhdCBhIHRlc3Qga2V5IGZvciBGcm9udHBvcnQhIT0=",
           "ALLOW_PRIVATE_URLS": "true", "LOG_LEVEL": "WARNING", "EMAIL_URL": "dummymail://",
           "DJANGO_SETTINGS_MODULE": "config.settings", "ENGINE_TICK_SECONDS": "2", "ENGINE_STALE_SECONDS": "20"}
    env.update(engine)
    return env


def start_worker(env: dict[str, str], n: int, concurrency: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery,demos,runs", "--loglevel", "WARNING",
         "--concurrency", str(concurrency), "--without-gossip", "--without-mingle", "-n", f"scale{n}-{time.time_ns()}@%h"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def start_beat(env: dict[str, str], data_dir: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING",
                             "-s", f"{data_dir}/beat-schedule"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def counters(url: str) -> dict:
    return json.load(urllib.request.urlopen(f"{url}/__sandbox/counters"))  # noqa: S310 - loopback


def inboxes(url: str) -> list[str]:
    state = json.load(urllib.request.urlopen(f"{url}/__sandbox/state"))  # noqa: S310 - loopback
    return [i["id"] for i in state["inboxes"]]


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def migration(owner, url: str, inbox: str, name: str, tickets: int, seed: int, share: int = 100):
    from wizard.models import Migration

    return Migration.objects.create(
        owner=owner, name=name, source_type="sample", front_api_url=url, front_token=TOKEN, front_inbox_id=inbox,
        # The whole token budget (the Options step's "budget share" at 100 %): what is measured is how well
        # the runs fill it. At the default share (80 %) they fill 80 % and leave the rest to the team.
        source_config={"tickets": tickets, "seed": seed, "page_size": 50},
        options={"tag": "migrated", "token_share": share},
        selected_objects={"tickets": True, "contacts": True, "agents": True})


def wait_ready(workers: list[subprocess.Popen], timeout: float = 120) -> None:
    from migrations_engine.tasks import ping

    end = time.monotonic() + timeout
    answered = 0
    while answered < 1 and time.monotonic() < end:
        try:
            ping.apply_async(expires=5).get(timeout=5)
            answered += 1
        except Exception:  # noqa: BLE001, S112 - not ready yet
            continue
    time.sleep(3)  # the other workers start alongside; a little time for all of them to consume


def demo_progress(run_id: int) -> dict[str, bool]:
    """Where a demo is: taken by a worker, its first Front write journaled, its first ticket completed."""
    from migrations_engine.models import FrontWrite, Run

    row = Run.objects.filter(pk=run_id).values("counters", "lease_owner", "phase").first() or {}
    t = (row.get("counters") or {}).get("tickets", {})
    return {"worker": bool(row.get("lease_owner")) or row.get("phase") != "prepare",
            "first_write": FrontWrite.objects.filter(run_id=run_id, state="sent").exists(),
            "first_ticket": sum(t.get(s, 0) for s in ("done", "failed", "skipped")) > 0}


def fair_phase(args, env: dict[str, str], data_dir: str) -> dict:
    from django.contrib.auth import get_user_model


    fronts = []
    for rpm in args.budgets[:args.companies]:
        proc, url = start_front(token=TOKEN, rpm=rpm, latency_ms=50, process_delay_s=0.5, burst_per_second=5,
                                budget_capacity=max(5, rpm // 20), inboxes=args.per_company + 2)
        fronts.append((proc, url, rpm))
    owner = get_user_model().objects.create_user(username="scale", email="scale@example.com")
    plan = []  # (company index, migration)
    for c, (_, url, rpm) in enumerate(fronts):
        boxes = inboxes(url)
        tickets = max(10, int(rpm * args.minutes / CALLS_PER_TICKET / args.per_company))
        for m in range(args.per_company):
            plan.append((c, migration(owner, url, boxes[m], f"c{c}-m{m}", tickets, seed=100 * c + m,
                                      share=args.token_share)))
    demos = [(c, migration(owner, fronts[c][1], inboxes(fronts[c][1])[args.per_company], f"c{c}-demo", 40,
                           seed=900 + c, share=args.token_share)) for c in ([1, 2] if args.companies > 2 else [0])]
    workers = [start_worker(env, n, args.concurrency, Path(data_dir) / f"worker{n}.log") for n in range(args.workers)]
    beat = start_beat(env, data_dir)
    procs = [*workers, beat]
    try:
        return _fair_run(args, fronts, plan, demos, workers, procs)
    finally:
        stop(procs)
        for proc, _, _ in fronts:
            proc.terminate()


def _fair_run(args, fronts, plan, demos, workers, procs) -> dict:
    from migrations_engine.models import Run
    from migrations_engine.services import start_run

    try:
        wait_ready(workers)
        start_counts = [counters(url) for _, url, _ in fronts]
        started = time.monotonic()
        runs = [(c, m, start_run(migration=m, kind="full")) for c, m in plan]
        demo_runs: list[tuple[int, int, float]] = []
        demo_first: dict[int, dict[str, float]] = {}
        samples: dict[int, list[tuple[float, int]]] = {c: [] for c in range(len(fronts))}
        active_until: dict[int, float] = {}
        while True:
            now = time.monotonic()
            if not demo_runs and now - started > 30:
                for c, m in demos:
                    demo_runs.append((c, start_run(migration=m, kind="demo").pk, time.monotonic()))
            for _c, pk, asked in demo_runs:
                if len(demo_first.get(pk, {})) < 3:
                    for step, reached in demo_progress(pk).items():
                        if reached:
                            demo_first.setdefault(pk, {}).setdefault(step, round(time.monotonic() - asked, 2))
            states = dict(Run.objects.filter(pk__in=[r.pk for _, _, r in runs]).values_list("pk", "state"))
            for c in range(len(fronts)):
                mine = [r.pk for cc, _, r in runs if cc == c]
                if c not in active_until and all(states[pk] != Run.State.RUNNING for pk in mine):
                    active_until[c] = time.monotonic() - started
                if c not in active_until:
                    samples[c].append((now - started, sum(counters(fronts[c][1])["routes"].values())))
            if len(active_until) == len(fronts) and demo_runs and all(len(demo_first.get(pk, {})) == 3
                                                                      for _, pk, _ in demo_runs):
                break
            if now - started > args.minutes * 60 * 4 + 120:
                print("timed out", file=sys.stderr)
                break
            time.sleep(0.25)
    finally:
        stop(procs)
    result = {"companies": [], "migrations": [], "demos": []}
    for c, (proc, url, rpm) in enumerate(fronts):
        end = counters(url)
        calls = sum(end["routes"].values()) - sum(start_counts[c]["routes"].values())
        mine = [r for cc, _, r in runs if cc == c]
        for r in mine:
            r.refresh_from_db()
        theirs = mine + [Run.objects.get(pk=pk) for cc, pk, _ in demo_runs if cc == c]  # a demo's calls count too
        tickets = sum(r.counters["tickets"].get("done", 0) + r.counters["tickets"].get("failed", 0) for r in theirs)
        active = active_until.get(c, time.monotonic() - started)
        # Budget used while the company's runs were active, from its first call to its last run's end,
        # and in steady state (the first 10 s and the last run's tail, when fewer runs share it, left out).
        pts = samples[c]
        first = next((t for t, n in pts if n > sum(start_counts[c]["routes"].values())), pts[0][0] if pts else 0)
        steady = [(t, n) for t, n in pts if first + 10 <= t]
        steady_pct = None
        if len(steady) > 8:
            (t0, n0), (t1, n1) = steady[0], steady[int(len(steady) * 0.8)]
            steady_pct = round(100 * (n1 - n0) / (rpm / 60 * (t1 - t0)), 1) if t1 > t0 else None
        result["companies"].append({
            "company": c, "budget_rpm": rpm, "calls": calls, "tickets": tickets,
            "calls_per_ticket": round(calls / max(tickets, 1), 2),
            "over_budget_429": end["rate_limited_budget"], "burst_429": end["rate_limited_burst"],
            "active_s": round(active - first, 1),
            "budget_used_pct": round(100 * calls / (rpm / 60 * max(active - first, 1)), 1),
            "budget_used_steady_pct": steady_pct})
        for r in mine:
            result["migrations"].append({"company": c, "run": r.pk, "state": r.state,
                                         "tickets": r.counters["tickets"].get("done", 0),
                                         "finish_s": round((r.finished_at - r.started_at).total_seconds(), 1)
                                         if r.finished_at else None})
        proc.terminate()
    for c, pk, _ in demo_runs:
        steps = demo_first.get(pk, {})
        result["demos"].append({"company": c, "run": pk, "state": Run.objects.get(pk=pk).state,
                                "seconds_to_worker": steps.get("worker"), "seconds_to_first_write":
                                steps.get("first_write"), "seconds_to_first_ticket": steps.get("first_ticket")})
    return result


def throughput_phase(args, env: dict[str, str], data_dir: str) -> list[dict]:
    from django.contrib.auth import get_user_model

    from migrations_engine.models import Run
    from migrations_engine.services import start_run

    out = []
    user = get_user_model().objects.create_user(username="tp", email="tp@example.com")
    for n_workers in (1, 2, 4):
        proc, url = start_front(token=TOKEN, rpm=1_000_000, latency_ms=20, process_delay_s=0.05,
                                burst_per_second=1_000_000, inboxes=4)
        boxes = inboxes(url)
        ms = [migration(user, url, boxes[i], f"tp{n_workers}-{i}", args.throughput_tickets, seed=500 + i)
              for i in range(4)]
        tp_env = {**env, "ENGINE_FRONT_BURST_GATE": "false"}
        workers = [start_worker(tp_env, 10 + n, 1, Path(data_dir) / f"tp{n}.log") for n in range(n_workers)]
        try:
            wait_ready(workers)
            t0 = time.monotonic()
            runs = [start_run(migration=m, kind="full") for m in ms]
            while Run.objects.filter(pk__in=[r.pk for r in runs], state=Run.State.RUNNING).exists():
                time.sleep(0.25)
            elapsed = time.monotonic() - t0
        finally:
            stop(workers)
            proc.terminate()
        tickets = sum(Run.objects.get(pk=r.pk).counters["tickets"].get("done", 0) for r in runs)
        out.append({"workers": n_workers, "tickets": tickets, "seconds": round(elapsed, 1),
                    "tickets_per_s": round(tickets / elapsed, 1)})
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=5, help="pool slots per worker process")
    parser.add_argument("--companies", type=int, default=5)
    parser.add_argument("--per-company", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=2.5, help="budget-minutes of work per company")
    parser.add_argument("--threads", type=int, default=2, help="ENGINE_TICKET_THREADS of the workers")
    parser.add_argument("--throughput-tickets", type=int, default=150, help="per migration, 4 migrations")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)), help="requests per minute, per company")
    parser.add_argument("--token-share", type=int, default=100,
                        help="each migration's budget share, percent (the Options step's; the product's default is 80)")
    args = parser.parse_args()
    args.budgets = [int(b) for b in args.budgets.split(",")]
    args.companies = min(args.companies, len(args.budgets))
    base_db, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not base_db.startswith("postgres") or not redis_url:
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL (a Redis database of yours: it is flushed)")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    data_dir = tempfile.mkdtemp(prefix="bench-scale-")
    env = environment(data_dir, fresh_database(base_db, "_scale"), redis_url, ENGINE_TICKET_THREADS=str(args.threads),
                      ENGINE_CHUNK_SECONDS="20")
    setup_django(env)
    report = {"setup": {"workers": args.workers, "pool_slots_each": args.concurrency, "ticket_threads": args.threads,
                        "token_share_pct": args.token_share,
                        "budgets_rpm": args.budgets[:args.companies], "migrations": args.companies * args.per_company},
              **fair_phase(args, env, data_dir)}
    if not args.skip_throughput:
        report["throughput"] = throughput_phase(args, env, data_dir)
    print(json.dumps(report, indent=1))
    ok = all(c["over_budget_429"] == 0 for c in report["companies"]) and all(
        (d["seconds_to_first_write"] or 99) <= 5 for d in report["demos"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
