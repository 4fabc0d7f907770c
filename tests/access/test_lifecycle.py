"""Data lifecycle: after the verification period (or when the owner asks) the database holds no
credential and no source content of the migration; counts and record-map ids remain.

The check reads every table raw with SQL, decrypting anything that looks like one of our encrypted
values, so a copy of a secret hidden in any column (encrypted or not) is found."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config.crypto import decrypt_text
from migrations_engine.models import Checkpoint, FrontWrite, RecordMap, Run
from migrations_engine.selectors import report_summary
from staff.models import AuditLog
from tests.access.conftest import FRONT_SECRET, SOURCE_SECRET, make_user
from wizard.lifecycle import purge_due_migrations
from wizard.models import Migration
from wizard.tasks import purge_expired_data

pytestmark = pytest.mark.django_db

CONTENT = "Zorblax"  # stands for source content: subjects, bodies, names, tags, cursors
ENCRYPTED = re.compile(r"fernet:[A-Za-z0-9_\-=]+")


def _seed(owner, *, finished_days_ago: float = 6, name: str = "Acme → Front") -> Migration:
    migration = Migration.objects.create(
        owner=owner, name=name, source_type="zendesk",
        source_config={"url": "https://acme.zendesk.com", "email": "admin@acme.test", "token": SOURCE_SECRET},
        front_api_url="https://api2.frontapp.com", front_token=FRONT_SECRET, front_inbox_id="inb_1",
        record_counts={"tickets": 3}, furthest_step=Migration.Step.FULL,
    )
    run = Run.objects.create(
        migration=migration, kind="full", state="completed", lineage="g0",
        started_at=timezone.now() - timedelta(days=finished_days_ago, hours=1),
        finished_at=timezone.now() - timedelta(days=finished_days_ago),
        counters={"tickets": {"total": 3, "done": 2, "failed": 1, "skipped": 0}},
        context={"agent_names": {"7": f"{CONTENT} Agent"}, "teammate_emails": {"tea_1": "t@acme.test"}},
        recent_errors=[{"at": "2026-11-20T10:00:00", "message": f"Ticket 3 '{CONTENT} invoice' failed"}],
    )
    Checkpoint.objects.create(run=run, cursor={"next": f"https://acme.zendesk.com/x?cursor={CONTENT}"}, pages=1)
    for sid, state in (("1", "done"), ("2", "done"), ("3", "failed")):
        RecordMap.objects.create(
            migration=migration, entity="ticket", source_id=sid, state=state, lineage="g0",
            front_id=f"cnv_{sid}" if state == "done" else "", message_ids=[f"msg_{sid}"] if state == "done" else [],
            applied={"tags": [f"{CONTENT}-tag"], "status": "archived"},
            reason=f"Attachment {CONTENT}.pdf is larger than 25 MB" if state == "failed" else "",
        )
    FrontWrite.objects.create(
        migration=migration, run=run, lineage="g0", kind="message", key="g0:msg:3", ticket_source_id="3",
        source_id="m3", state="failed", reason=f"Front refused '{CONTENT}'",
    )
    return migration


def _raw_cells():
    """Every cell of every table, as text (encrypted values also yield their decrypted text)."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names from introspection)
            for row in cursor.fetchall():
                for cell in row:
                    text = bytes(cell).decode(errors="replace") if isinstance(cell, memoryview | bytes) else str(cell)
                    yield table, text
                    for token in ENCRYPTED.findall(text):
                        try:
                            yield table, decrypt_text(token)
                        except Exception:  # noqa: S112 (not one of ours)
                            continue


def _leaks(needles: list[str]) -> list[tuple[str, str]]:
    return [(table, needle) for table, text in _raw_cells() for needle in needles if needle in text]


def _raw_credentials(migration_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT source_config, front_token FROM wizard_migration WHERE id = %s", [migration_id])
        return cursor.fetchone()


def test_owner_deletes_data_now_and_nothing_secret_remains():
    owner = make_user("owner@acme.test")
    migration = _seed(owner)
    ciphertexts = [c for c in _raw_credentials(migration.pk) if c]
    needles = [SOURCE_SECRET, FRONT_SECRET, CONTENT, *ciphertexts]
    # The scan works: before the purge it finds the secrets (decrypted) and the cached content.
    found = {needle for _table, needle in _leaks(needles)}
    assert {SOURCE_SECRET, FRONT_SECRET, CONTENT} <= found

    client = Client()
    client.force_login(owner)
    page = client.get(reverse("wizard:data_delete", args=[migration.pk]))
    assert page.status_code == 200
    wrong = client.post(reverse("wizard:data_delete", args=[migration.pk]), {"confirm_name": "nope"})
    assert wrong.status_code == 400
    assert _raw_credentials(migration.pk)[1]  # a wrong confirmation deletes nothing
    done = client.post(reverse("wizard:data_delete", args=[migration.pk]), {"confirm_name": migration.name})
    assert done.status_code == 302

    assert _leaks(needles) == []
    assert all(value in ("", None) or decrypt_text(value) in ("", "{}") for value in _raw_credentials(migration.pk))
    migration.refresh_from_db()
    assert migration.purged_at is not None
    # Counts and ids remain: the report still says what moved.
    assert report_summary(migration=migration)["ticket"] == {"done": 2, "failed": 1}
    assert sorted(RecordMap.objects.filter(migration=migration).values_list("source_id", "front_id")) == [
        ("1", "cnv_1"), ("2", "cnv_2"), ("3", "")]
    assert Run.objects.get(migration=migration).counters["tickets"]["done"] == 2
    entry = AuditLog.objects.get(action="data.purge", migration_id=migration.pk)
    assert entry.actor == owner and entry.details["reason"] == "owner asked to delete data now"
    # And no run can start on purged data.
    from migrations_engine.services import RunRefused, start_run
    with pytest.raises(RunRefused):
        start_run(migration=migration, kind="demo", user=owner)


def _migrated_schedule() -> PeriodicTask:
    """The row data migration 0003 writes. A transactional test that ran earlier in this process flushes
    it (pytest-xdist hands files out in any order), so the migration's own function writes it again."""
    migration = importlib.import_module("wizard.migrations.0003_purge_schedule")
    if not PeriodicTask.objects.filter(name=migration.TASK_NAME).exists():
        migration.create_schedule(django_apps, None)
    return PeriodicTask.objects.get(task="frontport.purge_expired_data")


def test_scheduled_job_purges_after_the_verification_period_only():
    owner = make_user("owner@acme.test")
    expired = _seed(owner, finished_days_ago=settings.VERIFICATION_DAYS + 1, name="old")
    recent = _seed(owner, finished_days_ago=1, name="recent")
    never_ran = Migration.objects.create(owner=owner, name="setup only", front_token="still-needed-token")

    # The job is scheduled in the database (django-celery-beat), not in code or a worker's memory.
    scheduled = _migrated_schedule()
    assert scheduled.enabled and scheduled.interval is not None

    purged = purge_expired_data.apply().get()
    assert purged == [expired.pk]
    for m in (expired, recent, never_ran):
        m.refresh_from_db()
    assert expired.purged_at and expired.front_token == "" and expired.source_config == {}
    assert recent.purged_at is None and recent.front_token == FRONT_SECRET
    assert recent.verification_ends_at is not None  # started from the full run's end, shown in the wizard
    assert never_ran.purged_at is None and never_ran.verification_ends_at is None
    assert AuditLog.objects.get(action="data.purge", migration_id=expired.pk).actor is None  # the system

    # The recent one goes when its own period ends.
    assert purge_due_migrations(now=recent.verification_ends_at + timedelta(seconds=1)) == [recent.pk]


def test_verification_period_follows_the_plan(settings):
    settings.BILLING_PLANS = {**settings.BILLING_PLANS, "signature": {**settings.BILLING_PLANS["signature"],
                                                                      "verification_days": 12}}
    owner = make_user("owner@acme.test")
    migration = _seed(owner, finished_days_ago=8)
    migration.plan = "signature"
    migration.save()
    assert purge_due_migrations() == []
    migration.refresh_from_db()
    finished = Run.objects.get(migration=migration).finished_at
    assert migration.verification_ends_at == finished + timedelta(days=12)


def test_verification_period_follows_the_paid_plan_over_the_chosen_one(settings):
    """One rule (wizard.lifecycle.verification_days): what the customer paid for wins over the plan
    chosen on the plan step; with nothing paid the chosen plan counts, with no plan VERIFICATION_DAYS."""
    from billing.models import Order
    from wizard.lifecycle import verification_days

    settings.VERIFICATION_DAYS = 4
    settings.BILLING_PLANS = {
        "basic": {**settings.BILLING_PLANS["basic"], "verification_days": 6},
        "signature": {**settings.BILLING_PLANS["signature"], "verification_days": 12},
    }
    migration = _seed(make_user("owner@acme.test"), finished_days_ago=1)
    assert verification_days(migration=migration) == 4  # no plan chosen, nothing paid
    migration.plan = "basic"
    assert verification_days(migration=migration) == 6  # the chosen plan (billing off, or not paid yet)
    Order.objects.create(migration=migration, plan="signature", plan_name="Signature", currency="usd",
                         status=Order.Status.PAID, total=100)
    assert verification_days(migration=migration) == 12  # paid for Signature: its period, not Basic's
    migration.save()
    purge_due_migrations()  # the scheduled job and the wizard's full-run page use the same rule
    migration.refresh_from_db()
    assert migration.verification_ends_at == Run.objects.get(migration=migration).finished_at + timedelta(days=12)


def test_purge_notice_tells_when(settings):
    owner = make_user("owner@acme.test")
    migration = _seed(owner, finished_days_ago=1)
    purge_due_migrations()
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("wizard:sharing", args=[migration.pk])).content.decode()
    assert 'data-testid="purge-notice"' in page and "will be deleted on" in page
    assert reverse("wizard:data_delete", args=[migration.pk]) in page
