from django.contrib import admin

from wizard.models import Migration


@admin.register(Migration)
class MigrationAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "source_type", "front_inbox_name", "created_at")
    search_fields = ("name", "owner__email")
    # Credentials are never shown, even to staff.
    exclude = ("source_config", "front_token")
