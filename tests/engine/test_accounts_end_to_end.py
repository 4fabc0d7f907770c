"""Organizations -> Front accounts and contact fields, from Zendesk, Help Scout and Freshdesk stand-ins in both
readings of every vendor guess (the Front stand-in in the same reading, validating requests *and* its own
answers), compared field by field with the stand-in's data set; a second full run and a delta create
nothing twice, and the delta updates changed accounts in place (issue 18, acceptance 1 and 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.sample.generator import SampleDataset
from migrations_engine.models import RecordMap, Run
from migrations_engine.services import start_run
from sandbox.freshdesk import FreshdeskStandin
from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from sandbox.helpscout import HelpScoutStandin
from sandbox.zendesk import ZendeskStandin
from tests.engine.accounts_truth import check_accounts
from tests.engine.conftest import drive, make_migration

TICKETS, SEED = 40, 3
ACCOUNT_WRITES = ("POST /accounts", "PATCH /accounts/{account_id}", "POST /accounts/{account_id}/contacts",
                  "POST /contacts", "PATCH /contacts/{contact_id}", "POST /contacts/{contact_id}/handles")


class Source:
    def __init__(self, vendor: str, strict: bool) -> None:
        self.vendor = vendor
        if vendor == "zendesk":
            self.standin = ZendeskStandin(tickets=TICKETS, seed=SEED, strict=strict)
        else:
            cls = HelpScoutStandin if vendor == "helpscout" else FreshdeskStandin
            self.standin = cls(tickets=TICKETS, seed=SEED, strict=strict)

    def config(self) -> dict:
        return self.standin.admin_config() if self.vendor == "zendesk" else self.standin.config

    def dataset(self) -> SampleDataset:
        return self.standin.state.dataset if self.vendor == "zendesk" else self.standin.app.dataset

    def set_revision(self, revision: int) -> None:
        if self.vendor == "zendesk":
            self.standin.set_dataset(revision=revision)
        else:
            self.standin.app.set_revision(revision)


def _writes(front: FrontStandin) -> dict[str, int]:
    routes = front.state()["counters"]["routes"]
    return {r: routes.get(r, 0) for r in ACCOUNT_WRITES}


def _clean(front: FrontStandin) -> None:
    counters = front.state()["counters"]
    assert counters["spec_violations"] == 0 and counters["response_violations"] == 0, front.state()["violations"]


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["zendesk", "helpscout", "freshdesk"])
def test_accounts_and_contact_fields_land_once(owner, standin_strict, vendor):
    source = Source(vendor, standin_strict)
    with source.standin, FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, latency_ms=0,
                                      process_delay_s=0.02, strict=standin_strict) as front:
        migration = make_migration(owner=owner, front=front, source_type=vendor, source_config=source.config())
        full = drive(start_run(migration=migration, kind="full"))
        assert full.state == "completed", (full.reason, full.recent_errors)
        seen = check_accounts(dataset=source.dataset(), migration=migration, state=front.state(), vendor=vendor)
        assert not seen.problems, seen.problems[:8]
        organizations = source.dataset().organization_count()
        assert seen.accounts == organizations and full.counters["accounts"]["done"] == organizations
        assert seen.members > 5 and seen.contacts > 8 and seen.extra_handles > 0
        assert seen.account_fields > 3 and seen.account_lines > 3, seen  # on fields, and as description lines
        assert seen.contact_fields > 8 and seen.contact_lines > 8, seen
        _clean(front)

        # A second full run writes no account and no contact again.
        before = _writes(front)
        again = drive(start_run(migration=migration, kind="full"))
        assert again.state == "completed", again.recent_errors
        assert _writes(front) == before
        assert front.state()["counters"]["routes"].get("GET /accounts", 0) <= 1  # listed once, by the first run

        # The source changes: organizations revised (notes, seats), one added; the delta updates in place.
        revised = SampleDataset(tickets=TICKETS, seed=SEED, revision=1)
        source.set_revision(1)
        Run.objects.filter(pk__in=[full.pk, again.pk]).update(started_at=revised.revision_time(1) - timedelta(seconds=1))
        accounts_before = {a["id"] for a in front.state()["accounts"]}
        delta = drive(start_run(migration=migration, kind="delta"))
        assert delta.state == "completed", delta.recent_errors
        state = front.state()
        seen = check_accounts(dataset=revised, migration=migration, state=state, vendor=vendor)
        assert not seen.problems, seen.problems[:8]
        assert len(state["accounts"]) == revised.organization_count() == organizations + 1
        assert accounts_before < {a["id"] for a in state["accounts"]}  # the old ones kept, one new
        changed = [o for o in revised.organizations() if o.notes and o.notes.startswith("Revised in round 1")]
        assert changed and state["counters"]["routes"]["PATCH /accounts/{account_id}"] >= len(changed)
        handles = [h["handle"].lower() for c in state["contacts"] for h in c["handles"]]
        assert len(handles) == len(set(handles))  # no contact twice
        assert not RecordMap.objects.filter(migration=migration, entity__in=("account", "contact"), state="failed").exists()
        _clean(front)
