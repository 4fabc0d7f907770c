"""The setup steps against the real Front stand-in and the sample source, then the run gates with the engine.

No worker here: a started run stays queued, and tests mark runs finished the way the engine does, to
check what the wizard allows next (the browser test covers the real worker end to end).
"""

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from migrations_engine.models import RecordMap, Run
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from wizard.models import Migration

Step = Migration.Step
pytestmark = pytest.mark.django_db


def _url(name, migration):
    return reverse(f"wizard:{name}", args=[migration.pk])


def _connect(client, migration, front_url, token=FRONT_TEST_TOKEN):
    return client.post(_url("connect", migration), {
        "platform": "sample", "source-tickets": "25", "source-seed": "3",
        "front-api_url": front_url, "front-token": token,
    })


def _setup_to_demo(client, migration, front_standin):
    assert _connect(client, migration, front_standin.url).status_code == 302
    page = client.get(_url("inbox", migration)).content.decode()
    inbox_id = page.split('name="inbox" value="')[1].split('"')[0]
    assert client.post(_url("inbox", migration), {"inbox": inbox_id})["Location"] == _url("objects", migration)
    assert client.post(_url("objects", migration), {"objects": ["tickets", "contacts", "agents", "organizations", "contact_fields", "articles"]}).status_code == 302
    teammates = client.get(_url("teammates", migration)).content.decode()
    default = teammates.split('id="default-teammate" name="default">')[1].split('value="')[1].split('"')[0]
    assert client.post(_url("teammates", migration), {"default": default}).status_code == 302
    data = {"custom_fields": "comment"} | {f"status_{i}": "open" for i in range(12)}
    assert client.post(_url("tickets", migration), data).status_code == 302
    assert client.post(_url("options", migration), {"tag": "migrated"}).status_code == 302
    migration.refresh_from_db()
    assert migration.furthest_step == Step.DEMO
    return inbox_id


def test_bad_front_token_is_a_plain_error_and_nothing_opens(owner_client, migration, front_standin):
    response = _connect(owner_client, migration, front_standin.url, token="not-the-token")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="check-front-error"' in page and "Traceback" not in page
    assert "not-the-token" not in page  # never echoed back
    migration.refresh_from_db()
    assert migration.furthest_step == Step.CONNECT
    # A failed save stores nothing (issue 14): what was saved before keeps working; the page says so.
    assert migration.front_token == "" and migration.source_type == ""
    assert 'data-testid="nothing-saved"' in page


def test_setup_steps_store_answers_and_counts(owner_client, migration, front_standin):
    inbox_id = _setup_to_demo(owner_client, migration, front_standin)
    migration.refresh_from_db()
    assert migration.front_inbox_id == inbox_id and migration.front_company_name
    assert migration.record_counts["tickets"] == 25
    assert migration.selected_objects == {"tickets": True, "contacts": True, "agents": True, "organizations": True,
                                          "contact_fields": True, "articles": True}
    assert migration.default_teammate_id and migration.options["tag"] == "migrated"


def test_demo_then_plan_then_full_in_order(owner_client, owner, migration, front_standin):
    _setup_to_demo(owner_client, migration, front_standin)
    # No full run before a successful demo, even by a forged POST.
    owner_client.post(_url("full", migration), {"when": "now", "time_zone": "UTC", "confirm": "on"})
    owner_client.post(_url("plan", migration))
    assert not Run.objects.filter(migration=migration, kind="full").exists()

    owner_client.post(_url("demo_action", migration), {"action": "start"})
    demo = Run.objects.get(migration=migration, kind="demo")
    assert owner_client.get(_url("plan", migration))["Location"] == _url("demo", migration)

    Run.objects.filter(pk=demo.pk).update(state="failed")
    owner_client.get(_url("demo", migration))
    migration.refresh_from_db()
    assert migration.furthest_step == Step.DEMO  # a failed demo does not open the plan

    Run.objects.filter(pk=demo.pk).update(state="completed")
    page = owner_client.get(_url("demo", migration)).content.decode()
    assert 'data-testid="to-plan"' in page
    assert 'data-testid="billing-off"' in owner_client.get(_url("plan", migration)).content.decode()
    assert owner_client.post(_url("plan", migration))["Location"] == _url("full", migration)

    response = owner_client.post(_url("full", migration), {"when": "now", "time_zone": "Europe/Paris", "confirm": "on"})
    assert response.status_code == 302
    full = Run.objects.get(migration=migration, kind="full")
    assert full.started_by == owner
    # A second full start is refused while the first exists.
    again = owner_client.post(_url("full", migration), {"when": "now", "time_zone": "UTC", "confirm": "on"})
    assert Run.objects.filter(migration=migration, kind="full").count() == 1
    assert again.status_code in (200, 302, 422)
    # Delta waits for the full run to complete.
    owner_client.post(_url("full_action", migration), {"action": "delta"})
    assert not Run.objects.filter(migration=migration, kind="delta").exists()


def test_scheduled_full_run_uses_the_users_time_zone(owner_client, migration, front_standin):
    _setup_to_demo(owner_client, migration, front_standin)
    Run.objects.create(migration=migration, kind="demo", state="completed", lineage="d0")
    owner_client.get(_url("demo", migration))  # the demo page notices the finished demo
    owner_client.post(_url("plan", migration))
    # 20:00 in New York on a day two months ahead (schedules reach at most a year ahead).
    day = (timezone.now() + timedelta(days=60)).date()
    response = owner_client.post(_url("full", migration), {
        "when": "later", "start_at": f"{day.isoformat()}T20:00", "time_zone": "America/New_York", "confirm": "on"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    run = Run.objects.get(migration=migration, kind="full")
    assert run.state == "scheduled"
    new_york = datetime.combine(day, time(20, 0), tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    assert run.scheduled_for == new_york and run.scheduled_for.astimezone(UTC).hour in (0, 1)  # next day in UTC
    page = owner_client.get(_url("full", migration)).content.decode()
    assert "(America/New_York)" in page and 'data-testid="cancel-run"' in page
    owner_client.post(_url("full_action", migration), {"action": "cancel", "run": run.pk})
    run.refresh_from_db()
    assert run.state == "cancelled"


def test_schedule_form_errors_say_what_to_fix(owner_client, migration, front_standin):
    _setup_to_demo(owner_client, migration, front_standin)
    Run.objects.create(migration=migration, kind="demo", state="completed", lineage="d0")
    owner_client.get(_url("demo", migration))  # the demo page notices the finished demo
    owner_client.post(_url("plan", migration))
    page = owner_client.post(_url("full", migration), {"when": "later", "time_zone": "UTC"}).content.decode()
    assert "Pick the date and time" in page and "Tick the box" in page
    past = owner_client.post(_url("full", migration), {
        "when": "later", "start_at": "2001-01-01T10:00", "time_zone": "UTC", "confirm": "on"}).content.decode()
    assert "Pick a time in the future" in past


def test_a_second_migration_into_the_same_inbox_is_refused(owner_client, owner, migration, front_standin):
    inbox_id = _setup_to_demo(owner_client, migration, front_standin)
    Run.objects.create(migration=migration, kind="full", state="completed", lineage="x")
    other = Migration.objects.create(owner=owner, name="Second")
    _connect(owner_client, other, front_standin.url)
    response = owner_client.post(_url("inbox", other), {"inbox": inbox_id})
    assert response.status_code == 422
    assert "already received a full migration" in response.content.decode()
    other.refresh_from_db()
    assert other.front_inbox_id == "" and other.furthest_step == Step.INBOX


def test_report_pages_by_keyset_with_links_to_both_systems(owner_client, migration):
    migration.furthest_step = Step.DEMO
    migration.front_api_url = "https://api2.frontapp.com"
    migration.save()
    RecordMap.objects.bulk_create([
        RecordMap(migration=migration, entity="ticket", source_id=str(i), state="done" if i % 10 else "failed",
                  front_id=f"cnv_{i}" if i % 10 else "", reason="" if i % 10 else "Attachment larger than 25 MB",
                  source_url=f"https://acme.zendesk.com/agent/tickets/{i}" if i != 1 else "javascript:alert(1)")
        for i in range(1, 121)
    ])
    first = owner_client.get(_url("report", migration) + "?entity=ticket").content.decode()
    assert "https://app.frontapp.com/open/cnv_2" in first
    assert "https://acme.zendesk.com/agent/tickets/2" in first
    assert "javascript:alert" not in first
    assert 'data-testid="report-next"' in first and 'data-testid="report-prev"' not in first
    after = first.split("&after=")[1].split('"')[0]
    second = owner_client.get(_url("report", migration) + f"?entity=ticket&after={after}").content.decode()
    assert ">51 ↗<" in second and 'data-testid="report-prev"' in second
    failed = owner_client.get(_url("report", migration) + "?entity=ticket&state=failed").content.decode()
    assert failed.count("Attachment larger than 25 MB") == 12


def test_progress_partial_polls_while_running_and_stops_after(owner_client, migration):
    migration.furthest_step = Step.DEMO
    migration.save()
    run = Run.objects.create(migration=migration, kind="demo", state="running", lineage="d1",
                             counters={"tickets": {"total": 20, "done": 5, "failed": 1, "skipped": 0}},
                             series=[[1000, 0, 0], [1060, 6, 10]])
    url = reverse("wizard:progress", args=[migration.pk, run.pk])
    live = owner_client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in live.content.decode() and "HX-Trigger" not in live
    Run.objects.filter(pk=run.pk).update(state="completed")
    done = owner_client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' not in done.content.decode() and done["HX-Trigger"] == "run-finished"
    series = owner_client.get(reverse("wizard:series", args=[migration.pk, run.pk])).json()
    assert series["series"] == [[1060.0, 6.0]]


def test_offline_sandbox_button_fills_in_the_front_standin(owner_client, migration, front_standin, settings,
                                                           monkeypatch):
    settings.SANDBOX_FRONT_URL = front_standin.url
    monkeypatch.setenv("SANDBOX_FRONT_TOKEN", FRONT_TEST_TOKEN)
    page = owner_client.get(_url("connect", migration)).content.decode()
    assert 'data-testid="use-sandbox"' in page
    response = owner_client.post(_url("connect_sandbox", migration))
    assert response["Location"] == _url("connect", migration) + "?platform=sample"
    migration.refresh_from_db()
    assert migration.front_api_url == front_standin.url and migration.front_token == FRONT_TEST_TOKEN
    # Saving with the token field left empty keeps the sandbox token and passes the check.
    response = owner_client.post(_url("connect", migration), {
        "platform": "sample", "source-tickets": "5", "front-api_url": front_standin.url, "front-token": ""})
    assert response["Location"] == _url("inbox", migration)


def test_no_sandbox_button_without_a_sandbox(owner_client, migration, settings):
    settings.SANDBOX_FRONT_URL = ""
    assert 'data-testid="use-sandbox"' not in owner_client.get(_url("connect", migration)).content.decode()


def test_teammate_errors_say_what_to_fix(owner_client, migration, front_standin):
    _setup_to_demo(owner_client, migration, front_standin)
    response = owner_client.post(_url("teammates", migration), {"default": "tea_nope", "agent-1": "tea_gone"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose the default teammate" in page and "no longer exists in Front" in page


def test_report_downloads_stream_every_row_and_defuse_formulas(owner_client, migration):
    migration.furthest_step = Step.DEMO
    migration.save()
    RecordMap.objects.bulk_create([
        RecordMap(migration=migration, entity="ticket", source_id=str(i), state="failed" if i == 3 else "done",
                  reason="=HYPERLINK(\"http://evil\")" if i == 3 else "", front_id=f"cnv_{i}")
        for i in range(1, 131)
    ])
    response = owner_client.get(reverse("wizard:report_export", args=[migration.pk, "csv"]) + "?entity=ticket")
    assert response["Content-Disposition"].endswith('-ticket.csv"')
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("entity,source_id") and len(lines) == 131
    assert "'=HYPERLINK" in "\n".join(lines)
    failed = owner_client.get(reverse("wizard:report_export", args=[migration.pk, "jsonl"]) + "?entity=ticket&state=failed")
    rows = b"".join(failed.streaming_content).decode().splitlines()
    assert len(rows) == 1 and '"source_id": "3"' in rows[0]
    assert owner_client.get(reverse("wizard:report_export", args=[migration.pk, "xml"])).status_code == 404
