from django.contrib import admin

from wizard.models import Migration


@admin.register(Migration)
class MigrationAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "source_type", "front_inbox_name", "created_at")
    search_fields = ("name", "owner__email")
    # Credentials are never shown, even to staff; who owns a migration and where its data comes from and
    # goes to are never changed here either (a changed address would receive the saved credentials).
    exclude = ("source_config", "front_token")
    readonly_fields = ("owner", "source_type", "source_account_id", "source_account_name", "front_api_url",
                       "front_company_name", "front_inbox_id", "front_inbox_name")
