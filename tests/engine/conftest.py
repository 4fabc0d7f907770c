"""Engine test helpers: a migration pointed at a Front stand-in, and a driver that runs chunks in-process."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from sandbox.front import FrontStandin
from sandbox.front.pytest_plugin import FRONT_TEST_TOKEN
from wizard.models import Migration


@pytest.fixture
def front():
    # Requests are validated against Front's OpenAPI document; the stand-in's own answers are checked by
    # the Front client's tests, so they are not re-validated here (it halves the time of these tests).
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, latency_ms=0,
                      process_delay_s=0.02, validate_responses=False) as standin:
        yield standin


@pytest.fixture
def strict_front(standin_strict):
    """The Front stand-in in the same reading as the source (unknown tag names ignored on import...)."""
    with FrontStandin(token=FRONT_TEST_TOKEN, rpm=100_000, burst_per_second=100_000, latency_ms=0,
                      process_delay_s=0.02, validate_responses=False, strict=standin_strict) as standin:
        yield standin


@pytest.fixture
def zendesk_small():
    from sandbox.zendesk import ZendeskStandin

    with ZendeskStandin(tickets=40, seed=3) as standin:
        yield standin


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="owner", email="owner@example.com", password="x" * 12)


def make_migration(*, owner, front, source_type="sample", source_config=None, name="Test migration", **extra):
    fields = {
        "owner": owner, "name": name, "source_type": source_type,
        "source_config": source_config if source_config is not None else {"tickets": 30, "seed": 7},
        "front_api_url": front.url, "front_token": FRONT_TEST_TOKEN, "front_inbox_id": front.inbox_id(),
        "selected_objects": {"tickets": True, "contacts": True, "agents": True},
        "options": {"tag": "migrated"}, "status_tag": True,
    }
    fields.update(extra)
    return Migration.objects.create(**fields)


@pytest.fixture
def migration(owner, front):
    return make_migration(owner=owner, front=front)


def drive(run, *, max_chunks: int = 500):
    """Execute a run's chunks in this process until it is no longer running (what a worker does)."""
    import time

    from migrations_engine import runner
    from migrations_engine.models import Run

    for _ in range(max_chunks):
        run.refresh_from_db()
        if run.state != Run.State.RUNNING:
            return run
        outcome = runner.execute_chunk(run.pk)
        if outcome == "wait":
            Run.objects.filter(pk=run.pk).update(resume_at=None)
            time.sleep(0.2)
    raise AssertionError(f"run {run.pk} did not finish: {run.state}")
