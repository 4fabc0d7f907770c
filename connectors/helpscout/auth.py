"""Help Scout OAuth2 client credentials: a token that renews itself before it expires and after a 401.

`BearerTransport` wraps the HTTP transport of connectors/http.py's client: every request gets the current
token; a 401 mid-run (token revoked or expired early) renews the token once and replays the request, so a
run of many hours never notices that tokens last two days.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from connectors.base import BadCredentials, Unreachable, VendorError
from connectors.http import DEFAULT_TIMEOUT, guard_url

RENEW_MARGIN_S = 300  # renew this long before the announced expiry


class TokenSource:
    def __init__(self, token_url: str, app_id: str, app_secret: str, *,
                 clock: Callable[[], float] = time.monotonic,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.token_url = guard_url(token_url)
        self._form = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": app_secret}
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._http = httpx.Client(timeout=DEFAULT_TIMEOUT, transport=transport)
        self.issued = 0  # tokens obtained (tests and stats)

    def current(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - RENEW_MARGIN_S:
                self._fetch()
            assert self._token is not None
            return self._token

    def renew(self, stale: str) -> str:
        """Called after a 401: renew unless another thread already did."""
        with self._lock:
            if self._token == stale or self._token is None:
                self._fetch()
            assert self._token is not None
            return self._token

    def _fetch(self) -> None:
        last: Exception | None = None
        for attempt in range(3):
            try:
                response = self._http.post(self.token_url, data=self._form)
            except httpx.TransportError as exc:
                last = exc
                time.sleep(0.3 * 2**attempt)
                continue
            if response.status_code in (400, 401, 403):
                raise BadCredentials("Help Scout refused to sign in with this app: check both values "
                                     "under Your Profile → My Apps in Help Scout.")
            if response.status_code == 429 or response.status_code >= 500:
                time.sleep(float(response.headers.get("retry-after") or 0.5 * 2**attempt))
                continue
            try:
                body = response.json()
                self._token = str(body["access_token"])
                self._expires_at = self._clock() + float(body.get("expires_in") or 7200)
            except (ValueError, KeyError) as exc:
                raise VendorError("Help Scout answered the sign-in request with something unexpected.") from exc
            self.issued += 1
            return
        if last is not None:
            raise Unreachable("Could not reach Help Scout to sign in: check the API address.") from last
        raise VendorError("Help Scout kept refusing to sign in (server busy); try again later.")

    def close(self) -> None:
        self._http.close()


class BearerTransport(httpx.BaseTransport):
    def __init__(self, tokens: TokenSource, inner: httpx.BaseTransport | None = None, *, api_host: str = "") -> None:
        self.tokens = tokens
        self.inner = inner or httpx.HTTPTransport()
        self.api_host = api_host
        self.renewals_after_401 = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.api_host and request.url.netloc.decode() != self.api_host:
            return self.inner.handle_request(request)  # the token is for Help Scout's API host only
        token = self.tokens.current()
        request.headers["Authorization"] = f"Bearer {token}"
        response = self.inner.handle_request(request)
        if response.status_code != 401:
            return response
        response.read()
        response.close()
        self.renewals_after_401 += 1
        request.headers["Authorization"] = f"Bearer {self.tokens.renew(token)}"
        return self.inner.handle_request(request)  # a second 401 is real: the caller reports it

    def close(self) -> None:
        self.inner.close()
