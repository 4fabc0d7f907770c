"""Full twice, then delta after source changes, then delta again: exactly one conversation per ticket,
each message once, deletions marked (issue 5, acceptance 2)."""

from collections import Counter
from datetime import timedelta

from connectors.registry import get_connector
from connectors.sample.generator import SampleDataset
from migrations_engine import selectors
from migrations_engine.models import RecordMap, Run
from migrations_engine.services import start_run
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive

CONFIG = {"tickets": 60, "seed": 11}


def _imports(front) -> int:
    return front.state()["counters"]["routes"].get("POST /inboxes/{inbox_id}/imported_messages", 0)


def _writes(front) -> int:
    routes = front.state()["counters"]["routes"]
    return sum(n for route, n in routes.items() if not route.startswith("GET"))


def test_full_twice_then_delta_then_delta_again(migration, front):
    migration.source_config = {**CONFIG, "revision": 0}
    migration.save()
    first = drive(start_run(migration=migration, kind="full"))
    assert first.state == "completed"
    imports = _imports(front)
    assert imports > 60

    second = drive(start_run(migration=migration, kind="full"))
    assert second.state == "completed"
    assert _imports(front) == imports  # nothing imported twice
    assert second.counters["tickets"]["done"] == first.counters["tickets"]["done"]

    # The source changes: replies and notes added, statuses and tags changed, tickets deleted. The sample's
    # clock is synthetic, so the last run "started" just before the changes happened.
    dataset = SampleDataset(**CONFIG, revision=1)
    Run.objects.filter(pk=second.pk).update(started_at=dataset.revision_time(1) - timedelta(seconds=1))
    migration.source_config = {**CONFIG, "revision": 1}
    migration.save()
    delta = drive(start_run(migration=migration, kind="delta"))
    assert delta.state == "completed", delta.recent_errors
    assert delta.counters["tickets"]["done"] > 0
    state = front.state()
    connector = get_connector("sample", migration.source_config)
    seen = check_fidelity(migration=migration, run=delta, connector=connector, state=state)
    assert seen["tickets"] > 40

    external_ids = Counter(m["external_id"] for c in state["conversations"] for m in c["messages"])
    assert external_ids and max(external_ids.values()) == 1
    deleted = RecordMap.objects.filter(migration=migration, entity="ticket", deleted_in_source=True)
    changed_deleted = [i for i in range(1, 61) if dataset.deleted_revision(i) == 1]
    assert {r.source_id for r in deleted} >= {str(i) for i in changed_deleted}
    report = {r["source_id"]: r for r in selectors.report_rows(migration=migration, entity="ticket")}
    for i in changed_deleted:
        assert report[str(i)]["deleted_in_source"] and "deleted" in report[str(i)]["reason"].lower()
        conv = next(c for c in state["conversations"] if c["id"] == report[str(i)]["front_id"])
        assert conv["status"] == "deleted"

    # Delta again over the same changes: nothing is written a second time.
    Run.objects.filter(pk=delta.pk).update(started_at=dataset.revision_time(1) - timedelta(seconds=1))
    writes = _writes(front)
    again = drive(start_run(migration=migration, kind="delta"))
    assert again.state == "completed"
    assert _writes(front) == writes
    assert again.counters["tickets"]["done"] > 0


def test_revision_bump_is_seen_by_delta_without_touching_the_clock(migration, front):
    """What an offline try-out does: full run at revision 0, switch the sample to revision 1, delta. The
    sample's revisions are dated in the past; the delta still finds every change after the full run."""
    migration.source_config = {**CONFIG, "revision": 0}
    migration.save()
    full = drive(start_run(migration=migration, kind="full"))
    assert full.state == "completed"
    dataset = SampleDataset(**CONFIG, revision=1)
    changed = {str(i) for i in range(1, dataset.total_ticket_ids() + 1) if dataset.last_touched(i) == 1}
    assert changed
    migration.source_config = {**CONFIG, "revision": 1}
    migration.save()
    delta = drive(start_run(migration=migration, kind="delta"))
    assert delta.state == "completed", delta.recent_errors
    handled = set(RecordMap.objects.filter(migration=migration, entity="ticket", last_run=delta)
                  .values_list("source_id", flat=True))
    assert changed <= handled  # every changed, new or deleted ticket was looked at
    assert len(handled) <= len(changed) + 2  # and not the whole help desk again
    assert delta.counters["messages"]["done"] > 0
    state = front.state()
    # Replies appended in place, status and tags updated, deletions set to deleted: field by field.
    check_fidelity(migration=migration, run=delta, connector=get_connector("sample", migration.source_config),
                   state=state)
    external_ids = Counter(m["external_id"] for c in state["conversations"] for m in c["messages"])
    assert max(external_ids.values()) == 1
    deleted_now = {str(i) for i in range(1, 61) if dataset.deleted_revision(i) == 1}
    assert deleted_now and deleted_now <= set(RecordMap.objects.filter(
        migration=migration, entity="ticket", deleted_in_source=True).values_list("source_id", flat=True))
