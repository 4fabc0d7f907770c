"""Zendesk Support API access: URL rules, authentication, pacing and plain-language errors."""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.base import (
    PERMANENT_STATUSES,
    BadCredentials,
    InvalidConfig,
    MissingPermission,
    NotFound,
    PermanentRefusal,
    VendorError,
)
from connectors.http import HttpClient, setting
from connectors.zendesk.pacing import EXPORTS_PER_MINUTE, ZendeskPacer

ZENDESK_HOST = re.compile(r"^[a-z0-9][a-z0-9-]*\.zendesk\.com$")
SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def normalize_url(raw: str, *, allow_private: bool | None = None) -> str:
    """The account's base URL (scheme://host[:port]) or InvalidConfig with a distinct sentence.

    Production accepts only https://<subdomain>.zendesk.com (a bare subdomain is completed). Any other
    base URL, loopback and private ones included, only with ALLOW_PRIVATE_URLS=true (embedded mode, tests).
    """
    if allow_private is None:
        allow_private = bool(setting("ALLOW_PRIVATE_URLS", False))
    text = (raw or "").strip().rstrip("/")
    if not text:
        raise InvalidConfig("Enter your Zendesk address, like https://yourcompany.zendesk.com.")
    if SUBDOMAIN.fullmatch(text.lower()):
        text = f"https://{text.lower()}.zendesk.com"
    elif "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidConfig("The Zendesk address must look like https://yourcompany.zendesk.com.")
    if parts.username or parts.password:
        raise InvalidConfig("The Zendesk address must not contain a user name or password.")
    base = f"{parts.scheme}://{parts.netloc.split('@')[-1]}"
    if allow_private:
        return base
    if _is_private_host(host):
        raise InvalidConfig("The Zendesk address points to a private or local network, which is not allowed.")
    if parts.scheme != "https":
        raise InvalidConfig("The Zendesk address must start with https:// (unencrypted http:// is not allowed).")
    if not ZENDESK_HOST.fullmatch(host) or parts.port not in (None, 443):
        raise InvalidConfig("Use your Zendesk address, https://<subdomain>.zendesk.com; other servers are not allowed.")
    return f"https://{host}"


def _is_private_host(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False  # a name: http.py's guard_url checks what it resolves to
    return not address.is_global


def auth_header(*, email: str | None, token: str | None, oauth_token: str | None) -> str:
    if oauth_token:
        return f"Bearer {oauth_token}"
    raw = f"{email}/token:{token}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class ZendeskClient:
    """Authenticated GETs returning JSON, with Zendesk's answers turned into typed errors."""

    def __init__(self, *, url: str, email: str | None, token: str | None, oauth_token: str | None,
                 export_per_minute: int = EXPORTS_PER_MINUTE, export_window_s: float = 60.0) -> None:
        self.base_url = normalize_url(url)
        self.host = urlsplit(self.base_url).hostname or self.base_url
        self.http = HttpClient(
            self.base_url,
            headers={"Authorization": auth_header(email=email, token=token, oauth_token=oauth_token),
                     "Accept": "application/json", "User-Agent": "Frontport migration"},
            service_name="Zendesk",
            pacer=ZendeskPacer(export_per_minute=export_per_minute, minute_s=export_window_s),
        )
        # Attachments live at token URLs (often on another host): never send the credentials there.
        self.files = HttpClient(self.base_url, service_name="Zendesk", headers={"User-Agent": "Frontport migration"})

    def close(self) -> None:
        self.http.close()
        self.files.close()

    def get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None, *,
            what: str = "", account_level: bool = True) -> dict[str, Any]:
        """GET and decode. `account_level`: a listing of the account (not one record), where a 400/403/404/
        405/422 is permanent (PermanentRefusal: the engine pauses the run at once instead of waiting)."""
        response = self.http.request("GET", path, params=params, route=f"GET {_route(path)}", resource=path)
        if response.status_code == 200:
            try:
                data = response.json()
            except ValueError:
                raise VendorError(f"Zendesk at {self.host} sent an answer that is not JSON.") from None
            if not isinstance(data, dict):
                raise VendorError(f"Zendesk at {self.host} sent an answer of an unexpected shape for {_route(path)}.")
            return data
        raise self._error(response, path, what=what or f"the list {_route(path)}", account_level=account_level)

    def _error(self, response: httpx.Response, path: str, *, what: str, account_level: bool) -> Exception:
        status = response.status_code
        is_json = "json" in response.headers.get("content-type", "")
        endpoint = f"GET {_route(path)}"
        if status == 401:
            return BadCredentials("Zendesk did not accept these credentials: check the admin's email address "
                                  "and API token (or the OAuth token), and that token access is turned on.")
        if status == 403 and ("/incremental/" in path or path.endswith("/users/me.json")):
            return MissingPermission("This Zendesk user is not an admin. Zendesk lets only admins export "
                                     "tickets: use the email address and API token of an admin.")
        if status == 404 and (not is_json or path.endswith("/users/me.json")):
            return NotFound(f"No Zendesk account answers at {self.host}: check the subdomain in the address.")
        if account_level and status in PERMANENT_STATUSES:
            return PermanentRefusal.for_listing(service="Zendesk", endpoint=endpoint, status=status, what=what)
        if status == 403:
            return MissingPermission(f"Zendesk refused access to {what} ({endpoint}): use an admin's credentials.")
        if status == 404:
            return NotFound("Zendesk says this record does not exist (it may have been deleted).")
        return VendorError(f"Zendesk answered with an unexpected error (HTTP {status}) for {what}.")

    def paginate(self, path: str, key: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None, *,
                 what: str = "") -> Iterator[dict[str, Any]]:
        """Records of a paginated list: offset pagination (`next_page`) or cursor pagination (`meta.has_more`
        + `links.next`), whichever shape Zendesk answers with (its document allows both on most lists)."""
        url: str | None = path
        while url:
            data = self.get(url, params if url == path else None, what=what)
            yield from (r for r in data.get(key) or [] if isinstance(r, dict))
            meta, links = data.get("meta") or {}, data.get("links") or {}
            url = data.get("next_page") or (links.get("next") if isinstance(meta, dict) and meta.get("has_more")
                                            and isinstance(links, dict) else None)
            if url and urlsplit(url).netloc != urlsplit(self.base_url).netloc:
                url = self.base_url + urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")


def _route(path: str) -> str:
    path = urlsplit(path).path
    return re.sub(r"/\d+", "/:id", path)
