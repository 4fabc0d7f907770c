"""Organizations and customer details in the Help Scout stand-in (Mailbox API 2.0, public reference).

The sample data set's organizations (connectors/sample/people.py) as `GET /v2/organizations` (HAL, 50 a
page, `sort=name,asc` honoured), `GET /v2/organizations/{id}` (`includeProperties=true` adds `properties`)
and `GET /v2/organizations/properties`; its contacts as `GET /v2/customers/{id}` (every email and phone,
`background`, `organizationId`, `_embedded.properties`) and their property definitions as
`GET /v2/customer-properties`. Property values are strings (numbers as "18"); dropdown customer
properties carry the option's id as `value` and its label as `text`.

Strict (docs/vendor-guesses.md): H10, organization list items carry their `properties` already (ours: only
`GET /v2/organizations/{id}?includeProperties=true` has them); H11, a customer names its organization
only by name (`organization`), without `organizationId`.
"""

from __future__ import annotations

import uuid
from typing import Any

from connectors.base import Contact, Organization
from connectors.sample import people
from connectors.sample.generator import CONTACT_ID_OFFSET

STAMP = "2018-06-01T09:00:00Z"
ORG_PROPERTIES = {"Account tier": ("account-tier", "dropdown"), "Seats": ("seats", "number"),
                  "Industry": ("industry", "text"), "Renewal date": ("renewal-date", "date")}
CUSTOMER_PROPERTIES = {"Plan": ("plan", "dropdown"), "Loyalty points": ("loyalty-points", "number"),
                       "Language": ("language", "text"), "Newsletter": ("newsletter", "dropdown")}
OPTIONS = {"Account tier": people.ACCOUNT_TIERS, "Plan": people.PLANS, "Newsletter": people.NEWSLETTERS}


def option_id(field: str, label: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"frontport-sample/{field}/{label}"))


def _definitions(kinds: dict[str, tuple[str, str]], *, with_ids: bool) -> list[dict[str, Any]]:
    out = []
    for name, (slug, ftype) in kinds.items():
        item: dict[str, Any] = {"type": ftype, "slug": slug, "name": name}
        if name in OPTIONS:
            item["options"] = [{"id": option_id(name, o), "label": o} if with_ids else {"label": o} for o in OPTIONS[name]]
        out.append(item)
    return out


def organization_properties() -> list[dict[str, Any]]:
    return _definitions(ORG_PROPERTIES, with_ids=False)


def customer_properties() -> list[dict[str, Any]]:
    return _definitions(CUSTOMER_PROPERTIES, with_ids=True)


def _text(value: Any) -> str:
    return str(value)


def organization_json(org: Organization, base: str, *, properties: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": int(org.source_id), "name": org.name, "website": None, "description": org.details,
        "location": None, "logoUrl": None, "note": org.notes, "domains": list(org.domains), "phones": [],
        "brandColor": None, "_links": {"self": {"href": f"{base}/v2/organizations/{org.source_id}"}},
    }
    if properties:
        out["properties"] = [
            {"definitionId": 1000 + n, "slug": slug, "name": name, "type": ftype, "value": _text(org.custom_fields[name])}
            for n, (name, (slug, ftype)) in enumerate(ORG_PROPERTIES.items()) if org.custom_fields.get(name) is not None]
    return {k: v for k, v in out.items() if v is not None}


def customer_json(contact: Contact, base: str, *, strict: bool, organization_name: str | None) -> dict[str, Any]:
    first, _, last = (contact.name or "").partition(" ")
    props = []
    for name, (slug, ftype) in CUSTOMER_PROPERTIES.items():
        value = contact.custom_fields.get(name)
        if value is None:
            continue
        shown = _text(value)
        props.append({"type": ftype, "slug": slug, "name": name, "text": shown, "source": {"name": "api"},
                      "value": option_id(name, shown) if ftype == "dropdown" else shown})
    out: dict[str, Any] = {
        "id": int(contact.source_id), "firstName": first or None, "lastName": last or None, "gender": "unknown",
        "createdAt": STAMP, "updatedAt": STAMP, "background": contact.notes, "draft": False,
        "_embedded": {"emails": [{"id": n, "value": e, "type": "work"} for n, e in enumerate(contact.emails, 1)],
                      "phones": [{"id": n, "value": p, "type": "work"} for n, p in enumerate(contact.phones, 1)],
                      "properties": props},
        "_links": {"self": {"href": f"{base}/v2/customers/{contact.source_id}"}},
    }
    if organization_name:
        out["organization"] = organization_name
        if not strict:  # H11: strict names the organization only
            out["organizationId"] = int(contact.organization_ids[0])
        out["_links"]["organization"] = {"href": f"{base}/v2/organizations/{contact.organization_ids[0]}"}
    return {k: v for k, v in out.items() if v is not None}


def add_routes(app: Any) -> None:
    """Register the organization and customer routes on a HelpScoutApp (sandbox/helpscout/app.py)."""
    from sandbox.helpscout.app import HAL, OTHER_PER_PAGE, _error
    from sandbox.vendorhttp import Response

    def list_organizations(request: Any) -> Any:
        orgs = sorted(app.dataset.organizations(), key=lambda o: o.name.casefold())
        if request.query.get("sort", "").startswith("name") and request.query["sort"].endswith("desc"):
            orgs.reverse()
        return app.api(request, lambda: app.hal_page(request, "organizations", (
            organization_json(o, app.base_url, properties=app.strict) for o in orgs), OTHER_PER_PAGE))

    def get_organization(request: Any) -> Any:
        def run() -> Any:
            k = people.organization_index(request.params["id"])
            if k is None or k > app.dataset.organization_count():
                return _error(404, "Organization not found")
            wanted = request.query.get("includeProperties", "").lower() == "true"
            return Response.json(organization_json(app.dataset.organization(k), app.base_url, properties=wanted),
                                 content_type=HAL)
        return app.api(request, run)

    def get_customer(request: Any) -> Any:
        def run() -> Any:
            raw = request.params["id"]
            contact = app.dataset.contact_by_id(raw) if raw.isdigit() and int(raw) > CONTACT_ID_OFFSET else None
            if contact is None:
                return _error(404, "Customer not found")
            org_name = contact.organizations[0] if contact.organizations else None
            return Response.json(customer_json(contact, app.base_url, strict=app.strict, organization_name=org_name),
                                 content_type=HAL)
        return app.api(request, run)

    def definitions(name: str, items: list[dict[str, Any]]) -> Any:
        return lambda request: app.api(request, lambda: Response.json(
            {"_embedded": {name: items}, "_links": {"self": {"href": f"{app.base_url}{request.path}"}}}, content_type=HAL))

    app.route("GET", "/v2/organizations", list_organizations)
    app.route("GET", "/v2/organizations/properties", definitions("organization-properties", organization_properties()))
    app.route("GET", "/v2/organizations/{id}", get_organization)
    app.route("GET", "/v2/customers/{id}", get_customer)
    app.route("GET", "/v2/customer-properties", definitions("customer-properties", customer_properties()))
