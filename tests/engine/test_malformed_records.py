"""Bad input is data, not a crash (issue 13, item 3; DESIGN §7): a Help Scout stand-in serving malformed
conversations (missing keys, nulls, wrong types, unknown enums, huge and empty strings, extra fields)
through the engine: the run completes, and every record ends migrated, or failed/skipped with a reason."""

from __future__ import annotations

import pytest

from migrations_engine import selectors
from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from sandbox.helpscout import HelpScoutStandin
from tests.engine.conftest import drive, make_migration

HUGE = "x" * 300_000


def _threads(c):
    return c.get("_embedded", {}).get("threads", [])


BREAKAGE = {
    2: lambda c: c.update(createdAt=None),  # no creation date: the ticket cannot be read
    3: lambda c: [t.update(createdAt="yesterday") for t in _threads(c)[:1]],  # one unreadable thread
    4: lambda c: c.update(status=7, tags="vip", customFields={"not": "a list"}, subject=None, extra={"x": [1]}),
    6: lambda c: [t.update(type="hologram", body=HUGE) for t in _threads(c)[:1]],  # unknown type, huge body
    7: lambda c: [t.update(id=None) for t in _threads(c)[:1]],  # a thread without an id
    8: lambda c: c.update(primaryCustomer={"id": None, "email": 42}, assignee="nobody", mailboxId=[]),
    9: lambda c: [t.update(createdBy=None, to="x@example.org", cc=None, body="") for t in _threads(c)],
    10: lambda c: c.pop("id"),  # no id at all: left out, the run warns about nothing it cannot name
    11: lambda c: [t.update(_embedded={"attachments": [{"id": None}, "junk", {"id": 5, "size": "big"}]})
                   for t in _threads(c)[:2]],
    12: lambda c: c.update(_embedded={"threads": "none"}),  # threads not a list: read from the thread list
}


def _mangle(conversation: dict) -> dict:
    broken = BREAKAGE.get(conversation.get("id"))
    if broken:
        broken(conversation)
    return conversation


@pytest.mark.django_db
def test_malformed_records_end_with_a_reason_and_the_run_completes(owner, front):
    with HelpScoutStandin(tickets=16, seed=3) as hs:
        hs.app.mangle = _mangle
        migration = make_migration(owner=owner, front=front, source_type="helpscout", source_config=hs.config,
                                   custom_fields="comment")
        run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    tickets = {r.source_id: r for r in RecordMap.objects.filter(migration=migration, entity="ticket")}
    assert not [r for r in RecordMap.objects.filter(migration=migration) if r.state == "pending"]
    for record in RecordMap.objects.filter(migration=migration).exclude(state="done"):
        assert record.reason, (record.entity, record.source_id)
    assert tickets["2"].state == "skipped" and "could not read" in tickets["2"].reason
    for ok in ("4", "6", "8", "9", "11", "12"):  # odd values are read as well as they can be: migrated
        assert tickets[ok].state == "done", (ok, tickets[ok].reason)
    assert tickets["3"].state == "done" and "could not read" in tickets["3"].reason  # one thread left out
    assert tickets["7"].state == "done" and "could not read" in tickets["7"].reason
    skipped = list(selectors.report_rows(migration=migration, entity="message", state="skipped"))
    assert {r["ticket_source_id"] for r in skipped} >= {"3", "7"} and all(r["reason"] for r in skipped)
    assert "10" not in tickets and "None" not in tickets  # no id: nothing to name, a warning says so
    assert any("without an id" in w for w in selectors.run_progress(run=run).warnings)
    assert sum(r.state == "done" for r in tickets.values()) >= 12
