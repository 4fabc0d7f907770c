"""Reads for the wizard pages: dashboard rows, run progress and report pages.

Progress and reports come from the engine's selectors, which keep incremental counters, so a poll on a
100,000-record migration reads a few rows, never a full-table count. Reports page by keyset-free
slicing (limit + 1), never `COUNT(*)`: the per-state totals come from the run's counters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from wizard.access import migrations_visible_to
from wizard.models import Migration

ENTITY_LABELS = {
    "tickets": _("Tickets"), "ticket": _("Tickets"), "messages": _("Messages"), "message": _("Messages"),
    "notes": _("Notes"), "note": _("Notes"), "contacts": _("Contacts"), "contact": _("Contacts"),
    "agents": _("Agents"), "agent": _("Agents"), "attachments": _("Attachments"), "attachment": _("Attachments"),
}
ACTIVE_STATES = ("scheduled", "running", "pausing", "paused")
REPORT_PAGE_SIZE = 50


def _run_model():
    try:
        from migrations_engine.models import Run
    except ImportError:
        return None
    return Run


def latest_run(*, migration: Migration, kind: str | None = None):
    Run = _run_model()
    if Run is None:
        return None
    qs = Run.objects.filter(migration=migration)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-pk").first()


def demo_succeeded(*, migration: Migration) -> bool:
    Run = _run_model()
    return bool(Run) and Run.objects.filter(migration=migration, kind="demo", state="completed").exists()


def full_run_done(*, migration: Migration, include_active: bool) -> bool:
    Run = _run_model()
    if Run is None:
        return False
    states = ["completed", *ACTIVE_STATES] if include_active else ["completed"]
    return Run.objects.filter(migration=migration, kind="full", state__in=states).exists()


def get_run(*, migration: Migration, run_id) -> Any:
    Run = _run_model()
    if Run is None:
        return None
    return Run.objects.filter(migration=migration, pk=run_id).first()


# --- Progress ----------------------------------------------------------------------------------


@dataclass
class EntityProgress:
    name: str
    label: str
    total: int
    done: int
    failed: int
    skipped: int

    @property
    def handled(self) -> int:
        return self.done + self.failed + self.skipped

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.handled else 0
        return min(100, round(100 * self.handled / self.total))


@dataclass
class Progress:
    run: Any
    entities: list[EntityProgress] = field(default_factory=list)
    rate_per_min: float | None = None
    eta_seconds: int | None = None
    errors: list[dict] = field(default_factory=list)
    series: list[list] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.run.state in ACTIVE_STATES

    @property
    def percent(self) -> int:
        total = sum(e.total for e in self.entities)
        handled = sum(min(e.handled, e.total) if e.total else e.handled for e in self.entities)
        if not total:
            return 100 if self.run.state == "completed" else 0
        return min(100, round(100 * handled / total))

    @property
    def failed(self) -> int:
        return sum(e.failed for e in self.entities)

    @property
    def skipped(self) -> int:
        return sum(e.skipped for e in self.entities)


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def run_progress(*, run) -> Progress:
    """The engine's progress dict, shaped for templates."""
    from migrations_engine.selectors import run_progress as engine_progress

    raw = engine_progress(run=run) or {}
    entities_raw = raw.get("entities") or {}
    if isinstance(entities_raw, dict):
        entities_raw = [{"name": k, **(v or {})} for k, v in entities_raw.items()]
    entities = [
        EntityProgress(
            name=str(e.get("name") or e.get("entity")),
            label=str(ENTITY_LABELS.get(str(e.get("name") or e.get("entity")), e.get("name") or e.get("entity"))),
            total=_int(e.get("total")), done=_int(e.get("done")),
            failed=_int(e.get("failed")), skipped=_int(e.get("skipped")),
        )
        for e in entities_raw
    ]
    rate = raw.get("rate_per_min", raw.get("rate"))
    eta = raw.get("eta_seconds")
    return Progress(
        run=run, entities=entities,
        rate_per_min=float(rate) if rate not in (None, "") else None,
        eta_seconds=int(eta) if eta not in (None, "") else None,
        errors=list(raw.get("recent_errors") or raw.get("errors") or [])[:20],
        series=list(raw.get("series") or raw.get("time_series") or []),
    )


# --- Dashboard ---------------------------------------------------------------------------------


@dataclass
class DashboardRow:
    migration: Migration
    run: Any
    progress: Progress | None


def dashboard_rows(*, user) -> list[DashboardRow]:
    rows = []
    for m in migrations_visible_to(user).order_by("-created_at")[:200]:
        run = latest_run(migration=m)
        rows.append(DashboardRow(m, run, run_progress(run=run) if run is not None else None))
    return rows


# --- Reports -----------------------------------------------------------------------------------


@dataclass
class ReportPage:
    entity: str
    state: str | None
    rows: list[Any]
    page: int
    has_next: bool


def report_page(*, migration: Migration, entity: str, state: str | None, page: int) -> ReportPage:
    from migrations_engine.selectors import report_rows

    page = max(1, page)
    start = (page - 1) * REPORT_PAGE_SIZE
    rows = list(report_rows(migration=migration, entity=entity, state=state or None)[start : start + REPORT_PAGE_SIZE + 1])
    return ReportPage(entity, state, rows[:REPORT_PAGE_SIZE], page, len(rows) > REPORT_PAGE_SIZE)


def front_conversation_url(*, migration: Migration, conversation_id: str | None) -> str | None:
    """Where a person opens a migrated conversation: Front's app, or the offline stand-in's page."""
    if not conversation_id:
        return None
    api = (migration.front_api_url or "").rstrip("/")
    if not api or "frontapp.com" in api:
        return f"https://app.frontapp.com/open/{conversation_id}"
    return f"{api}/_sandbox/conversations/{conversation_id}"


def runs_after_demo(*, migration: Migration) -> list[Any]:
    """Full, delta and other non-demo runs, newest first (for the run history on the last step)."""
    Run = _run_model()
    if Run is None:
        return []
    return list(Run.objects.filter(migration=migration).exclude(kind="demo").order_by("-pk")[:20])
