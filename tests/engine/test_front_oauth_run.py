"""A run on Front's OAuth connection alone: the grant revoked mid-run pauses it with "Reconnect Front";
connecting again resumes it, and every ticket ends in Front exactly once."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connectors.front.oauth import OAuthApp
from migrations_engine import selectors
from migrations_engine.models import RecordMap, Run
from migrations_engine.services import start_run
from sandbox.front import FrontStandin
from tests.engine.conftest import drive, make_migration
from wizard import run_services
from wizard.models import save_grant

CLIENT_ID, SECRET = "engine-oauth-client", "engine-oauth-secret"
REDIRECT = "http://testserver/front/oauth/callback/"
TICKETS = 40


def grant_tokens(front: FrontStandin):
    app = OAuthApp(client_id=CLIENT_ID, client_secret=SECRET, oauth_url=front.url)
    location = app.authorize_url(redirect_uri=REDIRECT, state="s")
    page = httpx.get(location)
    admin = re.search(r'<option value="([^"]+)">Ada', page.text).group(1)
    answer = httpx.post(f"{front.url}/oauth/authorize", data={
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT, "state": "s", "teammate": admin, "decision": "approve"})
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    try:
        return app.exchange(code=code, redirect_uri=REDIRECT)
    finally:
        app.close()


@pytest.mark.django_db(transaction=True)
def test_revoked_grant_pauses_and_reconnecting_resumes_without_duplicates(owner, settings):
    settings.FRONT_OAUTH_CLIENT_ID, settings.FRONT_OAUTH_CLIENT_SECRET = CLIENT_ID, SECRET
    with FrontStandin(token="unused", rpm=100_000, partner_rpm=100_000, burst_per_second=100_000,  # noqa: S106
                      process_delay_s=0.02, validate_responses=False, oauth_client_id=CLIENT_ID,
                      oauth_client_secret=SECRET, oauth_token_ttl=2) as front:
        settings.FRONT_OAUTH_URL = settings.FRONT_OAUTH_API_URL = front.url
        migration = make_migration(owner=owner, front=front, front_token="",
                                   source_config={"tickets": TICKETS, "seed": 11})
        save_grant(migration_id=migration.pk, tokens=grant_tokens(front))
        stop = threading.Event()

        def revoke_mid_run() -> None:  # the admin removes the app while the run is importing
            while not stop.is_set():
                if front.state()["counters"]["spent"].get("partner", 0) >= 60:
                    front.oauth.revoke()
                    return
                time.sleep(0.01)

        watcher = threading.Thread(target=revoke_mid_run)
        watcher.start()
        try:
            run = drive(start_run(migration=migration, kind="full"))
        finally:
            stop.set()
            watcher.join()
        assert run.state == Run.State.PAUSED, (run.state, run.reason)
        assert "Reconnect Front" in run.reason
        assert selectors.run_progress(run=run).reconnect_front
        handled_before = sum(run.counters["tickets"].get(s, 0) for s in ("done", "failed", "skipped"))
        assert handled_before < TICKETS
        assert front.state()["counters"]["spent"].get("token", 0) == 0  # OAuth alone: nothing on a token

        save_grant(migration_id=migration.pk, tokens=grant_tokens(front))  # what the callback stores
        assert run_services.resume_after_front_reconnect(migration=migration) == [run.pk]
        run = drive(Run.objects.get(pk=run.pk))
        assert run.state == Run.State.COMPLETED, (run.state, run.reason, run.recent_errors)
        state = front.state()
    assert front.oauth.as_dict().get("refreshes", 0) >= 1  # the 2 s token was renewed along the way
    external_ids = Counter(m["external_id"] for c in state["conversations"] for m in c["messages"])
    assert external_ids and max(external_ids.values()) == 1
    states = Counter(RecordMap.objects.filter(migration=migration, entity="ticket").values_list("state", flat=True))
    assert states["pending"] == 0 and states["failed"] == 0, states
    assert sum(states.values()) == TICKETS
    budgets = selectors.run_progress(run=run).budgets
    assert [b["kind"] for b in budgets] == ["partner"] and budgets[0]["calls"] > 0
