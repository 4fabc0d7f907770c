"""Help Scout OAuth2 client credentials as an `httpx.Auth`: a token that renews itself before it expires
and after a 401.

`HelpScoutAuth` runs inside the connector's one `HttpClient` (connectors/http.py): the token request goes
out through the same `httpx.Client` (its pool, timeouts, SSRF guard, proxies), every API request gets the
current token, and a 401 mid-run (token revoked or expired early) renews the token once and replays the
request, so a run of many hours never notices that tokens last two days. The token goes to Help Scout's
API host only, never to a link on another host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator

import httpx

from connectors import deadline
from connectors.base import BadCredentials, VendorError
from connectors.http import guard_url, retry_after_seconds

RENEW_MARGIN_S = 300  # renew this long before the announced expiry
TOKEN_ATTEMPTS = 3  # a busy token endpoint (429 / 5xx) is asked this many times


class TokenSource:
    """The current token and when it expires (shared by every thread of a connector)."""

    def __init__(self, token_url: str, app_id: str, app_secret: str, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token_url = guard_url(token_url)
        self._form = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": app_secret}
        self._clock = clock
        self.lock = threading.Lock()  # held while a token is fetched: one fetch for every waiting thread
        self.token: str | None = None
        self._expires_at = 0.0
        self.issued = 0  # tokens obtained (tests and stats)

    def usable(self) -> bool:
        return self.token is not None and self._clock() < self._expires_at - RENEW_MARGIN_S

    def request(self) -> httpx.Request:
        return httpx.Request("POST", self.token_url, data=self._form)

    def accept(self, response: httpx.Response) -> None:
        """Take the token from the endpoint's 200 answer."""
        try:
            body = response.json()
            self.token = str(body["access_token"])
            self._expires_at = self._clock() + float(body.get("expires_in") or 7200)
        except (ValueError, KeyError, TypeError) as exc:
            raise VendorError("Help Scout answered the sign-in request with something unexpected.") from exc
        self.issued += 1


class HelpScoutAuth(httpx.Auth):
    def __init__(self, tokens: TokenSource, *, api_host: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.tokens = tokens
        self.api_host = api_host
        self._sleep = sleep
        self.renewals_after_401 = 0

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.url.netloc.decode() != self.api_host:
            yield request  # the token is for Help Scout's API host only
            return
        token = yield from self._token(stale=None)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        response.read()
        self.renewals_after_401 += 1
        request.headers["Authorization"] = f"Bearer {(yield from self._token(stale=token))}"
        yield request  # a second 401 is real: the caller reports it

    def _token(self, *, stale: str | None) -> Generator[httpx.Request, httpx.Response, str]:
        """The current token; fetched when missing, near expiry, or equal to `stale` (refused by a 401)
        unless another thread renewed it meanwhile. The lock is held across the fetch."""
        tokens = self.tokens
        with tokens.lock:
            if tokens.usable() and tokens.token != stale:
                assert tokens.token is not None
                return tokens.token
            for attempt in range(TOKEN_ATTEMPTS):
                response = yield tokens.request()
                response.read()
                if response.status_code in (400, 401, 403):
                    raise BadCredentials("Help Scout refused to sign in with this app: check both values "
                                         "under Your Profile → My Apps in Help Scout.")
                if response.status_code == 429 or response.status_code >= 500:
                    if attempt + 1 < TOKEN_ATTEMPTS:
                        wait = retry_after_seconds(response)
                        wait = 0.5 * 2**attempt if wait is None else wait
                        deadline.check_wait(wait, service="Help Scout")
                        self._sleep(wait)
                    continue
                tokens.accept(response)
                assert tokens.token is not None
                return tokens.token
        raise VendorError("Help Scout kept refusing to sign in (server busy); try again later.")
