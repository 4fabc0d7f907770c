"""Data lifecycle: the verification period after a full run, then the purge of everything secret.

After a full migration completes the customer has a verification period (plan dependent) during which
reports stay available. When it ends, a scheduled job (`frontport.purge_expired_data`, a
django-celery-beat row kept in the database) purges the migration's data: the source and Front
credentials and any cached source content. What remains are counts and the record map's ids, so the
report still shows what moved. The owner can purge at any time ("delete my data now").

Other apps that cache source content register a purger with `register_purger`; each gets the migration
and returns a dict of what it cleared (recorded in the audit log).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.selectors import paid_plan
from migrations_engine import selectors as engine_selectors
from migrations_engine import services as engine_services
from staff.services import audit
from wizard.models import FrontOAuthGrant, Migration

Purger = Callable[[Migration], dict[str, Any]]
_PURGERS: list[Purger] = []


def register_purger(purger: Purger) -> Purger:
    """Add a function that deletes one migration's cached source content (used as a decorator too)."""
    if purger not in _PURGERS:
        _PURGERS.append(purger)
    return purger


def verification_days(*, migration: Migration) -> int:
    """Days of verification after the full run: the paid plan's when one is paid (what the customer
    bought), else the chosen plan's (billing off), else VERIFICATION_DAYS. The one rule for it."""
    paid = paid_plan(migration=migration)
    plan_settings = settings.BILLING_PLANS.get(paid.key if paid else migration.plan or "", {})
    return int(plan_settings.get("verification_days") or settings.VERIFICATION_DAYS)


def start_verification_period(*, migration: Migration, finished_at: datetime | None = None) -> datetime | None:
    """Set when verification ends, counted from the full run's end (idempotent; never shortens it)."""
    if migration.purged_at or migration.verification_ends_at:
        return migration.verification_ends_at
    finished_at = finished_at or engine_selectors.full_run_finished_at(migration=migration)
    if finished_at is None:
        return None
    migration.verification_ends_at = finished_at + timedelta(days=verification_days(migration=migration))
    migration.save(update_fields=["verification_ends_at", "updated_at"])
    return migration.verification_ends_at


def extend_verification(*, migration: Migration, days: int, actor) -> datetime:
    """Staff action: push the purge back by `days` (from now if the period had not started or ended)."""
    base = max(migration.verification_ends_at or timezone.now(), timezone.now())
    before = migration.verification_ends_at
    migration.verification_ends_at = base + timedelta(days=days)
    migration.save(update_fields=["verification_ends_at", "updated_at"])
    audit(
        actor=actor, action="verification.extend", target=migration,
        details={"days": days, "before": before.isoformat() if before else None,
                 "after": migration.verification_ends_at.isoformat()},
    )
    return migration.verification_ends_at


@dataclass(frozen=True)
class PurgeResult:
    migration_id: int
    cleared: dict[str, Any]


def purge_migration_data(*, migration: Migration, actor=None, reason: str) -> PurgeResult:
    """Delete credentials and cached source content; keep counts and record-map ids. Idempotent."""
    with transaction.atomic():
        migration = Migration.objects.select_for_update().get(pk=migration.pk)
        oauth = FrontOAuthGrant.objects.filter(migration=migration)
        cleared: dict[str, Any] = {"credentials": bool(migration.source_config or migration.front_token
                                                       or oauth.exists())}
        oauth.delete()  # the OAuth tokens are credentials too
        migration.source_config = {}
        migration.front_token = ""
        for purger in _PURGERS:
            cleared[purger.__module__ + "." + purger.__name__] = purger(migration)
        first_time = migration.purged_at is None
        migration.purged_at = migration.purged_at or timezone.now()
        migration.save(update_fields=["source_config", "front_token", "purged_at", "updated_at"])
        audit(actor=actor, action="data.purge", target=migration,
              details={"reason": reason, "first_time": first_time, "cleared": cleared})
    return PurgeResult(migration_id=migration.pk, cleared=cleared)


def purge_due_migrations(*, now: datetime | None = None) -> list[int]:
    """The scheduled job: start missing verification periods, then purge every migration past its own."""
    now = now or timezone.now()
    waiting = Migration.objects.filter(  # only migrations whose full run completed need a start
        purged_at__isnull=True, verification_ends_at__isnull=True,
        pk__in=engine_selectors.migrations_with_completed_full_run(),
    )
    for migration in waiting:
        start_verification_period(migration=migration)
    due = Migration.objects.filter(purged_at__isnull=True, verification_ends_at__lte=now).order_by("pk")
    purged = []
    for migration in due:
        purge_migration_data(migration=migration, actor=None, reason="verification period ended")
        purged.append(migration.pk)
    return purged


def purge_schedule(*, migration: Migration) -> dict[str, Any]:
    """What the wizard tells the customer about when their data will be deleted."""
    if migration.purged_at:
        return {"state": "purged", "at": migration.purged_at}
    if migration.verification_ends_at:
        return {"state": "scheduled", "at": migration.verification_ends_at,
                "overdue": migration.verification_ends_at <= timezone.now()}
    return {"state": "after_full_run", "days": verification_days(migration=migration)}


@register_purger
def purge_engine_cache(migration: Migration) -> dict[str, int]:
    """The engine's copies of source content (its service says which; counts and ids stay)."""
    return engine_services.purge_source_content(migration=migration)
