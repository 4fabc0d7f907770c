"""Soak: a long full run, then a delta, watching what grows (issue 20).

    python bench/soak.py [--tickets 100000] [--db pg|sqlite] [--every 1000]

Sample source -> Front stand-in (its own process, unthrottled: the engine and the database are what is
measured), on PostgreSQL + Redis by default (DATABASE_URL / REDIS_URL; a fresh database `<name>_soak` is
created next to DATABASE_URL's), or SQLite + the file budget with `--db sqlite`. The engine runs chunk
after chunk in this process, as one worker does, so the memory figures are a worker's.

Every `--every` tickets it prints one line: tickets, seconds and engine CPU for the last `--every`
tickets, worker RSS, database size per 1,000 tickets, and the progress and report pages' times (Django's
test client, logged in as the owner, the pages a person polls while the run goes on). After the full run
the source moves to revision 1 (about 8 % of tickets changed, new ones added) and a delta runs. Ends with
a JSON summary: memory start/end, time per 1,000 at start and end, CPU per ticket (engine process, and
the whole PostgreSQL server, read at the start and the end: see PgCpu), statements and transactions per
ticket, the slowest page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.full_run import TOKEN, start_front  # noqa: E402
from bench.scale import fresh_database  # noqa: E402


class PgCpu:
    """CPU of the whole PostgreSQL server: the postmaster, its live children (backends, WAL writer,
    checkpointer, autovacuum) and, through the kernel's per-parent account (`cutime`/`cstime`), every
    child that has exited since, such as the ticket threads' backends that close with each chunk.

    Read at the start and at the end of a measurement only (no sampling thread in the engine's process);
    it counts every database of the server, so run the soak on a quiet server."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.postmaster = None
        if name:
            import psutil
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                self.postmaster = psutil.Process(int(cur.fetchone()[0])).parent()

    def total(self) -> float:
        import psutil

        if self.postmaster is None:
            return 0.0
        t = self.postmaster.cpu_times()
        seconds = t.user + t.system + t.children_user + t.children_system
        for child in self.postmaster.children():
            try:
                c = child.cpu_times()
                seconds += c.user + c.system
            except psutil.NoSuchProcess:  # exited between the listing and the read: in cutime by now
                continue
        return seconds


class AutoAnalyze:
    """What autovacuum's analyze does on a production server, done between chunks when the server has
    autovacuum off (the CI machines do, for speed): a table whose changes since its last ANALYZE pass
    50 rows + 10 % of its size is analyzed again. Without statistics PostgreSQL takes `migration_id = N`
    for a rare value and plans the page's journal read as a scan of the whole migration. Its CPU is the
    server's, counted like autovacuum's would be."""

    TABLES = ("migrations_engine_frontwrite", "migrations_engine_recordmap")

    def __init__(self, pg_name: str | None) -> None:
        self.enabled = False
        self.runs = 0
        if pg_name:
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute("SHOW autovacuum")
                self.enabled = cur.fetchone()[0] == "off"

    def __call__(self) -> None:
        if not self.enabled:
            return
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                        " WHERE s.relname = ANY(%s) AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)",
                        [list(self.TABLES)])
            for (table,) in cur.fetchall():
                cur.execute(f'ANALYZE "{table}"')  # noqa: S608 - one of TABLES
                self.runs += 1


QUERIES = {"n": 0}


def count_queries() -> None:
    """Count every SQL statement of every connection (each ticket thread has its own)."""
    from django.db.backends.signals import connection_created

    def wrapper(execute, sql, params, many, context):
        QUERIES["n"] += 1
        return execute(sql, params, many, context)

    def installed(sender, connection, **kwargs) -> None:
        if wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(wrapper)

    connection_created.connect(installed, weak=False)


def pg_commits() -> int:
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cur:
        cur.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        return int(cur.fetchone()[0])


def setup(args) -> tuple[str, str | None]:
    data_dir = tempfile.mkdtemp(prefix="bench-soak-")
    os.environ.update({"SECRET_KEY": "bench-" + "x" * 50, "FIELD_ENCRYPTION_KEY": "V2hhdCBhIHRlc3Qga2V5IGZvciBGcm9udHBvcnQhIT0=",
                       "FRONTPORT_DATA_DIR": data_dir, "ALLOW_PRIVATE_URLS": "true", "LOG_LEVEL": "WARNING",
                       "EMAIL_URL": "dummymail://", "ENGINE_FRONT_BURST_GATE": "false",
                       "ALLOWED_HOSTS": "testserver,127.0.0.1", "DJANGO_SETTINGS_MODULE": "config.settings"})
    pg_name = None
    if args.db == "pg":
        base = os.environ.get("DATABASE_URL", "")
        if not base.startswith("postgres") or not os.environ.get("REDIS_URL"):
            raise SystemExit("--db pg needs DATABASE_URL (PostgreSQL) and REDIS_URL")
        url = fresh_database(base, "_soak")
        os.environ["DATABASE_URL"] = url
        pg_name = url.rsplit("/", 1)[1]
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/soak.sqlite3"
        os.environ["REDIS_URL"] = ""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    connection.close()  # reopened with the counter installed
    count_queries()
    return data_dir, pg_name


def db_bytes(data_dir: str, pg_name: str | None) -> int:
    from django.db import connection

    if pg_name:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            return int(cur.fetchone()[0])
    return sum(p.stat().st_size for p in Path(data_dir).glob("soak.sqlite3*"))


def page_ms(client, url: str) -> float:
    t = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))
    return round(1000 * (time.perf_counter() - t), 1)


def drive(run, *, every: int, lines: list[dict], pages, sizes, pg: PgCpu, label: str,
          analyze: AutoAnalyze | None = None) -> dict:
    import psutil

    from migrations_engine import records, runner
    from migrations_engine.models import Run

    proc = psutil.Process()
    cpu0 = sum(proc.cpu_times()[:2])
    pg0 = pg.total()
    q0, c0 = QUERIES["n"], pg_commits()
    t_start = time.monotonic()
    mark, t_mark, cpu_mark = 0, t_start, cpu0
    while True:
        run.refresh_from_db()
        if run.state != Run.State.RUNNING:
            break
        if runner.execute_chunk(run.pk) in ("wait", "busy"):
            time.sleep(0.5)
        if analyze is not None:
            analyze()
        run.refresh_from_db()
        handled = records.tickets_handled(run.counters)
        if handled >= mark + every:
            now, cpu = time.monotonic(), sum(proc.cpu_times()[:2])
            n = handled - mark
            line = {"run": label, "tickets": handled, "s_per_1k": round(1000 * (now - t_mark) / n, 1),
                    "engine_cpu_ms_per_ticket": round(1000 * (cpu - cpu_mark) / n, 2),
                    "rss_mb": proc.memory_info().rss >> 20, "db_mb": round(sizes() / 2**20, 1),
                    "db_kb_per_1k_tickets": None, **pages(run)}
            line["db_kb_per_1k_tickets"] = round(sizes() / 1024 / max(handled_total(run), 1) * 1000, 1)
            print(json.dumps(line), flush=True)
            lines.append(line)
            mark, t_mark, cpu_mark = handled, now, cpu
    handled = records.tickets_handled(run.counters)
    return {"state": run.state, "tickets": handled, "seconds": round(time.monotonic() - t_start, 1),
            "engine_cpu_ms_per_ticket": round(1000 * (sum(proc.cpu_times()[:2]) - cpu0) / max(handled, 1), 2),
            "pg_server_cpu_ms_per_ticket": round(1000 * (pg.total() - pg0) / max(handled, 1), 2) if pg.name else None,
            # page and report queries of the measuring included (a few per 1,000 tickets)
            "sql_statements_per_ticket": round((QUERIES["n"] - q0) / max(handled, 1), 1),
            "pg_commits_per_ticket": round((pg_commits() - c0) / max(handled, 1), 1) if pg.name else None}


def handled_total(run) -> int:
    from migrations_engine.models import RecordMap

    return RecordMap.objects.filter(migration_id=run.migration_id, entity="ticket").count()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", choices=["pg", "sqlite"], default="pg")
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--no-delta", action="store_true")
    args = parser.parse_args()
    data_dir, pg_name = setup(args)
    front_proc, front_url = start_front(token=TOKEN, rpm=100_000_000, latency_ms=0, process_delay_s=0.05,
                                        burst_per_second=100_000_000)
    try:
        return soak(args, data_dir, pg_name, front_url)
    finally:
        front_proc.terminate()
        front_proc.wait(timeout=30)


def soak(args, data_dir: str, pg_name: str | None, front_url: str) -> int:
    import psutil
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from migrations_engine.services import start_run
    from wizard.models import Migration

    state = json.load(urllib.request.urlopen(f"{front_url}/__sandbox/state"))  # noqa: S310 - loopback
    owner = get_user_model().objects.create_user(username="soak", email="soak@example.com")
    config = {"tickets": args.tickets, "seed": 1, "page_size": 100, "revision": 0}
    migration = Migration.objects.create(
        owner=owner, name="soak", source_type="sample", source_config=config, front_api_url=front_url,
        front_token=TOKEN, front_inbox_id=state["inboxes"][0]["id"], options={"tag": "migrated"},
        selected_objects={"tickets": True, "contacts": True, "agents": True},
        furthest_step=Migration.Step.FULL)  # set up through the wizard: every page open
    client = Client()
    client.force_login(owner)
    report_url = reverse("wizard:report", kwargs={"pk": migration.pk})

    def pages(run) -> dict:
        progress_url = reverse("wizard:progress", kwargs={"pk": migration.pk, "run_id": run.pk})
        return {"progress_ms": page_ms(client, progress_url), "report_ms": page_ms(client, report_url)}

    client.get(report_url)  # warm-up: the first render compiles the templates (once per process)
    pg = PgCpu(pg_name)
    lines: list[dict] = []
    rss0 = psutil.Process().memory_info().rss >> 20
    analyze = AutoAnalyze(pg_name)
    full = drive(start_run(migration=migration, kind="full"), every=args.every, lines=lines, pages=pages,
                 sizes=lambda: db_bytes(data_dir, pg_name), pg=pg, label="full", analyze=analyze)
    summary: dict = {"db": args.db, "tickets": args.tickets, "full": full, "autoanalyze_emulated": analyze.enabled}
    if not args.no_delta:
        migration.source_config = {**config, "revision": 1}
        migration.save()
        summary["delta"] = drive(start_run(migration=migration, kind="delta"), every=args.every, lines=lines,
                                 pages=pages, sizes=lambda: db_bytes(data_dir, pg_name), pg=pg, label="delta",
                                 analyze=analyze)
    fulls = [x for x in lines if x["run"] == "full"]
    if fulls:
        head, tail = fulls[: max(1, len(fulls) // 10)], fulls[-max(1, len(fulls) // 10):]
        summary.update({
            "rss_mb": {"start": rss0, "after_first_1k": fulls[0]["rss_mb"], "end": lines[-1]["rss_mb"]},
            "s_per_1k": {"first_10pct": round(statistics.mean(x["s_per_1k"] for x in head), 1),
                         "last_10pct": round(statistics.mean(x["s_per_1k"] for x in tail), 1)},
            "engine_cpu_ms_per_ticket": {"first_10pct": round(statistics.mean(x["engine_cpu_ms_per_ticket"] for x in head), 2),
                                         "last_10pct": round(statistics.mean(x["engine_cpu_ms_per_ticket"] for x in tail), 2)},
            "db_kb_per_1k_tickets": fulls[-1]["db_kb_per_1k_tickets"],
            "slowest_page_ms": {"progress": max(x["progress_ms"] for x in lines),
                                "report": max(x["report_ms"] for x in lines)},
        })
    summary["analyze_runs"] = analyze.runs
    print(json.dumps(summary, indent=1))
    return 0 if full["state"] == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
