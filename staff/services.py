"""Audit log writes (and the staff actions that must leave one)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from config.client_ip import current_client_ip
from migrations_engine import services as engine
from migrations_engine.services import RunRefused
from staff.models import AuditLog


def audit(*, actor, action: str, target: Model, details: dict[str, Any] | None = None) -> AuditLog:
    """Record who did what to which object. `actor=None` means the system (a scheduled job).

    Inside a web request the client's address (resolved behind TRUSTED_PROXY_COUNT) is kept too."""
    details = dict(details or {})
    address = current_client_ip()
    if address:
        details.setdefault("client_ip", address)
    migration_id = getattr(target, "migration_id", None)
    if target._meta.label_lower == "wizard.migration":
        migration_id = target.pk
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_email=(getattr(actor, "email", "") or getattr(actor, "username", "")) if actor else "",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        migration_id=migration_id,
        details=details,
    )


# --- Staff actions: each one calls the owning service, then leaves an audit row. ----------------


class StaffActionError(Exception):
    """The action could not be done; the message is safe to show."""


def staff_pause_run(*, run, actor):
    before = run.state
    try:
        engine.pause_run(run=run)
    except RunRefused as exc:  # the engine's refusal (e.g. run already finished) is shown, and audited
        audit(actor=actor, action="run.pause.refused", target=run, details={"state": before, "why": exc.reason})
        raise StaffActionError(exc.reason) from exc
    run.refresh_from_db()
    audit(actor=actor, action="run.pause", target=run, details={"before": before, "after": run.state})
    return run


def staff_resume_run(*, run, actor):
    before = run.state
    try:
        engine.resume_run(run=run)
    except RunRefused as exc:
        audit(actor=actor, action="run.resume.refused", target=run, details={"state": before, "why": exc.reason})
        raise StaffActionError(exc.reason) from exc
    run.refresh_from_db()
    audit(actor=actor, action="run.resume", target=run, details={"before": before, "after": run.state})
    return run


def staff_retry_failed(*, migration, actor):
    try:
        run = engine.retry_failed(migration=migration, user=actor)
    except RunRefused as exc:
        audit(actor=actor, action="run.retry_failed.refused", target=migration, details={"why": exc.reason})
        raise StaffActionError(exc.reason) from exc
    audit(actor=actor, action="run.retry_failed", target=migration, details={"run_id": run.pk})
    return run
