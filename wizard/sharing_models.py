"""Shares: a colleague's access to one migration, granted by an email invitation or a share link.

One row = one grant to at most one person. The secret token travels only in the invitation email or the
link shown once to the owner; the database keeps its SHA-256 hash, so a database leak reveals no usable
link. `expires_at` bounds when the invitation/link can still be accepted; an accepted share lasts until it
is revoked (`revoked_at`), and a revoked share stops granting access at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ShareQuerySet(models.QuerySet):
    def not_revoked(self) -> ShareQuerySet:
        return self.filter(revoked_at__isnull=True)

    def granting(self, user) -> ShareQuerySet:
        """Shares that give `user` access right now (accepted by them and not revoked)."""
        return self.not_revoked().filter(accepted_by=user)

    def left(self) -> ShareQuerySet:
        """Shares their colleague gave up themselves ("Leave this migration"): revoked by the person who
        had accepted them. Both sides must be set, so a withdrawn pending invitation never counts."""
        return self.filter(revoked_by__isnull=False, accepted_by__isnull=False, revoked_by=F("accepted_by"))

    def pending(self) -> ShareQuerySet:
        now = timezone.now()
        return self.not_revoked().filter(accepted_by__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Share(models.Model):
    class Kind(models.TextChoices):
        INVITE = "invite", _("Email invitation")
        LINK = "link", _("Share link")

    class LevelChoice(models.IntegerChoices):
        # Same numbers as wizard.access.Level (kept here to avoid an import cycle).
        VIEWER = 1, _("Viewer: sees progress and reports")
        EDITOR = 2, _("Editor: also changes settings and runs demos")
        OWNER = 3, _("Owner: also pays and starts the full migration")

    migration = models.ForeignKey("wizard.Migration", on_delete=models.CASCADE, related_name="shares")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(choices=LevelChoice.choices, default=LevelChoice.VIEWER)
    # Invitations only: the address the invitation was sent to (the accepting account must own it).
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="shares_created"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="shares_received"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["accepted_by", "migration"], name="share_grant_idx")]

    def __str__(self) -> str:
        who = self.email or (self.accepted_by and self.accepted_by.email) or _("share link")
        return f"{who} → migration {self.migration_id} ({self.level_name})"

    @property
    def level_name(self) -> str:
        return {1: _("viewer"), 2: _("editor"), 3: _("owner")}.get(self.level, "")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def has_left(self) -> bool:
        """The colleague gave this access up themselves (see `ShareQuerySet.left`)."""
        return self.is_revoked and self.accepted_by_id is not None and self.revoked_by_id == self.accepted_by_id

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if self.has_left:
            return "left"
        if self.is_revoked:
            return "revoked"
        if self.accepted_by_id:
            return "active"
        if self.is_expired:
            return "expired"
        return "pending"
