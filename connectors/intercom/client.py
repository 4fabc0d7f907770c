"""Intercom REST API access: regional hosts, the access token and version header, paced calls, errors in
plain words.

Intercom hosts a workspace in one region and answers its API there only: `https://api.intercom.io` (US),
`https://api.eu.intercom.io` (Europe), `https://api.au.intercom.io` (Australia). The region is a config
choice; `api_url` replaces the regional host (a proxy, the local stand-in) and passes the SSRF guard.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from connectors.base import (
    PERMANENT_STATUSES,
    BadCredentials,
    InvalidConfig,
    MissingPermission,
    NotFound,
    PermanentRefusal,
    RateLimited,
    VendorError,
)
from connectors.http import HttpClient, RetryPolicy, guard_url
from connectors.intercom.pacing import IntercomPacer

SERVICE = "Intercom"
API_VERSION = "2.16"
REGIONS = {"us": "https://api.intercom.io", "eu": "https://api.eu.intercom.io", "au": "https://api.au.intercom.io"}
REGION_NAMES = {"us": "United States", "eu": "Europe", "au": "Australia"}
APP_HOSTS = {"us": "https://app.intercom.com", "eu": "https://app.eu.intercom.com", "au": "https://app.au.intercom.com"}
# What each OAuth scope is called on the app's Authentication page in Intercom's Developer Hub.
SCOPE_WORDS = {"read_conversations": "Read conversations", "read_users_companies": "Read and list users and companies",
               "read_admins": "Read admins", "read_tags": "Read tags"}
SCOPE_OF_PATH = (("/conversations", "read_conversations"), ("/contacts", "read_users_companies"),
                 ("/companies", "read_users_companies"), ("/admins", "read_admins"), ("/teams", "read_admins"),
                 ("/tags", "read_tags"))
CHECK_RETRY = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=1.0)


def base_url(*, region: str, api_url: str | None) -> str:
    """The API host for the config, or InvalidConfig in plain words."""
    if api_url:
        raw = api_url.strip().rstrip("/")
        parts = urlsplit(raw if "://" in raw else f"https://{raw}")
        if not parts.hostname:
            raise InvalidConfig("The Intercom API address must look like https://api.intercom.io.")
        return guard_url(f"{parts.scheme}://{parts.netloc}")
    if region not in REGIONS:
        raise InvalidConfig("Choose the region your Intercom workspace is hosted in: United States, Europe or "
                            "Australia.")
    return REGIONS[region]


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    if isinstance(body, dict) and body.get("type") == "error.list":
        return [e for e in body.get("errors") or [] if isinstance(e, dict)]
    return []


def is_intercom_answer(response: httpx.Response) -> bool:
    """True when the answer is JSON in Intercom's shapes (an error list or an object with a `type`)."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "type" in body


def scope_needed(path: str) -> str | None:
    return next((scope for prefix, scope in SCOPE_OF_PATH if path.startswith(prefix)), None)


class IntercomClient:
    """Authenticated JSON calls with Intercom's answers turned into typed errors (never the token)."""

    def __init__(self, *, url: str, token: str, workers: int = 1, retry: RetryPolicy | None = None) -> None:
        self.base_url = url
        self.pacer = IntercomPacer(concurrency=workers)
        self.http = HttpClient(url, headers={"Authorization": f"Bearer {token}", "Intercom-Version": API_VERSION,
                                             "Accept": "application/json"},
                               service_name=SERVICE, pacer=self.pacer, retry=retry)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, *, what: str, params: dict[str, Any] | None = None,
                json: Any = None, ok: tuple[int, ...] = (200,), account_level: bool = False) -> httpx.Response:
        """`account_level`: a listing of the workspace (not one record), where a 400/403/404/405/422 is
        permanent: PermanentRefusal, and the engine pauses the run at once instead of waiting."""
        route = f"{method} " + re.sub(r"/(?:\d+|[0-9a-f]{24})(?=/|$)", "/:id", path)  # counters per route
        response = self.http.request(method, path, params=params, json=json, route=route)
        if response.status_code not in ok:
            self.raise_for(response, what=what, path=path, endpoint=route if account_level else None)
        return response

    def get(self, path: str, *, what: str, params: dict[str, Any] | None = None, account_level: bool = True
            ) -> dict[str, Any]:
        return self._json(self.request("GET", path, what=what, params=params, account_level=account_level), what=what)

    def post(self, path: str, body: dict[str, Any], *, what: str, account_level: bool = True) -> dict[str, Any]:
        return self._json(self.request("POST", path, what=what, json=body, account_level=account_level), what=what)

    def _json(self, response: httpx.Response, *, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise VendorError(f"{SERVICE} answered the request for {what} with something that is not JSON: "
                              "check the API address.") from None
        if not isinstance(body, dict):
            raise VendorError(f"{SERVICE} answered the request for {what} in an unexpected form.")
        return body

    def search(self, path: str, query: dict[str, Any], *, what: str, per_page: int = 150
               ) -> Generator[dict[str, Any], None, None]:
        """Every page of a search (`starting_after` cursors), first page first."""
        pagination: dict[str, Any] = {"per_page": per_page}
        while True:
            page = self.post(path, {"query": query, "pagination": pagination}, what=what)
            yield page
            following = ((page.get("pages") or {}).get("next") or {})
            cursor = following.get("starting_after") if isinstance(following, dict) else None
            if not cursor:
                return
            pagination = {"per_page": per_page, "starting_after": cursor}

    def conversation(self, conversation_id: str) -> Any:
        """One conversation with its parts (the JSON as sent: the mapping reads it defensively), or None when
        it is gone (deleted)."""
        response = self.request("GET", f"/conversations/{quote(conversation_id, safe='')}", ok=(200, 404),
                                what=f"conversation {conversation_id}")
        if response.status_code == 404:
            return None
        try:
            return response.json()
        except ValueError:
            return {"id": conversation_id, "unreadable": "not JSON"}

    def raise_for(self, response: httpx.Response, *, what: str, path: str = "", endpoint: str | None = None) -> None:
        """A final non-2xx answer -> a typed ConnectorError whose text says what to do. With `endpoint` (an
        account-level listing) a permanent answer is a PermanentRefusal naming that endpoint."""
        code = response.status_code
        errors = _errors(response)
        codes = {str(e.get("code") or "") for e in errors}
        message = " ".join(str(e.get("message") or "") for e in errors)
        if code == 401:
            raise BadCredentials("Intercom did not accept the access token: check that it was copied whole, that it "
                                 "has not been revoked, and that the region is the one your workspace is hosted in.")
        if code == 403:
            if "api_plan_restricted" in codes:
                why, todo = "the workspace's plan does not include this part of the API", "check the plan"
            else:
                found = re.search(r"scope \((\w+)\)", message)
                scope = found.group(1) if found else scope_needed(path)
                why = f"the access token lacks the “{SCOPE_WORDS.get(scope or '', scope or 'needed')}” permission"
                todo = ("tick it on your app's Authentication page in Intercom's Developer Hub, then paste the "
                        "token again")
            if endpoint:
                raise PermanentRefusal(f"Intercom refused access (HTTP 403) to {what} ({endpoint}): {why}. Waiting "
                                       f"will not change that answer: {todo}.", endpoint=endpoint, status=code)
            raise MissingPermission(f"Intercom refused access to {what}: {why}. {todo[0].upper()}{todo[1:]}.")
        if endpoint and code in PERMANENT_STATUSES:
            raise PermanentRefusal.for_listing(service=SERVICE, endpoint=endpoint, status=code, what=what)
        if code in (404, 410):
            if not errors and not is_intercom_answer(response):
                raise NotFound(f"The address {self.base_url} does not answer like Intercom's API: check it, or leave "
                               "it empty to use Intercom's own servers.")
            raise NotFound(f"Intercom could not find {what}.")
        if code == 429:
            raise RateLimited("Intercom kept refusing requests because of its rate limit; the run will try again later.")
        if code == 400 and "intercom_version_invalid" in codes:
            raise VendorError(f"Intercom does not offer API version {API_VERSION} to this workspace.")
        if code >= 500:
            raise VendorError(f"Intercom had a problem answering for {what} (error {code}).")
        detail = f": {message[:150]}" if message else ""
        raise VendorError(f"Intercom refused the request for {what} (error {code}){detail}.")
