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


def full_migration_started(*, migration: Migration) -> bool:
    """A full migration or re-migration was started and not cancelled before it ran (whatever its end):
    history of the connected accounts is in Front, and the record map speaks of that source account."""
    Run = _run_model()
    if Run is None:
        return False
    return Run.objects.filter(migration=migration, kind__in=["full", "remigration"]).exclude(state="cancelled").exists()


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
    report_key: str
    total: int
    done: int
    failed: int
    skipped: int

    @property
    def handled(self) -> int:
        return self.done + self.failed + self.skipped

    @property
    def percent(self) -> int | None:
        """None when the source gives no total for this entity (counted as found: no bar to show)."""
        if not self.total:
            return None
        return min(100, round(100 * self.handled / self.total))


@dataclass
class Progress:
    run: Any
    entities: list[EntityProgress] = field(default_factory=list)
    rate_per_min: float | None = None
    eta_seconds: int | None = None
    measuring: bool = False  # running, and no records handled yet to measure a rate from
    handled: int = 0
    total: int | None = None
    errors: list[dict] = field(default_factory=list)
    series: list[list] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the source could not read; the run did without

    @property
    def active(self) -> bool:
        return self.run.state in ACTIVE_STATES

    @property
    def percent(self) -> int:
        """Tickets drive the run (everything else hangs off them), so overall progress is theirs."""
        if self.run.state == "completed":
            return 100
        tickets = next((e for e in self.entities if e.name in ("tickets", "ticket")), None)
        if tickets is None or not tickets.total:
            return 0
        return min(100, round(100 * tickets.handled / tickets.total))

    @property
    def failed(self) -> int:
        return sum(e.failed for e in self.entities)

    @property
    def skipped(self) -> int:
        return sum(e.skipped for e in self.entities)


# Entities of the progress counters -> the report's entity keys.
REPORT_KEY = {"tickets": "ticket", "contacts": "contact", "agents": "agent", "messages": "message",
              "notes": "note", "ticket": "ticket", "contact": "contact", "agent": "agent",
              "message": "message", "note": "note"}


def throughput(series: list) -> list[list[float]]:
    """Cumulative (time, handled) points -> records per minute between consecutive points."""
    points = []
    for p in series:
        if isinstance(p, dict):
            points.append((float(p.get("t") or 0), float(p.get("handled") or 0)))
        elif isinstance(p, list | tuple) and len(p) >= 2:
            points.append((float(p[0]), float(p[1])))
    out = []
    for (t1, h1), (t2, h2) in zip(points, points[1:], strict=False):
        if t2 > t1:
            out.append([t2, round(max(0.0, h2 - h1) * 60.0 / (t2 - t1), 1)])
    return out[-240:]


def _error(e: Any) -> dict:
    """One recent error as {at, text} whatever shape the engine keeps (newest shown first)."""
    if not isinstance(e, dict):
        return {"at": "", "text": str(e)}
    label = " ".join(str(e[k]) for k in ("entity", "source_id") if e.get(k))
    text = str(e.get("message") or e.get("reason") or e.get("error") or "")
    return {"at": str(e.get("at") or "")[11:19], "text": f"{label}: {text}" if label else text}


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
        entities_raw = [{"name": k, **v} for k, v in entities_raw.items() if isinstance(v, dict)]
    entities = [
        EntityProgress(
            name=str(e.get("name") or e.get("entity")),
            label=str(ENTITY_LABELS.get(str(e.get("name") or e.get("entity")), e.get("name") or e.get("entity"))),
            report_key=REPORT_KEY.get(str(e.get("name") or e.get("entity")), ""),
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
        measuring=bool(raw.get("measuring")), handled=_int(raw.get("handled")), total=raw.get("total") or None,
        errors=[_error(e) for e in list(raw.get("recent_errors") or raw.get("errors") or [])[-10:]][::-1],
        series=throughput(list(raw.get("series") or raw.get("time_series") or [])),
        warnings=[str(w) for w in raw.get("warnings") or []],
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
    rows: list[dict]
    next_after: int | None  # keyset cursors: the pk to continue after / before
    prev_before: int | None


REPORT_ENTITIES = ("ticket", "message", "note", "contact", "agent")
STATE_LABELS = {"done": _("Migrated"), "failed": _("Failed"), "skipped": _("Skipped"), "pending": _("Pending")}
_WRITE_STATE = {"done": "sent"}  # the journal says "sent" where reports say "done"


def report_page(*, migration: Migration, entity: str, state: str | None, after: int | None = None,
                before: int | None = None) -> ReportPage:
    """One page of a per-entity report, by keyset (primary key), so page 1 and page 2,000 cost the same.

    Same rows and order as the engine's `report_rows` export (which streams everything for CSV/JSON);
    a page reads at most REPORT_PAGE_SIZE + 1 rows through an index, never an OFFSET or a COUNT.
    """
    from migrations_engine.models import FrontWrite, RecordMap

    if entity in ("message", "note"):
        qs = FrontWrite.objects.filter(migration=migration, kind="message" if entity == "message" else "comment")
        if state:
            qs = qs.filter(state=_WRITE_STATE.get(state, state))
        fields = ("pk", "source_id", "ticket_source_id", "state", "reason", "message_id", "message_uid",
                  "comment_id", "conversation_id")
    else:
        qs = RecordMap.objects.filter(migration=migration, entity=entity)
        if state:
            qs = qs.filter(state=state)
        fields = ("pk", "source_id", "state", "reason", "front_id", "source_url")
    if before:
        rows = list(qs.filter(pk__lt=before).order_by("-pk").values(*fields)[: REPORT_PAGE_SIZE + 1])
        more_before = len(rows) > REPORT_PAGE_SIZE
        rows = rows[:REPORT_PAGE_SIZE][::-1]
        more_after = True
    else:
        if after:
            qs = qs.filter(pk__gt=after)
        rows = list(qs.order_by("pk").values(*fields)[: REPORT_PAGE_SIZE + 1])
        more_after = len(rows) > REPORT_PAGE_SIZE
        rows = rows[:REPORT_PAGE_SIZE]
        more_before = bool(after)
    shaped = [_report_row(migration, entity, r) for r in rows]
    return ReportPage(
        entity, state, shaped,
        next_after=rows[-1]["pk"] if rows and more_after else None,
        prev_before=rows[0]["pk"] if rows and more_before else None,
    )


def _report_row(migration: Migration, entity: str, r: dict) -> dict:
    state = str(r.get("state") or "")
    if entity in ("message", "note"):
        state = "done" if state == "sent" else state
        front_id = r.get("comment_id") or r.get("message_id") or r.get("message_uid") or ""
        conversation = r.get("conversation_id")
    else:
        front_id = r.get("front_id") or ""
        conversation = front_id if entity == "ticket" else None
    return {
        "source_id": r.get("source_id"), "front_id": front_id, "state": state,
        "state_label": STATE_LABELS.get(state, state), "reason": r.get("reason") or "",
        "source_url": _safe_link(r.get("source_url")),
        "front_url": front_conversation_url(migration=migration, conversation_id=conversation),
        "ticket_source_id": r.get("ticket_source_id") or "",
    }


def _safe_link(url: str | None) -> str | None:
    """Only http(s) links from a source reach an href (never javascript: or data:)."""
    return url if url and url.startswith(("https://", "http://")) else None


def front_conversation_url(*, migration: Migration, conversation_id: str | None) -> str | None:
    """Where a person opens a migrated conversation: Front's app, or the offline stand-in's page."""
    if not conversation_id:
        return None
    api = (migration.front_api_url or "").rstrip("/")
    if not api or "frontapp.com" in api:
        return f"https://app.frontapp.com/open/{conversation_id}"
    # The offline Front stand-in lists every imported conversation on its home page.
    return f"{api}/#{conversation_id}"


def runs_after_demo(*, migration: Migration) -> list[Any]:
    """Full, delta and other non-demo runs, newest first (for the run history on the last step)."""
    Run = _run_model()
    if Run is None:
        return []
    return list(Run.objects.filter(migration=migration).exclude(kind="demo").order_by("-pk")[:20])


def has_demo_data(*, migration: Migration) -> bool:
    """Whether earlier demos left conversations in Front that clean-up could remove."""
    try:
        from migrations_engine.models import FrontWrite
    except ImportError:
        return False
    return FrontWrite.objects.filter(migration=migration, lineage__startswith="d", removed=False).exists()
