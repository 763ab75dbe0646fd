from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholder registry"

    def ready(self) -> None:
        from . import merging, signals  # noqa: F401  (merge policies; the change signals)
