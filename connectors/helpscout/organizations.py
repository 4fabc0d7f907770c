"""Help Scout organizations and customer details -> canonical records (Mailbox API 2.0).

Organizations: `GET /v2/organizations?sort=name,asc` (HAL, 50 a page; the resume cursor is the next page
number). Their property values: on the list items when Help Scout puts them there, else one
`GET /v2/organizations/{id}?includeProperties=true` per organization, and only when the account defines
organization properties (`GET /v2/organizations/properties`) (docs/vendor-guesses.md H10). Customers:
`GET /v2/customers/{id}` once per contact (every email and phone, `background`, properties, organization:
`organizationId`, else its name matched with the organization list, H11). Property definitions
(`GET /v2/customer-properties`) give the number types and dropdown labels.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol

import httpx

from connectors.base import Contact, Organization, OrganizationPage, as_object

LIST = "/v2/organizations"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class Properties:
    """Property definitions: slug -> (name, type, {option id: label})."""

    def __init__(self, items: list[Any]) -> None:
        self.defs: dict[str, tuple[str, str, dict[str, str]]] = {}
        for d in items:
            d = as_object(d)
            if _str(d.get("slug")):
                options = {str(o.get("id")): str(o.get("label")) for o in map(as_object, _list(d.get("options")))
                           if o.get("id") is not None and o.get("label") is not None}
                self.defs[d["slug"]] = (_str(d.get("name")) or d["slug"], str(d.get("type") or "text"), options)

    def values(self, items: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p in map(as_object, _list(items)):
            slug = _str(p.get("slug")) or ""
            name, kind, options = self.defs.get(slug, (_str(p.get("name")) or slug, str(p.get("type") or "text"), {}))
            value = p.get("text") if p.get("text") not in (None, "") else p.get("value")
            if isinstance(value, str) and value in options:
                value = options[value]  # a dropdown's option id
            if value in (None, "") or not name:
                continue
            if kind == "number" and isinstance(value, str):
                try:
                    number = float(value)
                    value = int(number) if number.is_integer() else number
                except ValueError:
                    pass
            out[name] = value
        return out


def organization_from(raw: dict[str, Any], props: Properties, api_url: str) -> Organization | None:
    oid = raw.get("id")
    if not isinstance(oid, int | str) or isinstance(oid, bool) or str(oid) == "":
        return None
    return Organization(
        source_id=str(oid), name=_str(raw.get("name")) or f"Organization {oid}",
        domains=[d for d in _list(raw.get("domains")) if _str(d)], details=_str(raw.get("description")),
        notes=_str(raw.get("note")), custom_fields=props.values(raw.get("properties")),
        url=f"https://secure.helpscout.net/organizations/{oid}",
    )


class _Reader(Protocol):
    api_url: str
    _people_lock: threading.Lock
    _props: dict[str, Properties]
    _customers: dict[str, dict[str, Any] | None]
    _org_ids: dict[str, str] | None

    def _get(self, path: str, *, what: str, params: dict[str, Any] | None = None,
             expect: tuple[int, ...] = (200,), account_level: bool = True) -> httpx.Response: ...

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]: ...

    def optional(self, what: str, call: Any, default: Any, *, without: str = "") -> Any: ...

    def properties(self, kind: str) -> Properties: ...

    def organizations(self, *, cursor: dict[str, Any] | None = None) -> Iterator[OrganizationPage]: ...

    def organization(self, source_id: str) -> Organization | None: ...


class HelpScoutPeople:
    """The Help Scout connector's organizations and customer details (mixed into HelpScoutConnector)."""

    _props: dict[str, Properties]
    _customers: dict[str, dict[str, Any] | None]
    _org_ids: dict[str, str] | None

    def properties(self: _Reader, kind: str) -> Properties:
        """Organization or customer property definitions, read once (optional: without them, values keep
        the names the records give)."""
        if kind not in self._props:
            path = {"organization": f"{LIST}/properties", "customer": "/v2/customer-properties"}[kind]
            key = f"{kind}-properties"
            listed = self.optional(f"Help Scout {kind} property definitions", lambda: _list(
                as_object(self._json(self._get(path, what=f"the {kind} properties"), key).get("_embedded")).get(key)),
                None, without="property values keep the names the records give.")
            self._props[kind] = Properties(listed or [])
        return self._props[kind]

    def organizations(self: _Reader, *, cursor: dict[str, Any] | None = None) -> Iterator[OrganizationPage]:
        props = self.properties("organization")
        page = int((cursor or {}).get("page", 1))
        while True:
            body = self._json(self._get(LIST, what="the organizations", params={"sort": "name,asc", "page": page}),
                              "the organizations")
            raw = [o for o in _list(as_object(body.get("_embedded")).get("organizations")) if isinstance(o, dict)]
            orgs = []
            for item in raw:
                if "properties" not in item and props.defs and item.get("id") is not None:
                    detailed = self.organization(str(item["id"]))  # the list carries no property values
                    if detailed is not None:
                        orgs.append(detailed)
                        continue
                org = organization_from(item, props, self.api_url)
                if org is not None:
                    orgs.append(org)
            info = as_object(body.get("page"))
            more = int(info.get("number") or page) < int(info.get("totalPages") or 0)
            yield OrganizationPage(organizations=orgs, cursor={"page": page + 1} if more else None)
            if not more:
                return
            page += 1

    def organization(self: _Reader, source_id: str) -> Organization | None:
        if not source_id.isdigit():
            return None
        response = self._get(f"{LIST}/{source_id}", what=f"organization {source_id}", expect=(200, 404),
                             params={"includeProperties": "true"}, account_level=False)
        if response.status_code == 404:
            return None
        return organization_from(self._json(response, "an organization"), self.properties("organization"), self.api_url)

    def count_organizations(self: _Reader) -> int:
        body = self._json(self._get(LIST, what="the organization count", params={"page": 1}), "the organizations")
        return int(as_object(body.get("page")).get("totalElements") or 0)

    def contact_field_names(self: _Reader) -> list[str]:
        return [name for name, _kind, _options in self.properties("customer").defs.values()]

    def _organization_id(self: _Reader, name: str) -> str | None:
        """H11: a customer that names its organization only by name; the list, read once, says which."""
        with self._people_lock:
            known = self._org_ids
        if known is None:
            known = {o.name.casefold(): o.source_id for page in self.organizations() for o in page.organizations}
            with self._people_lock:
                self._org_ids = known
        return known.get(name.casefold())

    def contact_details(self: _Reader, contact: Contact) -> Contact:
        """A conversation names its customer (id, name, one email): the rest is on /v2/customers/{id}."""
        if not contact.source_id.isdigit():
            return contact
        with self._people_lock:
            known, raw = contact.source_id in self._customers, self._customers.get(contact.source_id)
        if not known:
            response = self._get(f"/v2/customers/{contact.source_id}", what=f"customer {contact.source_id}",
                                 expect=(200, 404), account_level=False)
            raw = self._json(response, "a customer") if response.status_code == 200 else None
            with self._people_lock:
                self._customers[contact.source_id] = raw
        if raw is None:
            return contact
        embedded = as_object(raw.get("_embedded"))
        emails = [e for e in (_str(as_object(x).get("value")) for x in _list(embedded.get("emails"))) if e]
        phones = [p for p in (_str(as_object(x).get("value")) for x in _list(embedded.get("phones"))) if p]
        org = raw.get("organizationId")
        org_id = str(org) if isinstance(org, int | str) and not isinstance(org, bool) and str(org) else None
        if org_id is None and _str(raw.get("organization")):
            org_id = HelpScoutPeople._organization_id(self, raw["organization"])
        name = " ".join(n for n in (_str(raw.get("firstName")), _str(raw.get("lastName"))) if n) or contact.name
        return Contact(source_id=contact.source_id, name=name,
                       emails=list(dict.fromkeys([*contact.emails, *emails])),
                       phones=list(dict.fromkeys([*contact.phones, *phones])),
                       organization_ids=[org_id] if org_id else [],
                       organizations=[raw["organization"]] if _str(raw.get("organization")) else [],
                       custom_fields=self.properties("customer").values(embedded.get("properties")),
                       notes=_str(raw.get("background")))
