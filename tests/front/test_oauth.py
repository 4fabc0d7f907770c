"""Front OAuth against the stand-in's OAuth server: the authorize page, the token endpoint, the partner
budget, the renewal in FrontAuth (before expiry, once on a 401), revocation, and the two budgets spread."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest

from connectors.front import FrontClient
from connectors.front.budgets import PARTNER, TOKEN, BudgetPair, company_budget
from connectors.front.oauth import MemoryTokenStore, OAuthApp, OAuthSession, ReconnectNeeded
from sandbox.front import FrontStandin
from sandbox.front.oauth import NOT_ADMIN

TOKEN_VALUE = "oauth-test-token"  # noqa: S105 - the stand-in's API token
REDIRECT = "http://127.0.0.1:9/front/oauth/callback/"


@pytest.fixture
def standin():
    with FrontStandin(token=TOKEN_VALUE, rpm=6000, partner_rpm=6000, process_delay_s=0.05,
                      oauth_token_ttl=3600) as s:
        yield s


def approve(standin: FrontStandin, *, who: str = "Ada", decision: str = "approve", state: str = "st") -> httpx.Response:
    page = httpx.get(f"{standin.url}/oauth/authorize", params={
        "response_type": "code", "client_id": standin.oauth.client_id, "redirect_uri": REDIRECT, "state": state})
    assert page.status_code == 200
    teammate = re.search(rf'<option value="([^"]+)">{who}', page.text).group(1)
    return httpx.post(f"{standin.url}/oauth/authorize", data={
        "client_id": standin.oauth.client_id, "redirect_uri": REDIRECT, "state": state, "teammate": teammate,
        "decision": decision})


def app_for(standin: FrontStandin, **kwargs) -> OAuthApp:
    return OAuthApp(client_id=standin.oauth.client_id, client_secret=standin.oauth.client_secret,
                    oauth_url=standin.url, **kwargs)


def connect(standin: FrontStandin) -> tuple[OAuthApp, OAuthSession]:
    answer = approve(standin)
    code = re.search(r"code=([^&]+)", answer.headers["location"]).group(1)
    app = app_for(standin)
    tokens = app.exchange(code=code, redirect_uri=REDIRECT)
    return app, OAuthSession(app, MemoryTokenStore(tokens))


def test_only_an_admin_may_approve_and_a_decline_says_so(standin):
    refused = approve(standin, who="Alice")
    assert refused.status_code == 403 and NOT_ADMIN in refused.text
    declined = approve(standin, decision="decline", state="s2")
    assert declined.status_code == 302
    assert "error=access_denied" in declined.headers["location"] and "state=s2" in declined.headers["location"]
    approved = approve(standin, state="s3")
    assert approved.status_code == 302 and "code=" in approved.headers["location"]
    assert approved.headers["location"].startswith(REDIRECT) and "state=s3" in approved.headers["location"]


def test_token_endpoint_needs_basic_auth_and_a_code_works_once(standin):
    code = re.search(r"code=([^&]+)", approve(standin).headers["location"]).group(1)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert httpx.post(f"{standin.url}/oauth/token", data=form).status_code == 401  # no client credentials
    wrong = httpx.post(f"{standin.url}/oauth/token", data=form, auth=(standin.oauth.client_id, "nope"))
    assert wrong.status_code == 401
    good = httpx.post(f"{standin.url}/oauth/token", data=form, auth=(standin.oauth.client_id, standin.oauth.client_secret))
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "Bearer" and body["access_token"] and body["refresh_token"] and body["expires_at"]
    again = httpx.post(f"{standin.url}/oauth/token", data=form, auth=(standin.oauth.client_id, standin.oauth.client_secret))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_refresh_rotates_the_refresh_token(standin):
    app, session = connect(standin)
    first = session.store.current()
    renewed = app.refresh(first.refresh_token)
    assert renewed.refresh_token != first.refresh_token and renewed.access_token != first.access_token
    with pytest.raises(ReconnectNeeded):  # the old refresh token stopped working
        app.refresh(first.refresh_token)


def test_oauth_calls_spend_the_partner_budget_with_its_own_headers(standin):
    standin.partner_budget.set_rpm(120)
    _, session = connect(standin)
    oauth = httpx.get(f"{standin.url}/me", headers={"Authorization": f"Bearer {session.fresh().access_token}"})
    token = httpx.get(f"{standin.url}/me", headers={"Authorization": f"Bearer {TOKEN_VALUE}"})
    assert oauth.status_code == token.status_code == 200
    assert oauth.headers["x-ratelimit-limit"] == "120" and token.headers["x-ratelimit-limit"] == "6000"
    assert standin.state()["counters"]["spent"] == {"partner": 1, "token": 1}


def test_oauth_tokens_cannot_reach_a_private_inbox(standin):
    private = standin.add_private_inbox("Alice's inbox")
    _, session = connect(standin)
    path = f"{standin.url}/inboxes/{private}/conversations"
    oauth = httpx.get(path, headers={"Authorization": f"Bearer {session.fresh().access_token}"})
    assert oauth.status_code == 403
    assert httpx.get(path, headers={"Authorization": f"Bearer {TOKEN_VALUE}"}).status_code == 200


def test_access_token_is_renewed_before_it_expires_and_once_on_a_401(standin):
    standin.oauth.control({"token_ttl": 60})
    clock = [0.0]
    app, session = connect(standin)
    real = session.store.current()
    session._clock = app._clock = lambda: real.issued_at + clock[0]  # noqa: SLF001 - a controllable clock
    client = FrontClient(token="", api_url=standin.url, oauth=session,
                         budget=BudgetPair({PARTNER: company_budget(f"t-{uuid.uuid4().hex}", PARTNER)}))
    for minute in range(10):  # ten minutes of a 60 s token, one call every 20 s
        for step in range(3):
            clock[0] = minute * 60 + step * 20
            standin.oauth.clock_offset = clock[0] + real.issued_at - time.time()  # the same clock on both sides
            client.me()
    assert session.renewals >= 9
    statuses = standin.state()["counters"]["statuses"]
    assert set(statuses) == {"200"}, statuses  # renewed ahead: never a refused call
    # The stand-in's clock jumps past the token's life without the client's noticing: one 401, renewed.
    standin.oauth.control({"advance_s": 120})
    before = session.renewals
    assert client.me()["id"]
    assert session.renewals == before + 1
    assert standin.state()["counters"]["statuses"].get("401") == 1
    client.close()
    app.close()


def test_revoked_grant_raises_reconnect_needed(standin):
    app, session = connect(standin)
    client = FrontClient(token="", api_url=standin.url, oauth=session)
    assert client.me()
    standin.oauth.revoke()
    with pytest.raises(ReconnectNeeded):
        client.me()
    client.close()
    app.close()


def test_both_connections_spread_calls_over_both_budgets(standin):
    _, session = connect(standin)
    key = f"t-{uuid.uuid4().hex}"
    pair = BudgetPair({TOKEN: company_budget(key, TOKEN), PARTNER: company_budget(key, PARTNER)})
    client = FrontClient(token=TOKEN_VALUE, api_url=standin.url, oauth=session, budget=pair)
    standin.budget.set_rpm(60)  # one call per second each: a burst of calls must use both
    standin.partner_budget.set_rpm(60)
    for _ in range(6):
        client.me()
    spent = standin.state()["counters"]["spent"]
    assert spent.get("token", 0) >= 2 and spent.get("partner", 0) >= 2, spent
    assert standin.state()["counters"]["rate_limited_budget"] == 0
    with pair.only(TOKEN):  # what OAuth cannot reach goes on the API token
        client.me()
    assert standin.state()["counters"]["spent"]["token"] == spent["token"] + 1
    client.close()


def test_share_zero_sends_nothing_on_the_token(standin):
    _, session = connect(standin)
    key = f"t-{uuid.uuid4().hex}"
    pair = BudgetPair({TOKEN: company_budget(key, TOKEN, share=0.0), PARTNER: company_budget(key, PARTNER)})
    client = FrontClient(token=TOKEN_VALUE, api_url=standin.url, oauth=session, budget=pair)
    for _ in range(5):
        client.me()
    assert standin.state()["counters"]["spent"] == {"partner": 5}
    client.close()


def test_strict_reading_no_rotation_and_milliseconds(standin):
    standin.oauth.strict = True
    app, session = connect(standin)
    first = session.store.current()
    assert first.expires_at < 10_000_000_000  # milliseconds read as seconds
    renewed = app.refresh(first.refresh_token)
    assert renewed.refresh_token == first.refresh_token  # none returned: the old one is kept
    assert app.refresh(renewed.refresh_token).access_token
