"""Intercom companies -> canonical organizations (API 2.16).

`POST /companies/list?page=N&per_page=50` pages through every company (`pages.total_pages`; the resume
cursor is the next page number); one by id with `GET /companies/{id}`. An Intercom company has no domains,
details or notes: its website's host is the organization's domain, `industry`, `size` (as "Seats"),
`plan`, `monthly_spend` and `custom_attributes` are its fields. Contacts name their companies by id
(`Contact.organization_ids`) and carry their `custom_attributes` as custom fields (mapping.contact_from).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.base import NotFound, Organization, OrganizationPage, as_object
from connectors.intercom.client import IntercomClient

PER_PAGE = 50


def company_from(raw: dict[str, Any]) -> Organization | None:
    cid = raw.get("id")
    if not isinstance(cid, str | int) or isinstance(cid, bool) or str(cid) == "":
        return None
    host = urlsplit(str(raw.get("website") or "")).hostname if isinstance(raw.get("website"), str) else None
    fields: dict[str, Any] = {}
    if isinstance(raw.get("industry"), str) and raw["industry"]:
        fields["Industry"] = raw["industry"]
    if isinstance(raw.get("size"), int) and not isinstance(raw["size"], bool):
        fields["Seats"] = raw["size"]
    plan = as_object(raw.get("plan")).get("name")
    if isinstance(plan, str) and plan:
        fields["Plan"] = plan
    if isinstance(raw.get("monthly_spend"), int | float) and not isinstance(raw["monthly_spend"], bool) \
            and raw["monthly_spend"]:
        fields["Monthly spend"] = raw["monthly_spend"]
    fields.update({str(k): v for k, v in as_object(raw.get("custom_attributes")).items() if v not in (None, "")})
    updated = raw.get("updated_at")
    return Organization(
        source_id=str(cid), name=str(raw.get("name") or "") or f"Company {cid}", domains=[host] if host else [],
        custom_fields=fields,
        updated_at=datetime.fromtimestamp(updated, UTC) if isinstance(updated, int) and not isinstance(updated, bool)
        else None)


def company_pages(client: IntercomClient, *, cursor: dict[str, Any] | None, per_page: int = PER_PAGE
                  ) -> Iterator[OrganizationPage]:
    page = int((cursor or {}).get("page", 1))
    per_page = int((cursor or {}).get("per_page", per_page))
    while True:
        response = client.request("POST", "/companies/list", what="the companies", account_level=True,
                                  params={"page": page, "per_page": per_page})
        body = as_object(response.json() if response.content else {})
        orgs = [o for o in (company_from(c) for c in body.get("data") or [] if isinstance(c, dict)) if o]
        total = as_object(body.get("pages")).get("total_pages")
        more = isinstance(total, int) and page < total
        yield OrganizationPage(organizations=orgs, cursor={"page": page + 1, "per_page": per_page} if more else None)
        if not more:
            return
        page += 1


def company(client: IntercomClient, company_id: str) -> Organization | None:
    try:
        raw = client.get(f"/companies/{company_id}", what=f"company {company_id}", account_level=False)
    except NotFound:
        return None
    return company_from(raw)
