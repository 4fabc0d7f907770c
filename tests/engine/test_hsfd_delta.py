"""Delta runs from Help Scout and Freshdesk: changes appended in place, deletions marked, nothing twice."""

from collections import Counter
from datetime import timedelta

import pytest

from connectors.registry import get_connector
from connectors.sample.generator import SampleDataset
from migrations_engine.models import RecordMap, Run
from migrations_engine.services import start_run
from sandbox.freshdesk import FreshdeskStandin
from sandbox.helpscout import HelpScoutStandin
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive, make_migration

TICKETS, SEED = 40, 11


def _full_then_delta(*, owner, front, standin, source_type: str) -> None:
    migration = make_migration(owner=owner, front=front, source_type=source_type, source_config=standin.config)
    full = drive(start_run(migration=migration, kind="full"))
    assert full.state == "completed", full.recent_errors
    # The account changes: replies and notes added, statuses changed, tickets deleted and created.
    dataset = SampleDataset(tickets=TICKETS, seed=SEED, revision=1)
    standin.app.set_revision(1)
    Run.objects.filter(pk=full.pk).update(started_at=dataset.revision_time(1) - timedelta(seconds=1))
    delta = drive(start_run(migration=migration, kind="delta"))
    assert delta.state == "completed", delta.recent_errors
    assert delta.counters["tickets"]["done"] > 0
    state = front.state()
    check_fidelity(migration=migration, run=delta, connector=get_connector(source_type, standin.config), state=state)
    external_ids = Counter(m["external_id"] for c in state["conversations"] for m in c["messages"])
    assert max(external_ids.values()) == 1  # every message once
    deleted_now = {str(i) for i in range(1, TICKETS + 1) if dataset.deleted_revision(i) == 1}
    assert deleted_now, "the revision deletes some tickets"
    marked = set(RecordMap.objects.filter(migration=migration, entity="ticket", deleted_in_source=True)
                 .values_list("source_id", flat=True))
    assert deleted_now <= marked


@pytest.mark.django_db
def test_freshdesk_delta(owner, front):
    with FreshdeskStandin(tickets=TICKETS, seed=SEED) as fd:
        _full_then_delta(owner=owner, front=front, standin=fd, source_type="freshdesk")


@pytest.mark.django_db
def test_helpscout_delta(owner, front):
    with HelpScoutStandin(tickets=TICKETS, seed=SEED) as hs:
        _full_then_delta(owner=owner, front=front, standin=hs, source_type="helpscout")
