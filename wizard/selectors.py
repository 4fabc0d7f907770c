"""Reads for the wizard pages: dashboard rows, run progress and report pages.

Runs, progress and reports come from the engine's selectors (`migrations_engine.selectors`), as they
are: this module only adds what a page shows on top (labels, which links are safe to render).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _

from migrations_engine import selectors as engine
from migrations_engine.models import Run
from migrations_engine.selectors import ReportPage, RunProgress
from wizard.access import migrations_visible_to
from wizard.models import Migration

ENTITY_LABELS = {
    "tickets": _("Tickets"), "ticket": _("Tickets"), "messages": _("Messages"), "message": _("Messages"),
    "notes": _("Notes"), "note": _("Notes"), "contacts": _("Contacts"), "contact": _("Contacts"),
    "agents": _("Agents"), "agent": _("Agents"), "attachments": _("Attachments"), "attachment": _("Attachments"),
    "accounts": _("Accounts"), "account": _("Accounts"), "articles": _("Articles"), "article": _("Articles"),
}
REPORT_PAGE_SIZE = 50

# The engine's answers, as they are (the views read them through this module).
latest_run = engine.latest_run
get_run = engine.get_run
demo_succeeded = engine.demo_succeeded
full_run_done = engine.full_run_done
full_migration_started = engine.full_migration_started
has_demo_data = engine.has_demo_data
run_progress = engine.run_progress
REPORT_ENTITIES = engine.REPORT_ENTITIES


def runs_after_demo(*, migration: Migration) -> list[Run]:
    """Full, delta and other non-demo runs, newest first (for the run history on the last step)."""
    return engine.runs_of(migration=migration, exclude_kinds=[Run.Kind.DEMO], limit=20)


# --- Dashboard ---------------------------------------------------------------------------------


@dataclass
class DashboardRow:
    migration: Migration
    run: Run | None
    progress: RunProgress | None


def dashboard_rows(*, user) -> list[DashboardRow]:
    """The user's migrations with their latest run: three queries whatever their number."""
    migrations = list(migrations_visible_to(user).order_by("-created_at")[:200])
    progress = engine.latest_progress_by_migration(migration_ids=[m.pk for m in migrations])
    rows = []
    for m in migrations:
        p = progress.get(m.pk)
        rows.append(DashboardRow(m, p.run if p else None, p))
    return rows


# --- Reports -----------------------------------------------------------------------------------

STATE_LABELS = {"done": _("Migrated"), "failed": _("Failed"), "skipped": _("Skipped"), "pending": _("Pending")}


def report_page(*, migration: Migration, entity: str, state: str | None, after: int | None = None,
                before: int | None = None) -> ReportPage:
    """One page of the engine's report, with state labels and only safe links to the source."""
    page = engine.report_page(migration=migration, entity=entity, state=state, after=after, before=before,
                              size=REPORT_PAGE_SIZE)
    rows = [{**r, "state_label": STATE_LABELS.get(r["state"], r["state"]), "source_url": _safe_link(r["source_url"])}
            for r in page.rows]
    return replace(page, rows=rows)


def _safe_link(url: str | None) -> str | None:
    """Only http(s) links from a source reach an href (never javascript: or data:)."""
    return url if url and url.startswith(("https://", "http://")) else None
