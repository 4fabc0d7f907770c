"""Sharing a migration with colleagues: services and selectors (HackSoft style, keyword-only).

- `share_invite`: emails a colleague a one-time acceptance link for one migration at one level.
- `share_link_create`: a share link (shown once to the owner) that one colleague can accept.
- `share_accept`: the signed-in colleague redeems the token; the share is then bound to their account.
- `share_revoke`: stops a share at once (pending or accepted).
- `share_leave`: a colleague gives up their own access (every share they hold on the migration).
Tokens come from `secrets.token_urlsafe` (256 bits) and only their SHA-256 hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.services import audit
from wizard.models import Migration, Share

SESSION_PENDING_TOKEN = "fp_pending_share_token"  # noqa: S105 (a session key name, not a secret)


class ShareError(Exception):
    """A sharing request that cannot be honoured; the message is safe to show to the user."""


@dataclass(frozen=True)
class NewShare:
    share: Share
    url: str  # the only time the plain token exists outside the colleague's mailbox


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


def share_url(*, token: str) -> str:
    return settings.SITE_URL + reverse("wizard:share_accept", kwargs={"token": token})


def _expiry(days: int | None) -> timezone.datetime | None:
    return timezone.now() + timedelta(days=days) if days else None


def _check_invite_allowance(*, migration: Migration, invited_by) -> None:
    """Invitations leave from Frontport's own sender: cap them per person and per migration (24 h)."""
    since = timezone.now() - timedelta(days=1)
    sent = Share.objects.filter(kind=Share.Kind.INVITE, created_at__gte=since)
    if sent.filter(created_by=invited_by).count() >= settings.SHARE_INVITES_PER_USER_PER_DAY:
        raise ShareError(
            _("You have sent %(count)s invitations in the last 24 hours, the most allowed. Try again tomorrow, "
              "or share a link instead.") % {"count": settings.SHARE_INVITES_PER_USER_PER_DAY}
        )
    if sent.filter(migration=migration).count() >= settings.SHARE_INVITES_PER_MIGRATION_PER_DAY:
        raise ShareError(
            _("This migration has had %(count)s invitations in the last 24 hours, the most allowed. Try again "
              "tomorrow, or share a link instead.") % {"count": settings.SHARE_INVITES_PER_MIGRATION_PER_DAY}
        )


def share_invite(
    *, migration: Migration, email: str, level: int, invited_by, expires_in_days: int | None = None
) -> NewShare:
    """Invite `email` at `level`; a pending invitation to the same address is replaced (one live link).

    The email carries only Frontport's own words, the inviter's (verified) address and the link: never the
    migration's name or any other text a user typed, so invitations cannot carry someone's message or links
    from Frontport's sender. The name is shown on the acceptance page, on this site."""
    email = email.strip().lower()
    if email == (migration.owner.email or "").lower():
        raise ShareError(_("This address belongs to the migration's owner, who already has full access."))
    _check_invite_allowance(migration=migration, invited_by=invited_by)
    if expires_in_days is None:
        expires_in_days = settings.SHARE_INVITE_TTL_DAYS
    token, token_hash = _new_token()
    with transaction.atomic():
        Share.objects.pending().filter(migration=migration, kind=Share.Kind.INVITE, email__iexact=email).update(
            revoked_at=timezone.now(), revoked_by=invited_by
        )
        share = Share.objects.create(
            migration=migration,
            kind=Share.Kind.INVITE,
            email=email,
            level=level,
            token_hash=token_hash,
            created_by=invited_by,
            expires_at=_expiry(expires_in_days),
        )
    audit(actor=invited_by, action="share.invite", target=share, details={"email": email, "level": level})
    url = share_url(token=token)
    inviter = invited_by.email or invited_by.get_username()
    context = {"share": share, "url": url, "inviter": inviter, "site_url": settings.SITE_URL}
    send_mail(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + _("%(inviter)s invited you to a Front migration") % {"inviter": inviter},
        message=render_to_string("wizard/sharing/invite_email.txt", context),
        from_email=None,
        recipient_list=[email],
    )
    return NewShare(share=share, url=url)


def share_link_create(*, migration: Migration, level: int, created_by, expires_in_days: int | None) -> NewShare:
    token, token_hash = _new_token()
    share = Share.objects.create(
        migration=migration,
        kind=Share.Kind.LINK,
        level=level,
        token_hash=token_hash,
        created_by=created_by,
        expires_at=_expiry(expires_in_days),
    )
    audit(actor=created_by, action="share.link", target=share,
          details={"level": level, "expires_at": share.expires_at.isoformat() if share.expires_at else None})
    return NewShare(share=share, url=share_url(token=token))


def share_for_token(*, token: str) -> Share | None:
    """The share a token belongs to (whatever its state), or None for an unknown token."""
    if not token or len(token) > 100:
        return None
    return Share.objects.select_related("migration", "migration__owner", "created_by").filter(
        token_hash=_hash(token)
    ).first()


def _user_owns_email(user, email: str) -> bool:
    """The account has proved it receives mail at `email`: a verified allauth address. An account made
    outside allauth (createsuperuser) has no address rows; its own email counts until one exists."""
    addresses = EmailAddress.objects.filter(user=user, email__iexact=email)
    if addresses.filter(verified=True).exists():
        return True
    return (user.email or "").lower() == email.lower() and not addresses.exists()


def share_refusal(*, share: Share | None, user) -> str | None:
    """Why this user cannot accept this share now (plain words), or None when they can."""
    if share is None:
        return _("This link is not valid. Ask the migration's owner for a new one.")
    if share.is_revoked:
        return _("This link was withdrawn by the migration's owner.")
    if share.accepted_by_id and share.accepted_by_id != getattr(user, "pk", None):
        return _("This link has already been used. Each link works for one person only.")
    if not share.accepted_by_id and share.is_expired:
        return _("This link has expired. Ask the migration's owner for a new one.")
    if user is not None and share.migration.owner_id == user.pk:
        return _("You own this migration already.")
    if user is not None and share.kind == Share.Kind.INVITE and not _user_owns_email(user, share.email):
        return _("This invitation was sent to %(email)s. Sign in with that address to accept it.") % {
            "email": share.email
        }
    return None


def share_accept(*, token: str, user) -> Share:
    """Bind the share to `user`; raises ShareError with a plain reason when it cannot be accepted."""
    with transaction.atomic():
        share = share_for_token(token=token)
        if share is not None:  # lock the row so two people cannot redeem one link at the same moment
            share = Share.objects.select_for_update().select_related("migration").get(pk=share.pk)
        refusal = share_refusal(share=share, user=user)
        if refusal:
            raise ShareError(refusal)
        if share.accepted_by_id is None:
            share.accepted_by = user
            share.accepted_at = timezone.now()
            share.save(update_fields=["accepted_by", "accepted_at"])
            audit(actor=user, action="share.accept", target=share, details={"level": share.level})
    return share


def share_revoke(*, share: Share, revoked_by) -> Share:
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.revoked_by = revoked_by
        share.save(update_fields=["revoked_at", "revoked_by"])
        audit(actor=revoked_by, action="share.revoke", target=share,
              details={"accepted_by": share.accepted_by.email if share.accepted_by else None})
    return share


def share_leave(*, migration: Migration, user) -> list[Share]:
    """`user` gives up their access to `migration`: every share granting it to them is revoked by them.

    Every share, not just one: a colleague may have accepted both an invitation and a link, and access is
    the highest of them, so leaving one would leave them in. Recorded like a revoke (revoked_at/by, the
    audit log), with `revoked_by` = the colleague, which is what marks it "left". The creator cannot
    leave (they delete the migration's data instead). Leaving twice is harmless: nothing is left to
    revoke the second time.
    """
    if migration.owner_id == user.pk:
        raise ShareError(
            _("You created this migration, so you cannot leave it. To stop it, delete its data instead.")
        )
    now = timezone.now()
    with transaction.atomic():
        shares = list(Share.objects.select_for_update().granting(user).filter(migration=migration).order_by("pk"))
        for share in shares:
            share.revoked_at = now
            share.revoked_by = user
            share.save(update_fields=["revoked_at", "revoked_by"])
            audit(actor=user, action="share.leave", target=share,
                  details={"accepted_by": user.email or user.get_username(), "level": share.level})
    return shares


def share_set_level(*, share: Share, level: int, changed_by=None) -> Share:
    before = share.level
    share.level = level
    share.save(update_fields=["level"])
    audit(actor=changed_by, action="share.level", target=share, details={"before": before, "after": level})
    return share


def shares_of(*, migration: Migration) -> QuerySet[Share]:
    """Shares to list on the owner's sharing page: live ones first, then the history.

    A colleague who left is no longer listed (the audit log keeps the event); an access the owner
    withdrew stays in the history as "withdrawn"."""
    left = migration.shares.left().values("pk")
    return migration.shares.exclude(pk__in=left).select_related("accepted_by", "created_by").order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at"
    )
