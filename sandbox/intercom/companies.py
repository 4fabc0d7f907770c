"""Companies in the Intercom stand-in (API 2.16): the sample data set's organizations
(connectors/sample/people.py) as Intercom companies, `GET /companies/{id}` and `POST /companies/list`
(`page`, `per_page`; `pages.total_pages`), and which company each contact belongs to.

An Intercom company has no domains, details or notes: its `website` is the organization's first domain,
`industry` and `size` (seats) are standard attributes, the rest are string `custom_attributes` (the
document types them as strings). Contacts carry the sample's contact fields as `custom_attributes`.
"""

from __future__ import annotations

from typing import Any

from connectors.base import Contact, Organization
from connectors.sample import people
from connectors.sample.generator import CONTACT_ID_OFFSET, SampleDataset

ID_PREFIX = "6762f1261bb69f9f"  # + 8 digits: a 24-character id, as Intercom's look
CUSTOM = ("Account tier", "Renewal date")


def company_id(source_id: str) -> str:
    return f"{ID_PREFIX}{int(source_id):08d}"


def organization_of(company: str, dataset: SampleDataset) -> Organization | None:
    if not company.startswith(ID_PREFIX) or not company[len(ID_PREFIX):].isdigit():
        return None
    k = people.organization_index(str(int(company[len(ID_PREFIX):])))
    return dataset.organization(k) if k and k <= dataset.organization_count() else None


def company_of(contact_id: int, dataset: SampleDataset) -> str | None:
    k = people.contact_organization(dataset, contact_id - CONTACT_ID_OFFSET)
    return company_id(str(people.ORGANIZATION_ID_OFFSET + k)) if k else None


def company_json(org: Organization, app: dict[str, Any]) -> dict[str, Any]:
    stamp = int(org.updated_at.timestamp()) if org.updated_at else app["created_at"]
    out: dict[str, Any] = {
        "type": "company", "id": company_id(org.source_id), "name": org.name, "app_id": app["id_code"],
        "company_id": f"cmp-{org.source_id}", "created_at": app["created_at"], "updated_at": stamp,
        "remote_created_at": app["created_at"], "user_count": 0, "session_count": 0, "monthly_spend": 0,
        "custom_attributes": {k: str(org.custom_fields[k]) for k in CUSTOM if org.custom_fields.get(k) is not None},
        "tags": {"type": "tag.list", "tags": []}, "segments": {"type": "segment.list", "segments": []}, "plan": {},
    }
    if org.domains:
        out["website"] = f"https://{org.domains[0]}"
    if org.custom_fields.get("Industry") is not None:
        out["industry"] = org.custom_fields["Industry"]
    if org.custom_fields.get("Seats") is not None:
        out["size"] = org.custom_fields["Seats"]
    return out


def contact_attributes(contact: Contact) -> dict[str, Any]:
    return {k: v for k, v in contact.custom_fields.items() if v is not None}


def company_page(dataset: SampleDataset, app: dict[str, Any], *, page: int, per_page: int) -> dict[str, Any]:
    orgs = list(dataset.organizations())
    total_pages = max(1, -(-len(orgs) // per_page))
    chunk = orgs[(page - 1) * per_page: page * per_page]
    return {"type": "list", "data": [company_json(o, app) for o in chunk], "total_count": len(orgs),
            "pages": {"type": "pages", "page": page, "per_page": per_page, "total_pages": total_pages}}
