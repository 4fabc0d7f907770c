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
