"""Front accounts (customer organizations) through the client's one HTTP layer: same company budget,
retries, 301s and typed errors as every other Front call (docs/front.md, "Accounts").

Routes (Front's reference, x-required-scopes): `GET /accounts` (accounts:read), `POST /accounts` and
`PATCH /accounts/{id}` (accounts:write), `GET /accounts/{id}` (accounts:read), `POST /accounts/{id}/contacts`
(accounts:write), `GET /accounts/custom_fields` (custom_fields:read).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from connectors.front.client import FrontClient
from connectors.front.errors import raise_for_front


class FrontAccounts:
    def __init__(self, client: FrontClient) -> None:
        self.client = client

    def _send(self, method: str, path: str, *, route: str, what: str, scope: str, ok: tuple[int, ...],
              **kwargs: Any) -> httpx.Response:
        response = self.client.http.request(method, path, route=route, **kwargs)
        if response.status_code not in ok:
            raise_for_front(response, what=what, scope=scope)
        return response

    def custom_fields(self) -> list[dict[str, Any]]:
        """The account custom fields Front has (read once per run by the engine)."""
        body = self._send("GET", "/accounts/custom_fields", route="GET /accounts/custom_fields",
                          what="list account custom fields", scope="custom_fields:read", ok=(200,)).json()
        return list(body.get("_results") or [])

    def iter_accounts(self) -> Iterator[dict[str, Any]]:
        """Every account, 100 a page, following `_pagination.next` as given (docs/vendor-guesses.md, Paging)."""
        url: str | None = "/accounts"
        params: dict[str, Any] | None = {"limit": 100}
        while url:
            body = self._send("GET", url, route="GET /accounts", what="list accounts", scope="accounts:read",
                              ok=(200,), params=params).json()
            yield from body.get("_results") or []
            url = (body.get("_pagination") or {}).get("next")
            params = None

    def get(self, account_id: str) -> dict[str, Any] | None:
        """The account, or None when Front no longer has it (deleted by someone since the last run)."""
        response = self.client.http.request("GET", f"/accounts/{account_id}", route="GET /accounts/:id")
        if response.status_code == 404:
            return None
        raise_for_front(response, what="read an account", scope="accounts:read")
        return dict(response.json())

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._send("POST", "/accounts", route="POST /accounts", what=f"create the account {body.get('name')!r}",
                               scope="accounts:write", ok=(201, 200), json=body).json())

    def update(self, account_id: str, body: dict[str, Any]) -> None:
        self._send("PATCH", f"/accounts/{account_id}", route="PATCH /accounts/:id", what="update an account",
                   scope="accounts:write", ok=(200, 204), json=body)

    def add_contacts(self, account_id: str, contact_ids: list[str]) -> None:
        self._send("POST", f"/accounts/{account_id}/contacts", route="POST /accounts/:id/contacts",
                   what="add a contact to an account", scope="accounts:write", ok=(204, 200),
                   json={"contact_ids": contact_ids})
