from django.apps import AppConfig


class WizardConfig(AppConfig):
    name = "wizard"
    verbose_name = "Wizard"

    def ready(self) -> None:
        from wizard import sharing_signals  # noqa: F401  (connects the sign-in receiver)
