from django.contrib import admin

from staff.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by actions, never edited."""

    list_display = ("created_at", "actor_email", "action", "target_type", "target_id", "migration_id")
    list_filter = ("action", "target_type")
    search_fields = ("actor_email", "action", "target_repr")
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


from wizard.models import Share  # noqa: E402


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    """Who has access to what. Staff can see and withdraw shares; tokens (hashes) are never shown."""

    list_display = ("id", "migration", "kind", "level", "email", "accepted_by", "created_at", "expires_at", "revoked_at")
    list_filter = ("kind", "level")
    search_fields = ("email", "accepted_by__email", "migration__name")
    exclude = ("token_hash",)
    readonly_fields = ("migration", "kind", "email", "created_by", "created_at", "accepted_by", "accepted_at",
                       "revoked_by")

    def has_add_permission(self, request) -> bool:
        return False
