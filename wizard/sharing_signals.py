"""Accept an invitation remembered in the session when its recipient signs in (after sign-up and
email verification the original link is usually lost; the token waits in the session)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.translation import gettext as _

from wizard.sharing import SESSION_PENDING_TOKEN, ShareError, share_accept


@receiver(user_logged_in, dispatch_uid="frontport.accept_pending_share")
def accept_pending_share(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    token = request.session.pop(SESSION_PENDING_TOKEN, None)
    if not token:
        return
    try:
        share = share_accept(token=token, user=user)
    except ShareError as exc:
        messages.warning(request, str(exc))
        return
    messages.success(request, _("You now have access to “%(name)s”.") % {"name": share.migration.name})
