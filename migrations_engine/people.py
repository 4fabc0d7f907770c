"""A requester's Front contact made complete: every handle, its custom fields and notes, its account.

pipeline.py looks each distinct requester up once per run; when the run moves contact fields or accounts,
that lookup goes through `ensure_contact` here:

- the source is asked once for the contact's details (`SourceConnector.contact_details`: every email and
  phone, organizations, custom fields, notes), where its ticket listing did not carry them;
- custom fields land on Front contact fields of the same name when the value fits, the rest and the notes
  in the contact's description (field_values.py); a new contact gets them with its create (no second
  call), an existing one gets one PATCH when something differs (its other custom fields kept: a PATCH
  replaces them all);
- the contact joins the account of its primary organization (`POST /accounts/{id}/contacts`), made on
  demand when no run made it yet (accounts.py).

What was applied is kept on the contact's record-map row (`applied = {"v", "account", "fields"}`); a
contact recorded by an earlier run without it (before contact fields and accounts moved, or when joining
its account failed) is looked up again, so reruns complete it and complete ones cost nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from connectors.base import Contact, NotAvailable, NotFound, PermanentRefusal
from connectors.front.accounts import FrontAccounts
from migrations_engine import accounts, field_values, requesters
from migrations_engine.journal import RECORD_ERRORS, RunContext
from migrations_engine.models import RecordMap

APPLIED_VERSION = 1


def fields_wanted(snapshot: dict[str, Any]) -> bool:
    return bool(snapshot.get("objects", {}).get("contact_fields", True))


def details_wanted(snapshot: dict[str, Any]) -> bool:
    return fields_wanted(snapshot) or accounts.wanted(snapshot)


def prepare(ctx: RunContext) -> dict[str, Any]:
    """Front's contact custom fields, read once per run (kept in Run.context by the prepare phase)."""
    if not (ctx.snapshot.get("objects", {}).get("contacts", True) and fields_wanted(ctx.snapshot)):
        return {}
    return {"contact_fields": field_values.definitions(ctx.client.contact_custom_fields())}


def complete_only(ctx: RunContext, rows: QuerySet[RecordMap]) -> QuerySet[RecordMap]:
    """Contacts the record map knows *and* that carry what this run moves: the others are looked up again."""
    return rows.filter(applied__has_key="v") if details_wanted(ctx.snapshot) else rows


@dataclass
class Ensured:
    id: str
    applied: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what could not be done, for the contact's reason


def _details(ctx: RunContext, req: Contact) -> tuple[Contact, list[str]]:
    """The source's full record of the contact; as the ticket gave it when the source refuses or no longer
    has it (transient errors propagate: the chunk is retried)."""
    try:
        return ctx.source.contact_details(req), []
    except (NotFound, NotAvailable, PermanentRefusal) as exc:
        return req, [f"Its details could not be read from the source ({exc})."]


def _body(ctx: RunContext, contact: Contact) -> dict[str, Any]:
    if not fields_wanted(ctx.snapshot):
        return {}
    front_fields: field_values.FieldDefs = (ctx.run.context or {}).get("contact_fields") or {}
    kept, lines = field_values.split(dict(contact.custom_fields), front_fields)
    others = contact.organizations[1:] or contact.organization_ids[1:]
    if others:
        lines.append("Other organizations: " + ", ".join(others))
    body: dict[str, Any] = {}
    text = field_values.description(contact.notes, lines=lines)
    if text:
        body["description"] = text
    if kept:
        body["custom_fields"] = kept
    return body


def _patch(found: dict[str, Any] | None, body: dict[str, Any]) -> dict[str, Any]:
    """What an existing contact still needs: its own description kept (ours added), custom fields merged."""
    current = found or {}
    patch: dict[str, Any] = {}
    ours, theirs = body.get("description", ""), current.get("description") or ""
    if ours and ours not in theirs:
        patch["description"] = f"{theirs}\n\n{ours}" if theirs else ours
    if body.get("custom_fields"):
        merged = dict(current.get("custom_fields") or {}) | body["custom_fields"]
        if merged != (current.get("custom_fields") or {}):
            patch["custom_fields"] = merged
    return patch


def ensure_contact(ctx: RunContext, req: Contact, *, emails: list[str], phones: list[str]) -> Ensured:
    """The requester's Front contact, with its extra handles, fields, notes and account. Record errors of
    the contact itself propagate (the caller records it failed); a failed field update or account join
    is said in `notes` and left for a rerun to complete."""
    if not details_wanted(ctx.snapshot):
        return Ensured(ctx.client.ensure_contact(name=req.name, emails=emails, phones=phones))
    contact, notes = _details(ctx, req)
    more_emails = [e for e in contact.emails if requesters.is_email(e) and e.lower() not in {x.lower() for x in emails}]
    more_phones = [p for p in contact.phones if p and p.strip() and p not in phones]
    body = _body(ctx, contact)
    ensured = ctx.client.ensure_contact_found(name=contact.name or req.name, emails=[*emails, *more_emails],
                                              phones=[*phones, *more_phones], details=body)
    complete = True
    if not ensured.created and body:
        patch = _patch(ensured.found, body) if ensured.found is not None else body
        try:
            if patch:
                ctx.client.update_contact(ensured.id, **patch)
        except RECORD_ERRORS as exc:
            notes.append(f"Its fields could not be written: {exc}")
            complete = False
    account_id = ""
    if accounts.wanted(ctx.snapshot) and contact.organization_ids:
        account_id, why = accounts.book(ctx).account_for(contact.organization_ids[0])
        if account_id:
            try:
                FrontAccounts(ctx.client).add_contacts(account_id, [ensured.id])
            except RECORD_ERRORS as exc:
                why, account_id = f"It could not join its organization's account: {exc}", ""
        if why:
            notes.append(why)
            complete = False
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    applied = {"v": APPLIED_VERSION, "account": account_id, "fields": digest} if complete else {}
    return Ensured(ensured.id, applied=applied, notes=notes)


def to_remember(ctx: RunContext, ensured: Ensured) -> tuple[dict[str, Any] | None, list[str]]:
    """What the contact's row keeps of what was applied (and what could not be done), written with the row
    itself (records.record_contact): None when the run does not move contact details."""
    if not details_wanted(ctx.snapshot):
        return None, []
    return ensured.applied, list(ensured.notes)
