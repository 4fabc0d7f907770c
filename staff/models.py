"""The audit log: every staff action (and every data purge, whoever triggers it) leaves one row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLog(models.Model):
    # Who: NULL actor means the system itself (e.g. the scheduled purge after the verification period).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_entries"
    )
    # Kept even if the account is deleted later, so the log stays readable.
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    # What it was done to: a model label ("wizard.migration", "migrations_engine.run") and its id.
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200, blank=True)
    # The migration concerned, for filtering one migration's history (kept as an id: it may be deleted).
    migration_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_email or 'system'} {self.action} {self.target_repr}"

    @property
    def actor_label(self) -> str:
        return self.actor_email or "system"
