"""Intercom contacts (users and leads) and their companies, looked up in bulk and remembered.

A conversation names its contacts by id only. One contacts search (`id IN [...]`, 50 ids per search) per
page of conversations fetches them; each company a contact belongs to is named once (`GET /companies/{id}`).
Both caches are bounded, so a long run does not grow with the account.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from connectors.base import Contact
from connectors.intercom.client import IntercomClient
from connectors.intercom.mapping import contact_from

CONTACTS_PER_SEARCH = 50
CACHE_SIZE = 10_000


def _refs(contact: dict[str, Any]) -> list[dict[str, Any]]:
    companies = contact.get("companies")
    data = companies.get("data") if isinstance(companies, dict) else None
    return [r for r in data or [] if isinstance(r, dict) and isinstance(r.get("id"), str | int)] \
        if isinstance(data, list) else []


def _remember(cache: OrderedDict, key: str, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)


class People:
    def __init__(self, client: IntercomClient) -> None:
        self.client = client
        self._contacts: OrderedDict[str, Contact] = OrderedDict()
        self._companies: OrderedDict[str, str] = OrderedDict()

    def contacts(self, contact_ids: list[str]) -> dict[str, Contact]:
        """The contacts Intercom still has (a contact merged into another is not searchable any more)."""
        missing = [c for c in contact_ids if c not in self._contacts]
        for start in range(0, len(missing), CONTACTS_PER_SEARCH):
            query = {"field": "id", "operator": "IN", "value": missing[start:start + CONTACTS_PER_SEARCH]}
            raw = [c for page in self.client.search("/contacts/search", query, what="the contacts")
                   for c in page.get("data") or [] if isinstance(c, dict) and isinstance(c.get("id"), str | int)]
            companies = self.company_names({str(r["id"]) for c in raw for r in _refs(c)})
            for item in raw:
                try:
                    _remember(self._contacts, str(item["id"]), contact_from(item, companies))
                except Exception:  # noqa: BLE001, S112 - unreadable: its messages still name the person
                    continue
        return {c: self._contacts[c] for c in contact_ids if c in self._contacts}

    def company_names(self, company_ids: set[str]) -> dict[str, str]:
        """Company id -> name (the id itself when Intercom no longer has the company)."""
        for company_id in sorted(company_ids - set(self._companies)):
            response = self.client.request("GET", f"/companies/{company_id}", what=f"company {company_id}",
                                           ok=(200, 404))
            try:
                name = response.json().get("name") if response.status_code == 200 else None
            except (ValueError, AttributeError):
                name = None
            name = name if isinstance(name, str) and name else company_id
            _remember(self._companies, company_id, name)
        return {c: self._companies.get(c, c) for c in company_ids}
