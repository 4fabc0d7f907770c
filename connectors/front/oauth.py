"""Front's OAuth (authorization code grant, DESIGN.md §8) and the one place its access token is renewed.

- `OAuthApp`: the operator's OAuth app (FRONT_OAUTH_CLIENT_ID / _SECRET): the authorize URL, the code
  exchange and the refresh, both `POST {oauth_url}/oauth/token` with HTTP Basic auth.
- `TokenStore`: where a connection's tokens live (the database, encrypted, for a migration; memory for a
  connection check). `renew()` must be a compare-and-swap on the stored tokens: of several workers that
  find the same token stale, one refreshes and saves the rotated pair; the others read it.
- `FrontAuth`: the `httpx.Auth` of a Front client. Per call it sets the API token or the OAuth access
  token (the connection the pacer chose, see budgets.py), renews the access token shortly before it
  expires, and once on a 401. Nothing else in the product renews a Front token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import Protocol
from urllib.parse import urlencode

import httpx

from connectors.base import BadCredentials
from connectors.front.budgets import PARTNER, TOKEN, BudgetPair
from connectors.http import HttpClient, RetryPolicy


class ReconnectNeeded(BadCredentials):
    """The OAuth grant is gone (refresh token revoked or expired): an admin must connect Front again."""

    code = "front_reconnect"


RECONNECT_MESSAGE = ("Front's OAuth connection was revoked or has expired. Reconnect Front (an admin approves "
                     "Frontport again) and the run resumes where it stopped.")


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str
    expires_at: float  # UNIX time
    issued_at: float = 0.0
    version: int = 0  # bumped by every renewal the store saves

    def renew_margin(self) -> float:
        """Renew this long before expiry: a quarter of the token's life, at most two minutes."""
        life = self.expires_at - self.issued_at if self.issued_at else 3600.0
        return max(1.0, min(120.0, life / 4))


class TokenStore(Protocol):
    def current(self) -> OAuthTokens: ...

    def renew(self, stale: OAuthTokens, refresh: Callable[[str], OAuthTokens]) -> OAuthTokens: ...


class MemoryTokenStore:
    """Tokens held in memory (a connection check, tests); renewal serialised by a lock."""

    def __init__(self, tokens: OAuthTokens) -> None:
        self._tokens = tokens
        self._lock = threading.Lock()

    def current(self) -> OAuthTokens:
        return self._tokens

    def renew(self, stale: OAuthTokens, refresh: Callable[[str], OAuthTokens]) -> OAuthTokens:
        with self._lock:
            if self._tokens.version != stale.version:
                return self._tokens
            self._tokens = replace(refresh(self._tokens.refresh_token), version=stale.version + 1)
            return self._tokens


class OAuthApp:
    """The operator's Front OAuth app. oauth_url: where Front serves /oauth/authorize and /oauth/token
    (https://app.frontapp.com; the stand-in's URL offline)."""

    def __init__(self, *, client_id: str, client_secret: str, oauth_url: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.oauth_url = oauth_url.rstrip("/")
        self._clock = clock
        self.http = HttpClient(self.oauth_url, service_name="Front", retry=RetryPolicy(max_attempts=3),
                               auth=httpx.BasicAuth(client_id, client_secret))

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        query = urlencode({"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
                           "state": state})
        return f"{self.oauth_url}/oauth/authorize?{query}"

    def _token_call(self, form: dict[str, str], *, what: str) -> OAuthTokens:
        now = self._clock()
        response = self.http.request("POST", "/oauth/token", route="POST /oauth/token", body=lambda: {"data": form})
        if response.status_code in (400, 401):
            # invalid_grant (a used, revoked or expired code / refresh token) or a refused client.
            if form.get("grant_type") == "refresh_token":
                raise ReconnectNeeded(RECONNECT_MESSAGE)
            raise BadCredentials(f"Front refused to {what} ({_oauth_error(response)}). Try connecting again.")
        if response.status_code != 200:
            raise BadCredentials(f"Front could not {what} (error {response.status_code}).")
        body = response.json()
        expires_at = float(body.get("expires_at") or now + float(body.get("expires_in") or 3600))
        if expires_at > 10_000_000_000:  # milliseconds (Front documents neither unit: docs/vendor-guesses.md)
            expires_at /= 1000
        return OAuthTokens(access_token=body["access_token"], refresh_token=body.get("refresh_token")
                           or form.get("refresh_token", ""), expires_at=expires_at, issued_at=now)

    def exchange(self, *, code: str, redirect_uri: str) -> OAuthTokens:
        return self._token_call({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
                                what="finish the connection")

    def refresh(self, refresh_token: str) -> OAuthTokens:
        return self._token_call({"grant_type": "refresh_token", "refresh_token": refresh_token},
                                what="renew the connection")

    def close(self) -> None:
        self.http.close()


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"error {response.status_code}"
    return str(body.get("error_description") or body.get("error") or f"error {response.status_code}")


class OAuthSession:
    """An OAuth connection in use: the tokens kept in memory, renewed through the store."""

    def __init__(self, app: OAuthApp, store: TokenStore, *, clock: Callable[[], float] = time.time) -> None:
        self.app, self.store, self._clock = app, store, clock
        self._tokens: OAuthTokens | None = None
        self._lock = threading.Lock()
        self.renewals = 0

    def fresh(self) -> OAuthTokens:
        """An access token with more than its renewal margin left (renewed first when needed)."""
        with self._lock:
            tokens = self._tokens or self.store.current()
            if tokens.expires_at - self._clock() <= tokens.renew_margin():
                tokens = self.store.current()  # another worker may have renewed it already
                if tokens.expires_at - self._clock() <= tokens.renew_margin():
                    tokens = self._renew(tokens)
            self._tokens = tokens
            return tokens

    def after_401(self, used: OAuthTokens) -> OAuthTokens:
        """The access token `used` was refused: renew once (or take the one another worker saved)."""
        with self._lock:
            tokens = self.store.current()
            if tokens.version == used.version:
                tokens = self._renew(tokens)
            self._tokens = tokens
            return tokens

    def _renew(self, stale: OAuthTokens) -> OAuthTokens:
        self.renewals += 1
        return self.store.renew(stale, self.app.refresh)


class FrontAuth(httpx.Auth):
    """Authorization for each Front call on the connection the pacer picked (API token or OAuth)."""

    def __init__(self, *, api_token: str | None, oauth: OAuthSession | None, pacer: BudgetPair | None) -> None:
        if not api_token and oauth is None:
            raise BadCredentials("Connect Front first: an API token or the OAuth connection.")
        self.api_token, self.oauth, self.pacer = api_token, oauth, pacer

    @property
    def requires_request_body(self) -> bool:  # type: ignore[override]
        """An OAuth call may be sent twice (after a 401): httpx then keeps its body to send it again."""
        return self.oauth is not None and self.kind() == PARTNER

    def kind(self) -> str:
        if self.pacer is not None:
            return self.pacer.kind
        return TOKEN if self.api_token else PARTNER

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.kind() == TOKEN or self.oauth is None:
            request.headers["Authorization"] = f"Bearer {self.api_token}"
            yield request
            return
        tokens = self.oauth.fresh()
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code == 401:
            response.read()
            tokens = self.oauth.after_401(tokens)
            request.headers["Authorization"] = f"Bearer {tokens.access_token}"
            yield request
