"""A requester whose email address is not valid (issue 15, item 5): the ticket migrates and the report says
what it shows instead, as a warning (contact skipped or done with a reason), never as a failure; the
invalid address is never sent to Front."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.base import Contact, Ticket
from connectors.sample.generator import INVALID_EMAILS
from migrations_engine import requesters
from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from tests.engine.conftest import drive

# Sample desk, 200 tickets, seed 7: ticket 64's requester (contact 1000013) has only "@nouser.example.org";
# ticket 95's (1000065) has "not-an-email" and a phone number; ticket 102's (1000052) "jane@@example.org".
TICKETS = ["1", "64", "95", "102", "110"]


@pytest.mark.parametrize("address", INVALID_EMAILS)
def test_invalid_addresses_are_not_emails(address):
    assert not requesters.is_email(address)


@pytest.mark.parametrize("address", ["customer1@example.org", "José@exämple.org", "a.b+tag@sub.example.co.uk"])
def test_valid_addresses_are(address):
    assert requesters.is_email(address)


def _ticket(source_id: str, requester: Contact) -> Ticket:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Ticket(source_id=source_id, subject="s", status="open", created_at=now, updated_at=now, requester=requester)


def test_sender_and_sentences():
    named = Contact(source_id="7", name="Ada", emails=["bob at example dot com"])
    ticket = _ticket("3", named)
    assert requesters.sender(ticket) == ("invalid-address-7@frontport.invalid", "Ada")
    assert "by name only (“Ada”" in requesters.ticket_warning(ticket)
    assert "Not created in Front" in requesters.contact_warning(named)
    phoned = Contact(source_id="8", name=None, emails=["x@@y"], phones=["+15550001"])
    assert requesters.sender(_ticket("4", phoned))[0] == "+15550001"
    assert "left out" in requesters.contact_warning(phoned)
    fine = Contact(source_id="9", name="Bo", emails=["bo@example.org"])
    assert requesters.ticket_warning(_ticket("5", fine)) == ""


def test_the_ticket_migrates_with_the_name_only_and_says_so(migration, front):
    migration.source_config = {"tickets": 200, "seed": 7}
    migration.demo_ids = TICKETS
    migration.save()
    run = drive(start_run(migration=migration, kind="demo"))
    assert run.state == "completed", run.recent_errors
    assert run.counters["tickets"]["done"] == len(TICKETS) and run.counters["tickets"]["failed"] == 0
    assert run.counters["contacts"]["failed"] == 0 and run.counters["contacts"]["skipped"] == 2

    tickets = {r.source_id: r for r in RecordMap.objects.filter(migration=migration, entity="ticket")}
    contacts = {r.source_id: r for r in RecordMap.objects.filter(migration=migration, entity="contact")}
    name_only = tickets["64"]
    assert name_only.state == "done" and name_only.front_id
    assert "“@nouser.example.org” is not valid" in name_only.reason and "by name only" in name_only.reason
    assert contacts["1000013"].state == "skipped" and "Not created in Front" in contacts["1000013"].reason
    assert tickets["95"].state == "done" and "uses their phone number +15550000065" in tickets["95"].reason
    assert contacts["1000065"].state == "done" and "“not-an-email” left out" in contacts["1000065"].reason
    assert tickets["102"].reason.count("is not valid") == 1 and tickets["110"].state == "done"
    assert tickets["1"].reason == "" or "not valid" not in tickets["1"].reason

    state = front.state()
    handles = {h["handle"] for c in state["contacts"] for h in c["handles"]}
    senders = {m["sender"] for c in state["conversations"] for m in c["messages"]}
    assert not (handles | senders) & set(INVALID_EMAILS)  # never sent to Front
    conversation = next(c for c in state["conversations"] if c["id"] == name_only.front_id)
    inbound = [m for m in conversation["messages"] if m["inbound"]]
    assert inbound and {m["sender"] for m in inbound} == {"invalid-address-1000013@frontport.invalid"}


def test_the_report_marks_it_as_a_warning(client, migration, front, owner):
    from django.urls import reverse

    migration.source_config = {"tickets": 200, "seed": 7}
    migration.demo_ids = ["64"]
    migration.furthest_step = migration.Step.DEMO
    migration.save()
    drive(start_run(migration=migration, kind="demo"))
    client.force_login(owner)
    page = client.get(reverse("wizard:report", args=[migration.pk])).content.decode()
    assert 'data-testid="done-with-warning"' in page and "by name only" in page
    contacts = client.get(reverse("wizard:report", args=[migration.pk]), {"entity": "contact"}).content.decode()
    assert "Not created in Front" in contacts and "text-bg-danger" not in contacts

