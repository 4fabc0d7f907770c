"""Dashboard, creating and renaming migrations, and the entry point that opens the right step."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wizard.access import Level, get_migration_for
from wizard.forms import NewMigrationForm, RenameForm
from wizard.selectors import dashboard_rows
from wizard.services import migration_create, migration_rename
from wizard.steps import EDITOR_ONLY_STEPS, step_url


@login_required
def dashboard(request):
    return render(request, "wizard/dashboard.html", {"rows": dashboard_rows(user=request.user)})


@login_required
def create_migration(request):
    form = NewMigrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        migration = migration_create(owner=request.user, name=form.cleaned_data["name"])
        return redirect(step_url(migration, migration.furthest_step))
    return render(request, "wizard/create.html", {"form": form})


@login_required
def open_migration(request, pk):
    migration, level = get_migration_for(request.user, pk, level=Level.VIEWER)
    step = migration.furthest_step
    if level < Level.EDITOR and step in EDITOR_ONLY_STEPS:
        messages.info(request, _("“%(name)s” is still being set up by its editors.") % {"name": migration.name})
        return redirect("wizard:dashboard")
    return redirect(step_url(migration, step))


@login_required
def rename_migration(request, pk):
    migration, _level = get_migration_for(request.user, pk, level=Level.EDITOR)
    form = RenameForm(request.POST or None, initial={"name": migration.name})
    if request.method == "POST" and form.is_valid():
        migration_rename(migration=migration, name=form.cleaned_data["name"])
        messages.success(request, _("Renamed to “%(name)s”.") % {"name": migration.name})
        return redirect(request.POST.get("next") if _safe_next(request) else "wizard:dashboard")
    return render(request, "wizard/rename.html", {"form": form, "migration": migration})


def _safe_next(request) -> bool:
    nxt = request.POST.get("next", "")
    return nxt.startswith("/") and not nxt.startswith("//")


