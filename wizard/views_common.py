"""What every wizard view shares: the access check, the step-order rule, and the page context."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wizard.access import Level, get_migration_for
from wizard.steps import EDITOR_ONLY_STEPS, MAPPING_STEPS, SHORT_LABELS, step_items, step_url


def wizard_step(step: int, *, level: Level = Level.VIEWER, post_level: Level = Level.EDITOR):
    """Load the migration through THE access check, then refuse any request to a step not reached yet.

    GET needs `level`, any other method `post_level`. A request for a later step (even a forged POST)
    changes nothing and is sent back to the furthest step reached, with a message saying why.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, pk, *args, **kwargs):
            needed = level if request.method in ("GET", "HEAD") else post_level
            migration, granted = get_migration_for(request.user, pk, level=needed)
            if step > migration.furthest_step:
                message = _("“%(step)s” opens once “%(previous)s” is done.") % {
                    "step": SHORT_LABELS[step], "previous": SHORT_LABELS[migration.furthest_step]}
                if request.htmx:
                    return HttpResponse(message, status=409)
                messages.warning(request, message)
                if granted < Level.EDITOR and migration.furthest_step in EDITOR_ONLY_STEPS:
                    # A viewer cannot open the connection form: send them somewhere they may go.
                    return redirect("wizard:dashboard")
                return redirect(step_url(migration, migration.furthest_step))
            request.migration, request.level = migration, granted
            return view(request, migration, *args, **kwargs)

        wrapper.wizard_step = step
        return wrapper

    return decorator


def render_step(request, template: str, step: int, context: dict, *, status: int = 200):
    migration = request.migration
    ctx = {
        "migration": migration,
        "level": request.level,
        "can_edit": request.level >= Level.EDITOR,
        "is_owner": request.level >= Level.OWNER,
        "steps": step_items(migration, step, can_edit=request.level >= Level.EDITOR),
        "current_step": step,
        "guard_unsaved": step in MAPPING_STEPS,
        **context,
    }
    return render(request, template, ctx, status=status)
