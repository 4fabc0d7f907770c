"""The headless CLI (docs/cli.md) and credentials at rest: no token in the database, logs or reports."""

import csv
import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from wizard.models import Migration


def _cli(*args) -> str:
    out = io.StringIO()
    call_command("migration", *args, stdout=out)
    return out.getvalue()


class _ClosesAfter(io.StringIO):
    """A pipe whose reader goes away after some lines, as `| head` does."""

    def __init__(self, *, lines: int) -> None:
        super().__init__()
        self.lines = lines

    def write(self, text: str) -> int:
        if self.getvalue().count("\n") >= self.lines:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def _file(tmp_path, front, source: dict, **extra) -> str:
    data = {
        "name": "CLI migration", "source": source,
        "front": {"token": FRONT_TEST_TOKEN, "api_url": front.url, "inbox_id": front.inbox_id()},
        "objects": {"tickets": True, "contacts": True, "agents": True},
        "teammates": {"auto_match": True, "default": "", "map": {}},
        "statuses": {"pending": "open", "solved": "archived"},
        "options": {"tag": "from-cli", "status_tag": True, "skip_attachments": False, "inline_images": False,
                    "custom_fields": "comment"},
        "demo": {"ids": ["1", "2", "3"]}, **extra,
    }
    path = tmp_path / "migration.json"
    path.write_text(json.dumps(data))
    return str(path)


def _dump_database() -> str:
    """Every value of every table, as text: what a stolen database backup would show."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names from introspection
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


@pytest.mark.django_db
def test_apply_run_status_report(tmp_path, front):
    path = _file(tmp_path, front, {"type": "sample", "tickets": 12, "seed": 2})
    migration_id = int(_cli("apply", path, "--owner", "ops@example.com"))
    assert int(_cli("apply", path, "--owner", "ops@example.com")) == migration_id  # update, not a copy
    migration = Migration.objects.get(pk=migration_id)
    assert migration.owner.email == "ops@example.com" and migration.status_map["solved"] == "archived"
    assert migration.options["tag"] == "from-cli" and migration.demo_ids == ["1", "2", "3"]

    summary = json.loads(_cli("run", str(migration_id), "--kind", "demo", "--inline"))
    assert summary["state"] == "completed" and summary["counts"]["tickets"]["done"] == 3
    assert summary["front_calls"] > 0 and "elapsed_seconds" in summary
    status = json.loads(_cli("status", str(migration_id)))
    assert status["runs"][0]["kind"] == "demo" and status["records"]["ticket"]["done"] == 3
    rows = json.loads(_cli("report", str(migration_id), "--format", "json", "--entity", "ticket"))
    assert {r["source_id"] for r in rows} == {"1", "2", "3"}
    assert all(r["front_id"].startswith("cnv_") or r["front_message_uids"] for r in rows)
    table = list(csv.DictReader(io.StringIO(_cli("report", str(migration_id), "--format", "csv"))))
    assert {"ticket", "message", "agent"} <= {r["entity"] for r in table}
    # `report ... | head -2`: the reader leaves after two lines; the command ends quietly, no traceback.
    reader = _ClosesAfter(lines=2)
    call_command("migration", "report", str(migration_id), "--format", "csv", stdout=reader)
    assert reader.getvalue().count("\n") == 2

    # A second demo that first removes what the first one created: those conversations end deleted.
    again = json.loads(_cli("run", str(migration_id), "--kind", "demo", "--inline", "--remove-demo-data"))
    assert again["state"] == "completed" and again["demo_conversations_removed"] == 3
    first_demo = {r["front_id"] for r in rows if r["front_id"]}
    statuses = {c["id"]: c["status"] for c in front.state()["conversations"]}
    assert len(first_demo) == 3 and all(statuses[cid] == "deleted" for cid in first_demo)
    assert sum(1 for s in statuses.values() if s != "deleted") == 3  # the new demo's three

    with pytest.raises(CommandError, match="already in progress|demos are for|Run the full"):
        call_command("migration", "run", str(migration_id), "--kind", "delta")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "source": {"type": "nope"}}))
    with pytest.raises(CommandError, match="source.type"):
        call_command("migration", "apply", str(bad), "--owner", "ops@example.com")


@pytest.mark.django_db
def test_loopback_front_needs_allow_private_urls(tmp_path, front, settings):
    settings.ALLOW_PRIVATE_URLS = False
    path = _file(tmp_path, front, {"type": "sample", "tickets": 5})
    with pytest.raises(CommandError, match="ALLOW_PRIVATE_URLS"):
        call_command("migration", "apply", path, "--owner", "ops@example.com")


@pytest.mark.django_db
def test_no_secret_in_database_logs_or_reports(tmp_path, front, zendesk_small, caplog):
    config = zendesk_small.admin_config()
    secret = config["token"]
    path = _file(tmp_path, front, {"type": "zendesk", **config}, demo={"ids": []})
    caplog.set_level(logging.DEBUG)
    migration_id = _cli("apply", path, "--owner", "ops@example.com").strip()
    summary = _cli("run", migration_id, "--kind", "demo", "--inline")
    assert json.loads(summary)["state"] == "completed"
    reports = _cli("report", migration_id, "--format", "json") + _cli("report", migration_id, "--format", "csv")
    status = _cli("status", migration_id)
    dump = _dump_database()
    assert "cnv_" in dump or "fp-" in dump  # the dump really holds the migration's data
    for text in (dump, caplog.text, reports, summary, status):
        assert secret not in text
        assert FRONT_TEST_TOKEN not in text
    migration = Migration.objects.get(pk=migration_id)
    assert migration.front_token == FRONT_TEST_TOKEN and migration.source_config["token"] == secret


@pytest.mark.django_db(transaction=True)
def test_run_wait_with_a_real_worker(tmp_path, front, celery_worker_process):
    """Without --inline the run goes through the broker to a real worker; --wait polls until it ends."""
    path = _file(tmp_path, front, {"type": "sample", "tickets": 8, "seed": 4}, demo={"ids": []})
    migration_id = _cli("apply", path, "--owner", "ops@example.com").strip()
    summary = json.loads(_cli("run", migration_id, "--kind", "demo", "--wait", "--timeout", "120"))
    assert summary["state"] == "completed" and summary["counts"]["tickets"]["done"] == 8
