"""“Delete my data now”: the owner purges credentials and cached source content, after confirming."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wizard.access import Level, get_migration_for
from wizard.lifecycle import purge_migration_data, purge_schedule
from wizard.sharing_forms import ConfirmPurgeForm


@login_required
def delete_data(request, pk):
    migration, _level = get_migration_for(request.user, pk, level=Level.OWNER)
    form = ConfirmPurgeForm(request.POST or None, migration=migration)
    if request.method == "POST" and form.is_valid():
        purge_migration_data(migration=migration, actor=request.user, reason="owner asked to delete data now")
        messages.success(
            request,
            _("Your credentials and cached help desk content for “%(name)s” were deleted. "
              "Counts and the report's ids remain.") % {"name": migration.name},
        )
        return redirect("wizard:dashboard")
    return render(
        request, "wizard/sharing/delete_data.html",
        {"migration": migration, "form": form, "schedule": purge_schedule(migration=migration)},
        status=400 if form.is_bound else 200,
    )
