from django.apps import AppConfig


class WizardConfig(AppConfig):
    name = "wizard"
    verbose_name = "Wizard"

    def ready(self) -> None:
        # Receivers: the sign-in one (sharing) and the purge/delete of uploaded exports (imports).
        from wizard import imports, sharing_signals  # noqa: F401
