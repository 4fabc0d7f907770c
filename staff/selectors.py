"""What the staff console reads: migrations with their latest run, runs, failed records, the audit log."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet

from staff.models import AuditLog
from wizard.models import Migration, Share


def _engine_model(name: str):
    try:
        return apps.get_model("migrations_engine", name)
    except LookupError:
        return None


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


def counters_summary(counters: dict[str, Any] | None) -> dict[str, int]:
    """Sum the engine's per-entity counters into one line: total, done, failed, skipped, percent."""
    out = {"total": 0, "done": 0, "failed": 0, "skipped": 0}
    for entity_counts in (counters or {}).values():
        if isinstance(entity_counts, dict):
            for key in out:
                out[key] += int(entity_counts.get(key) or 0)
    handled = out["done"] + out["failed"] + out["skipped"]
    out["percent"] = min(100, round(100 * handled / out["total"])) if out["total"] else 0
    return out


def latest_run_by_migration(*, migration_ids: list[int]) -> dict[int, Any]:
    run_model = _engine_model("Run")
    if run_model is None or not migration_ids:
        return {}
    latest: dict[int, Any] = {}
    for run in run_model.objects.filter(migration_id__in=migration_ids).order_by("migration_id", "-created_at"):
        latest.setdefault(run.migration_id, run)
    for run in latest.values():
        run.summary = counters_summary(run.counters)
    return latest


def runs_of(*, migration: Migration) -> list[Any]:
    run_model = _engine_model("Run")
    if run_model is None:
        return []
    runs = list(run_model.objects.filter(migration=migration).order_by("-created_at")[:50])
    for run in runs:
        run.summary = counters_summary(run.counters)
        run.live = None
        if run.is_active:  # rate, ETA and calls per ticket from the engine's own progress selector
            from migrations_engine.selectors import run_progress

            run.live = run_progress(run=run)
    return runs


def failed_records(*, migration: Migration, limit: int = 200) -> list[Any]:
    record_map = _engine_model("RecordMap")
    if record_map is None:
        return []
    return list(
        record_map.objects.filter(migration=migration, state="failed")
        .only("entity", "source_id", "reason", "attempts", "updated_at")
        .order_by("entity", "source_id")[:limit]
    )


def failed_count(*, migration: Migration) -> int:
    record_map = _engine_model("RecordMap")
    if record_map is None:
        return 0
    return record_map.objects.filter(migration=migration, state="failed").count()


def audit_entries(*, migration_id: int | None = None, limit: int = 100) -> QuerySet[AuditLog]:
    qs = AuditLog.objects.all()
    if migration_id is not None:
        qs = qs.filter(migration_id=migration_id)
    return qs[:limit]
