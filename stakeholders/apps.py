from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholder registry"

    def ready(self) -> None:
        # merge policies (the left stakes' decisions' too); the change signals
        from . import left_stakes, merging, signals  # noqa: F401
