"""Freshdesk companies and contact fields -> canonical records (docs/connectors-helpscout-freshdesk.md).

Companies: `/api/v2/companies` (100 a page, `Link: rel="next"`; the resume cursor is the next page's
address), one by id with `/api/v2/companies/{id}`. Field labels come from `/api/v2/company_fields` and
`/api/v2/contact_fields` (read once; without them values keep their API names, with a warning). The
customer-success fields (`account_tier`, `industry`, `renewal_date`, `health_score`) are read at the top
level of a company, as the reference shows them, and under `custom_fields` as well (vendor-guesses.md F7);
custom keys are matched with and without the `cf_` prefix ticket fields carry.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol

from connectors.base import Contact, Organization, OrganizationPage, as_object
from connectors.freshdesk.mapping import emails, ident, items, text
from connectors.freshdesk.stream import parse_time

TOP_LEVEL = ("account_tier", "industry", "renewal_date", "health_score")
BUILT_IN = {"name", "description", "note", "domains", "email", "phone", "mobile", "company_name", "job_title",
            "twitter_id", "address", "time_zone", "language", "tag_names", "client_manager", "unique_external_id"}


class FieldLabels:
    """API name -> label of company or contact fields (customer-success defaults included)."""

    def __init__(self, fields: list[Any], *, available: bool = True) -> None:
        self.available = available
        self.labels: dict[str, str] = {}
        self.dates: set[str] = set()
        for f in fields:
            name = text(f.get("name")) if isinstance(f, dict) else None
            if name is None or name in BUILT_IN:
                continue
            self.labels[name] = text(f.get("label")) or name
            if "date" in str(f.get("type") or ""):
                self.dates.add(name)

    def label(self, key: str) -> str | None:
        for candidate in (key, key.removeprefix("cf_"), f"cf_{key}"):
            if candidate in self.labels:
                return self.labels[candidate]
        return None if self.available else key

    def named(self, values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in values.items():
            label = self.label(key)
            if label is None or value in (None, "", []):
                continue
            if key.removeprefix("cf_") in self.dates and isinstance(value, str) and value.endswith("T00:00:00Z"):
                value = value[:10]  # a date field Freshdesk wrote as midnight UTC: the date it holds
            out[label] = value
        return out


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def company_from(raw: dict[str, Any], labels: FieldLabels, base_url: str) -> Organization | None:
    cid = ident(raw.get("id"))
    if cid is None:
        return None
    values = {key: raw.get(key) for key in TOP_LEVEL if key in raw}
    values.update(as_object(raw.get("custom_fields")))
    updated = raw.get("updated_at")
    return Organization(
        source_id=cid, name=text(raw.get("name")) or f"Company {cid}",
        domains=[d for d in _listed(raw.get("domains")) if isinstance(d, str) and d.strip()],
        details=text(raw.get("description")), notes=text(raw.get("note")), custom_fields=labels.named(values),
        updated_at=parse_time(updated) if isinstance(updated, str) else None,
        url=f"{base_url}/a/companies/{cid}",
    )


def contact_details(raw: dict[str, Any], labels: FieldLabels, contact: Contact) -> Contact:
    """The contact as `/contacts/{id}` has it: every address and phone, companies, notes, custom fields."""
    addresses = [e for e in [text(raw.get("email")), *emails(raw.get("other_emails"))] if e]
    phones = [p for p in (text(raw.get("phone")), text(raw.get("mobile"))) if p]
    companies = [ident(raw.get("company_id"))]
    companies += [ident(as_object(c).get("company_id")) for c in items(raw.get("other_companies"))]
    return Contact(
        source_id=contact.source_id, name=text(raw.get("name")) or contact.name,
        emails=list(dict.fromkeys([*contact.emails, *addresses])), phones=list(dict.fromkeys([*contact.phones, *phones])),
        deleted=bool(raw.get("deleted", False)), organization_ids=list(dict.fromkeys(c for c in companies if c)),
        custom_fields=labels.named(as_object(raw.get("custom_fields"))), notes=text(raw.get("description")),
    )


class _Reader(Protocol):
    """What CompanySource needs from the Freshdesk connector it is mixed into."""

    base_url: str
    per_page: int
    _labels: dict[str, FieldLabels]
    _records: dict[str, dict[str, Any] | None]
    _users_lock: threading.Lock

    def _get(self, path: str, *, what: str, params: dict[str, Any] | None = None, ok404: bool = False,
             account_level: bool = True) -> Any: ...

    def _pages(self, path: str, *, what: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]: ...

    def optional(self, what: str, call: Any, default: Any, *, without: str = "") -> Any: ...

    def labels(self, kind: str) -> FieldLabels: ...


def _body(response: Any) -> Any:
    try:
        return response.json() if response is not None else None
    except ValueError:
        return None


class CompanySource:
    """The Freshdesk connector's companies and contact details (mixed into FreshdeskConnector)."""

    def labels(self: _Reader, kind: str) -> FieldLabels:
        """Company or contact field labels, read once; without the listing, values keep their API names."""
        if kind not in self._labels:
            words = kind.replace("_", " ")
            listed = self.optional(f"Freshdesk's {words}", lambda: _body(self._get(f"/api/v2/{kind}", what=f"the {words}")),
                                   None, without="their values are listed under their API names.")
            self._labels[kind] = FieldLabels(listed if isinstance(listed, list) else [], available=listed is not None)
        return self._labels[kind]

    def organizations(self: _Reader, *, cursor: dict[str, Any] | None = None) -> Iterator[OrganizationPage]:
        labels = self.labels("company_fields")
        url: str = (cursor or {}).get("next") or "/api/v2/companies"
        query: dict[str, Any] | None = None if cursor else {"per_page": self.per_page}
        while True:
            response = self._get(url, what="the companies", params=query)
            body = _body(response)
            orgs = [o for o in (company_from(c, labels, self.base_url) for c in (body if isinstance(body, list) else [])
                                if isinstance(c, dict)) if o is not None]
            nxt = response.links.get("next", {}).get("url")
            yield OrganizationPage(organizations=orgs, cursor={"next": nxt} if nxt else None)
            if not nxt:
                return
            url, query = nxt, None

    def organization(self: _Reader, source_id: str) -> Organization | None:
        if not source_id.isdigit():
            return None
        body = _body(self._get(f"/api/v2/companies/{source_id}", what=f"company {source_id}", ok404=True,
                               account_level=False))
        return company_from(body, self.labels("company_fields"), self.base_url) if isinstance(body, dict) else None

    def count_organizations(self: _Reader) -> int:
        return sum(1 for _ in self._pages("/api/v2/companies", what="the companies"))

    def contact_field_names(self: _Reader) -> list[str]:
        return list(self.labels("contact_fields").labels.values())

    def contact_details(self: _Reader, contact: Contact) -> Contact:
        """The ticket's requester embed has a name and addresses only: the rest is on /contacts/{id} (read
        once per contact)."""
        if not contact.source_id.isdigit():
            return contact
        with self._users_lock:
            known = contact.source_id in self._records
            raw = self._records.get(contact.source_id)
        if not known:
            body = _body(self._get(f"/api/v2/contacts/{contact.source_id}", what=f"contact {contact.source_id}",
                                   ok404=True, account_level=False))
            raw = body if isinstance(body, dict) else None
            with self._users_lock:
                self._records[contact.source_id] = raw
        return contact_details(raw, self.labels("contact_fields"), contact) if raw else contact
