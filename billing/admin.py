from django.contrib import admin

from billing.models import Order, StripeEvent


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("pk", "migration_name", "plan_name", "total", "currency", "status", "created_at", "paid_at")
    list_filter = ("status", "plan")
    search_fields = ("migration_name", "stripe_session_id", "stripe_payment_intent")
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "outcome", "order", "received_at")
    list_filter = ("type", "outcome")
    readonly_fields = [f.name for f in StripeEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
