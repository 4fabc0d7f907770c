"""fastsql writes and reads exactly what the ORM would (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from migrations_engine import fastsql
from migrations_engine.models import FrontWrite, RecordMap, Run
from tests.engine.conftest import make_migration

pytestmark = pytest.mark.django_db


def _values(row) -> dict:
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}


def test_insert_matches_an_orm_read(owner, front):
    migration = make_migration(owner=owner, front=front)
    run = Run.objects.create(migration=migration, kind="full", lineage="g0")
    when = datetime(2019, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
    row = fastsql.insert(FrontWrite, migration_id=migration.pk, run_id=run.pk, lineage="g0", kind="message",
                         key="ns-g0-t1-m1", ticket_source_id="1", source_id="m1", state="sent",
                         reason="Ünïcode ✓ 'quoted' \"double\"", message_uid="uid_1", created_at=when)
    stored = FrontWrite.objects.get(pk=row.pk)
    assert _values(stored) == _values(row)
    assert stored.created_at == when and stored.removed is False and stored.comment_id == ""
    # The unique key holds: a second insert of the same key is refused, as with the ORM.
    with pytest.raises(IntegrityError), transaction.atomic():
        fastsql.insert(FrontWrite, migration_id=migration.pk, key="ns-g0-t1-m1", lineage="g0", kind="message",
                       ticket_source_id="1", source_id="m1")


def test_update_and_first_match_the_orm(owner, front):
    migration = make_migration(owner=owner, front=front)
    row = fastsql.insert(FrontWrite, migration_id=migration.pk, key="k1", lineage="g0", kind="comment",
                         ticket_source_id="7", source_id="n1", state="intent")
    fastsql.update(row, {"state": "sent", "comment_id": "com_9", "conversation_id": "cnv_3"})
    assert _values(FrontWrite.objects.get(pk=row.pk)) == _values(row)
    found = fastsql.first(FrontWrite, migration_id=migration.pk, key="k1")
    assert _values(found) == _values(FrontWrite.objects.get(pk=row.pk))
    assert found._state.adding is False
    assert fastsql.first(FrontWrite, migration_id=migration.pk, key="missing") is None


def test_save_fields_writes_json_and_auto_now_like_save(owner, front):
    migration = make_migration(owner=owner, front=front)
    rec = RecordMap.objects.create(migration=migration, entity="ticket", source_id="42")
    before = rec.updated_at
    rec.applied = {"status": "archived", "tags": ["a", "é"], "assignee_id": None}
    rec.message_ids = ["uid_1", "uid_2"]
    rec.state, rec.reason = "done", "fine"
    fastsql.save_fields(rec, ("applied", "message_ids", "state", "reason", "updated_at"))
    stored = RecordMap.objects.get(pk=rec.pk)
    assert stored.applied == rec.applied and stored.message_ids == ["uid_2", "uid_1"][::-1]
    assert stored.state == "done" and stored.updated_at > before
    assert fastsql.first(RecordMap, migration_id=migration.pk, entity="ticket", source_id="42").applied == rec.applied


def test_insert_fills_auto_now_columns(owner, front):
    migration = make_migration(owner=owner, front=front)
    rec = fastsql.insert(RecordMap, migration_id=migration.pk, entity="contact", source_id="c1", state="done",
                         attempts=1)
    stored = RecordMap.objects.get(pk=rec.pk)
    assert stored.updated_at is not None and stored.updated_at == rec.updated_at
    assert _values(stored) == _values(rec)
