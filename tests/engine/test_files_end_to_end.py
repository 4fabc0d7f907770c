"""File exports -> engine -> Front stand-in, field by field: full, demo, delta from a second upload, and a
refused file that moves nothing (issue 19)."""

from __future__ import annotations

from collections import Counter

import pytest

from connectors.files import FileExportConnector
from connectors.files.writer import write_sample_export
from connectors.sample import SampleDataset
from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from tests.connectors.files_support import good_members, write_zip
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive, make_migration

TICKETS, SEED = 40, 11


def _export(tmp_path, *, revision: int = 0, fmt: str = "jsonl"):
    path = tmp_path / f"export-r{revision}-{fmt}.zip"
    return write_sample_export(SampleDataset(tickets=TICKETS, seed=SEED, revision=revision), path, fmt=fmt)


def _migration(owner, front, path, **extra):
    return make_migration(owner=owner, front=front, source_type="files", source_config={"path": str(path)},
                          custom_fields="comment", options={"tag": "migrated", "inline_images": True}, **extra)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_to_front_field_by_field(owner, front, tmp_path, fmt):
    path = _export(tmp_path, fmt=fmt)
    migration = _migration(owner, front, path)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    seen = check_fidelity(migration=migration, run=run, connector=FileExportConnector({"path": str(path)}),
                          state=front.state())
    assert seen["tickets"] > 30 and seen["messages"] > 60 and seen["notes"] > 5 and seen["attachments"] > 3
    assert seen["custom_fields"] > 10 and seen["cc"] > 0
    assert not RecordMap.objects.filter(migration=migration, state="pending").exists()


@pytest.mark.django_db
def test_demo_with_chosen_ids(owner, front, tmp_path):
    path = _export(tmp_path)
    migration = _migration(owner, front, path, demo_ids=["7", "3", "nope", "12"])
    run = drive(start_run(migration=migration, kind="demo"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    done = set(RecordMap.objects.filter(migration=migration, entity="ticket", state="done")
               .values_list("source_id", flat=True))
    assert done == {"7", "3", "12"}


@pytest.mark.django_db
def test_second_upload_is_a_delta_without_duplicates(owner, front, tmp_path):
    first = _export(tmp_path, revision=0)
    migration = _migration(owner, front, first)
    full = drive(start_run(migration=migration, kind="full"))
    assert full.state == "completed", full.recent_errors
    before = front.state()
    # The same export again: nothing to add.
    same = drive(start_run(migration=migration, kind="delta"))
    assert same.state == "completed"
    assert sum(len(c["messages"]) for c in front.state()["conversations"]) == \
        sum(len(c["messages"]) for c in before["conversations"])
    # A newer export (replies, notes, status changes, deletions, new tickets) uploaded as a new file.
    newer = _export(tmp_path, revision=1)
    migration.source_config = {"path": str(newer)}
    migration.save()
    delta = drive(start_run(migration=migration, kind="delta"))
    assert delta.state == "completed", delta.recent_errors
    dataset = SampleDataset(tickets=TICKETS, seed=SEED, revision=1)
    changed = {str(i) for i in range(1, dataset.total_ticket_ids() + 1) if dataset.last_touched(i) == 1}
    handled = set(RecordMap.objects.filter(migration=migration, entity="ticket", last_run=delta)
                  .values_list("source_id", flat=True))
    assert changed <= handled and len(handled) <= len(changed) + 1  # + the ticket at the watermark, re-synced
    state = front.state()
    check_fidelity(migration=migration, run=delta, connector=FileExportConnector({"path": str(newer)}), state=state)
    external_ids = Counter(m["external_id"] for c in state["conversations"] for m in c["messages"])
    assert max(external_ids.values()) == 1  # every message once
    deleted_now = {str(i) for i in range(1, TICKETS + 1) if dataset.deleted_revision(i) == 1}
    marked = set(RecordMap.objects.filter(migration=migration, entity="ticket", deleted_in_source=True)
                 .values_list("source_id", flat=True))
    assert deleted_now and deleted_now <= marked


@pytest.mark.django_db
def test_nothing_moves_from_a_refused_file(owner, front, tmp_path):
    members = good_members()
    members["tickets.csv"] = members["tickets.csv"].replace("status,", "state,", 1)  # a required column missing
    path = write_zip(tmp_path / "refused.zip", members)
    migration = _migration(owner, front, path)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state != "completed", run.state
    assert "refused" in (run.reason or "") + " ".join(str(e) for e in run.recent_errors)
    assert front.state()["conversations"] == []
    assert not RecordMap.objects.filter(migration=migration, entity="ticket").exists()
