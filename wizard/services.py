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

from billing import services as billing_services
from migrations_engine.selectors import inbox_taken_by
from wizard import connections, credentials, selectors
from wizard.connections import ConnectionProblem
from wizard.forms import merged_source_config
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
    source_account_name: str = ""  # what the check found, saved or not
    front_company_name: str = ""

    @property
    def ok(self) -> bool:
        return not self.source_error and not self.front_error


def source_config_for(*, migration: Migration, source_type: str, typed: dict[str, Any]) -> dict[str, Any]:
    """The config to test or save: what was typed, saved secrets filling empty secret fields only while
    every address of the connection is the one they were saved with (wizard/credentials.py)."""
    platform = connections.platform(source_type)
    if platform is None:
        raise ConnectionProblem(_("Choose the help desk you are moving from."))
    declared = platform.connector_cls.config_fields
    saved = (migration.source_config or {}) if migration.source_type == source_type else {}
    if "file_upload" in platform.features:  # the newest accepted upload replaces the saved file
        from wizard import imports

        saved = {**saved, **imports.source_config(migration=migration)}
    _refuse_saved_secrets_elsewhere(declared=declared, typed=typed, saved=saved)
    return merged_source_config(platform.connector_cls, typed, saved)


def front_token_for(*, migration: Migration, api_url: str, typed_token: str) -> str:
    """The Front token to test or save: the typed one, else the saved one if the API URL is unchanged."""
    declared = connections.front_fields()
    typed = {"api_url": api_url, "token": typed_token}
    saved = {"api_url": migration.front_api_url, "token": migration.front_token} if migration.front_token else {}
    _refuse_saved_secrets_elsewhere(declared=declared, typed=typed, saved=saved)
    return credentials.with_saved_secrets(fields=declared, typed=typed, saved=saved).get("token", "")


def _refuse_saved_secrets_elsewhere(*, declared, typed: dict[str, Any], saved: dict[str, Any]) -> None:
    retype = credentials.secrets_to_retype(fields=declared, typed=typed, saved=saved)
    if retype:
        changed = credentials.changed_addresses(fields=declared, typed=typed, saved=saved)
        raise ConnectionProblem(credentials.retype_message(addresses=[f.label for f in changed],
                                                           secret=retype[0].label))


def connection_test_source(*, migration: Migration, source_type: str, typed: dict[str, Any]) -> str:
    """"Test connection" for the source: the account name, or ConnectionProblem. Saves nothing."""
    config = source_config_for(migration=migration, source_type=source_type, typed=typed)
    return connections.check_source(source_type=source_type, config=config).account_name


def connection_test_front(*, migration: Migration, api_url: str, typed_token: str) -> str:
    """"Test connection" for Front: the company name, or ConnectionProblem. Saves nothing."""
    token = front_token_for(migration=migration, api_url=api_url, typed_token=typed_token)
    return connections.check_front(token=token, api_url=api_url).company_name


def account_change_refusal(*, migration: Migration, source_type: str, source_account_id: str,
                           front_api_url: str) -> tuple[str | None, str | None]:
    """(source, Front) refusals: a migration whose full migration started keeps its two accounts."""
    if not selectors.full_migration_started(migration=migration):
        return None, None
    source_refusal = front_refusal = None
    platform_changed = bool(migration.source_type) and migration.source_type != source_type
    known = migration.source_account_id
    if platform_changed or (known and known != source_account_id):
        source_refusal = _(
            "This migration has already moved history from %(account)s, so it cannot switch to another help "
            "desk account. To move another account, create a new migration."
        ) % {"account": migration.source_account_name or migration.source_type}
    if _front_moved(migration=migration, front_api_url=front_api_url):
        front_refusal = _(
            "This migration has already moved history into the Front account at %(url)s, so it cannot "
            "switch to another Front address. To move into another Front account, create a new migration."
        ) % {"url": migration.front_api_url}
    return source_refusal, front_refusal


def _front_moved(*, migration: Migration, front_api_url: str) -> bool:
    return bool(migration.front_api_url) and (
        credentials.normalise_address(migration.front_api_url) != credentials.normalise_address(front_api_url))


@transaction.atomic
def _store_connections(*, migration: Migration, source_type: str, config: dict[str, Any],
                       source: connections.SourceCheck, front_api_url: str, front_token: str,
                       front: connections.FrontCheck) -> bool:
    """Store both working connections; returns whether the record counts must be taken again."""
    account_changed = bool(migration.source_type) and (
        migration.source_type != source_type
        or bool(migration.source_account_id) and migration.source_account_id != source.account_id)
    front_moved = _front_moved(migration=migration, front_api_url=front_api_url)
    source_changed = (migration.source_type, migration.source_config) != (source_type, config) or account_changed
    if migration.pk and migration.source_type == source_type and not migration.source_account_id:
        # Saved before identities were recorded: its paid orders belong to the account seen now.
        billing_services.adopt_unbound_orders(migration=migration, source_account=source.account_id)
    now = timezone.now()
    migration.source_type, migration.source_config = source_type, config
    migration.source_account_name, migration.source_account_id = source.account_name, source.account_id
    migration.source_checked_at = now
    migration.front_api_url, migration.front_token = front_api_url, front_token
    migration.front_company_name, migration.front_checked_at = front.company_name, now
    if account_changed or front_moved:
        # Another help desk account or Front account: inbox, filter and mappings must be chosen again.
        migration.front_inbox_id = migration.front_inbox_name = ""
        migration.source_filter, migration.teammate_map, migration.status_map = {}, {}, {}
    if source_changed:
        migration.record_counts, migration.counts_updated_at = {}, None
    migration.save()
    if account_changed or front_moved:
        rewind(migration, to=Step.INBOX)
    advance(migration, past=Step.CONNECT)
    return source_changed


def connection_save(
    *, migration: Migration, source_type: str, source_config: dict[str, Any], front_api_url: str, front_token: str
) -> ConnectionOutcome:
    """Test both connections with what was typed and store them only when both work.

    `source_config` and `front_token` are what the user typed: an empty secret means "keep the saved
    one", which holds only while its address is unchanged. A failed attempt changes nothing (what was
    saved keeps working, no step is rewound). A migration whose full migration started cannot switch
    to another source account or Front address. When the source changed, its record counts (which
    drive the price) are taken again at once.
    """
    outcome = ConnectionOutcome(None, None)
    source = front = None
    config: dict[str, Any] = {}
    token = ""
    try:
        config = source_config_for(migration=migration, source_type=source_type, typed=source_config)
        source = connections.check_source(source_type=source_type, config=config)
        outcome.source_account_name = source.account_name
    except ConnectionProblem as exc:
        outcome.source_error = str(exc)
    try:
        token = front_token_for(migration=migration, api_url=front_api_url, typed_token=front_token)
        front = connections.check_front(token=token, api_url=front_api_url)
        outcome.front_company_name = front.company_name
    except ConnectionProblem as exc:
        outcome.front_error = str(exc)
    if source is not None and front is not None:
        outcome.source_error, outcome.front_error = account_change_refusal(
            migration=migration, source_type=source_type, source_account_id=source.account_id,
            front_api_url=front_api_url)
    if not outcome.ok:
        return outcome
    if _store_connections(migration=migration, source_type=source_type, config=config, source=source,
                          front_api_url=front_api_url, front_token=token, front=front):
        try:
            counts_refresh(migration=migration)
        except ConnectionProblem:
            pass  # the objects step counts again (and says what is wrong) before anything is priced
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
    # Never name the other migration: it may belong to another account.
    return _(
        "This Front inbox already received a full migration from another migration. Front keeps one history "
        "per inbox: choose another inbox, or create a new inbox in Front for this migration."
    )


def inbox_save(*, migration: Migration, inbox_id: str, inbox_name: str, mailbox: str | None,
               knowledge_base: dict[str, str] | None = None) -> str | None:
    """`knowledge_base`: {"id", "name"} of a Front knowledge base, {"create": name}, {} for none, or None to
    leave the choice as it is (a source without a help center)."""
    refusal = inbox_refusal(migration=migration, inbox_id=inbox_id)
    if refusal:
        return refusal
    if knowledge_base is not None:
        options = {k: v for k, v in (migration.options or {}).items() if k != "knowledge_base"}
        migration.options = {**options, **({"knowledge_base": knowledge_base} if knowledge_base else {})}
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
COUNTED = ("tickets", "contacts", "agents", "organizations", "contact_fields", "articles")
OBJECT_KEYS = COUNTED  # what the objects step can switch on or off


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
    migration.selected_objects = {k: k in objects for k in OBJECT_KEYS}
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
