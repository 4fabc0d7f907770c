"""Run steps: demo, plan, full migration (with delta), live progress partials and reports."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.selectors import billing_enabled
from migrations_engine.models import Run
from wizard import run_services, selectors
from wizard.access import Level
from wizard.forms import ScheduleForm
from wizard.run_services import WizardRefused
from wizard.steps import Step, step_url
from wizard.views_common import render_step, wizard_step

REPORT_STATES = ("done", "failed", "skipped", "pending")


def _progress_or_none(run):
    return selectors.run_progress(run=run) if run is not None else None


@wizard_step(Step.DEMO, level=Level.VIEWER)
def demo(request, migration):
    run_services.sync_demo_step(migration=migration)
    run = selectors.latest_run(migration=migration, kind="demo")
    return render_step(request, "wizard/demo.html", Step.DEMO, {
        "run": run, "progress": _progress_or_none(run),
        "demo_ok": selectors.demo_succeeded(migration=migration),
    })


@require_POST
@wizard_step(Step.DEMO, post_level=Level.EDITOR)
def demo_action(request, migration):
    action = request.POST.get("action")
    try:
        if action == "start":
            run_services.demo_start(migration=migration, user=request.user,
                                    remove_previous=bool(request.POST.get("remove_previous")))
            messages.success(request, _("The demo has started."))
        elif action == "remove":
            removed = run_services.demo_remove(migration=migration)
            messages.success(request, _("%(n)d demo conversations removed from Front.") % {"n": removed})
        else:
            messages.error(request, _("Unknown action."))
    except WizardRefused as exc:
        messages.error(request, str(exc))
    return redirect(step_url(migration, Step.DEMO))


@wizard_step(Step.DEMO, level=Level.VIEWER)
def progress_partial(request, migration, run_id):
    """htmx poll target: one run's live panel (a few rows read, whatever the migration's size)."""
    run = selectors.get_run(migration=migration, run_id=run_id)
    if run is None:
        raise Http404
    if run.kind == "demo":
        run_services.sync_demo_step(migration=migration)
    progress = selectors.run_progress(run=run)
    response = render(request, "wizard/partials/progress.html", {
        "migration": migration, "progress": progress, "run": run,
        "can_edit": request.level >= Level.EDITOR, "is_owner": request.level >= Level.OWNER,
    })
    if not progress.active:
        response["HX-Trigger"] = "run-finished"
    return response


@wizard_step(Step.DEMO, level=Level.VIEWER)
def progress_series(request, migration, run_id):
    """JSON for the throughput chart."""
    run = selectors.get_run(migration=migration, run_id=run_id)
    if run is None:
        raise Http404
    progress = selectors.run_progress(run=run)
    return JsonResponse({"series": progress.throughput(), "state": run.state, "rate_per_min": progress.rate_per_min})



@wizard_step(Step.DEMO, level=Level.VIEWER)
def report(request, migration):
    entity = request.GET.get("entity") or "ticket"
    if entity not in selectors.REPORT_ENTITIES:
        entity = "ticket"
    state = request.GET.get("state") or None
    if state not in (None, *REPORT_STATES):
        state = None
    result = selectors.report_page(migration=migration, entity=entity, state=state,
                                   after=_positive(request.GET.get("after")), before=_positive(request.GET.get("before")))
    run = selectors.latest_run(migration=migration)
    current = Step.FULL if migration.furthest_step >= Step.FULL else Step.DEMO
    return render_step(request, "wizard/report.html", current, {
        "report": result, "rows": result.rows, "run": run, "progress": _progress_or_none(run),
        "entities": [(e, selectors.ENTITY_LABELS[e]) for e in selectors.REPORT_ENTITIES],
        "states": list(selectors.STATE_LABELS.items()),
    })


def _positive(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@wizard_step(Step.PLAN, level=Level.VIEWER)
def plan(request, migration):
    run_services.sync_plan_step(migration=migration)  # a payment confirmed since opens the full step
    if request.method == "POST":
        if request.level < Level.OWNER:
            raise Http404
        try:
            run_services.plan_continue(migration=migration)
            return redirect(step_url(migration, Step.FULL))
        except WizardRefused as exc:
            messages.error(request, str(exc))
    billing_url = reverse("billing:plan", args=[migration.pk]) if billing_enabled() else None
    return render_step(request, "wizard/plan.html", Step.PLAN, {
        "billing_url": billing_url, "refusal": run_services.plan_refusal(migration=migration),
        "counts": migration.record_counts or {},
        "count_labels": [("tickets", _("Tickets")), ("contacts", _("Contacts")), ("agents", _("Agents"))],
    })


@wizard_step(Step.FULL, level=Level.VIEWER, post_level=Level.OWNER)
def full(request, migration):
    run_services.sync_verification(migration=migration)
    run = selectors.latest_run(migration=migration)
    if run is not None and (run.kind == Run.Kind.DEMO or run.state == Run.State.CANCELLED):
        run = None
    initial = {"when": "now", "time_zone": migration.time_zone or "UTC"}
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        scheduled_for = d["scheduled_for"]  # None = now; the form checked it is within the next year
        try:
            run_services.full_start(migration=migration, user=request.user, scheduled_for=scheduled_for,
                                    time_zone=d["time_zone"], remove_demo=d["remove_demo"])
            messages.success(request, _("The full migration is scheduled.") if scheduled_for
                             else _("The full migration has started."))
            return redirect(step_url(migration, Step.FULL))
        except WizardRefused as exc:
            form.add_error(None, str(exc))
    runs = selectors.runs_after_demo(migration=migration)
    return render_step(request, "wizard/full.html", Step.FULL, {
        "run": run, "progress": _progress_or_none(run), "form": form, "runs": runs,
        "show_start": not selectors.full_run_done(migration=migration, include_active=True),
        "has_demo_data": selectors.has_demo_data(migration=migration),
        "refusal": run_services.full_refusal(migration=migration),
        "full_done": selectors.full_run_done(migration=migration, include_active=False),
        "verification_ends_at": migration.verification_ends_at,
    }, status=422 if request.method == "POST" else 200)


@require_POST
@wizard_step(Step.FULL, post_level=Level.OWNER)
def full_action(request, migration):
    action = request.POST.get("action")
    run = selectors.get_run(migration=migration, run_id=request.POST.get("run") or 0)
    try:
        if action == "delta":
            run_services.delta_start(migration=migration, user=request.user)
            messages.success(request, _("The delta migration has started."))
        elif action == "retry":
            run_services.retry_failed(migration=migration, user=request.user)
            messages.success(request, _("The failed records are being migrated again."))
        elif action == "cancel" and run is not None:
            run_services.run_cancel(migration=migration, run=run)
            messages.success(request, _("The scheduled run is cancelled."))
        elif action in ("pause", "resume") and run is not None:
            (run_services.run_pause if action == "pause" else run_services.run_resume)(migration=migration, run=run)
            messages.success(request, _("Paused.") if action == "pause" else _("Resumed."))
        else:
            messages.error(request, _("Unknown action."))
    except WizardRefused as exc:
        messages.error(request, str(exc))
    return redirect(step_url(migration, Step.FULL))


@wizard_step(Step.FULL, level=Level.VIEWER)
def checklist(request, migration, which: str):
    if which not in ("before", "after"):
        raise Http404
    return render_step(request, f"wizard/checklist_{which}.html", Step.FULL, {})
