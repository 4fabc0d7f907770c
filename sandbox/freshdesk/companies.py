"""Companies, company fields and contact fields in the Freshdesk stand-in (API v2, public reference).

The sample data set's organizations (connectors/sample/people.py) as `/api/v2/companies` (pages of
`per_page`, at most 100, `Link: rel="next"`), `/api/v2/companies/{id}`, `/api/v2/company_fields`; its
contacts' company, notes and custom fields on `/api/v2/contacts/{id}`, defined by `/api/v2/contact_fields`.

Freshdesk's reference shows `account_tier`, `industry`, `renewal_date` and `health_score` at the top level
of a company (default fields of its customer-success plans), other custom fields under `custom_fields`
by field `name`. Strict (docs/vendor-guesses.md F7): those default fields come under `custom_fields` too.
Dropdown values are the choice labels; empty fields are null (strict: left out, F5).
"""

from __future__ import annotations

from typing import Any

from connectors.base import Contact, Organization
from connectors.sample import people

STAMP = "2018-06-01T09:00:00Z"
# Dataset field -> (Freshdesk field name, type); the default ones sit at the top level of a company.
COMPANY_FIELDS = {"Account tier": ("account_tier", "default_account_tier"), "Industry": ("industry", "default_industry"),
                  "Renewal date": ("renewal_date", "default_renewal_date"), "Seats": ("seats", "custom_number")}
CONTACT_FIELDS = {"Plan": ("plan", "custom_dropdown"), "Loyalty points": ("loyalty_points", "custom_number"),
                  "Language": ("preferred_language", "custom_text"), "Newsletter": ("newsletter", "custom_dropdown")}
CHOICES = {"Account tier": people.ACCOUNT_TIERS, "Industry": people.INDUSTRIES, "Plan": people.PLANS,
           "Newsletter": people.NEWSLETTERS}


def _field(fid: int, name: str, label: str, ftype: str, position: int) -> dict[str, Any]:
    field: dict[str, Any] = {"id": fid, "name": name, "label": label, "position": position, "type": ftype,
                             "default": ftype.startswith("default_"), "required_for_agents": False,
                             "created_at": STAMP, "updated_at": STAMP}
    if label in CHOICES:
        field["choices"] = list(CHOICES[label])
    return field


def company_fields() -> list[dict[str, Any]]:
    fields = [_field(1, "name", "Company Name", "default_name", 1),
              _field(2, "description", "Description", "default_description", 2),
              _field(3, "note", "Notes", "default_note", 3),
              _field(4, "domains", "Domains for this company", "default_domains", 4),
              _field(5, "health_score", "Health score", "default_health_score", 5)]
    for pos, (label, (name, ftype)) in enumerate(COMPANY_FIELDS.items(), start=6):
        fields.append(_field(pos, name, label, ftype, pos))
    return fields


def contact_fields() -> list[dict[str, Any]]:
    fields = [_field(101, "name", "Full name", "default_name", 1), _field(102, "email", "Email", "default_email", 2),
              _field(103, "phone", "Work phone", "default_phone", 3),
              _field(104, "company_name", "Company", "default_company_name", 4),
              _field(105, "description", "About", "default_description", 5)]
    for pos, (label, (name, ftype)) in enumerate(CONTACT_FIELDS.items(), start=6):
        fields.append(_field(100 + pos, name, label, ftype, pos))
    return fields


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


def company(org: Organization, *, strict: bool) -> dict[str, Any]:
    values = {name: org.custom_fields.get(label) for label, (name, _t) in COMPANY_FIELDS.items()}
    top = {name: values.pop(name) for name in ("account_tier", "industry", "renewal_date")}
    top["health_score"] = None
    if strict:  # F7: the customer-success fields under custom_fields
        values.update(top)
        top = {}
    record: dict[str, Any] = {
        "id": int(org.source_id), "name": org.name, "description": org.details, "note": org.notes,
        "domains": list(org.domains), "custom_fields": _compact(values) if strict else values,
        "created_at": STAMP, "updated_at": (org.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") if org.updated_at else STAMP),
        **top,
    }
    return _compact(record) if strict else record


def contact_extras(contact: Contact, *, strict: bool) -> dict[str, Any]:
    """What `/contacts/{id}` adds for a dataset contact: its company, notes and custom fields."""
    values = {name: contact.custom_fields.get(label) for label, (name, _t) in CONTACT_FIELDS.items()}
    extras = {"company_id": int(contact.organization_ids[0]) if contact.organization_ids else None,
              "description": contact.notes, "custom_fields": _compact(values) if strict else values}
    return _compact(extras) if strict else extras


def add_routes(app: Any) -> None:
    """Register the company and field routes on a FreshdeskApp (sandbox/freshdesk/app.py)."""
    from sandbox.vendorhttp import Response

    api = "/api/v2"

    def list_companies(request: Any) -> Any:
        paging = app.paging(request)
        if isinstance(paging, Response):
            return paging

        def run() -> Any:
            orgs = (company(o, strict=app.strict) for o in app.dataset.organizations())
            items, headers = app.page_of(request, orgs, *paging)
            return Response.json(items, headers=headers)

        return app.api(request, run)

    def get_company(request: Any) -> Any:
        def run() -> Any:
            k = people.organization_index(request.params["id"])
            if k is None or k > app.dataset.organization_count():
                return Response.json({"code": "not_found", "message": "Not found"}, 404)
            return Response.json(company(app.dataset.organization(k), strict=app.strict))

        return app.api(request, run)

    app.route("GET", f"{api}/companies", list_companies)
    app.route("GET", f"{api}/companies/{{id}}", get_company)
    app.route("GET", f"{api}/company_fields", lambda r: app.api(r, lambda: Response.json(company_fields())))
    app.route("GET", f"{api}/contact_fields", lambda r: app.api(r, lambda: Response.json(contact_fields())))
