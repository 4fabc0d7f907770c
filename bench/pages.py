"""Response times of the wizard's progress and report pages on a migration with 100,000 RecordMap rows.

    python bench/pages.py [--rows 100000] [--repeat 20]

Uses a throwaway SQLite database in a temp folder unless DATABASE_URL is set (then that database: use
your own, e.g. postgres://postgres@127.0.0.1:5432/fp_wizard; the bench deletes what it created).
Target: each page < 200 ms. Prints figures; asserts nothing (not a timed test).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("FRONTPORT_DATA_DIR", tempfile.mkdtemp(prefix="frontport-bench-pages-"))
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "V2hhdCBhIHRlc3Qga2V5IGZvciBGcm9udHBvcnQhIT0=")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from migrations_engine.models import RecordMap, Run  # noqa: E402
from wizard.models import Migration  # noqa: E402


def build(rows: int) -> tuple[Migration, Run]:
    user, _ = get_user_model().objects.get_or_create(username="bench-pages", defaults={"email": "bench@example.com"})
    migration = Migration.objects.create(
        owner=user, name="Bench: 100k records", source_type="sample", source_config={"tickets": rows},
        front_api_url="https://api2.frontapp.com", front_token="bench", front_inbox_id="inb_bench",
        front_inbox_name="Support", furthest_step=Migration.Step.FULL, record_counts={"tickets": rows},
    )
    now = time.time()
    tickets = int(rows * 0.8)
    counters = {
        "tickets": {"total": tickets, "done": tickets - 900, "failed": 600, "skipped": 300},
        "contacts": {"total": rows - tickets - 50, "done": rows - tickets - 50, "failed": 0, "skipped": 0},
        "agents": {"total": 50, "done": 50, "failed": 0, "skipped": 0},
        "messages": {"done": tickets * 3, "failed": 0, "skipped": 0},
    }
    run = Run.objects.create(
        migration=migration, kind="full", state="running", lineage="bench", counters=counters,
        series=[[int(now - 3600 + i * 15), i * 330, i * 400] for i in range(240)],
        recent_errors=[{"entity": "ticket", "source_id": str(i), "reason": "Attachment larger than 25 MB"}
                       for i in range(10)],
        front_calls=400 * 240, elapsed_seconds=3600,
    )
    batch, states = [], ["done"] * 97 + ["failed", "skipped", "done"]
    for i in range(rows):
        entity = "ticket" if i < tickets else ("agent" if i >= rows - 50 else "contact")
        state = states[i % 100]
        batch.append(RecordMap(
            migration=migration, entity=entity, source_id=str(i + 1), state=state,
            reason="Attachment larger than 25 MB" if state != "done" else "", attempts=1,
            front_id=f"cnv_{i:x}" if state == "done" else "", source_url=f"https://acme.zendesk.com/agent/tickets/{i + 1}",
        ))
        if len(batch) == 5000:
            RecordMap.objects.bulk_create(batch)
            batch = []
    RecordMap.objects.bulk_create(batch)
    return migration, run


def timed(client: Client, url: str, repeat: int, **headers) -> tuple[float, float, int]:
    client.get(url, **headers)  # warm caches and connections
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, **headers)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples), response.status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; building a migration with {args.rows:,} RecordMap rows ...", flush=True)
    start = time.perf_counter()
    migration, run = build(args.rows)
    print(f"built in {time.perf_counter() - start:.1f} s", flush=True)
    if connection.vendor == "postgresql":  # what autovacuum does soon after a bulk load in production
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {RecordMap._meta.db_table}")
    client = Client()
    client.force_login(migration.owner)
    pk = migration.pk
    ticket_pks = RecordMap.objects.filter(migration=migration, entity="ticket").order_by("pk").values_list("pk", flat=True)
    n_tickets = ticket_pks.count()
    middle, near_end = ticket_pks[n_tickets // 2], ticket_pks[max(0, n_tickets - 30)]
    report = reverse("wizard:report", args=[pk])
    pages = [
        ("progress partial (htmx poll)", reverse("wizard:progress", args=[pk, run.pk]), {"HTTP_HX_REQUEST": "true"}),
        ("throughput series (JSON)", reverse("wizard:series", args=[pk, run.pk]), {}),
        ("full migration page", reverse("wizard:full", args=[pk]), {}),
        ("report, tickets first page", report + "?entity=ticket", {}),
        ("report, failed tickets first page", report + "?entity=ticket&state=failed", {}),
        (f"report, tickets after #{n_tickets // 2:,}", report + f"?entity=ticket&after={middle}", {}),
        ("report, tickets last page", report + f"?entity=ticket&after={near_end}", {}),
        ("report, failed tickets, previous page", report + f"?entity=ticket&state=failed&before={middle}", {}),
        ("dashboard", reverse("wizard:dashboard"), {}),
    ]
    print(f"\n{'page':<40} {'median ms':>10} {'max ms':>8}  status   (target < 200 ms)")
    try:
        for label, url, headers in pages:
            median, worst, status = timed(client, url, args.repeat, **headers)
            flag = "ok" if median < 200 else "SLOW"
            print(f"{label:<40} {median:>10.1f} {worst:>8.1f}  {status}      {flag}", flush=True)
    finally:
        migration.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
