"""Front accounts in the stand-in: `/accounts` (list, create, read, update), their contacts, account custom
fields, and how custom field values are checked on accounts and contacts.

Custom field values (docs/vendor-guesses.md, "A custom field value that does not fit its field"): Front's
reference says a value "must use the same type specified for the custom field", not what happens when it
does not. Ours: a value of the wrong type, an enum value that is not one of the field's values, or a name
that is no field of that kind, is refused with 400. Strict: the record is written and such values are
silently left out.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

from sandbox.front.routes import ApiError, Call, listing, page, route
from sandbox.front.state import Company


def _fits(field: dict, value: Any) -> bool:
    kind = field["type"]
    if value is None:
        return True
    if kind in ("string", "teammate", "inbox"):
        return isinstance(value, str)
    if kind == "enum":
        return isinstance(value, str) and value in (field["values"] or [])
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "datetime":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return False


def checked_fields(co: Company, kind: str, values: Any) -> dict[str, Any]:
    """The custom field values a write may keep (see the module's docstring for both readings)."""
    if not isinstance(values, dict):
        raise ApiError(400, "Bad request", "custom_fields must be an object")
    fields = {f["name"]: f for f in co.custom_fields[kind]}
    kept: dict[str, Any] = {}
    for name, value in values.items():
        field = fields.get(name)
        if field is not None and _fits(field, value):
            kept[name] = value
        elif not co.strict:
            why = "is no custom field of this resource" if field is None else f"must be a {field['type']}"
            if field is not None and field["type"] == "enum":
                why = f"must be one of {', '.join(field['values'] or [])}"
            raise ApiError(400, "Bad request", f"Custom field {name!r} {why}")
    return kept


def account_json(co: Company, acc: str) -> dict:
    a = co.accounts[acc]
    return {"_links": {"self": co.link(f"/accounts/{acc}"), "related": {"contacts": co.link(f"/accounts/{acc}/contacts")}},
            "id": acc, "name": a["name"], "logo_url": None, "description": a.get("description"),
            "domains": list(a["domains"]), "external_id": a.get("external_id"),
            "custom_fields": dict(a["custom_fields"]), "created_at": a["created_at"], "updated_at": a["updated_at"]}


def find_account(co: Company, ref: str) -> dict:
    """By id, or by the resource aliases the reference names (`alt:domain:…`, `alt:external_id:…`)."""
    ref = unquote(ref)
    if ref.startswith("alt:"):
        parts = ref.split(":", 2)
        kind, value = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
        for a in co.accounts.values():
            if (kind == "domain" and value.lower() in {d.lower() for d in a["domains"]}) or (kind == "external_id" and a.get("external_id") == value):
                return a
    elif ref in co.accounts:
        return co.accounts[ref]
    raise ApiError(404, "Not found", f"Unknown account {ref}")


def _domains(values: Any) -> list[str]:
    """As given, the same domain in another letter case once."""
    kept: dict[str, str] = {}
    for d in values or []:
        kept.setdefault(str(d).strip().lower(), str(d).strip())
    return [d for key, d in kept.items() if key]


@route("GET", "/accounts/custom_fields")
def account_fields(co: Company, call: Call) -> tuple[int, Any]:
    return 200, listing(co, "/accounts/custom_fields", [co.field_json(f) for f in co.custom_fields["account"]])


@route("GET", "/accounts")
def accounts(co: Company, call: Call) -> tuple[int, Any]:
    return 200, page(co, "/accounts", call, [account_json(co, a) for a in co.accounts])


@route("POST", "/accounts")
def create_account(co: Company, call: Call) -> tuple[int, Any]:
    body = call.body
    if not str(body.get("name") or "").strip():
        raise ApiError(400, "Bad request", "An account needs a name")
    acc = co.new_id("acc")
    now = time.time()
    co.accounts[acc] = {"id": acc, "name": body["name"], "description": body.get("description"),
                        "domains": _domains(body.get("domains")), "external_id": body.get("external_id"),
                        "custom_fields": checked_fields(co, "account", body.get("custom_fields", {})),
                        "contact_ids": [], "created_at": now, "updated_at": now}
    return 201, account_json(co, acc)


@route("GET", "/accounts/{account_id}")
def get_account(co: Company, call: Call) -> tuple[int, Any]:
    return 200, account_json(co, find_account(co, call.params["account_id"])["id"])


@route("PATCH", "/accounts/{account_id}")
def update_account(co: Company, call: Call) -> tuple[int, Any]:
    account = find_account(co, call.params["account_id"])
    body = call.body
    if "name" in body:
        account["name"] = body["name"]
    if "description" in body:
        account["description"] = body["description"]
    if "domains" in body:
        account["domains"] = _domains(body["domains"])
    if "custom_fields" in body:  # replaces them all, as the reference warns
        account["custom_fields"] = checked_fields(co, "account", body["custom_fields"])
    account["updated_at"] = time.time()
    return 200, account_json(co, account["id"])


@route("GET", "/accounts/{account_id}/contacts")
def account_contacts(co: Company, call: Call) -> tuple[int, Any]:
    account = find_account(co, call.params["account_id"])
    members = [co.contact_json(c) for c in account["contact_ids"] if c in co.contacts]
    return 200, page(co, f"/accounts/{account['id']}/contacts", call, members)


@route("POST", "/accounts/{account_id}/contacts")
def add_account_contacts(co: Company, call: Call) -> tuple[int, Any]:
    """Adding a contact already in the account changes nothing; an unknown contact is a 404."""
    from sandbox.front.routes import find_contact

    account = find_account(co, call.params["account_id"])
    found = [find_contact(co, ref)["id"] for ref in call.body["contact_ids"]]
    for crd in found:
        if crd not in account["contact_ids"]:
            account["contact_ids"].append(crd)
    account["updated_at"] = time.time()
    return 204, None


def dump_accounts(co: Company) -> list[dict]:
    return [{"id": a["id"], "name": a["name"], "description": a.get("description"), "domains": list(a["domains"]),
             "external_id": a.get("external_id"), "custom_fields": dict(a["custom_fields"]),
             "contact_ids": list(a["contact_ids"])} for a in co.accounts.values()]
