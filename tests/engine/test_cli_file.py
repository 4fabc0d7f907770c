"""`migration apply` validates its file against the published JSON Schema (issue 13, item 5): every
malformed file is refused with the key path of each mistake and nothing created; `--check` only
validates; the documented example and the object-list shorthand work."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from migrations_engine.cli import validate_file
from migrations_engine.cli_schema import schema_json
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from wizard.models import Migration

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
pytestmark = pytest.mark.django_db


def _valid(front) -> dict:
    return {
        "name": "CLI file", "source": {"type": "sample", "tickets": 6, "seed": 2},
        "front": {"token": FRONT_TEST_TOKEN, "api_url": front.url, "inbox_id": front.inbox_id()},
        "objects": {"tickets": True, "contacts": True, "agents": True},
        "teammates": {"auto_match": True, "default": "", "map": {"1": "tea_1"}},
        "statuses": {"pending": "open", "solved": "archived"},
        "options": {"tag": "cli", "status_tag": True, "custom_fields": "comment"},
        "demo": {"ids": ["1", 2]}, "filter": {}, "time_zone": "Europe/Paris",
        "windows": [{"start_day": 4, "start_time": "20:00", "end_day": 0, "end_time": "06:00"}],
    }


def _cli(*args) -> str:
    out = io.StringIO()
    call_command("migration", *args, stdout=out)
    return out.getvalue()


def _write(tmp_path, content) -> str:
    path = tmp_path / "file.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def _broken(change):
    def build(front):
        data = _valid(front)
        change(data)
        return data
    return build


def _set(path: str, value):
    def change(data):
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return _broken(change)


_DELETE = object()

# (what is wrong, the file, the key paths the refusal must name)
MALFORMED = [
    ("non-JSON", lambda front: '{"name": "x", "source": {"type": "sample"},', ["not valid JSON (line 1"]),
    ("empty file", lambda front: "   \n", ["is empty"]),
    ("a list, not an object", lambda front: json.dumps(["name", "source"]), ["must hold one JSON object"]),
    ("missing required keys", lambda front: {"objects": ["tickets"]}, ["`name`", "`source`", "`front`"]),
    ("missing nested key", _set("front.inbox_id", _DELETE), ["`front.inbox_id`: is required"]),
    ("wrong type: name", _set("name", 42), ["`name`: must be a string"]),
    ("wrong type: options flag", _set("options.skip_attachments", "no"), ["`options.skip_attachments`: must be true or false"]),
    ("wrong type: objects", _set("objects", "tickets"), ["`objects`: must be an object"]),
    ("unknown top-level key", _set("colour", "blue"), ["`colour`: is not a known key"]),
    ("unknown nested key", _set("options.tags", ["a"]), ["`options.tags`: is not a known key"]),
    ("unknown source key", _set("source.ticket_count", 5), ["`source.ticket_count`: is not a known key"]),
    ("bad enum: custom_fields", _set("options.custom_fields", "maybe"), ["`options.custom_fields`: must be one of"]),
    ("bad enum: status", _set("statuses.solved", "closed"), ["`statuses.solved`: must be one of open, archived"]),
    ("bad enum: source type", _set("source.type", "kayako"), ["`source.type`: must be one of"]),
    ("bad object name in the list", _set("objects", ["tickets", "orgs"]), ["`objects[1]`: must be one of"]),
    ("too many demo ids", _set("demo.ids", [str(i) for i in range(21)]), ["`demo.ids`: takes at most 20"]),
    ("bad window time", _set("windows.0.start_time", "8pm"), ["`windows[0].start_time`: must be a time"]),
    ("bad window day", _set("windows.0.end_day", 7), ["`windows[0].end_day`: must be between 0 and 6"]),
    ("unknown time zone", _set("time_zone", "Mars/Olympus"), ["`time_zone`: is not a time zone"]),
    ("empty token", _set("front.token", ""), ["`front.token`: must not be empty"]),
    ("source the connector refuses", _set("source.tickets", -3), ["`source.tickets`: Number of tickets"]),
    ("several at once", _broken(lambda d: d.update(name=None, options={"custom_fields": 1}, windows=[{}])),
     ["`name`", "`options.custom_fields`", "`windows[0].start_day`", "`windows[0].end_time`"]),
]


@pytest.mark.parametrize(("build", "expected"), [(b, e) for _, b, e in MALFORMED], ids=[m[0] for m in MALFORMED])
@pytest.mark.parametrize("check", [False, True], ids=["apply", "check"])
def test_malformed_files_are_refused_naming_each_key_path(tmp_path, front, build, expected, check):
    users = get_user_model().objects.count()
    path = _write(tmp_path, build(front))
    args = ["apply", path, "--owner", "new-owner@example.com"] + (["--check"] if check else [])
    with pytest.raises(CommandError) as refused:
        call_command("migration", *args)
    message = str(refused.value)
    for part in expected:
        assert part in message, message
    assert "Traceback" not in message
    assert Migration.objects.count() == 0 and get_user_model().objects.count() == users  # nothing created


def test_check_validates_only_and_apply_then_creates(tmp_path, front):
    path = _write(tmp_path, _valid(front))
    assert _cli("apply", path, "--check", "--owner", "ops@example.com").strip().endswith("is a valid migration file.")
    assert Migration.objects.count() == 0 and not get_user_model().objects.filter(email="ops@example.com").exists()
    migration = Migration.objects.get(pk=int(_cli("apply", path, "--owner", "ops@example.com")))
    assert migration.windows.count() == 1 and migration.demo_ids == ["1", "2"]


def test_object_names_as_a_list_are_the_documented_shorthand(tmp_path, front):
    """The file from the issue: `"objects": ["tickets", "contacts"]` once crashed the run (AttributeError)."""
    data = _valid(front) | {"objects": ["tickets", "contacts"], "demo": {"ids": ["1", "2"]}}
    migration_id = _cli("apply", _write(tmp_path, data), "--owner", "ops@example.com").strip()
    migration = Migration.objects.get(pk=migration_id)
    assert migration.selected_objects == {"tickets": True, "contacts": True, "agents": False, "organizations": False,
                                          "contact_fields": False, "articles": False}
    summary = json.loads(_cli("run", migration_id, "--kind", "demo", "--inline"))
    assert summary["state"] == "completed" and summary["counts"]["tickets"]["done"] == 2
    assert summary["counts"]["agents"]["done"] == 0


def _doc_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), flags=re.S)


def test_the_published_schema_is_the_enforced_one():
    assert schema_json() in _doc_blocks(), "docs/cli.md must carry the schema `apply` enforces (cli_schema.py)"


def test_the_documented_example_is_a_valid_file(settings):
    settings.ALLOW_PRIVATE_URLS = True  # no DNS lookup of api2.frontapp.com in tests
    example = json.loads(_doc_blocks()[0])
    assert validate_file(data=example) == []


def test_the_knowledge_base_of_a_file_reaches_the_run(tmp_path, front):
    """`front.knowledge_base`: an existing Front knowledge base or one made by name; anything else is refused."""
    data = _valid(front)
    data["front"] = {**data["front"], "knowledge_base": {"create": "Imported docs"}}
    migration = Migration.objects.get(pk=int(_cli("apply", _write(tmp_path, data), "--owner", "ops@example.com")))
    assert migration.options["knowledge_base"] == {"create": "Imported docs"}
    data["front"]["knowledge_base"] = {"name": "no id"}
    assert validate_file(data=data), "a knowledge base needs an id or a name to create"
