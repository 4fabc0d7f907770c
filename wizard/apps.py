from django.apps import AppConfig


class WizardConfig(AppConfig):
    name = "wizard"
    verbose_name = "Wizard"

    def ready(self) -> None:
        from wizard import imports  # noqa: F401  (purges and deletes uploaded exports with their migration)
