"""Business logic of the wizard's setup steps (HackSoft style: keyword-only arguments, no requests).

Each `*_save` stores one step's answers and moves `furthest_step` on; the views stay thin.
Runs (demo, full, delta) are started in `wizard/run_services.py`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from migrations_engine.selectors import inbox_taken_by
from wizard import connections
from wizard.connections import ConnectionProblem
from wizard.models import Migration
from wizard.steps import Step, advance, rewind

# Statuses most help desks use, mapped the way support teams usually expect in Front.
DEFAULT_STATUS_STATES = {
    "new": "open", "open": "open", "pending": "open", "hold": "open", "on-hold": "open", "active": "open",
    "waiting": "open", "solved": "archived", "closed": "archived", "resolved": "archived", "spam": "archived",
}


def migration_create(*, owner, name: str) -> Migration:
    return Migration.objects.create(owner=owner, name=name.strip())


def migration_rename(*, migration: Migration, name: str) -> Migration:
    migration.name = name.strip()
    migration.save(update_fields=["name", "updated_at"])
    return migration


# --- Step 2: connect ---------------------------------------------------------------------------


@dataclass
class ConnectionOutcome:
    source_error: str | None
    front_error: str | None

    @property
    def ok(self) -> bool:
        return not self.source_error and not self.front_error


def connection_save(
    *, migration: Migration, source_type: str, source_config: dict[str, Any], front_api_url: str, front_token: str
) -> ConnectionOutcome:
    """Store both connections (encrypted) and test them; the inbox step opens once both work."""
    platform_changed = bool(migration.source_type) and migration.source_type != source_type
    front_changed = bool(migration.front_api_url) and migration.front_api_url != front_api_url
    migration.source_type = source_type
    migration.source_config = source_config
    migration.front_api_url = front_api_url
    if front_token:
        migration.front_token = front_token

    outcome = ConnectionOutcome(None, None)
    try:
        migration.source_account_name = connections.check_source(source_type=source_type, config=source_config)
        migration.source_checked_at = timezone.now()
    except ConnectionProblem as exc:
        outcome.source_error = str(exc)
        migration.source_checked_at = None
    try:
        check = connections.check_front(token=migration.front_token, api_url=front_api_url)
        migration.front_company_name = check.company_name
        migration.front_checked_at = timezone.now()
    except ConnectionProblem as exc:
        outcome.front_error = str(exc)
        migration.front_checked_at = None
    migration.save()

    if platform_changed or front_changed:
        # Another help desk or Front account: inbox, counts and mappings must be chosen again.
        migration.front_inbox_id = migration.front_inbox_name = ""
        migration.source_filter, migration.teammate_map, migration.status_map = {}, {}, {}
        migration.save()
        rewind(migration, to=Step.INBOX)
    if outcome.ok:
        advance(migration, past=Step.CONNECT)
    else:
        rewind(migration, to=Step.CONNECT)
    return outcome


def connection_use_sandbox(*, migration: Migration) -> bool:
    """Fill in the offline Front stand-in started by the embedded launcher (no typing needed)."""
    sandbox = connections.sandbox_front()
    if not sandbox:
        return False
    migration.front_api_url, migration.front_token = sandbox
    migration.front_checked_at = None
    migration.save(update_fields=["front_api_url", "front_token", "front_checked_at", "updated_at"])
    return True


# --- Step 3: inbox -----------------------------------------------------------------------------


def inbox_refusal(*, migration: Migration, inbox_id: str) -> str | None:
    """Why this inbox cannot take a full migration (one full migration per Front inbox), or None."""
    taken = inbox_taken_by(migration=migration, inbox_id=inbox_id)
    if taken is None:
        return None
    return _(
        "This Front inbox already received a full migration (“%(name)s”). Front keeps one history per inbox: "
        "choose another inbox, or create a new inbox in Front for this migration."
    ) % {"name": taken.name}


def inbox_save(*, migration: Migration, inbox_id: str, inbox_name: str, mailbox: str | None) -> str | None:
    refusal = inbox_refusal(migration=migration, inbox_id=inbox_id)
    if refusal:
        return refusal
    filter_changed = (migration.source_filter or {}).get("mailbox_id") != (mailbox or None)
    migration.front_inbox_id, migration.front_inbox_name = inbox_id, inbox_name
    migration.source_filter = {"mailbox_id": mailbox} if mailbox else {}
    if filter_changed:
        migration.record_counts, migration.counts_updated_at = {}, None
    migration.save()
    advance(migration, past=Step.INBOX)
    return None


# --- Step 4: objects ---------------------------------------------------------------------------


COUNT_PROBLEMS = "unavailable"  # key of `record_counts` holding object -> why it could not be counted
COUNTED = ("tickets", "contacts", "agents")


def counts_refresh(*, migration: Migration, only: tuple[str, ...] | None = None) -> dict[str, int]:
    """Ask the source for its record counts (they drive the price) and keep them on the migration.

    Each object is counted on its own: one that fails keeps its reason under `record_counts["unavailable"]`
    and leaves the others known. `only` recounts just those objects (the objects step's "retry")."""
    wanted = tuple(o for o in (only or COUNTED) if o in COUNTED)
    got, failed = connections.with_source(migration, lambda c: c.counts_each(
        filter=migration.source_filter or None, only=wanted))
    before = migration.record_counts or {} if only else {}
    counts: dict = {k: v for k, v in before.items() if k not in wanted and k != COUNT_PROBLEMS}
    counts.update({k: int(v) for k, v in got.items()})
    problems = {k: v for k, v in (before.get(COUNT_PROBLEMS) or {}).items() if k not in wanted}
    problems.update(failed)
    if problems:
        counts[COUNT_PROBLEMS] = problems
    migration.record_counts = counts
    migration.counts_updated_at = timezone.now()
    migration.save(update_fields=["record_counts", "counts_updated_at", "updated_at"])
    return migration.record_counts


def count_problems(*, migration: Migration) -> dict[str, str]:
    """Object -> why the source could not count it (the objects step shows each with a retry button)."""
    return dict((migration.record_counts or {}).get(COUNT_PROBLEMS) or {})


def objects_save(*, migration: Migration, objects: list[str]) -> None:
    migration.selected_objects = {k: k in objects for k in ("tickets", "contacts", "agents")}
    migration.save(update_fields=["selected_objects", "updated_at"])
    advance(migration, past=Step.OBJECTS)


# --- Step 5: teammates -------------------------------------------------------------------------


def _norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def teammate_name(t: dict) -> str:
    full = f"{t.get('first_name') or ''} {t.get('last_name') or ''}".strip()
    return full or t.get("username") or t.get("email") or t.get("id", "")


def auto_match(*, agents: list, teammates: list[dict]) -> dict[str, str]:
    """Pair source agents with Front teammates by email first, then by full name (accents/case ignored)."""
    by_email = {_norm(t.get("email")): t["id"] for t in teammates if t.get("email")}
    by_name: dict[str, str] = {}
    for t in teammates:
        by_name.setdefault(_norm(teammate_name(t)), t["id"])
    matched = {}
    for agent in agents:
        hit = by_email.get(_norm(agent.email)) if agent.email else None
        if not hit and agent.name:
            hit = by_name.get(_norm(agent.name))
        if hit:
            matched[agent.source_id] = hit
    return matched


def teammates_save(*, migration: Migration, mapping: dict[str, str], default_id: str, use_auto_match: bool) -> None:
    """Store agent → teammate pairs; agents left on "default" go to the default teammate."""
    migration.teammate_map = {a: t for a, t in mapping.items() if t}
    migration.default_teammate_id = default_id
    migration.auto_match = use_auto_match
    migration.save(update_fields=["teammate_map", "default_teammate_id", "auto_match", "updated_at"])
    advance(migration, past=Step.TEAMMATES)


# --- Step 6: tickets ---------------------------------------------------------------------------


def source_statuses(*, migration: Migration) -> list[str]:
    """Statuses to map: what the connector declares (if it can), those already mapped, common ones."""
    declared: list[str] = []
    try:
        declared = list(connections.with_source(migration, lambda c: getattr(c, "statuses", lambda: [])()))
    except ConnectionProblem:
        declared = []
    if not declared:
        declared = ["new", "open", "pending", "hold", "solved", "closed"]
    return list(dict.fromkeys([*declared, *(migration.status_map or {})]))


def default_state(status: str) -> str:
    return DEFAULT_STATUS_STATES.get(status.lower(), "open")


def tickets_save(*, migration: Migration, status_map: dict[str, str], status_tag: bool, custom_fields: str) -> None:
    migration.status_map, migration.status_tag, migration.custom_fields = status_map, status_tag, custom_fields
    migration.save(update_fields=["status_map", "status_tag", "custom_fields", "updated_at"])
    advance(migration, past=Step.TICKETS)


# --- Step 7: options ---------------------------------------------------------------------------


@transaction.atomic
def options_save(*, migration: Migration, tag: str, skip_attachments: bool, inline_images: bool,
                 call_recordings: bool, demo_ids: list[str]) -> None:
    migration.options = {
        "tag": tag.strip(), "skip_attachments": skip_attachments,
        "inline_images": inline_images, "call_recordings": call_recordings,
    }
    migration.demo_ids = demo_ids
    migration.save(update_fields=["options", "demo_ids", "updated_at"])
    advance(migration, past=Step.OPTIONS)
