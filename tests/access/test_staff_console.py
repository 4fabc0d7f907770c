"""Staff console: staff only; every migration and run with progress and failures; search; actions
(pause, resume, retry failed, extend verification, purge), each one written to the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from migrations_engine.models import RecordMap, Run
from staff.models import AuditLog
from tests.access.conftest import make_migration, make_user
from wizard.models import Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    staff = make_user("support@frontport.test", is_staff=True)
    client = Client()
    client.force_login(staff)
    return staff, client


@pytest.fixture
def customer_migration():
    owner = make_user("customer@bigco.test")
    migration = make_migration(owner, "BigCo Zendesk")
    Migration.objects.filter(pk=migration.pk).update(front_inbox_id="inb_1")
    run = Run.objects.create(
        migration=migration, kind="full", state="running", lineage="g0", started_at=timezone.now(),
        counters={"tickets": {"total": 10, "done": 6, "failed": 2, "skipped": 1}},
        recent_errors=[{"at": "2026-11-26T04:00:00", "message": "Front answered 502 for ticket 17"}],
        elapsed_seconds=90.0,
    )
    RecordMap.objects.create(migration=migration, entity="ticket", source_id="41", state="failed",
                             reason="Attachment is larger than 25 MB", lineage="g0")
    RecordMap.objects.create(migration=migration, entity="ticket", source_id="42", state="failed",
                             reason="Malformed date in message 3", lineage="g0")
    return migration, run


def test_console_is_for_staff_only(customer_migration):
    migration, _run = customer_migration
    client = Client()
    assert client.get(reverse("staff:console")).status_code == 302  # anonymous: sign in
    client.force_login(migration.owner)
    assert client.get(reverse("staff:console")).status_code == 404
    assert client.get(reverse("staff:audit")).status_code == 404


def test_console_lists_searches_and_shows_failures(staff_client, customer_migration):
    staff, client = staff_client
    migration, run = customer_migration
    make_migration(make_user("someone@else.test"), "Other desk")
    page = client.get(reverse("staff:console")).content.decode()
    assert "BigCo Zendesk" in page and "Other desk" in page and "6/10 done" in page
    by_email = client.get(reverse("staff:console"), {"q": "bigco.test"}).content.decode()
    assert "BigCo Zendesk" in by_email and "Other desk" not in by_email
    by_name = client.get(reverse("staff:console"), {"q": "other"}).content.decode()
    assert "Other desk" in by_name and "BigCo Zendesk" not in by_name

    detail = client.get(reverse("staff:migration", args=[migration.pk])).content.decode()
    assert "Malformed date in message 3" in detail and "Attachment is larger than 25 MB" in detail
    assert "Running" in detail and "Failed records: 2" in detail
    assert "Front answered 502 for ticket 17" in detail
    assert 'data-testid="staff-live"' in detail and "6.0/min" in detail  # 9 handled in 90 s
    # Credentials are never shown, even to staff.
    assert "front-token-PLAINTEXT" not in detail


def test_staff_actions_are_audited(staff_client, customer_migration):
    staff, client = staff_client
    migration, run = customer_migration

    client.post(reverse("staff:run_pause", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == "paused"
    client.post(reverse("staff:run_resume", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == "running"

    # Retrying needs no active run: finish this one first (as the engine would).
    Run.objects.filter(pk=run.pk).update(state="completed", finished_at=timezone.now())
    client.post(reverse("staff:retry_failed", args=[migration.pk]))
    retry = Run.objects.filter(migration=migration, kind="retry").get()
    assert sorted(retry.ids) == ["41", "42"]

    before = timezone.now()
    client.post(reverse("staff:extend", args=[migration.pk]), {"days": 7})
    migration.refresh_from_db()
    assert migration.verification_ends_at >= before + timedelta(days=7)

    assert client.post(reverse("staff:purge", args=[migration.pk]), {"confirm": "nope"}).status_code == 302
    migration.refresh_from_db()
    assert migration.purged_at is None
    client.post(reverse("staff:purge", args=[migration.pk]), {"confirm": "PURGE"})
    migration.refresh_from_db()
    assert migration.purged_at is not None and migration.front_token == ""

    entries = list(AuditLog.objects.order_by("id"))
    assert [e.action for e in entries] == [
        "run.pause", "run.resume", "run.retry_failed", "verification.extend", "data.purge"]
    for entry in entries:
        assert entry.actor == staff and entry.actor_email == "support@frontport.test"
        assert entry.migration_id == migration.pk and entry.created_at is not None
    assert entries[0].target_type == "migrations_engine.run" and entries[0].target_id == str(run.pk)
    assert entries[0].details == {"before": "running", "after": "paused", "client_ip": "127.0.0.1"}  # who, from where
    assert entries[2].details["run_id"] == retry.pk
    assert entries[3].details["days"] == 7

    # ...and the console shows them.
    log_page = client.get(reverse("staff:audit")).content.decode()
    for action in ("run.pause", "run.resume", "run.retry_failed", "verification.extend", "data.purge"):
        assert action in log_page
    assert "support@frontport.test" in client.get(reverse("staff:migration", args=[migration.pk])).content.decode()


def test_refused_action_is_shown_and_audited(staff_client, customer_migration):
    staff, client = staff_client
    migration, run = customer_migration  # a run is active: a retry is refused by the engine
    response = client.post(reverse("staff:retry_failed", args=[migration.pk]), follow=True)
    assert response.status_code == 200
    assert "already in progress" in response.content.decode()
    assert AuditLog.objects.get(action="run.retry_failed.refused").actor == staff
    assert not Run.objects.filter(migration=migration, kind="retry").exists()
    assert Migration.objects.get(pk=migration.pk).purged_at is None


def test_pausing_a_finished_run_is_refused_by_the_engine_and_audited(staff_client, customer_migration):
    staff, client = staff_client
    migration, run = customer_migration
    Run.objects.filter(pk=run.pk).update(state="completed", finished_at=timezone.now())
    response = client.post(reverse("staff:run_pause", args=[run.pk]), follow=True)
    assert "Only a running or scheduled run can be paused" in response.content.decode()
    details = AuditLog.objects.get(action="run.pause.refused").details
    assert details["state"] == "completed"
    assert details["why"] == "Only a running or scheduled run can be paused; this one is completed."
    run.refresh_from_db()
    assert run.state == "completed"


def test_a_bug_in_the_engine_is_not_audited_as_a_refusal(customer_migration, monkeypatch):
    """Only the engine's documented refusal (RunRefused) becomes a message; anything else is a bug."""
    from migrations_engine import services as engine
    from staff.services import staff_pause_run

    migration, run = customer_migration

    def broken(*, run):
        raise KeyError("counters")

    monkeypatch.setattr(engine, "pause_run", broken)
    with pytest.raises(KeyError):
        staff_pause_run(run=run, actor=None)
    assert not AuditLog.objects.exists()
