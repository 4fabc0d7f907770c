"""Source organizations -> Front accounts: the run's `accounts` phase, and accounts asked for by contacts.

One `RecordMap` row per organization (entity "account": Front id, what was applied, reason) makes reruns
and deltas write nothing twice: an organization whose desired account is what was last applied costs no
call. Otherwise its account is found before anything is created: the one recorded for it, else Front's
account listing (read once per execution, lazily) by the external id Frontport gives the accounts it
creates (an earlier attempt interrupted before its row was saved), then by name (ignoring letter case),
then by domain. A found account is updated in place: an account Frontport created is set to the source's
values; an account that was already in Front keeps its name and description and gains the source's
domains, custom fields and description. Custom field values go onto Front account fields of the same
name when they fit (field_values.py), the rest into the description.

The phase lists every organization (full, delta, re-migration and retry runs); a demo creates only the
accounts of its tickets' requesters, on demand (`AccountBook.account_for`), as does a full run for an
organization the listing did not show (created since).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

from connectors.base import MissingPermission, NotAvailable, NotFound, Organization, PermanentRefusal
from connectors.front.accounts import FrontAccounts
from migrations_engine import field_values
from migrations_engine.journal import RECORD_ERRORS, RunContext, save_rows
from migrations_engine.models import RECORD_MAP_KEY, RecordMap, Run
from migrations_engine.parallel import write_lock

logger = logging.getLogger(__name__)

ENTITY = "account"
ACCOUNT_FIELDS = ["state", "reason", "front_id", "applied", "source_url", "last_run", "attempts", "updated_at"]
# A source refusing its organization listing, or having none: the run goes on without accounts (a warning).
UNAVAILABLE = (NotAvailable, PermanentRefusal, MissingPermission, NotFound)


def wanted(snapshot: dict[str, Any]) -> bool:
    return bool(snapshot.get("objects", {}).get("organizations", True))


def prepare(ctx: RunContext) -> dict[str, Any]:
    """Front's account custom fields, read once per run (kept in Run.context by the prepare phase)."""
    if not wanted(ctx.snapshot):
        return {}
    return {"account_fields": field_values.definitions(FrontAccounts(ctx.client).custom_fields())}


def book(ctx: RunContext) -> AccountBook:
    """The run context's account book (one per execution, shared by the ticket threads)."""
    with ctx.counters_lock:
        if ctx.accounts is None:
            ctx.accounts = AccountBook(ctx)
        return ctx.accounts


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def _domains(values: list[str]) -> list[str]:
    return list(dict.fromkeys(d.strip().lower() for d in values if d and d.strip()))


class AccountBook:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.api = FrontAccounts(ctx.client)
        # A create is not idempotent: it goes through the client that never retries by itself (429s apart),
        # so an answer lost on the way back is not sent again. The chunk stops (transient), and the next
        # execution's listing finds the account by the external id it was created with.
        self.once = FrontAccounts(ctx.comment_client)
        self.fields: field_values.FieldDefs = (ctx.run.context or {}).get("account_fields") or {}
        self._index: dict[str, dict[str, Any]] | None = None
        self._lock = threading.RLock()
        self._known: dict[str, tuple[str, str]] = {}  # organization id -> (Front id or "", why not)
        self._locks: dict[str, threading.Lock] = {}
        self._unsaved: dict[str, tuple[RecordMap, bool]] = {}  # organization id -> (row, counted fresh)

    # ---- what an organization becomes -----------------------------------------------------------
    def external_id(self, org: Organization) -> str:
        return f"frontport-{self.ctx.namespace}-org-{org.source_id}"[:255]

    def desired(self, org: Organization) -> dict[str, Any]:
        kept, lines = field_values.split(dict(org.custom_fields), self.fields)
        body: dict[str, Any] = {"name": org.name.strip()[:255] or f"Organization {org.source_id}",
                                "domains": _domains(org.domains),
                                "description": field_values.description(org.details, org.notes, lines=lines)}
        if kept:
            body["custom_fields"] = kept
        return body

    # ---- finding accounts -------------------------------------------------------------------------
    def _remember(self, account: dict[str, Any]) -> None:
        index = self._index if self._index is not None else {}
        if account.get("external_id"):
            index.setdefault(f"ext:{account['external_id']}", account)
        if isinstance(account.get("name"), str):
            index.setdefault(f"name:{account['name'].strip().casefold()}", account)
        for domain in account.get("domains") or []:
            index.setdefault(f"domain:{str(domain).strip().lower()}", account)

    def _match(self, org: Organization, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """(Front account, how it was found) from the account listing, read once per execution."""
        with self._lock:
            if self._index is None:
                self._index = {}
                for account in self.api.iter_accounts():
                    self._remember(account)
            for key, how in ((f"ext:{self.external_id(org)}", "created"),
                             (f"name:{body['name'].casefold()}", "name"),
                             *((f"domain:{d}", "domain") for d in body["domains"])):
                if key in self._index:
                    return self._index[key], how
        return None, ""

    # ---- writing ----------------------------------------------------------------------------------
    def _changes(self, current: dict[str, Any], body: dict[str, Any], *, ours: bool) -> dict[str, Any]:
        """The PATCH that makes `current` carry `body` (custom fields sent whole: a PATCH replaces them)."""
        theirs = dict(current.get("custom_fields") or {})
        if ours:
            fields = {k: v for k, v in theirs.items() if k not in self.fields} | body.get("custom_fields", {})
            wanted_ = {"name": body["name"], "description": body["description"], "domains": body["domains"],
                       "custom_fields": fields}
        else:
            described = current.get("description") or ""
            text = body["description"] if not described or body["description"] in described else (
                f"{described}\n\n{body['description']}" if body["description"] else described)
            wanted_ = {"description": text, "custom_fields": theirs | body.get("custom_fields", {}),
                       "domains": list(dict.fromkeys([*(current.get("domains") or []), *body["domains"]]))}
        patch = {}
        for key, value in wanted_.items():
            now = current.get(key)
            if key == "domains":
                same = _domains(list(now or [])) == _domains(list(value))
            else:
                same = (now or ({} if key == "custom_fields" else "")) == value
            if not same:
                patch[key] = value
        return patch

    def rows(self, orgs: list[Organization]) -> dict[str, RecordMap]:
        """The organizations' rows, in one read (a page of the listing)."""
        return {row.source_id: row for row in RecordMap.objects.filter(
            migration_id=self.ctx.migration.pk, entity=ENTITY, source_id__in=[org.source_id for org in orgs])}

    def sync(self, org: Organization, *, rows: dict[str, RecordMap] | None = None) -> str:
        """The Front account of this organization, created or updated as needed; "" when Front refused it
        (the row says why). Given `rows` (its page's, read by `rows()`), the organization's row is saved
        with the page (`save_page`); otherwise it is read and saved at once."""
        body = self.desired(org)
        digest = _digest(body)
        row = rows.get(org.source_id) if rows is not None else RecordMap.objects.filter(
            migration_id=self.ctx.migration.pk, entity=ENTITY, source_id=org.source_id).first()
        record = partial(self._record, org, row, deferred=rows is not None)
        applied = dict(row.applied or {}) if row else {}
        if row and row.state == RecordMap.State.DONE and row.front_id and applied.get("digest") == digest:
            record(front_id=row.front_id, how=applied.get("how", ""), digest=digest, reason=row.reason)
            return row.front_id
        how = str(applied.get("how") or "")
        try:
            current = self.api.get(row.front_id) if row and row.front_id else None
            if current is None:
                current, how = self._match(org, body)
            if current is None:
                current, how = self.once.create({**body, "external_id": self.external_id(org)}), "created"
                with self._lock:
                    self._remember(current)
                reason = "Created in Front."
            else:
                patch = self._changes(current, body, ours=how == "created")
                if patch:
                    self.api.update(current["id"], patch)
                reason = {"created": "Created in Front.",
                          "name": f"Matched the Front account “{current.get('name')}” by name.",
                          "domain": f"Matched the Front account “{current.get('name')}” by domain."}.get(
                    how, "Already in Front.")
                reason += " Updated with the source's values." if patch else ""
        except RECORD_ERRORS as exc:
            record(front_id="", how=how, digest="", reason=str(exc), failed=True)
            return ""
        record(front_id=current["id"], how=how, digest=digest, reason=reason)
        return str(current["id"])

    def _record(self, org: Organization, row: RecordMap | None, *, deferred: bool, front_id: str, how: str,
                digest: str, reason: str, failed: bool = False) -> None:
        """The organization's row; the run's account counter moves in the transaction that saves it, once
        per organization and run (a page handled again after an interruption is not counted twice).

        Deferred, it is saved with its page (`save_page`, with the listing's cursor). A row lost to a
        crash costs a lookup, never a duplicate: the next execution finds the account in Front's listing
        by the external id it was created with, as for a create whose answer was lost."""
        ctx = self.ctx
        fresh = row is None or row.last_run_id != ctx.run.pk
        if row is None:
            row = RecordMap(migration_id=ctx.migration.pk, entity=ENTITY, source_id=org.source_id)
        row.state = RecordMap.State.FAILED if failed else RecordMap.State.DONE
        row.reason, row.front_id = reason[:1000], front_id or row.front_id
        row.applied = {"digest": digest, "how": how} if digest else {**(row.applied or {}), "digest": ""}
        row.source_url, row.last_run_id = (org.url or "")[:500], ctx.run.pk
        row.attempts += 1
        with self._lock:
            self._known[org.source_id] = (front_id, "" if front_id else reason)
            if deferred:
                self._unsaved[org.source_id] = (row, fresh)
                return
        self._save({org.source_id: (row, fresh)})

    def save_page(self, cursor: dict[str, Any] | None) -> None:
        """The rows of the page's organizations, their counts and the listing's cursor: one transaction."""
        with self._lock:
            unsaved, self._unsaved = self._unsaved, {}
        self._save(unsaved, then=partial(_save_cursor, self.ctx.run, cursor))

    def _save(self, rows: dict[str, tuple[RecordMap, bool]], *, then: Callable[[], None] | None = None) -> None:
        """Save the rows and count the fresh ones; `then` runs in the same transaction."""
        ctx = self.ctx
        with ctx.counters_lock, write_lock(), transaction.atomic():
            save_rows(RecordMap, [row for row, _ in rows.values()], unique_fields=RECORD_MAP_KEY,
                      update_fields=ACCOUNT_FIELDS)
            fresh = [row for row, new in rows.values() if new]
            if fresh:
                counters = ctx.counters if ctx.counters is not None else (ctx.run.counters or {})
                entry = counters.setdefault("accounts", {"total": 0, "done": 0, "failed": 0, "skipped": 0})
                for row in fresh:
                    entry["failed" if row.state == RecordMap.State.FAILED else "done"] += 1
                entry["total"] = max(entry.get("total", 0), entry["done"] + entry["failed"] + entry["skipped"])
                ctx.run.counters = counters
                Run.objects.filter(pk=ctx.run.pk).update(counters=counters)
            if then is not None:
                then()

    # ---- on demand (contacts) ---------------------------------------------------------------------
    def account_for(self, organization_id: str) -> tuple[str, str]:
        """(Front account id, "") of a source organization, made on demand when no run made it yet; ("",
        why) when there is none."""
        with self._lock:
            if organization_id in self._known:
                return self._known[organization_id]
            lock = self._locks.setdefault(organization_id, threading.Lock())
        with lock:
            with self._lock:
                if organization_id in self._known:
                    return self._known[organization_id]
            row = RecordMap.objects.filter(migration_id=self.ctx.migration.pk, entity=ENTITY, source_id=organization_id,
                                           state=RecordMap.State.DONE).exclude(front_id="").first()
            if row is not None:
                known = (row.front_id, "")
            else:
                known = self._fetch_and_sync(organization_id)
            with self._lock:
                self._known[organization_id] = known
            return known

    def _fetch_and_sync(self, organization_id: str) -> tuple[str, str]:
        try:
            org = self.ctx.source.organization(organization_id)
        except UNAVAILABLE as exc:
            return "", f"Its organization could not be read from the source ({exc})."
        if org is None:
            return "", f"Its organization ({organization_id}) no longer exists in the source."
        front_id = self.sync(org)
        return (front_id, "") if front_id else ("", "Its organization's Front account could not be made.")


def run_phase(ctx: RunContext, *, heartbeat: Callable[[], None], deadline: float) -> str:
    """Every organization (page by page, the cursor kept in Run.context) -> its account. "continue" when
    the chunk's time is up before the listing ends, else "done"."""
    run = ctx.run
    if not wanted(ctx.snapshot) or run.kind == Run.Kind.DEMO:
        return "done"
    if ctx.counters is None:
        ctx.counters = run.counters or {}
    accounts = book(ctx)
    cursor = (run.context or {}).get("accounts_cursor")
    try:
        for page in ctx.source.organizations(cursor=cursor):
            rows = accounts.rows(page.organizations)
            for org in page.organizations:
                accounts.sync(org, rows=rows)
            accounts.save_page(page.cursor)
            heartbeat()
            if page.cursor is None:
                return "done"
            if time.monotonic() > deadline:
                return "continue"
    except UNAVAILABLE as exc:
        ctx.source.warn(f"Organizations not available: {exc} No Front accounts were made.")
    return "done"


def _save_cursor(run: Run, cursor: dict[str, Any] | None) -> None:
    with write_lock():
        stored = Run.objects.filter(pk=run.pk).values_list("context", flat=True).first() or {}
        stored["accounts_cursor"] = cursor
        Run.objects.filter(pk=run.pk).update(context=stored)
        run.context = {**(run.context or {}), "accounts_cursor": cursor}
