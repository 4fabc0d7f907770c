"""What the staff console reads: migrations with their latest run, runs, failed records, the audit log.

Runs, progress and failed records come from the engine's selectors (`migrations_engine.selectors`),
read as the wizard reads them.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from migrations_engine import selectors as engine
from migrations_engine.selectors import RunProgress
from staff.models import AuditLog
from wizard.models import Migration, Share


def migrations_search(*, query: str = "") -> QuerySet[Migration]:
    """Every migration, newest first; `query` matches the owner's or a colleague's email, or the name."""
    qs = Migration.objects.select_related("owner").order_by("-created_at")
    query = query.strip()
    if query:
        shared = Share.objects.filter(
            Q(email__icontains=query) | Q(accepted_by__email__icontains=query)
        ).values("migration_id")
        qs = qs.filter(Q(name__icontains=query) | Q(owner__email__icontains=query) | Q(pk__in=shared))
    return qs


def runs_of(*, migration: Migration) -> list[RunProgress]:
    """The migration's runs, newest first, each with the engine's progress (rate, ETA, calls per ticket)."""
    return [engine.progress_of(run) for run in engine.runs_of(migration=migration, limit=50)]


def audit_entries(*, migration_id: int | None = None, limit: int = 100) -> QuerySet[AuditLog]:
    qs = AuditLog.objects.all()
    if migration_id is not None:
        qs = qs.filter(migration_id=migration_id)
    return qs[:limit]
