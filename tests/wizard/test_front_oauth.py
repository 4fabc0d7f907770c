"""Connect Front through OAuth (the stand-in's OAuth server, the real database): the state check, a
declined authorization, the stored grant (encrypted), and workers renewing one grant at once."""

from __future__ import annotations

import re
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.db import connection, connections
from django.urls import reverse

from config.crypto import is_encrypted
from connectors.front import FrontClient
from connectors.front.budgets import PARTNER, BudgetPair, company_budget
from connectors.front.oauth import OAuthApp, OAuthSession
from sandbox.front import FrontStandin
from wizard.models import FrontOAuthGrant, GrantTokenStore, Migration

CLIENT_ID, SECRET = "test-oauth-client", "test-oauth-secret"  # the stand-in's OAuth app


@pytest.fixture
def standin():
    with FrontStandin(token="unused-token", rpm=6000, partner_rpm=6000, process_delay_s=0.05,  # noqa: S106
                      oauth_client_id=CLIENT_ID, oauth_client_secret=SECRET) as s:
        yield s


@pytest.fixture
def oauth_settings(settings, standin):
    settings.FRONT_OAUTH_CLIENT_ID, settings.FRONT_OAUTH_CLIENT_SECRET = CLIENT_ID, SECRET
    settings.FRONT_OAUTH_URL = settings.FRONT_OAUTH_API_URL = standin.url
    settings.ALLOW_PRIVATE_URLS = True
    settings.SITE_URL = "http://testserver"
    return settings


def authorize(standin: FrontStandin, location: str, *, who: str = "Ada", decision: str = "approve") -> str:
    """Play the admin on the stand-in's page; returns where Front sends the browser back."""
    page = httpx.get(location)
    teammate = re.search(rf'<option value="([^"]+)">{who}', page.text).group(1)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    answer = httpx.post(f"{standin.url}/oauth/authorize", data={
        "client_id": query["client_id"], "redirect_uri": query["redirect_uri"], "state": query["state"],
        "teammate": teammate, "decision": decision})
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"]
    return back[len("http://testserver"):]


@pytest.mark.django_db
def test_connect_with_front_stores_an_encrypted_grant(oauth_settings, standin, owner_client, migration):
    page = owner_client.get(reverse("wizard:connect", args=[migration.pk]))
    assert b"Connect with Front" in page.content
    start = owner_client.post(reverse("wizard:front_oauth_start", args=[migration.pk]))
    assert start.status_code == 302 and start["Location"].startswith(f"{standin.url}/oauth/authorize?")
    done = owner_client.get(authorize(standin, start["Location"]), follow=True)
    assert "Connected to Acme Support (Front sandbox) with Front&#x27;s OAuth" in done.content.decode()
    grant = FrontOAuthGrant.objects.get(migration=migration)
    assert grant.usable and grant.access_token.startswith("fo_")
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM wizard_frontoauthgrant WHERE id = %s", [grant.pk])
        raw = cursor.fetchone()
    assert all(is_encrypted(v) for v in raw) and grant.refresh_token not in raw[1]
    migration.refresh_from_db()
    assert migration.front_company_name == "Acme Support (Front sandbox)"
    # The connect step now saves without an API token (the form's token is optional with OAuth).
    page = owner_client.get(reverse("wizard:connect", args=[migration.pk]))
    assert b'data-testid="front-oauth-connected"' in page.content


@pytest.mark.django_db
def test_a_state_that_was_not_started_here_changes_nothing(oauth_settings, standin, owner_client, migration):
    owner_client.post(reverse("wizard:front_oauth_start", args=[migration.pk]))
    answer = owner_client.get("/front/oauth/callback/?code=abc&state=forged", follow=True)
    assert "did not match a connection started here" in answer.content.decode()
    assert not FrontOAuthGrant.objects.exists()


@pytest.mark.django_db
def test_a_declined_authorization_is_said_in_plain_words(oauth_settings, standin, owner_client, migration):
    start = owner_client.post(reverse("wizard:front_oauth_start", args=[migration.pk]))
    answer = owner_client.get(authorize(standin, start["Location"], decision="decline"), follow=True)
    assert "Only an administrator of your Front company can approve it" in answer.content.decode()
    assert not FrontOAuthGrant.objects.exists()


@pytest.mark.django_db
def test_someone_else_cannot_finish_a_connection(oauth_settings, standin, owner_client, migration, other_user, client):
    start = owner_client.post(reverse("wizard:front_oauth_start", args=[migration.pk]))
    back = authorize(standin, start["Location"])
    client.force_login(other_user)  # another session: its own (empty) states
    answer = client.get(back, follow=True)
    assert "did not match a connection started here" in answer.content.decode()
    assert not FrontOAuthGrant.objects.exists()


def _grant(standin: FrontStandin, owner) -> FrontOAuthGrant:
    from wizard.models import save_grant

    location = OAuthApp(client_id=CLIENT_ID, client_secret=SECRET, oauth_url=standin.url).authorize_url(
        redirect_uri="http://testserver/front/oauth/callback/", state="x")
    code = parse_qs(urlsplit("http://testserver" + authorize(standin, location)).query)["code"][0]
    app = OAuthApp(client_id=CLIENT_ID, client_secret=SECRET, oauth_url=standin.url)
    tokens = app.exchange(code=code, redirect_uri="http://testserver/front/oauth/callback/")
    app.close()
    migration = Migration.objects.create(owner=owner, name="oauth")
    save_grant(migration_id=migration.pk, tokens=tokens)
    return FrontOAuthGrant.objects.get(migration=migration)


@pytest.mark.django_db(transaction=True)
def test_workers_renewing_at_once_all_keep_working(oauth_settings, standin, owner):
    """Six workers (threads, each its own database connection and client) find the access token stale at
    the same moment: exactly one refresh reaches Front, the rotated pair is saved, every call succeeds."""
    grant = _grant(standin, owner)
    FrontOAuthGrant.objects.filter(pk=grant.pk).update(expires_at=time.time() - 1)  # stale for everyone
    workers, barrier, results, errors = 6, threading.Barrier(6), [], []
    key = f"t-{uuid.uuid4().hex}"

    def worker() -> None:
        try:
            app = OAuthApp(client_id=CLIENT_ID, client_secret=SECRET, oauth_url=standin.url)
            session = OAuthSession(app, GrantTokenStore(grant.pk))
            client = FrontClient(token="", api_url=standin.url, oauth=session,
                                 budget=BudgetPair({PARTNER: company_budget(key, PARTNER)}))
            barrier.wait()
            results.extend(client.me()["id"] for _ in range(3))
            client.close()
            app.close()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 3 * workers
    oauth = standin.oauth.as_dict()
    assert oauth.get("refreshes") == 1 and not oauth.get("refresh_refused"), oauth
    assert set(standin.state()["counters"]["statuses"]) == {"200"}
    row = FrontOAuthGrant.objects.get(pk=grant.pk)
    assert row.version == 1 and row.refresh_token in standin.oauth.refresh  # the rotated one was kept
    assert row.refresh_token != grant.refresh_token


@pytest.mark.django_db
def test_a_refused_refresh_marks_the_grant_revoked(oauth_settings, standin, owner):
    from connectors.front.oauth import ReconnectNeeded

    grant = _grant(standin, owner)
    standin.oauth.revoke()
    FrontOAuthGrant.objects.filter(pk=grant.pk).update(expires_at=time.time() - 1)
    app = OAuthApp(client_id=CLIENT_ID, client_secret=SECRET, oauth_url=standin.url)
    session = OAuthSession(app, GrantTokenStore(grant.pk))
    with pytest.raises(ReconnectNeeded):
        session.fresh()
    assert FrontOAuthGrant.objects.get(pk=grant.pk).revoked_at is not None
    app.close()


@pytest.mark.django_db
def test_a_run_paused_for_reconnect_offers_the_button(oauth_settings, standin, owner_client, migration):
    from connectors.front.oauth import RECONNECT_MESSAGE
    from migrations_engine.models import Run

    Migration.objects.filter(pk=migration.pk).update(furthest_step=Migration.Step.FULL)
    run = Run.objects.create(migration=migration, kind="full", state="paused", lineage="f0",
                             reason=f"Paused: {RECONNECT_MESSAGE}",
                             context={"front_budgets": {"partner": {"calls": 60, "limit": 120, "share": 1.0}}},
                             elapsed_seconds=60)
    page = owner_client.get(reverse("wizard:progress", args=[migration.pk, run.pk])).content.decode()
    assert 'data-testid="reconnect-front"' in page and "Reconnect Front" in page
    assert 'data-testid="budget-partner"' in page and "50.0 %" in page  # 60 calls of 120 in a minute
    start = owner_client.post(reverse("wizard:front_oauth_start", args=[migration.pk]),
                              {"next": reverse("wizard:full", args=[migration.pk])})
    back = owner_client.get(authorize(standin, start["Location"]))
    assert back["Location"] == reverse("wizard:full", args=[migration.pk])
    run.refresh_from_db()
    assert run.state == Run.State.RUNNING  # resumed where it stopped
