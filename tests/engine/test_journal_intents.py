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
