"""A worker dying between a comment's intent and its POST: the next execution finds the intent and
finishes the job exactly once (docs/engine.md, the journal protocol), for notes and custom fields."""

from __future__ import annotations

import pytest

from connectors.registry import get_connector
from migrations_engine import finish
from migrations_engine.models import FrontWrite
from migrations_engine.services import start_run
from tests.engine.compare import check_fidelity
from tests.engine.conftest import drive


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing of the engine catches it, the intent stays in the journal."""


@pytest.mark.parametrize("what", [":cf:", ":note:"])
def test_intent_left_by_a_crash_is_completed_once(migration, front, monkeypatch, what):
    migration.source_config = {"tickets": 30, "seed": 7}
    migration.custom_fields = "comment"
    migration.save()
    run = start_run(migration=migration, kind="full")
    real_post = finish._post_once
    crashed: list[str] = []

    def dies_once(ctx, work, *, key, **kwargs):
        if what in key and not crashed:
            crashed.append(key)
            raise WorkerKilled
        return real_post(ctx, work, key=key, **kwargs)

    monkeypatch.setattr(finish, "_post_once", dies_once)
    with pytest.raises(WorkerKilled):
        drive(run)
    assert FrontWrite.objects.get(key=crashed[0]).state == "intent"
    monkeypatch.setattr(finish, "_post_once", real_post)
    run = drive(run)
    assert run.state == "completed", (run.reason, run.recent_errors)
    assert FrontWrite.objects.get(key=crashed[0]).state == "sent"
    # Every note and custom-fields comment once, none missing.
    check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                   state=front.state())


def test_retry_failed_posts_the_note_front_refused(migration, front, monkeypatch):
    from connectors.front import FrontClient, InvalidRequest
    from migrations_engine.models import RecordMap
    from migrations_engine.services import retry_failed

    migration.source_config = {"tickets": 30, "seed": 7}
    migration.save()
    real_add = FrontClient.add_comment
    refused: list[str] = []

    def refuses_once(self, conversation_id, *, body, **kwargs):
        if not refused and "Custom fields from the source" not in body:
            refused.append(conversation_id)
            raise InvalidRequest("Front refused this comment (simulated 400).")
        return real_add(self, conversation_id, body=body, **kwargs)

    monkeypatch.setattr(FrontClient, "add_comment", refuses_once)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed" and run.counters["tickets"]["failed"] == 1
    failed = RecordMap.objects.get(migration=migration, entity="ticket", state="failed")
    assert "simulated 400" in failed.reason

    retry = drive(retry_failed(migration=migration))
    assert retry.state == "completed", (retry.reason, retry.recent_errors)
    failed.refresh_from_db()
    assert failed.state == "done" and retry.counters["notes"]["done"] == 1
    check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                   state=front.state())


@pytest.mark.parametrize("left", ["intent", "sent"])
def test_a_comment_another_execution_claimed_is_not_posted_again(migration, front, monkeypatch, left):
    """An execution that took the run over claimed a note before this one could (its INSERT won), posted
    it and died before confirming it ("intent"), or confirmed it ("sent"). This execution does not post
    it again: its claim leaves the other's row alone, and that row, read afresh, decides."""
    migration.source_config = {"tickets": 30, "seed": 7}
    migration.save()
    real = finish._post_comments
    other: list[str] = []

    def other_execution_first(ctx, work, comments):
        note = next((c for c in comments if ":note:" in c.key), None)
        if note is not None and not other:
            other.append(note.key)
            # This execution's claim lost: it holds no row of the note.
            work.claimed.discard(note.key)
            work.journal.pop(note.key, None)
            comment_id = finish._post_once(ctx, work, key=note.key, body=note.body, author_id=note.author_id,
                                           attachments=note.attachments)
            FrontWrite.objects.update_or_create(
                migration=migration, key=note.key,
                defaults={"run": ctx.run, "lineage": ctx.lineage, "kind": "comment", "source_id": note.source_id,
                          "ticket_source_id": work.ticket.source_id, "state": left,
                          "comment_id": comment_id if left == "sent" else "",
                          "conversation_id": work.conversation_id})
        return real(ctx, work, comments)

    monkeypatch.setattr(finish, "_post_comments", other_execution_first)
    run = drive(start_run(migration=migration, kind="full"))
    assert run.state == "completed", (run.reason, run.recent_errors)
    row = FrontWrite.objects.get(key=other[0])
    assert row.state == "sent" and row.comment_id
    # Every note once: the other execution's is not doubled, none is missing.
    check_fidelity(migration=migration, run=run, connector=get_connector("sample", migration.source_config),
                   state=front.state())


def _bare(migration):
    from types import SimpleNamespace

    ctx = SimpleNamespace(migration=migration, run=SimpleNamespace(pk=None), lineage="g0")

    def work():
        return SimpleNamespace(ticket=SimpleNamespace(source_id="7"), journal={}, unsaved={}, claimed=set())

    return ctx, work


def test_claiming_intents_inserts_only_keys_no_execution_wrote(migration):
    """One INSERT for a ticket's intents; a key already in the database is neither overwritten nor
    returned (PostgreSQL and SQLite alike, one row or several)."""
    from migrations_engine.journal import claim_intents

    ctx, work = _bare(migration)
    first = work()
    assert claim_intents(ctx, first, {"g0:note:7:1": "1"}, conversation_id="cnv_1") == {"g0:note:7:1"}
    assert first.claimed == {"g0:note:7:1"}
    assert first.journal["g0:note:7:1"].pk == FrontWrite.objects.get(key="g0:note:7:1").pk
    FrontWrite.objects.filter(key="g0:note:7:1").update(state="sent", comment_id="com_1")

    second = work()
    assert claim_intents(ctx, second, {"g0:note:7:1": "1"}, conversation_id="cnv_1") == set()
    assert second.journal == {} and second.claimed == set()
    mixed = claim_intents(ctx, second, {"g0:note:7:1": "1", "g0:note:7:2": "2", "g0:note:7:3": "3"},
                          conversation_id="cnv_1")
    assert mixed == {"g0:note:7:2", "g0:note:7:3"} == second.claimed
    assert set(second.journal) == mixed
    assert FrontWrite.objects.get(key="g0:note:7:1").state == "sent"  # the other's row is left alone
    assert FrontWrite.objects.filter(migration=migration, state="intent").count() == 2
    assert claim_intents(ctx, second, {}) == set()


def test_a_first_uid_carries_the_intents_it_can_claim(migration):
    """The first uid and the ticket's intents go in one INSERT; an intent another execution wrote is left
    to it, and a uid row another execution wrote is updated rather than refused."""
    from migrations_engine.journal import write_entry

    ctx, work = _bare(migration)
    other = work()
    write_entry(ctx, other, kind="comment", key="g0:note:7:2", source_id="2", state="sent", comment_id="com_2")
    ours = work()
    write_entry(ctx, ours, kind="message", key="ext-7-1", source_id="1", state="sent", message_uid="uid_1",
                intents={"g0:note:7:1": "1", "g0:note:7:2": "2"})
    assert ours.claimed == {"g0:note:7:1"}
    assert FrontWrite.objects.get(key="ext-7-1").message_uid == "uid_1"
    assert FrontWrite.objects.get(key="g0:note:7:1").state == "intent"
    assert FrontWrite.objects.get(key="g0:note:7:2").state == "sent"
    assert "g0:note:7:2" not in ours.journal

    again = work()  # an execution that did not know of the first: its uid row wins, no intent is claimed
    row = write_entry(ctx, again, kind="message", key="ext-7-1", source_id="1", state="sent", message_uid="uid_9",
                      intents={"g0:note:7:1": "1"})
    assert row.pk == FrontWrite.objects.get(key="ext-7-1").pk and row.message_uid == "uid_9"
    assert FrontWrite.objects.get(key="ext-7-1").message_uid == "uid_9"
    assert again.claimed == set()


def test_saving_rows_updates_known_ones_in_place_and_inserts_new_ones(migration):
    """`save_rows` (an upsert, where `bulk_update` wrote a CASE per field) on both databases: a known row
    is updated through its unique key even though its primary key is in the INSERT, a new one is added,
    and nothing else changes."""
    from migrations_engine.journal import MUTABLE_FIELDS, save_rows

    def row(note: int, **values) -> FrontWrite:
        return FrontWrite(migration=migration, lineage="g0", kind="comment", key=f"g0:note:7:{note}",
                          ticket_source_id="7", source_id=str(note), **values)

    kept = row(0, state="sent")
    kept.save()
    known = row(1, state="intent")
    known.save()
    known.state, known.comment_id, known.conversation_id = "sent", "com_1", "cnv_1"
    save_rows(FrontWrite, [known, row(2, state="intent")], unique_fields=["migration", "key"],
              update_fields=MUTABLE_FIELDS)
    rows = {r.key: r for r in FrontWrite.objects.filter(migration=migration)}
    assert set(rows) == {"g0:note:7:0", "g0:note:7:1", "g0:note:7:2"}
    assert rows["g0:note:7:1"].pk == known.pk
    assert (rows["g0:note:7:1"].state, rows["g0:note:7:1"].comment_id, rows["g0:note:7:1"].conversation_id) == (
        "sent", "com_1", "cnv_1")
    assert rows["g0:note:7:2"].state == "intent"
    assert rows["g0:note:7:0"].pk == kept.pk and rows["g0:note:7:0"].state == "sent"
