"""One progress and report model, from the engine (migrations_engine.selectors), read as is by the
wizard's pages, the staff console and the CLI."""

from __future__ import annotations

import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from migrations_engine.models import FrontWrite, RecordMap, Run
from wizard.models import Migration

pytestmark = pytest.mark.django_db


def _series() -> list[list[int]]:
    """Two minutes of samples ending now (the live rate reads a recent window)."""
    t0 = int(time.time()) - 120
    return [[t0, 0, 0], [t0 + 60, 6, 10], [t0 + 120, 10, 16]]


def _run(migration, **fields) -> Run:
    defaults = {"kind": "full", "state": "running", "lineage": "g0", "started_at": timezone.now(),
                "counters": {"tickets": {"total": 40, "done": 8, "failed": 1, "skipped": 1},
                             "messages": {"total": 0, "done": 30, "failed": 2, "skipped": 0}},
                "series": _series(), "elapsed_seconds": 120.0,
                "recent_errors": [{"at": "2026-11-26T04:00:07+00:00", "message": "Front answered 502 for ticket 17"}]}
    return Run.objects.create(migration=migration, **{**defaults, **fields})


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("wizard:dashboard")).status_code == 200
    return len(queries)


def test_dashboard_reads_the_latest_runs_in_a_fixed_number_of_queries(owner_client, owner,
                                                                      django_assert_max_num_queries):
    first = Migration.objects.create(owner=owner, name="First")
    _run(first, kind="demo", state="completed")
    _run(first)
    few = _dashboard_queries(owner_client)
    for i in range(15):
        m = Migration.objects.create(owner=owner, name=f"Desk {i}")
        _run(m, kind="demo", state="completed")
        _run(m, counters={"tickets": {"total": 100, "done": i, "failed": 0, "skipped": 0}})
    with django_assert_max_num_queries(few):  # 16 migrations cost what one did: no query per row
        page = owner_client.get(reverse("wizard:dashboard")).content.decode()
    assert "Desk 14" in page and ">14 %<" in page and ">25 %<" in page  # Desk 14: 14 of 100; First: 10 of 40


def test_the_progress_panel_shows_the_engines_numbers(owner_client, migration):
    migration.furthest_step = Migration.Step.FULL
    migration.save()
    run = _run(migration)
    page = owner_client.get(reverse("wizard:progress", args=[migration.pk, run.pk])).content.decode()
    assert ">25 %<" in page  # 10 of 40 tickets handled
    assert '>5.0<span class="small fw-normal"> /min' in page  # 10 tickets in the series' two minutes
    assert "04:00:07" in page and "Front answered 502 for ticket 17" in page
    assert 'data-testid="done-messages">30<' in page and "?entity=message&state=failed" in page
    chart = owner_client.get(reverse("wizard:series", args=[migration.pk, run.pk])).json()
    t0 = run.series[0][0]
    assert chart == {"series": [[t0 + 60, 6.0], [t0 + 120, 4.0]], "state": "running", "rate_per_min": 5.0}


def test_status_and_report_keep_the_keys_scripts_read(migration):
    run = _run(migration)
    RecordMap.objects.create(migration=migration, entity="ticket", source_id="7", state="done", front_id="cnv_7",
                             lineage="g0", message_ids=["m1", "m2"], source_url="https://acme.example/7")
    FrontWrite.objects.create(migration=migration, run=run, lineage="g0", kind="message", key="k1",
                              ticket_source_id="7", source_id="m1", state="sent", conversation_id="cnv_7",
                              message_uid="uid1")
    out = StringIO()
    call_command("migration", "status", str(migration.pk), stdout=out)
    status = json.loads(out.getvalue())
    assert set(status) >= {"migration", "name", "records", "runs"}
    assert set(status["runs"][0]) >= {
        "run_id", "kind", "state", "reason", "entities", "handled", "total", "percent", "rate_per_min",
        "eta_seconds", "front_calls", "calls_per_ticket", "started_at", "finished_at", "scheduled_for",
        "resume_at", "elapsed_seconds", "recent_errors", "as_of"}
    assert status["runs"][0]["entities"] == run.counters and status["runs"][0]["percent"] == 25.0
    assert status["runs"][0]["recent_errors"] == run.recent_errors
    out = StringIO()
    call_command("migration", "report", str(migration.pk), stdout=out)
    rows = {row["entity"]: row for row in json.loads(out.getvalue())}
    assert set(rows["ticket"]) >= {"entity", "source_id", "state", "reason", "attempts", "front_id", "front_url",
                                   "front_message_uids", "source_url", "deleted_in_source", "last_run_id", "lineage"}
    assert set(rows["message"]) >= {"entity", "source_id", "ticket_source_id", "state", "reason", "lineage",
                                    "front_id", "front_conversation_id", "front_url", "removed"}
    assert rows["ticket"]["front_message_uids"] == "m1,m2" and rows["message"]["state"] == "done"


def test_report_links_open_the_configured_front_app(owner_client, migration, settings):
    settings.FRONT_APP_URL = "http://127.0.0.1:9/__sandbox"
    migration.furthest_step = Migration.Step.DEMO
    migration.save()
    RecordMap.objects.create(migration=migration, entity="ticket", source_id="7", state="done", front_id="cnv_7",
                             lineage="g0")
    page = owner_client.get(reverse("wizard:report", args=[migration.pk]) + "?entity=ticket").content.decode()
    assert 'href="http://127.0.0.1:9/__sandbox/open/cnv_7"' in page
    csv = b"".join(owner_client.get(reverse("wizard:report_export", args=[migration.pk, "csv"])).streaming_content)
    assert b"http://127.0.0.1:9/__sandbox/open/cnv_7" in csv
    out = StringIO()
    call_command("migration", "report", str(migration.pk), "--format", "csv", stdout=out)
    assert "http://127.0.0.1:9/__sandbox/open/cnv_7" in out.getvalue()


def test_the_front_standin_opens_a_conversation_at_its_app_link(front_client, front_standin):
    """Offline, FRONT_APP_URL is <stand-in>/__sandbox: its /open/<id> pages answer like Front's app links."""
    import httpx

    from tests.front.test_client import message, resolve

    _, conversation = resolve(front_client, front_client.import_message(front_standin.inbox_id(), message("o-1")))
    page = httpx.get(f"{front_standin.url}/__sandbox/open/{conversation}")
    assert page.status_code == 200 and f"<details id='{conversation}' open>" in page.text
    assert "Where is my order?" in page.text
