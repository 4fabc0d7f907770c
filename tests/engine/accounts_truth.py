"""Compare the source stand-in's *data set* (the truth) with the accounts and contacts the Front stand-in
received, field by field (issue 18, acceptance 1): every organization's account (name, domains, details,
notes, every custom field on the account field of the same name or as a "Name: value" description line),
its contacts, and every migrated contact's handles, fields and notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sample import people
from connectors.sample.generator import SampleDataset
from migrations_engine import field_values
from migrations_engine.models import RecordMap
from sandbox.front.state import SEED_ACCOUNT_FIELDS, SEED_CONTACT_FIELDS

ACCOUNT_FIELDS = field_values.definitions([{"name": n, "type": t, "values": [{"value": v} for v in vs or []]}
                                           for n, t, vs in SEED_ACCOUNT_FIELDS])
CONTACT_FIELDS = field_values.definitions([{"name": n, "type": t, "values": [{"value": v} for v in vs or []]}
                                           for n, t, vs in SEED_CONTACT_FIELDS])


@dataclass
class AccountsSeen:
    accounts: int = 0
    account_fields: int = 0  # on Front account custom fields
    account_lines: int = 0  # as description lines (no such field, or the value does not fit)
    members: int = 0
    contacts: int = 0
    contact_fields: int = 0
    contact_lines: int = 0
    extra_handles: int = 0
    problems: list[str] = field(default_factory=list)


def _check_fields(values: dict[str, Any], fields: field_values.FieldDefs, front: dict[str, Any], text: str,
                  where: str, seen: AccountsSeen, kind: str) -> None:
    for name, value in values.items():
        front_field = fields.get(name)
        fits, converted = field_values.fitted(value, front_field) if front_field else (False, None)
        if fits:
            if front.get(name) != converted:
                seen.problems.append(f"{where}: custom field {name!r} is {front.get(name)!r}, not {converted!r}")
            setattr(seen, f"{kind}_fields", getattr(seen, f"{kind}_fields") + 1)
        else:
            line = f"{name}: {field_values.text(value)}"
            if line not in text.splitlines():
                seen.problems.append(f"{where}: {line!r} missing from the description {text!r}")
            setattr(seen, f"{kind}_lines", getattr(seen, f"{kind}_lines") + 1)
    unexpected = set(front) - {n for n, v in values.items() if n in fields}
    if unexpected:
        seen.problems.append(f"{where}: unexpected custom fields {sorted(unexpected)}")


def check_accounts(*, dataset: SampleDataset, migration, state: dict, vendor: str) -> AccountsSeen:
    seen = AccountsSeen()
    accounts = {a["id"]: a for a in state["accounts"]}
    contacts = {c["id"]: c for c in state["contacts"]}
    rows = {r.source_id: r for r in RecordMap.objects.filter(migration=migration, entity="account")}
    migrated = {r.source_id: r.front_id for r in RecordMap.objects.filter(
        migration=migration, entity="contact", state="done").exclude(front_id="")}
    if len(accounts) != len({a["name"].casefold() for a in accounts.values()}):
        seen.problems.append("two Front accounts share a name: an organization was created twice")
    for org in dataset.organizations():
        row = rows.get(org.source_id)
        where = f"organization {org.source_id} ({org.name})"
        if row is None or row.state != "done" or row.front_id not in accounts:
            seen.problems.append(f"{where}: no account ({row.state if row else 'no row'}: {row.reason if row else ''})")
            continue
        account = accounts[row.front_id]
        seen.accounts += 1
        if account["name"] != org.name:
            seen.problems.append(f"{where}: named {account['name']!r}")
        if sorted(d.lower() for d in account["domains"]) != sorted(d.lower() for d in org.domains):
            seen.problems.append(f"{where}: domains {account['domains']} instead of {org.domains}")
        text = account.get("description") or ""
        for part in (org.details, org.notes):
            if part and part not in text:
                seen.problems.append(f"{where}: {part!r} missing from the description")
        _check_fields(org.custom_fields, ACCOUNT_FIELDS, account["custom_fields"], text, where, seen, "account")
        k = people.organization_index(org.source_id)
        members = {migrated[str(people_id)] for j in range(1, dataset.contact_count + 1)
                   if people.contact_organization(dataset, j) == k
                   and (people_id := 1_000_000 + j) and str(people_id) in migrated}
        if set(account["contact_ids"]) != members:
            seen.problems.append(f"{where}: members {sorted(account['contact_ids'])} instead of {sorted(members)}")
        seen.members += len(members)
    for source_id, front_id in migrated.items():
        truth = dataset.contact_by_id(source_id)
        contact = contacts.get(front_id)
        if truth is None or contact is None:
            continue
        where = f"contact {source_id}"
        seen.contacts += 1
        handles = {h["handle"].lower() for h in contact["handles"]}
        wanted = {e.lower() for e in truth.emails if "@" in e and " " not in e and e.count("@") == 1
                  and "." in e.split("@")[1] and not e.startswith("@") and ".@" not in e}
        wanted |= {p for p in truth.phones}
        if not wanted <= handles:
            seen.problems.append(f"{where}: handles {sorted(handles)} lack {sorted(wanted - handles)}")
        seen.extra_handles += max(0, len(wanted) - 1)
        text = contact.get("description") or ""
        if truth.notes and truth.notes not in text:
            seen.problems.append(f"{where}: notes missing from {text!r}")
        _check_fields(truth.custom_fields, CONTACT_FIELDS, contact["custom_fields"], text, where, seen, "contact")
    return seen
