from django.apps import AppConfig


class MigrationsEngineConfig(AppConfig):
    name = "migrations_engine"
    verbose_name = "Migration engine"
