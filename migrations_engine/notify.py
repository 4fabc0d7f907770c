"""Emails to the owner and the shared editors when a run ends or needs attention."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail

from migrations_engine.models import Run
from wizard.access import editor_emails

logger = logging.getLogger(__name__)

SUBJECTS = {
    "completed": "Your migration run finished",
    "failed": "Your migration run failed",
    "paused": "Your migration run is paused and needs attention",
}


def recipients(migration) -> list[str]:
    emails = [migration.owner.email] if migration.owner.email else []
    return emails + [e for e in editor_emails(migration) if e not in emails]


def notify_run_event(*, run_id: int, event: str) -> None:
    run = Run.objects.select_related("migration__owner").get(pk=run_id)
    if run.kind == Run.Kind.DEMO and event == "completed":
        return  # the user is watching the demo page
    to = recipients(run.migration)
    if not to:
        return
    tickets = run.counters.get("tickets", {})
    body = (
        f"{run} of “{run.migration.name}”: {event}.\n\n"
        f"Tickets: {tickets.get('done', 0)} migrated, {tickets.get('failed', 0)} failed, "
        f"{tickets.get('skipped', 0)} skipped.\n"
        + (f"\n{run.reason}\n" if run.reason else "")
        + f"\n{settings.SITE_URL}/migrations/{run.migration_id}/\n"
    )
    try:
        send_mail(f"{SUBJECTS.get(event, 'Migration run')}", body, None, to, fail_silently=False)
    except Exception:  # a mail server outage must not stop the engine
        logger.warning("could not send the %s email for run %s", event, run_id)
