"""A migration's setup: one source connection + one Front inbox + mappings and options.

Runs, the record map and checkpoints live in `migrations_engine`; billing orders in `billing`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.crypto import EncryptedJSONField, EncryptedTextField


class Migration(models.Model):
    class Step(models.IntegerChoices):
        """Wizard steps in order; `furthest_step` records how far the setup has validly got."""

        CONNECT = 1, _("Connect")
        INBOX = 2, _("Inbox")
        OBJECTS = 3, _("Objects")
        TEAMMATES = 4, _("Teammates")
        TICKETS = 5, _("Tickets")
        OPTIONS = 6, _("Options")
        DEMO = 7, _("Demo")
        PLAN = 8, _("Plan")
        FULL = 9, _("Full migration")

    class CustomFields(models.TextChoices):
        COMMENT = "comment", _("One internal comment listing the fields")
        FIELDS = "fields", _("Front conversation custom fields with the same name")
        NONE = "none", _("Do not migrate custom fields")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="migrations")
    name = models.CharField(_("name"), max_length=120)

    # Source: the connector key (registry) and its fields; secrets encrypted at rest.
    source_type = models.CharField(max_length=40, blank=True)
    source_config = EncryptedJSONField(blank=True, default=dict)
    source_checked_at = models.DateTimeField(null=True, blank=True)
    source_account_name = models.CharField(max_length=200, blank=True)
    # "<platform>:<account identity>" from the last successful check (connectors.base.CheckResult.account_id):
    # which account this is, stable across token changes. Orders freeze it; the billing gate compares.
    source_account_id = models.CharField(max_length=300, blank=True)

    # Target: a Front API token and the chosen inbox.
    front_api_url = models.URLField(max_length=300, blank=True)
    front_token = EncryptedTextField(blank=True, default="")
    front_checked_at = models.DateTimeField(null=True, blank=True)
    front_company_name = models.CharField(max_length=200, blank=True)
    front_inbox_id = models.CharField(max_length=64, blank=True, db_index=True)
    front_inbox_name = models.CharField(max_length=200, blank=True)
    # A teammate's private inbox: Front's OAuth cannot reach it, so runs into it use the API token alone.
    front_inbox_private = models.BooleanField(default=False)
    # A filter the source understands (mailbox, brand, group...), e.g. {"brand_id": "123"}.
    source_filter = models.JSONField(default=dict, blank=True)

    # Choices: {"tickets", "contacts", "agents", "organizations", "contact_fields": bool} (CLI files call it
    # `objects`); organizations and contact_fields count as on when absent (migrations made before them).
    selected_objects = models.JSONField(default=dict, blank=True)
    record_counts = models.JSONField(default=dict, blank=True)
    counts_updated_at = models.DateTimeField(null=True, blank=True)
    # Teammates: {source agent id: Front teammate id}; the default takes the rest.
    teammate_map = models.JSONField(default=dict, blank=True)
    default_teammate_id = models.CharField(max_length=64, blank=True)
    auto_match = models.BooleanField(default=True)
    # Statuses: {source status: "open" | "archived"}
    status_map = models.JSONField(default=dict, blank=True)
    status_tag = models.BooleanField(default=False)
    custom_fields = models.CharField(max_length=10, choices=CustomFields.choices, default=CustomFields.COMMENT)
    # Options: {"tag": "...", "skip_attachments": bool, "inline_images": bool, "call_recordings": bool}
    options = models.JSONField(default=dict, blank=True)
    demo_ids = models.JSONField(default=list, blank=True)

    furthest_step = models.PositiveSmallIntegerField(choices=Step.choices, default=Step.CONNECT)
    plan = models.CharField(max_length=20, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")

    # Lifecycle: verification ends -> credentials and cached source content are purged.
    verification_ends_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never show credentials
        return f"<Migration {self.pk} {self.name!r} {self.source_type}>"


from wizard.oauth_models import FrontOAuthGrant, GrantTokenStore, oauth_session_for, save_grant  # noqa: E402,F401
from wizard.sharing_models import Share  # noqa: E402,F401  (registered with the wizard app)
