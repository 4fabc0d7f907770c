"""`manage.py migration apply` with the file source: the export is copied into the migration's store and
checked; a refused file creates nothing; a partly accepted one says which lines are left out (docs/cli.md)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from connectors.files.writer import write_sample_export
from connectors.sample import SampleDataset
from tests.connectors.files_support import good_members, write_zip
from tests.engine.test_cli_and_secrets import _file
from wizard.models import Migration


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.FILE_IMPORT_DIR = tmp_path / "store"
    return settings.FILE_IMPORT_DIR


def _apply(path: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("migration", "apply", path, "--owner", "ops@example.com", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_apply_copies_and_checks_the_export_then_runs(tmp_path, front, import_dir):
    export = write_sample_export(SampleDataset(tickets=12, seed=2), tmp_path / "acme.zip")
    out, err = _apply(_file(tmp_path, front, {"type": "files", "path": str(export)}))
    migration = Migration.objects.get(pk=int(out))
    stored = Path(migration.source_config["path"])
    assert stored != export and stored.is_relative_to(import_dir) and stored.read_bytes() == export.read_bytes()
    assert migration.source_config["name"] == "acme.zip" and err == ""
    assert not list(tmp_path.glob("acme.zip.*"))  # nothing written next to the operator's file
    out = io.StringIO()
    call_command("migration", "run", str(migration.pk), "--kind", "demo", "--inline", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["state"] == "completed" and summary["counts"]["tickets"]["done"] == 3


@pytest.mark.django_db
def test_apply_refuses_a_refused_export_and_creates_nothing(tmp_path, front, import_dir):
    members = good_members()
    members["tickets.csv"] = members["tickets.csv"].replace("created_at,", "opened_at,", 1)
    bad = write_zip(tmp_path / "bad.zip", members)
    with pytest.raises(CommandError) as err:
        _apply(_file(tmp_path, front, {"type": "files", "path": str(bad)}))
    assert "source.path: The export was refused" in str(err.value)
    assert "tickets.csv, line 1, column created_at: The required column “created_at” is missing." in str(err.value)
    assert not Migration.objects.exists()
    assert not [p for p in Path(import_dir).rglob("*") if p.is_file()]
    with pytest.raises(CommandError, match="no longer there"):
        _apply(_file(tmp_path, front, {"type": "files", "path": str(tmp_path / "missing.zip")}))


@pytest.mark.django_db
def test_apply_warns_about_lines_left_out(tmp_path, front):
    members = good_members()
    members["messages.csv"] += "m4,t1,last tuesday,customer,c1,x\n"
    partial = write_zip(tmp_path / "partial.zip", members)
    out, err = _apply(_file(tmp_path, front, {"type": "files", "path": str(partial)}))
    assert int(out)
    assert "accepted with mistakes (1 mistake)" in err
    assert "messages.csv, line 5, column created_at: “last tuesday” is not an ISO 8601 date" in err
