"""Orders (a frozen price for one migration, paid through Stripe Checkout) and received Stripe events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Checkout expired")
        FAILED = "failed", _("Payment failed")
        MISMATCH = "mismatch", _("Needs review: amount differs")

    # Kept (SET_NULL) when a migration is deleted: payments are accounting records.
    migration = models.ForeignKey("wizard.Migration", on_delete=models.SET_NULL, null=True, related_name="orders")
    migration_name = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    # Frozen at checkout: later changes of counts, tiers or plan prices never alter this order.
    plan = models.CharField(max_length=20)
    plan_name = models.CharField(max_length=80)
    currency = models.CharField(max_length=3)
    counts = models.JSONField(default=dict)
    # The source account these counts were taken from (Migration.source_account_id): paying for one
    # help desk account never unlocks the full migration of another.
    source_account = models.CharField(max_length=300, blank=True)
    source_account_name = models.CharField(max_length=200, blank=True)
    lines = models.JSONField(default=list)
    full_price = models.PositiveBigIntegerField(default=0)
    credit = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)  # minor units actually charged

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    stripe_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    stripe_payment_intent = models.CharField(max_length=255, blank=True)
    customer_email = models.EmailField(blank=True)
    note = models.CharField(max_length=255, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["migration", "status"])]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.plan_name}, {self.status})"

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.PAID


class StripeEvent(models.Model):
    """One row per Stripe event id ever processed: the second delivery of an event changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    outcome = models.CharField(max_length=40)
    created = models.DateTimeField(null=True, blank=True)  # Stripe's own event time
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} ({self.outcome})"
