"""A full run after a demo keeps the demo's conversations when nothing that shapes them changed, and
trashes and re-imports them otherwise (issue 15, acceptance 4); what it kept then lives on like any
other conversation of the full run: delta appends and updates, re-migration removes it."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from connectors.registry import get_connector
from connectors.sample.generator import SampleDataset
from migrations_engine import demo_reuse
from migrations_engine.models import EngineState, FrontWrite, RecordMap, Run
from migrations_engine.services import start_run
from tests.engine.conftest import drive

CONFIG = {"tickets": 40, "seed": 11}


def _imports(front) -> int:
    return front.state()["counters"]["routes"].get("POST /inboxes/{inbox_id}/imported_messages", 0)


def _live_by_ticket(front, migration) -> dict[str, list[dict]]:
    """Conversations Frontport created that are not deleted, by source ticket id (whatever the lineage)."""
    namespace = EngineState.objects.get(migration=migration).namespace
    pattern = re.compile(rf"^ref:fp-{namespace}-([dg]\d+)-t(.+)$")
    out: dict[str, list[dict]] = {}
    for conversation in front.state()["conversations"]:
        match = pattern.match(conversation["thread_key"])
        if match and conversation["status"] != "deleted":
            out.setdefault(match.group(2), []).append(conversation | {"lineage": match.group(1)})
    return out


def _one_conversation_per_ticket(front, migration) -> dict[str, dict]:
    live = _live_by_ticket(front, migration)
    assert all(len(convs) == 1 for convs in live.values()), {t: len(c) for t, c in live.items() if len(c) > 1}
    done = set(RecordMap.objects.filter(migration=migration, entity="ticket", state="done",
                                        deleted_in_source=False).values_list("source_id", flat=True))
    assert set(live) == done
    return {ticket: convs[0] for ticket, convs in live.items()}


def _demo(migration):
    demo = drive(start_run(migration=migration, kind="demo"))
    assert demo.state == "completed", demo.recent_errors
    return demo


def test_unchanged_settings_keep_the_demo_conversations(migration, front):
    migration.source_config = {**CONFIG, "revision": 0}
    migration.save()
    demo = _demo(migration)
    kept_ids = set(RecordMap.objects.filter(migration=migration, entity="ticket", lineage=demo.lineage,
                                            state="done").values_list("source_id", flat=True))
    demo_conversations = {c["id"] for c in front.state()["conversations"]}
    assert len(kept_ids) >= 15 and len(demo_conversations) == len(kept_ids)
    imports_after_demo = _imports(front)

    full = drive(start_run(migration=migration, kind="full", settle_demo=True))
    assert full.state == "completed", full.recent_errors
    outcome = full.context["demo_data"]
    assert outcome["outcome"] == "kept" and outcome["changed"] == [] and outcome["demo_run"] == demo.pk
    assert outcome["kept_tickets"] == len(kept_ids) and outcome["removed"] == 0
    assert outcome["kept_messages"] > len(kept_ids)
    assert "were kept" in demo_reuse.outcome_sentence(outcome)

    by_ticket = _one_conversation_per_ticket(front, migration)
    # The demo's conversations are the ones kept, untouched; nothing of those tickets was imported again.
    assert {by_ticket[t]["id"] for t in kept_ids} == demo_conversations
    assert all(by_ticket[t]["lineage"] == demo.lineage for t in kept_ids)
    assert all(c["lineage"] == full.lineage for t, c in by_ticket.items() if t not in kept_ids)
    new_tickets = [t for t in by_ticket if t not in kept_ids]
    new_messages = sum(len(by_ticket[t]["messages"]) for t in new_tickets)
    assert _imports(front) - imports_after_demo == new_messages  # 0 re-imports of the demo's tickets
    assert front.state()["counters"]["duplicate_imports_refused"] == 0
    assert full.counters["tickets"]["done"] == len(by_ticket)
    # Its counters hold every message in Front: the kept ones and the ones it imported.
    assert full.counters["messages"]["done"] == sum(len(c["messages"]) for c in by_ticket.values())
    # The journal now holds the kept tickets under the full run's lineage; no demo data is left to remove.
    assert not FrontWrite.objects.filter(migration=migration, lineage__startswith="d", removed=False).exists()
    assert set(RecordMap.objects.filter(migration=migration, entity="ticket", state="done")
               .values_list("lineage", flat=True)) == {full.lineage}

    # The source moves on: the delta appends to and updates the kept conversations, never duplicating them.
    dataset = SampleDataset(**CONFIG, revision=1)
    Run.objects.filter(pk=full.pk).update(started_at=dataset.revision_time(1) - timedelta(seconds=1))
    migration.source_config = {**CONFIG, "revision": 1}
    migration.save()
    delta = drive(start_run(migration=migration, kind="delta"))
    assert delta.state == "completed", delta.recent_errors
    by_ticket = _one_conversation_per_ticket(front, migration)
    state = front.state()
    assert Counter(m["external_id"] for c in state["conversations"] for m in c["messages"]).most_common(1)[0][1] == 1
    assert state["counters"]["duplicate_imports_refused"] == 0
    connector = get_connector("sample", migration.source_config)
    appended = 0
    for ticket in (t for page in connector.tickets() for t in page.tickets):
        if ticket.source_id not in kept_ids or ticket.deleted or ticket.source_id not in by_ticket:
            continue
        conversation = by_ticket[ticket.source_id]
        public = [m.source_id for m in ticket.messages if m.kind != "private_note"]
        got = [m["external_id"].rsplit("-m", 1)[1] for m in conversation["messages"]]
        assert got == public, ticket.source_id  # every message once, in order, in the kept conversation
        appended += sum(f"-{full.lineage}-" in m["external_id"] for m in conversation["messages"])
        notes = [m for m in ticket.messages if m.kind == "private_note"]
        assert len(conversation["comments"]) >= len(notes)
    assert appended > 0  # the delta really added replies to conversations the demo created
    deleted_kept = [t for t in kept_ids if dataset.deleted_revision(int(t)) == 1]
    for ticket_id in deleted_kept:
        assert RecordMap.objects.get(migration=migration, entity="ticket", source_id=ticket_id).deleted_in_source

    # Re-migration removes everything the full lineage holds, the kept demo conversations included.
    remigration = drive(start_run(migration=migration, kind="remigration"))
    assert remigration.state == "completed", remigration.recent_errors
    by_ticket = _one_conversation_per_ticket(front, migration)
    assert all(c["lineage"] == remigration.lineage for c in by_ticket.values())


def test_a_changed_mapping_trashes_and_reimports_the_demo(migration, front):
    migration.source_config = CONFIG
    migration.save()
    demo = _demo(migration)
    demo_conversations = {c["id"] for c in front.state()["conversations"]}
    migration.status_map = {"pending": "archived"}  # the status mapping changed after the demo
    migration.save()
    full = drive(start_run(migration=migration, kind="full", settle_demo=True))
    assert full.state == "completed", full.recent_errors
    outcome = full.context["demo_data"]
    assert outcome["outcome"] == "replaced" and outcome["changed"] == ["status_map"]
    assert outcome["kept_tickets"] == 0 and outcome["removed"] == len(demo_conversations)
    assert "status mapping" in demo_reuse.outcome_sentence(outcome)
    state = front.state()
    assert all(c["status"] == "deleted" for c in state["conversations"] if c["id"] in demo_conversations)
    by_ticket = _one_conversation_per_ticket(front, migration)
    assert all(c["lineage"] == full.lineage for c in by_ticket.values()) and demo.lineage != full.lineage


def test_a_teammate_resolved_differently_in_front_is_a_change(migration, front):
    migration.source_config = CONFIG
    migration.save()
    demo = _demo(migration)
    teammates = demo.context["teammates"]
    agent = next(a for a, t in teammates.items() if t != demo.context["default_teammate"])
    migration.teammate_map = {agent: demo.context["default_teammate"]}
    migration.save()
    full = drive(start_run(migration=migration, kind="full", settle_demo=True))
    assert full.context["demo_data"]["changed"] == ["teammates"]
    assert full.context["demo_data"]["outcome"] == "replaced"
    _one_conversation_per_ticket(front, migration)


def test_without_the_option_the_demo_conversations_stay(migration, front):
    migration.source_config = CONFIG
    migration.save()
    demo = _demo(migration)
    full = drive(start_run(migration=migration, kind="full"))
    assert "demo_data" not in full.context
    live = _live_by_ticket(front, migration)
    assert any(c["lineage"] == demo.lineage for convs in live.values() for c in convs)


def test_settling_twice_keeps_the_first_outcome(migration, front):
    """A worker killed after the adoption committed: the next execution only finishes the removal."""
    migration.source_config = CONFIG
    migration.save()
    older = _demo(migration)
    demo = _demo(migration)  # a restarted demo: the older one's copies go, the latest one's are kept
    full = start_run(migration=migration, kind="full", settle_demo=True)
    from migrations_engine import context as run_context

    ctx = run_context.build(full)
    run_context.prepare(ctx)
    Run.objects.filter(pk=full.pk).update(context=full.context, counters=full.counters)
    first = demo_reuse.settle(run=full, client=ctx.client)
    assert first["outcome"] == "kept" and first["demo_run"] == demo.pk
    assert first["removed"] == older.counters["tickets"]["done"]
    again = demo_reuse.settle(run=Run.objects.get(pk=full.pk), client=ctx.client)
    assert again == first
    ctx.client.close()
    ctx.comment_client.close()


def test_the_cli_reuses_the_demo_and_says_so(migration, front):
    import io
    import json

    from django.core.management import call_command

    def cli(*args: str) -> dict:
        out = io.StringIO()
        call_command("migration", *args, stdout=out)
        return json.loads(out.getvalue())

    migration.source_config = CONFIG
    migration.save()
    demo = cli("run", str(migration.pk), "--kind", "demo", "--inline")
    assert demo["state"] == "completed" and "demo_data" not in demo
    full = cli("run", str(migration.pk), "--kind", "full", "--inline", "--reuse-demo-data")
    assert full["state"] == "completed" and full["demo_data"]["outcome"] == "kept"
    assert full["demo_data"]["kept_tickets"] == demo["counts"]["tickets"]["done"]
    assert "were kept" in full["demo_data"]["summary"]
    status = cli("status", str(migration.pk))
    latest = status["runs"][0]
    assert latest["kind"] == "full" and latest["demo_data"]["outcome"] == "kept"
    # Live progress keys are additive: the earlier ones are all still there.
    assert {"rate_per_min", "eta_seconds", "calls_per_ticket", "measuring", "records_eta_seconds",
            "budget_eta_seconds", "budget_rpm"} <= set(latest)
