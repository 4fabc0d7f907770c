"""Organizations and user fields in the Zendesk stand-in (shapes of shared/specs/zendesk-support-api.yaml).

The sample data set's organizations (connectors/sample/people.py) as `/api/v2/organizations` (offset pages
of `per_page`, at most 100, with `next_page`; strict: cursor pages of two, docs/vendor-guesses.md Z4),
`/organizations/{id}`, `/organizations/count`, `/organization_fields`; its contacts' custom fields as
`user_fields` on every user record, defined by `/user_fields`. Dropdown values are option *tags*, as
Zendesk sends them (names come from the field listings); empty values are left out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from connectors.base import Contact, Organization
from connectors.sample import people
from sandbox.zendesk import render

if TYPE_CHECKING:
    from sandbox.zendesk.server import ZendeskHandler

ORG_FIELD_KINDS = {"Account tier": ("dropdown", people.ACCOUNT_TIERS), "Seats": ("integer", None),
                   "Industry": ("text", None), "Renewal date": ("date", None)}
USER_FIELD_KINDS = {"Plan": ("dropdown", people.PLANS), "Loyalty points": ("integer", None),
                    "Language": ("text", None), "Newsletter": ("dropdown", people.NEWSLETTERS)}


def field_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _definitions(base: str, kind: str, kinds: dict[str, tuple[str, tuple[str, ...] | None]], first_id: int
                 ) -> list[dict[str, Any]]:
    out = []
    for pos, (name, (ftype, options)) in enumerate(kinds.items()):
        fid = first_id + pos
        field: dict[str, Any] = {"id": fid, "url": f"{base}/api/v2/{kind}/{fid}.json", "key": field_key(name),
                                 "type": ftype, "title": name, "raw_title": name, "description": "",
                                 "raw_description": "", "position": pos, "active": True, "system": False,
                                 "regexp_for_validation": None, "created_at": "2018-06-01T09:00:00Z",
                                 "updated_at": "2018-06-01T09:00:00Z"}
        if options:
            field["custom_field_options"] = [{"id": fid * 10 + k, "name": o, "raw_name": o, "value": render.option_tag(o),
                                              "position": k} for k, o in enumerate(options)]
        out.append(field)
    return out


def organization_fields(base: str) -> list[dict[str, Any]]:
    return _definitions(base, "organization_fields", ORG_FIELD_KINDS, 7_000)


def user_fields(base: str) -> list[dict[str, Any]]:
    return _definitions(base, "user_fields", USER_FIELD_KINDS, 8_000)


def _values(values: dict[str, Any], kinds: dict[str, tuple[str, tuple[str, ...] | None]]) -> dict[str, Any]:
    """Field key -> value as Zendesk stores it (dropdowns by option tag); empty values left out."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or name not in kinds:
            continue
        out[field_key(name)] = render.option_tag(value) if kinds[name][0] == "dropdown" else value
    return out


def organization_json(org: Organization, base: str) -> dict[str, Any]:
    oid = int(org.source_id)
    stamp = render.iso(org.updated_at or datetime(2018, 6, 1, tzinfo=UTC))
    return render.compact({
        "id": oid, "url": f"{base}/api/v2/organizations/{oid}.json", "name": org.name,
        "domain_names": list(org.domains), "details": org.details, "notes": org.notes, "external_id": None,
        "group_id": None, "shared_tickets": False, "shared_comments": False, "tags": [],
        "organization_fields": _values(org.custom_fields, ORG_FIELD_KINDS),
        "created_at": "2018-06-01T09:00:00Z", "updated_at": stamp,
    })


def user_extras(contact: Contact) -> dict[str, Any]:
    """What a user record adds for a contact: its organization, custom fields and notes."""
    return render.compact({
        "organization_id": int(contact.organization_ids[0]) if contact.organization_ids else None,
        "user_fields": _values(contact.custom_fields, USER_FIELD_KINDS), "notes": contact.notes,
    })


def identities(contact: Contact, base: str) -> list[dict[str, Any]]:
    """A user's email addresses (the first primary) and phone numbers, as /users/{id}/identities lists them."""
    uid = int(contact.source_id)
    values = [("email", e) for e in contact.emails] + [("phone_number", p) for p in contact.phones]
    return [{"id": uid * 10 + k, "url": f"{base}/api/v2/users/{uid}/identities/{uid * 10 + k}.json", "user_id": uid,
             "type": kind, "value": value, "verified": True, "primary": k == 0, "created_at": "2018-06-01T09:00:00Z",
             "updated_at": "2018-06-01T09:00:00Z"} for k, (kind, value) in enumerate(values)]


def route(h: ZendeskHandler, path: str, query: dict[str, list[str]]) -> bool:
    """Answer an organization or field route; False when `path` is none of them."""
    from sandbox.zendesk.routes import listing

    ds = h.server.state.dataset
    if path == "/api/v2/organizations":
        orgs = [organization_json(o, h.base) for o in ds.organizations()]
        if h.server.state.strict:
            listing(h, path, query, "organizations", orgs)
        else:
            _offset_page(h, path, query, "organizations", orgs)
    elif m := re.fullmatch(r"/api/v2/organizations/(\d+)", path):
        k = people.organization_index(m.group(1))
        if k is None or k > ds.organization_count():
            h._error(404, "RecordNotFound", "Not found")
        else:
            h._json(200, {"organization": organization_json(ds.organization(k), h.base)})
    elif path == "/api/v2/organizations/count":
        h._json(200, {"count": {"value": ds.organization_count(), "refreshed_at": render.iso(datetime.now(UTC))}})
    elif m := re.fullmatch(r"/api/v2/users/(\d+)/identities", path):
        contact = ds.contact_by_id(m.group(1))
        if contact is None:
            h._error(404, "RecordNotFound", "Not found")
        else:
            listing(h, path, query, "identities", identities(contact, h.base))
    elif path == "/api/v2/organization_fields":
        listing(h, path, query, "organization_fields", organization_fields(h.base))
    elif path == "/api/v2/user_fields":
        listing(h, path, query, "user_fields", user_fields(h.base))
    else:
        return False
    return True


def _offset_page(h: ZendeskHandler, path: str, query: dict[str, list[str]], key: str, records: list[dict[str, Any]]
                 ) -> None:
    from sandbox.zendesk.routes import _one

    try:
        page = max(1, int(_one(query, "page", "1") or 1))
        per_page = min(100, max(1, int(_one(query, "per_page", "100") or 100)))
    except ValueError:
        h._error(400, "InvalidPaginationParameter", "page and per_page must be numbers")
        return
    chunk = records[(page - 1) * per_page: page * per_page]
    more = page * per_page < len(records)
    nxt = f"{h.base}{path}.json?" + urlencode({"page": page + 1, "per_page": per_page}) if more else None
    h._json(200, {key: chunk, "next_page": nxt, "previous_page": None, "count": len(records)})
