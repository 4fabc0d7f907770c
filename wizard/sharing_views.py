"""Sharing pages: the owner's list of shares (invite, create link, change level, revoke), the page a
colleague lands on from an invitation or link, and a colleague leaving a migration. Thin: the rules live
in wizard/sharing.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wizard.access import Level, get_migration_for, get_object_for
from wizard.models import Share
from wizard.sharing import (
    SESSION_PENDING_TOKEN,
    ShareError,
    share_accept,
    share_for_token,
    share_invite,
    share_leave,
    share_link_create,
    share_refusal,
    share_revoke,
    share_set_level,
    shares_of,
)
from wizard.sharing_forms import InviteForm, LevelForm, LinkForm

_NEW_LINK_SESSION_KEY = "fp_new_share_url"


def _sharing_page(request, migration, *, invite_form=None, link_form=None, status=200):
    context = {
        "migration": migration,
        "is_owner": True,  # only owner-level users reach this page
        "shares": shares_of(migration=migration),
        "invite_form": invite_form or InviteForm(),
        "link_form": link_form or LinkForm(),
        "level_choices": Share.LevelChoice.choices,
        # The plain link exists only now: it is shown once, then only its hash remains.
        "new_share_url": request.session.pop(_NEW_LINK_SESSION_KEY, None),
    }
    return render(request, "wizard/sharing/manage.html", context, status=status)


@login_required
@require_GET
def sharing(request, pk):
    migration, _level = get_migration_for(request.user, pk, level=Level.OWNER)
    return _sharing_page(request, migration)


@login_required
@require_POST
def invite(request, pk):
    migration, _level = get_migration_for(request.user, pk, level=Level.OWNER)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _sharing_page(request, migration, invite_form=form, status=400)
    try:
        share_invite(
            migration=migration, email=form.cleaned_data["email"], level=form.cleaned_data["level"],
            invited_by=request.user,
        )
    except ShareError as exc:
        form.add_error("email", str(exc))
        return _sharing_page(request, migration, invite_form=form, status=400)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
    return redirect("wizard:sharing", pk=migration.pk)


@login_required
@require_POST
def create_link(request, pk):
    migration, _level = get_migration_for(request.user, pk, level=Level.OWNER)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _sharing_page(request, migration, link_form=form, status=400)
    new = share_link_create(
        migration=migration, level=form.cleaned_data["level"], created_by=request.user,
        expires_in_days=form.cleaned_data["expires_in_days"] or None,
    )
    request.session[_NEW_LINK_SESSION_KEY] = new.url
    messages.success(request, _("Share link created. Copy it now: it is shown only once."))
    return redirect("wizard:sharing", pk=migration.pk)


@login_required
@require_POST
def revoke(request, pk, share_id):
    migration, _level = get_migration_for(request.user, pk, level=Level.OWNER)
    share, _level = get_object_for(request.user, Share, share_id, level=Level.OWNER, migration=migration)
    share_revoke(share=share, revoked_by=request.user)
    messages.success(request, _("Access withdrawn. It stopped working immediately."))
    return redirect("wizard:sharing", pk=migration.pk)


@login_required
@require_POST
def change_level(request, pk, share_id):
    migration, _level = get_migration_for(request.user, pk, level=Level.OWNER)
    share, _level = get_object_for(request.user, Share, share_id, level=Level.OWNER, migration=migration)
    form = LevelForm(request.POST)
    if form.is_valid() and not share.is_revoked:
        share_set_level(share=share, level=form.cleaned_data["level"], changed_by=request.user)
        messages.success(request, _("Access level changed."))
    else:
        messages.error(request, _("That access level could not be set."))
    return redirect("wizard:sharing", pk=migration.pk)


@login_required
@require_POST
def leave(request, pk):
    """A colleague gives up their access (confirmed on the page that posts here; POST only, with CSRF).

    Reached through the one access check like any page of the migration, so someone without access
    (an outsider, staff, a colleague who already left) gets the same 404 as everywhere else."""
    migration, _level = get_migration_for(request.user, pk, level=Level.VIEWER)
    try:
        share_leave(migration=migration, user=request.user)
    except ShareError as exc:  # the creator: nothing changed, say why on a page they can open
        messages.error(request, str(exc))
        return redirect("wizard:sharing", pk=migration.pk)
    messages.success(
        request,
        _("You left “%(name)s”: you no longer have access to it. Its owner can invite you again.")
        % {"name": migration.name},
    )
    return redirect("wizard:dashboard")


def accept(request, token):
    """GET shows the invitation; POST accepts it. Nothing is redeemed on GET, so mail scanners that
    open links cannot use up a one-time link."""
    share = share_for_token(token=token)
    user = request.user if request.user.is_authenticated else None
    refusal = share_refusal(share=share, user=user)
    if refusal:
        return render(request, "wizard/sharing/accept.html", {"refusal": refusal}, status=410 if share else 404)
    if user is None:
        # Remembered through sign-up + email verification: the next sign-in comes back to this page
        # (config/accounts.py), which asks before accepting. Nothing is accepted without that click.
        request.session[SESSION_PENDING_TOKEN] = token
        return render(request, "wizard/sharing/accept.html", {"share": share, "next": request.path})
    if share.accepted_by_id == user.pk:
        return redirect("wizard:dashboard")
    if request.method == "POST":
        try:
            share_accept(token=token, user=user)
        except ShareError as exc:
            return render(request, "wizard/sharing/accept.html", {"refusal": str(exc)}, status=410)
        request.session.pop(SESSION_PENDING_TOKEN, None)
        messages.success(
            request,
            _("You now have %(level)s access to “%(name)s”.")
            % {"level": share.level_name, "name": share.migration.name},
        )
        return redirect(reverse("wizard:dashboard"))
    return render(request, "wizard/sharing/accept.html", {"share": share})
