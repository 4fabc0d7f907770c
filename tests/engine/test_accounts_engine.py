"""The accounts phase and complete contacts, one behaviour at a time (sample source, Front stand-in):
a demo makes only its tickets' accounts, an account already in Front is found (by name, by domain) and
completed rather than duplicated, an answer lost after Front created an account creates nothing twice,
contacts recorded before this feature are completed by the next run, and turning the objects off moves
nothing of them."""

from __future__ import annotations

import pytest

from connectors.sample import SampleDataset, people
from migrations_engine import selectors
from migrations_engine.models import RecordMap
from migrations_engine.services import start_run
from tests.engine.accounts_truth import check_accounts
from tests.engine.conftest import drive, make_migration

CONFIG = {"tickets": 30, "seed": 7}
pytestmark = pytest.mark.django_db


def _dataset() -> SampleDataset:
    return SampleDataset(**CONFIG)


def test_a_demo_makes_only_the_accounts_of_its_tickets(owner, front):
    migration = make_migration(owner=owner, front=front, source_config=CONFIG, demo_ids=["1", "2", "3", "4", "5"])
    demo = drive(start_run(migration=migration, kind="demo"))
    assert demo.state == "completed", demo.recent_errors
    ds = _dataset()
    wanted = {o for i in range(1, 6) for o in ds.ticket(i).requester.organization_ids}
    rows = {r["source_id"]: r for r in selectors.report_rows(migration=migration, entity="account")}
    assert wanted and set(rows) == wanted  # those of the demo's requesters, no other
    assert all(r["state"] == "done" and r["front_id"].startswith("acc_") and r["source_url"] for r in rows.values())
    assert len(front.state()["accounts"]) == len(wanted)
    assert selectors.report_summary(migration=migration)["account"] == {"done": len(wanted)}
    routes = front.state()["counters"]["routes"]
    assert routes.get("GET /accounts", 0) <= 1  # the listing read once, before the first create

    # The full run makes the others and reuses the demo's.
    full = drive(start_run(migration=migration, kind="full"))
    assert full.state == "completed", full.recent_errors
    seen = check_accounts(dataset=ds, migration=migration, state=front.state(), vendor="sample")
    assert not seen.problems, seen.problems[:5]
    assert len(front.state()["accounts"]) == ds.organization_count()


def test_accounts_already_in_front_are_found_and_completed(owner, front):
    ds = _dataset()
    by_name, by_domain = ds.organization(1), ds.organization(2)
    company = front.company
    company.accounts["acc_pre1"] = {"id": "acc_pre1", "name": by_name.name.upper(), "description": "Ours since 2019",
                                   "domains": ["legacy.example"], "external_id": "crm-1",
                                   "custom_fields": {"Seats": 999}, "contact_ids": [], "created_at": 1.0,
                                   "updated_at": 1.0}
    company.accounts["acc_pre2"] = {"id": "acc_pre2", "name": "Somebody else's name", "description": None,
                                   "domains": [by_domain.domains[0].upper()], "external_id": None,
                                   "custom_fields": {}, "contact_ids": [], "created_at": 1.0, "updated_at": 1.0}
    migration = make_migration(owner=owner, front=front, source_config=CONFIG)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", run.recent_errors
    accounts = {a["id"]: a for a in front.state()["accounts"]}
    assert len(accounts) == ds.organization_count()  # two were found, none made twice
    named = accounts["acc_pre1"]
    assert named["name"] == by_name.name.upper() and named["external_id"] == "crm-1"  # theirs kept
    assert named["description"].startswith("Ours since 2019") and by_name.details in named["description"]
    assert set(named["domains"]) == {"legacy.example", *by_name.domains}
    assert named["custom_fields"]["Seats"] == by_name.custom_fields["Seats"]  # the source's value
    assert accounts["acc_pre2"]["name"] == "Somebody else's name"
    rows = {r.source_id: r for r in RecordMap.objects.filter(migration=migration, entity="account")}
    assert rows[by_name.source_id].front_id == "acc_pre1" and "by name" in rows[by_name.source_id].reason
    assert rows[by_domain.source_id].front_id == "acc_pre2" and "by domain" in rows[by_domain.source_id].reason


def test_an_account_whose_answer_was_lost_is_not_created_twice(owner, front):
    migration = make_migration(owner=owner, front=front, source_config=CONFIG)
    # prepare: teammates, channels, tags, account fields, contact fields; accounts: the listing, then a create
    # that Front handles but whose answer is lost on the way back.
    front.set_faults(script=["pass"] * 6 + ["drop_after"])
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", run.recent_errors
    state = front.state()
    assert state["counters"]["connections_dropped"] == 1
    assert any("Front" in e["message"] for e in run.recent_errors), run.recent_errors  # the chunk stopped there
    assert state["counters"]["routes"]["POST /accounts"] == _dataset().organization_count()  # none sent twice
    # The rows of the organizations before it on the page were saved with the page, so not at all: the
    # next execution found their accounts by external id, and counted each organization once.
    total = _dataset().organization_count()
    assert run.counters["accounts"] == {"total": total, "done": total, "failed": 0, "skipped": 0}
    assert RecordMap.objects.filter(migration=migration, entity="account", state="done").count() == total
    names = [a["name"] for a in state["accounts"]]
    assert len(names) == len(set(names)) == _dataset().organization_count()
    seen = check_accounts(dataset=_dataset(), migration=migration, state=state, vendor="sample")
    assert not seen.problems, seen.problems[:5]


def test_contacts_recorded_before_are_completed_and_objects_can_be_turned_off(owner, front):
    migration = make_migration(owner=owner, front=front, source_config=CONFIG, selected_objects={
        "tickets": True, "contacts": True, "agents": True, "organizations": False, "contact_fields": False})
    first = drive(start_run(migration=migration, kind="full"))
    assert first.state == "completed", first.recent_errors
    state = front.state()
    assert state["accounts"] == [] and all(not c["custom_fields"] and not c["description"] for c in state["contacts"])
    assert not state["counters"]["routes"].get("GET /accounts/custom_fields")  # nothing read for them
    contacts = len(state["contacts"])

    migration.selected_objects = {**migration.selected_objects, "organizations": True, "contact_fields": True}
    migration.save()
    second = drive(start_run(migration=migration, kind="full"))
    assert second.state == "completed", second.recent_errors
    state = front.state()
    assert len(state["contacts"]) == contacts  # completed in place, none created again
    seen = check_accounts(dataset=_dataset(), migration=migration, state=state, vendor="sample")
    assert not seen.problems, seen.problems[:5]
    assert seen.members > 3 and seen.contact_fields > 5
    assert state["counters"]["routes"]["PATCH /contacts/{contact_id}"] >= seen.contacts - 1
    rows = RecordMap.objects.filter(migration=migration, entity="contact", state="done")
    assert all(r.applied.get("v") == 1 for r in rows)
    org_of = {c.source_id: c.organization_ids for c in _dataset().contacts()}
    assert all(r.applied["account"] or not org_of[r.source_id] for r in rows)

    third = drive(start_run(migration=migration, kind="full"))  # complete now: nothing written again
    assert third.state == "completed"
    after = front.state()["counters"]["routes"]
    assert after["PATCH /contacts/{contact_id}"] == state["counters"]["routes"]["PATCH /contacts/{contact_id}"]
    assert after.get("POST /accounts/{account_id}/contacts") == state["counters"]["routes"].get(
        "POST /accounts/{account_id}/contacts")
    assert people.CONTACT_FIELDS  # the sample has contact fields to move
