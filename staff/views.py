"""Staff console (`is_staff` only; others get a 404 like any page they may not see)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from migrations_engine import selectors as engine
from staff import selectors
from staff.forms import ConfirmForm, ExtendForm
from staff.services import StaffActionError, staff_pause_run, staff_resume_run, staff_retry_failed
from wizard.access import require_staff
from wizard.lifecycle import extend_verification, purge_migration_data, purge_schedule
from wizard.models import Migration


def staff_only(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _run_or_404(run_id):
    run = engine.run_with_migration(run_id=run_id)
    if run is None:
        raise Http404
    return run


@staff_only
@require_GET
def console(request):
    query = request.GET.get("q", "")
    page = Paginator(selectors.migrations_search(query=query), 50).get_page(request.GET.get("page"))
    latest = engine.latest_progress_by_migration(migration_ids=[m.pk for m in page])
    rows = [{"migration": m, "progress": latest.get(m.pk)} for m in page]
    return render(request, "staff/console.html", {
        "rows": rows, "page": page, "query": query, "audit": selectors.audit_entries(limit=20),
    })


@staff_only
@require_GET
def migration_detail(request, pk):
    migration = get_object_or_404(Migration.objects.select_related("owner"), pk=pk)
    return render(request, "staff/migration.html", {
        "migration": migration,
        "runs": selectors.runs_of(migration=migration),
        "failed": engine.failed_records(migration=migration),
        "failed_count": engine.failed_count(migration=migration),
        "shares": migration.shares.select_related("accepted_by").all(),
        "schedule": purge_schedule(migration=migration),
        "audit": selectors.audit_entries(migration_id=migration.pk),
        "extend_form": ExtendForm(),
        "purge_form": ConfirmForm(),
    })


@staff_only
@require_POST
def extend(request, pk):
    migration = get_object_or_404(Migration, pk=pk)
    form = ExtendForm(request.POST)
    if form.is_valid():
        when = extend_verification(migration=migration, days=form.cleaned_data["days"], actor=request.user)
        messages.success(request, _("Verification period now ends on %(when)s.") % {"when": f"{when:%Y-%m-%d %H:%M} UTC"})
    else:
        messages.error(request, _("Give a number of days between 1 and 90."))
    return redirect("staff:migration", pk=pk)


@staff_only
@require_POST
def purge(request, pk):
    migration = get_object_or_404(Migration, pk=pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        purge_migration_data(migration=migration, actor=request.user, reason="staff purge from the console")
        messages.success(request, _("Credentials and cached source content deleted."))
    else:
        messages.error(request, _("Type PURGE to confirm; nothing was deleted."))
    return redirect("staff:migration", pk=pk)


@staff_only
@require_POST
def retry_failed(request, pk):
    migration = get_object_or_404(Migration, pk=pk)
    try:
        run = staff_retry_failed(migration=migration, actor=request.user)
        messages.success(request, _("Retry of the failed records started (run %(id)s).") % {"id": run.pk})
    except StaffActionError as exc:
        messages.error(request, str(exc))
    return redirect("staff:migration", pk=pk)


@staff_only
@require_POST
def run_action(request, run_id, action):
    run = _run_or_404(run_id)
    act = {"pause": staff_pause_run, "resume": staff_resume_run}[action]
    try:
        act(run=run, actor=request.user)
        messages.success(request, _("Done: %(action)s.") % {"action": action})
    except StaffActionError as exc:
        messages.error(request, str(exc))
    return redirect("staff:migration", pk=run.migration_id)


@staff_only
@require_GET
def audit_log(request):
    page = Paginator(selectors.audit_entries(limit=10_000), 100).get_page(request.GET.get("page"))
    return render(request, "staff/audit.html", {"page": page})
