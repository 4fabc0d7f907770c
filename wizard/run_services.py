"""Starting and steering runs from the wizard: demo, full, delta, pause/resume, demo clean-up.

The engine (`migrations_engine.services`) does the work and has the last word (it refuses a second
full run into one inbox, asks billing, holds one active run per migration); the wizard adds the
order of the steps on top, so a request cannot skip the demo or the plan.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from billing.gate import run_refusal
from migrations_engine import services as engine
from migrations_engine.models import Run
from migrations_engine.services import RunRefused
from wizard.lifecycle import start_verification_period
from wizard.models import Migration
from wizard.selectors import demo_succeeded, full_run_done, latest_run
from wizard.steps import Step, advance, step_url


class WizardRefused(Exception):
    """The action is not allowed now; `str()` says why in plain words."""


def _start(*, migration: Migration, kind: str, user, scheduled_for: datetime | None = None, ids=None,
           settle_demo: bool = False):
    try:
        return engine.start_run(migration=migration, kind=kind, user=user, scheduled_for=scheduled_for, ids=ids,
                                settle_demo=settle_demo)
    except RunRefused as exc:
        raise WizardRefused(exc.reason) from exc


def demo_start(*, migration: Migration, user, remove_previous: bool = False):
    if migration.furthest_step < Step.DEMO:
        raise WizardRefused(_("Finish the options step before running the demo."))
    if remove_previous:
        demo_remove(migration=migration)
    return _start(migration=migration, kind="demo", user=user, ids=list(migration.demo_ids or []) or None)


def demo_remove(*, migration: Migration) -> int:
    """Delete (in Front) the conversations earlier demos created; returns how many."""
    try:
        return engine.remove_demo_data(migration=migration)
    except RunRefused as exc:
        raise WizardRefused(exc.reason) from exc


def sync_demo_step(*, migration: Migration) -> None:
    """A completed demo opens the plan step."""
    if migration.furthest_step == Step.DEMO and demo_succeeded(migration=migration):
        advance(migration, past=Step.DEMO)


def sync_verification(*, migration: Migration) -> None:
    """Once the full migration completed, the verification period (plan dependent) starts counting."""
    start_verification_period(migration=migration)


def plan_refusal(*, migration: Migration) -> str | None:
    return run_refusal(migration=migration, kind="full")


def sync_plan_step(*, migration: Migration) -> None:
    """A confirmed payment opens the full step at once (when the demo succeeded and the gate allows
    the full run), so the payment page's link leads straight to it instead of the plan step."""
    if (migration.furthest_step == Step.PLAN and demo_succeeded(migration=migration)
            and plan_refusal(migration=migration) is None):
        advance(migration, past=Step.PLAN)


def after_payment(*, migration: Migration) -> tuple[str, str]:
    """Where the payment confirmation leads: (step URL, the sentence that says why it is not the full
    step, or "" when it is)."""
    sync_plan_step(migration=migration)
    if migration.furthest_step >= Step.FULL:
        return step_url(migration, Step.FULL), ""
    if migration.furthest_step < Step.PLAN or not demo_succeeded(migration=migration):
        return (step_url(migration, migration.furthest_step),
                _("The full migration opens once a demo has succeeded: finish the earlier steps and run the demo."))
    return step_url(migration, Step.PLAN), plan_refusal(migration=migration) or ""


def plan_continue(*, migration: Migration) -> None:
    if migration.furthest_step < Step.PLAN or not demo_succeeded(migration=migration):
        raise WizardRefused(_("Run a successful demo before choosing a plan."))
    refusal = plan_refusal(migration=migration)
    if refusal:
        raise WizardRefused(refusal)
    advance(migration, past=Step.PLAN)


def full_refusal(*, migration: Migration) -> str | None:
    """Why the full migration cannot start now (checked on the server at every start), or None."""
    if migration.furthest_step < Step.FULL:
        return _("Finish the earlier steps (demo and plan) before starting the full migration.")
    if not demo_succeeded(migration=migration):
        return _("Run a successful demo before the full migration.")
    if full_run_done(migration=migration, include_active=True):
        return _("The full migration of this inbox has already started. Use a delta migration to bring it up to date.")
    return plan_refusal(migration=migration)


def full_start(*, migration: Migration, user, scheduled_for: datetime | None, time_zone: str,
               remove_demo: bool = False):
    refusal = full_refusal(migration=migration)
    if refusal:
        raise WizardRefused(refusal)
    migration.time_zone = time_zone
    migration.save(update_fields=["time_zone", "updated_at"])
    # The run itself settles the demos' conversations when it starts (kept when nothing that shapes them
    # changed, else removed and imported again): see migrations_engine/demo_reuse.py.
    return _start(migration=migration, kind="full", user=user, scheduled_for=scheduled_for, settle_demo=remove_demo)


def delta_start(*, migration: Migration, user):
    if not full_run_done(migration=migration, include_active=False):
        raise WizardRefused(_("A delta migration follows a completed full migration."))
    active = latest_run(migration=migration)
    if active is not None and active.is_active:
        raise WizardRefused(_("Another run is still going; wait for it to finish."))
    refusal = run_refusal(migration=migration, kind="delta")
    if refusal:
        raise WizardRefused(refusal)
    return _start(migration=migration, kind="delta", user=user)


def run_pause(*, migration: Migration, run) -> None:
    if run.migration_id != migration.pk:
        raise WizardRefused(_("This run belongs to another migration."))
    if run.state not in Run.PAUSABLE_STATES:
        raise WizardRefused(_("Only a running migration can be paused."))
    try:
        engine.pause_run(run=run)
    except RunRefused as exc:  # its state changed since the page was drawn
        raise WizardRefused(exc.reason) from exc


def run_cancel(*, migration: Migration, run) -> None:
    """Only a run that has not started yet is cancelled from the wizard (a running one is paused)."""
    if run.migration_id != migration.pk:
        raise WizardRefused(_("This run belongs to another migration."))
    if run.state != Run.State.SCHEDULED:
        raise WizardRefused(_("Only a scheduled run can be cancelled; pause a running one."))
    engine.cancel_run(run=run)


def retry_failed(*, migration: Migration, user):
    """A run over the failed tickets only (after the user fixed what the report says)."""
    if not full_run_done(migration=migration, include_active=False):
        raise WizardRefused(_("Failed records are retried after the full migration."))
    try:
        return engine.retry_failed(migration=migration, user=user)
    except RunRefused as exc:
        raise WizardRefused(exc.reason) from exc


def run_resume(*, migration: Migration, run) -> None:
    if run.migration_id != migration.pk:
        raise WizardRefused(_("This run belongs to another migration."))
    if run.state not in Run.RESUMABLE_STATES:
        raise WizardRefused(_("Only a paused migration can be resumed."))
    try:
        engine.resume_run(run=run)
    except RunRefused as exc:  # its state changed since the page was drawn
        raise WizardRefused(exc.reason) from exc


def resume_after_front_reconnect(*, migration: Migration) -> list[int]:
    """Front's OAuth was connected again: runs paused for "Reconnect Front" resume where they stopped."""
    return engine.resume_after_reconnect(migration=migration)


def reconnect_needed(*, run) -> bool:
    return engine.reconnect_needed(run=run)
