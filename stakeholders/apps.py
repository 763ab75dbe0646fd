from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholder registry"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the change signals)
