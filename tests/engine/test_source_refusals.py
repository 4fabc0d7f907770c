"""A permanent answer is not transient (issue 13, item 4): a source refusing an account-level call pauses
the run at once, naming the endpoint; a listing the product can live without degrades to a warning in the
run's report and the run completes."""

from __future__ import annotations

import pytest

from migrations_engine import runner, selectors
from migrations_engine.models import Run
from migrations_engine.services import start_run
from sandbox.freshdesk import FreshdeskStandin
from sandbox.helpscout import HelpScoutStandin
from sandbox.zendesk import ZendeskStandin
from tests.engine.conftest import drive, make_migration


def _zendesk(refused: str, status: int):
    standin = ZendeskStandin(tickets=12, seed=3)
    standin.refuse(refused, status)
    return standin, "zendesk", lambda s: s.admin_config()


def _helpscout(refused: str, status: int):
    standin = HelpScoutStandin(tickets=12, seed=3)
    standin.app.refuse(refused, status)
    return standin, "helpscout", lambda s: s.config


def _freshdesk(refused: str, status: int):
    standin = FreshdeskStandin(tickets=12, seed=3)
    standin.app.refuse(refused, status)
    return standin, "freshdesk", lambda s: s.config


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "refused", "status", "endpoint"), [
    (_zendesk, "/api/v2/incremental/tickets/cursor", 404, "GET /api/v2/incremental/tickets/cursor.json"),
    (_zendesk, "/api/v2/users", 403, "GET /api/v2/users.json"),
    (_helpscout, "/v2/conversations", 404, "GET /v2/conversations"),
    (_freshdesk, "/api/v2/tickets", 403, "GET /api/v2/tickets"),
    (_freshdesk, "/api/v2/agents", 404, "GET /api/v2/agents"),
], ids=["zendesk-export-404", "zendesk-users-403", "helpscout-list-404", "freshdesk-list-403", "freshdesk-agents-404"])
def test_refused_account_listing_pauses_within_one_chunk(owner, front, make, refused, status, endpoint):
    standin, source_type, config = make(refused, status)
    with standin:
        migration = make_migration(owner=owner, front=front, source_type=source_type, source_config=config(standin))
        run = start_run(migration=migration, kind="full")
        assert runner.execute_chunk(run.pk) == "done"  # one chunk, no back-off ("wait")
    run.refresh_from_db()
    assert run.state == Run.State.PAUSED, (run.state, run.reason)
    assert endpoint in run.reason and f"HTTP {status}" in run.reason
    assert "Waiting will not change" in run.reason and run.resume_at is None
    assert (run.counters or {}).get("tickets", {}).get("done", 0) == 0
    assert any(endpoint in e["message"] for e in run.recent_errors)


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "refused", "words"), [
    (_zendesk, "/api/v2/deleted_users", "deleted users"),
    (_zendesk, "/api/v2/tickets/count", "ticket count"),
    (_freshdesk, "/api/v2/products", "products"),
    (_helpscout, "/v2/mailboxes/{id}/fields", "custom fields"),
], ids=["zendesk-deleted-users", "zendesk-count", "freshdesk-products", "helpscout-fields"])
def test_missing_optional_listing_is_a_warning_in_the_report(owner, front, make, refused, words):
    standin, source_type, config = make(refused, 404)
    with standin:
        migration = make_migration(owner=owner, front=front, source_type=source_type, source_config=config(standin))
        run = drive(start_run(migration=migration, kind="full"))
    assert run.state == Run.State.COMPLETED, (run.reason, run.recent_errors)
    assert run.counters["tickets"]["done"] >= 10
    warnings = selectors.run_progress(run=run).warnings
    assert any(words in w and "not available" in w and "HTTP 404" in w for w in warnings), warnings
    assert len(warnings) == len(set(warnings))
