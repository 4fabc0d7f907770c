"""Read-only queries for the wizard, the staff console, the CLI and reports: the engine's one way out.

The wizard and the staff console read runs, progress and reports only through this module (an import
contract checks it, see docs/architecture.md). Cheap on purpose: progress reads one Run row (its
counters are kept incrementally), lists read one row per migration, reports page by primary key;
nothing counts whole tables.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from migrations_engine import demo_reuse, progress
from migrations_engine.models import FrontWrite, RecordMap, Run
from wizard.models import Migration

# --- Runs --------------------------------------------------------------------------------------


def latest_runs(*, migration: Migration, limit: int = 20) -> QuerySet[Run]:
    return migration.runs.all().order_by("-created_at")[:limit]


def latest_run(*, migration: Migration, kind: str | None = None) -> Run | None:
    runs = Run.objects.filter(migration=migration)
    if kind:
        runs = runs.filter(kind=kind)
    return runs.order_by("-pk").first()


def get_run(*, migration: Migration, run_id: Any) -> Run | None:
    """The run `run_id` of this migration, or None (another migration's run is None too)."""
    return Run.objects.filter(migration=migration, pk=run_id).first()


def run_with_migration(*, run_id: Any) -> Run | None:
    """Any run by id, with its migration (the staff console; it checks staff rights itself)."""
    return Run.objects.select_related("migration").filter(pk=run_id).first()


def runs_of(*, migration: Migration, exclude_kinds: Iterable[str] = (), limit: int = 50) -> list[Run]:
    """The migration's runs, newest first."""
    return list(Run.objects.filter(migration=migration).exclude(kind__in=list(exclude_kinds)).order_by("-pk")[:limit])


def latest_run_by_migration(*, migration_ids: Iterable[int]) -> dict[int, Run]:
    """Each migration's newest run, in two queries whatever the number of migrations (lists, dashboards)."""
    newest = (
        Run.objects.filter(migration_id__in=list(migration_ids)).values("migration_id").annotate(newest=Max("pk"))
        .values_list("newest", flat=True)
    )
    return {run.migration_id: run for run in Run.objects.filter(pk__in=list(newest))}


def has_active_run(*, migration: Migration) -> bool:
    """Whether a run holds the migration now (scheduled, running, pausing or paused)."""
    return Run.objects.filter(migration=migration, state__in=Run.ACTIVE_STATES).exists()


def demo_succeeded(*, migration: Migration) -> bool:
    return Run.objects.filter(migration=migration, kind=Run.Kind.DEMO, state=Run.State.COMPLETED).exists()


def full_run_done(*, migration: Migration, include_active: bool) -> bool:
    """Whether the full migration completed (or, with include_active, is under way)."""
    states = [Run.State.COMPLETED, *Run.ACTIVE_STATES] if include_active else [Run.State.COMPLETED]
    return Run.objects.filter(migration=migration, kind=Run.Kind.FULL, state__in=states).exists()


def full_migration_started(*, migration: Migration) -> bool:
    """A full migration or re-migration was started and not cancelled before it ran (whatever its end):
    the connected accounts' history is in Front, and the record map speaks of that source account."""
    return Run.objects.filter(migration=migration, kind__in=Run.FULL_KINDS).exclude(state=Run.State.CANCELLED).exists()


def full_run_finished_at(*, migration: Migration) -> datetime | None:
    """When the first completed full migration ended (verification and re-migration count from it)."""
    run = (
        Run.objects.filter(migration=migration, kind=Run.Kind.FULL, state=Run.State.COMPLETED,
                           finished_at__isnull=False)
        .order_by("finished_at").only("finished_at").first()
    )
    return run.finished_at if run else None


def migrations_with_completed_full_run() -> QuerySet[Run, int]:
    """Ids of migrations whose full migration completed (a subquery for the purge job)."""
    return Run.objects.filter(kind=Run.Kind.FULL, state=Run.State.COMPLETED).values_list("migration_id", flat=True)


def inbox_taken_by(*, migration: Migration, inbox_id: str) -> Migration | None:
    """The other migration that already ran a full migration into this Front inbox, if any.

    One full migration per inbox (DESIGN §1 step 3), so its conversations are never duplicated: the
    wizard's inbox step and the engine's start both ask this.
    """
    other = (
        Run.objects.filter(kind__in=Run.FULL_KINDS, migration__front_inbox_id=inbox_id,
                           migration__front_api_url=migration.front_api_url)
        .exclude(migration=migration).exclude(state=Run.State.CANCELLED)
        .select_related("migration").first()
    )
    return other.migration if other else None


def has_demo_data(*, migration: Migration) -> bool:
    """Whether earlier demos left conversations in Front that clean-up could remove."""
    return FrontWrite.objects.filter(migration=migration, lineage__startswith="d", removed=False).exists()


def failed_records(*, migration: Migration, limit: int = 200) -> list[RecordMap]:
    return list(
        RecordMap.objects.filter(migration=migration, state=RecordMap.State.FAILED)
        .only("entity", "source_id", "reason", "attempts", "updated_at")
        .order_by("entity", "source_id")[:limit]
    )


def failed_count(*, migration: Migration) -> int:
    return RecordMap.objects.filter(migration=migration, state=RecordMap.State.FAILED).count()


# --- Progress ----------------------------------------------------------------------------------

# Progress counters name entities in the plural; reports in the singular (attachments have no report).
REPORT_ENTITY = {"tickets": "ticket", "contacts": "contact", "agents": "agent", "messages": "message",
                 "notes": "note", "accounts": "account", "articles": "article"}


@dataclass(frozen=True)
class EntityProgress:
    name: str  # as in the run's counters: tickets, contacts, agents, messages, notes, attachments
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
        return min(100, round(100 * self.handled / self.total)) if self.total else None

    @property
    def report_entity(self) -> str:
        """The report that lists these records ("" when there is none)."""
        return REPORT_ENTITY.get(self.name, "")


@dataclass(frozen=True)
class RunError:
    at: str  # ISO 8601, as recorded
    message: str

    @property
    def time(self) -> str:
        """HH:MM:SS of `at`, for a compact list."""
        return self.at[11:19]


@dataclass(frozen=True)
class SeriesPoint:
    t: int  # unix seconds
    handled: int  # tickets handled so far
    calls: int  # Front calls so far


@dataclass(frozen=True)
class RunProgress:
    """A run's progress as every reader sees it: wizard pages, staff console, `migration status`."""

    run: Run
    counters: dict[str, dict[str, int]]  # the run's counters as kept (the CLI prints them as they are)
    entities: tuple[EntityProgress, ...]
    handled: int  # tickets done + failed + skipped
    total: int | None  # tickets in the selection, when known
    percent: float | None  # of tickets handled, one decimal; None without a total
    rate_per_min: float  # tickets per minute lately; 0.0 until measured
    eta_seconds: int | None  # only while the run is active and a rate is known
    calls_per_ticket: float | None
    recent_errors: tuple[RunError, ...]  # oldest first, at most 10
    warnings: list[str]  # what the source could not read and the run did without (runner.keep_warnings)
    series: tuple[SeriesPoint, ...]
    as_of: datetime
    # The live estimate (progress.py): "measuring" until the first records; the ETA is the slower of
    # the records ETA and the budget ETA; calls per ticket lately (the slope, in the rate's window).
    measuring: bool = False
    records_eta_seconds: int | None = None
    budget_eta_seconds: int | None = None
    budget_rpm: float | None = None
    window_calls_per_ticket: float | None = None
    demo_data: dict[str, Any] | None = None  # a full run after a demo: its conversations kept or replaced

    @property
    def active(self) -> bool:
        return self.run.is_active

    @property
    def bar_percent(self) -> int:
        """0-100 for a progress bar: tickets drive the run (everything else hangs off them)."""
        if self.run.state == Run.State.COMPLETED:
            return 100
        return min(100, round(100 * self.handled / self.total)) if self.total else 0

    @property
    def tickets(self) -> EntityProgress:
        return next((e for e in self.entities if e.name == "tickets"), EntityProgress("tickets", 0, 0, 0, 0))

    @property
    def failed(self) -> int:
        return sum(e.failed for e in self.entities)

    @property
    def skipped(self) -> int:
        return sum(e.skipped for e in self.entities)

    @property
    def latest_errors(self) -> list[RunError]:
        return list(reversed(self.recent_errors))

    def throughput(self, *, points: int = 240) -> list[list[float]]:
        """Tickets per minute between consecutive series points, [[unix seconds, rate], ...] (the chart)."""
        out = []
        for before, after in zip(self.series, self.series[1:], strict=False):
            if after.t > before.t:
                out.append([after.t, round(max(0, after.handled - before.handled) * 60.0 / (after.t - before.t), 1)])
        return out[-points:]

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `manage.py migration status` (docs/cli.md): keys are added, never removed."""
        run = self.run
        return {
            "run_id": run.pk, "kind": run.kind, "state": run.state, "reason": run.reason,
            "entities": self.counters, "handled": self.handled, "total": self.total, "percent": self.percent,
            "rate_per_min": self.rate_per_min, "eta_seconds": self.eta_seconds, "front_calls": run.front_calls,
            "calls_per_ticket": self.calls_per_ticket,
            "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "scheduled_for": _iso(run.scheduled_for), "resume_at": _iso(run.resume_at),
            "elapsed_seconds": round(run.elapsed_seconds, 1),
            "recent_errors": [{"at": e.at, "message": e.message} for e in self.recent_errors],
            "warnings": self.warnings,
            "series": [{"t": p.t, "handled": p.handled, "calls": p.calls} for p in self.series],
            "as_of": self.as_of.isoformat(),
            "measuring": self.measuring, "records_eta_seconds": self.records_eta_seconds,
            "budget_eta_seconds": self.budget_eta_seconds, "budget_rpm": self.budget_rpm,
            "window_calls_per_ticket": self.window_calls_per_ticket, "demo_data": self.demo_data,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _count(counts: dict[str, int], key: str) -> int:
    return int(counts.get(key) or 0)


def progress_of(run: Run) -> RunProgress:
    """The progress of a run as loaded (no query): for lists that loaded their runs in one go."""
    counters = run.counters or {}
    tickets = counters.get("tickets", {})
    handled = sum(_count(tickets, s) for s in ("done", "failed", "skipped"))
    total = _count(tickets, "total")
    live = progress.estimate(series=run.series or [], handled=handled, total=total or None,
                             running=run.state == Run.State.RUNNING, now=time.time())
    rate, eta = live.rate_per_min or 0.0, live.eta_seconds
    if not rate and not live.measuring and run.elapsed_seconds > 1 and handled:
        # No samples to measure from (a finished run, or one older than the samples): its average.
        rate = round(handled * 60.0 / run.elapsed_seconds, 2)
        if eta is None and total and run.state == Run.State.RUNNING:
            eta = int(max(0, total - handled) * 60 / rate)
    return RunProgress(
        run=run, counters=counters,
        entities=tuple(EntityProgress(name, _count(c, "total"), _count(c, "done"), _count(c, "failed"),
                                      _count(c, "skipped"))
                       for name, c in counters.items() if isinstance(c, dict)),
        handled=handled, total=total or None, percent=round(100.0 * handled / total, 1) if total else None,
        rate_per_min=rate, eta_seconds=eta,
        calls_per_ticket=round(run.front_calls / handled, 2) if handled else None,
        recent_errors=tuple(RunError(at=str(e.get("at") or ""), message=str(e.get("message") or ""))
                            for e in (run.recent_errors or [])[-10:]),
        warnings=[str(w) for w in (run.context or {}).get("warnings") or []],
        series=tuple(SeriesPoint(int(p[0]), int(p[1]), int(p[2])) for p in (run.series or [])),
        as_of=timezone.now(),
        measuring=live.measuring, records_eta_seconds=live.records_eta_seconds,
        budget_eta_seconds=live.budget_eta_seconds, budget_rpm=live.budget_rpm,
        window_calls_per_ticket=live.calls_per_ticket, demo_data=_demo_data(run),
    )


def _demo_data(run: Run) -> dict[str, Any] | None:
    outcome = (run.context or {}).get("demo_data")
    if not outcome or not outcome.get("outcome"):
        return None
    return {**outcome, "summary": demo_reuse.outcome_sentence(outcome)}


def run_progress(*, run: Run) -> RunProgress:
    """A run's live progress: reads its row again (one query), so a poll always sees the latest counters."""
    run.refresh_from_db()
    return progress_of(run)


def latest_progress_by_migration(*, migration_ids: Iterable[int]) -> dict[int, RunProgress]:
    """Each migration's newest run with its progress, in two queries (dashboard, staff console)."""
    return {mid: progress_of(run) for mid, run in latest_run_by_migration(migration_ids=migration_ids).items()}


# --- Reports -----------------------------------------------------------------------------------

REPORT_ENTITIES = ("ticket", "message", "note", "contact", "agent", "account", "article")  # account: an organization
WRITE_KIND = {"message": FrontWrite.Kind.MESSAGE, "note": FrontWrite.Kind.COMMENT}
_WRITE_STATE = {"done": FrontWrite.State.SENT}  # the journal says "sent" where reports say "done"


def front_conversation_url(conversation_id: str | None) -> str:
    """Where a person opens a migrated conversation: FRONT_APP_URL/open/<id> (Front's app by default; the
    offline Front stand-in's own pages on the embedded default)."""
    return f"{settings.FRONT_APP_URL.rstrip('/')}/open/{conversation_id}" if conversation_id else ""


def _report_rows_query(*, migration: Migration, entity: str, state: str | None) -> QuerySet:
    if entity in WRITE_KIND:
        writes = FrontWrite.objects.filter(migration=migration, kind=WRITE_KIND[entity])
        return writes.filter(state=_WRITE_STATE.get(state, state)) if state else writes
    records = RecordMap.objects.filter(migration=migration, entity=entity)
    return records.filter(state=state) if state else records


def report_row(entity: str, record: FrontWrite | RecordMap) -> dict[str, Any]:
    """One report line, the same for every reader (pages, CSV/JSON downloads, `migration report`).

    Every line has every key (docs/cli.md lists them); a key that does not apply to the entity is None.
    """
    if isinstance(record, FrontWrite):
        return {
            "pk": record.pk, "entity": entity, "source_id": record.source_id,
            "ticket_source_id": record.ticket_source_id,
            "state": "done" if record.state == FrontWrite.State.SENT else record.state, "reason": record.reason,
            "front_id": record.comment_id or record.message_id or record.message_uid,
            "front_conversation_id": record.conversation_id,
            "front_url": front_conversation_url(record.conversation_id), "source_url": None,
            "deleted_in_source": None, "attempts": None, "lineage": record.lineage, "removed": record.removed,
            "front_message_uids": record.message_uid, "last_run_id": record.run_id,
        }
    conversation = record.front_id if entity == "ticket" else ""
    return {
        "pk": record.pk, "entity": entity, "source_id": record.source_id, "ticket_source_id": None,
        "state": record.state, "reason": record.reason, "front_id": record.front_id,
        "front_conversation_id": conversation or None, "front_url": front_conversation_url(conversation),
        "source_url": record.source_url, "deleted_in_source": record.deleted_in_source, "attempts": record.attempts,
        "lineage": record.lineage, "removed": None, "front_message_uids": ",".join(record.message_ids or []),
        "last_run_id": record.last_run_id,
    }


def report_rows(*, migration: Migration, entity: str, state: str | None = None) -> Iterator[dict[str, Any]]:
    """Every record of an entity (ticket, contact, agent, account, message, note) with ids, state and reason."""
    rows = _report_rows_query(migration=migration, entity=entity, state=state)
    for record in rows.order_by("pk").iterator(chunk_size=2000):
        yield report_row(entity, record)


@dataclass(frozen=True)
class ReportPage:
    entity: str
    state: str | None
    rows: list[dict[str, Any]]
    next_after: int | None  # keyset cursors: the pk to continue after / before
    prev_before: int | None


def report_page(*, migration: Migration, entity: str, state: str | None, after: int | None = None,
                before: int | None = None, size: int = 50) -> ReportPage:
    """One page of `report_rows` by keyset (primary key), so page 1 and page 2,000 cost the same: at most
    `size` + 1 rows read through an index, never an OFFSET or a COUNT."""
    rows = _report_rows_query(migration=migration, entity=entity, state=state)
    if before:
        records = list(rows.filter(pk__lt=before).order_by("-pk")[: size + 1])
        more_before, more_after = len(records) > size, True
        records = records[:size][::-1]
    else:
        if after:
            rows = rows.filter(pk__gt=after)
        records = list(rows.order_by("pk")[: size + 1])
        more_after, more_before = len(records) > size, bool(after)
        records = records[:size]
    return ReportPage(
        entity, state, [report_row(entity, r) for r in records],
        next_after=records[-1].pk if records and more_after else None,
        prev_before=records[0].pk if records and more_before else None,
    )


def report_summary(*, migration: Migration) -> dict[str, dict[str, int]]:
    """Counts per entity and state, for the report header and the CLI (one grouped query each)."""
    out: dict[str, dict[str, int]] = {}
    for row in RecordMap.objects.filter(migration=migration).values("entity", "state").annotate(n=Count("id")):
        out.setdefault(row["entity"], {})[row["state"]] = row["n"]
    for write in FrontWrite.objects.filter(migration=migration).values("kind", "state").annotate(n=Count("id")):
        entity = "message" if write["kind"] == FrontWrite.Kind.MESSAGE else "note"
        out.setdefault(entity, {})["done" if write["state"] == FrontWrite.State.SENT else write["state"]] = write["n"]
    return out
