"""Read-only queries for the wizard, the console, the CLI and reports. Cheap on purpose: progress
reads one Run row (its counters are kept incrementally), never counts whole tables."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from migrations_engine import demo_reuse, progress
from migrations_engine.models import FrontWrite, RecordMap, Run

FRONT_APP_URL = "https://app.frontapp.com/open/"


def latest_runs(*, migration, limit: int = 20) -> QuerySet[Run]:
    return migration.runs.all().order_by("-created_at")[:limit]


def run_progress(*, run: Run) -> dict[str, Any]:
    """Per entity total/done/failed/skipped, rate, ETA, recent errors and a chart series (one row read)."""
    run.refresh_from_db()
    counters = run.counters or {}
    tickets = counters.get("tickets", {})
    handled = sum(tickets.get(s, 0) for s in ("done", "failed", "skipped"))
    total = tickets.get("total", 0)
    live = progress.estimate(series=run.series or [], handled=handled, total=total or None,
                             running=run.state == Run.State.RUNNING, now=time.time())
    rate = live.rate_per_min or 0.0
    if not rate and not live.measuring and run.elapsed_seconds > 1 and handled:
        rate = round(handled * 60.0 / run.elapsed_seconds, 2)
    eta = live.eta_seconds
    calls_per_ticket = round(run.front_calls / handled, 2) if handled else None
    return {
        "run_id": run.pk, "kind": run.kind, "state": run.state, "reason": run.reason,
        "entities": counters, "handled": handled, "total": total or None,
        "percent": round(100.0 * handled / total, 1) if total else None,
        "rate_per_min": rate, "eta_seconds": eta, "front_calls": run.front_calls,
        "calls_per_ticket": calls_per_ticket,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "scheduled_for": run.scheduled_for.isoformat() if run.scheduled_for else None,
        "resume_at": run.resume_at.isoformat() if run.resume_at else None,
        "elapsed_seconds": round(run.elapsed_seconds, 1),
        "recent_errors": (run.recent_errors or [])[-10:],
        # What the source could not read and the run did without (runner.keep_warnings).
        "warnings": list((run.context or {}).get("warnings") or []),
        "series": [{"t": p[0], "handled": p[1], "calls": p[2]} for p in (run.series or [])],
        "as_of": timezone.now().isoformat(),
        # Live estimate (progress.py): "measuring" until the first records; which way the ETA was read.
        "measuring": live.measuring, "records_eta_seconds": live.records_eta_seconds,
        "budget_eta_seconds": live.budget_eta_seconds, "budget_rpm": live.budget_rpm,
        "window_calls_per_ticket": live.calls_per_ticket,
        # A full run after a demo: the demo's conversations kept or replaced (demo_reuse.py).
        "demo_data": _demo_data(run),
    }


def _demo_data(run: Run) -> dict[str, Any] | None:
    outcome = (run.context or {}).get("demo_data")
    if not outcome or not outcome.get("outcome"):
        return None
    return {**outcome, "summary": demo_reuse.outcome_sentence(outcome)}


def report_rows(*, migration, entity: str, state: str | None = None) -> Iterator[dict[str, Any]]:
    """Every record of an entity (ticket, contact, agent, message, note) with ids, state and reason."""
    if entity in ("message", "note"):
        rows = FrontWrite.objects.filter(migration=migration, kind="message" if entity == "message" else "comment")
        if state:
            rows = rows.filter(state={"done": "sent"}.get(state, state))
        for w in rows.order_by("pk").iterator(chunk_size=2000):
            yield {
                "entity": entity, "source_id": w.source_id, "ticket_source_id": w.ticket_source_id,
                "state": "done" if w.state == "sent" else w.state, "reason": w.reason, "lineage": w.lineage,
                "front_id": w.comment_id or w.message_id or w.message_uid,
                "front_conversation_id": w.conversation_id, "front_url": _front_url(w.conversation_id),
                "removed": w.removed,
            }
        return
    records = RecordMap.objects.filter(migration=migration, entity=entity)
    if state:
        records = records.filter(state=state)
    for r in records.order_by("pk").iterator(chunk_size=2000):
        yield {
            "entity": entity, "source_id": r.source_id, "state": r.state, "reason": r.reason,
            "attempts": r.attempts, "front_id": r.front_id, "front_url": _front_url(r.front_id) if entity == "ticket" else "",
            "front_message_uids": ",".join(r.message_ids or []), "source_url": r.source_url,
            "deleted_in_source": r.deleted_in_source, "last_run_id": r.last_run_id, "lineage": r.lineage,
        }


def _front_url(front_id: str) -> str:
    return f"{FRONT_APP_URL}{front_id}" if front_id else ""


def report_summary(*, migration) -> dict[str, dict[str, int]]:
    """Counts per entity and state, for the report header and the CLI (one grouped query each)."""
    from django.db.models import Count

    out: dict[str, dict[str, int]] = {}
    for row in RecordMap.objects.filter(migration=migration).values("entity", "state").annotate(n=Count("id")):
        out.setdefault(row["entity"], {})[row["state"]] = row["n"]
    for write in FrontWrite.objects.filter(migration=migration).values("kind", "state").annotate(n=Count("id")):
        entity = "message" if write["kind"] == "message" else "note"
        out.setdefault(entity, {})["done" if write["state"] == "sent" else write["state"]] = write["n"]
    return out
