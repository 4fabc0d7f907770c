from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from wizard.access import migrations_visible_to
from wizard.forms import NewMigrationForm
from wizard.services import migration_create


@login_required
def dashboard(request):
    migrations = migrations_visible_to(request.user).order_by("-created_at")
    return render(request, "wizard/dashboard.html", {"migrations": migrations, "form": NewMigrationForm()})


@login_required
def create_migration(request):
    form = NewMigrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        migration_create(owner=request.user, name=form.cleaned_data["name"])
        return redirect("wizard:dashboard")
    return render(request, "wizard/create.html", {"form": form})
