from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholder registry"

    def ready(self) -> None:
        from smartdiplomacy.jobs.registry import clearance_register

        from . import merging, signals  # noqa: F401  (merge policies; the change signals)
        from .imports.jobs import import_jobs_register
        from .selectors import user_is_cleared

        # The Jobs page (project core) asks the registry who is cleared, and how to show imports.
        clearance_register(user_is_cleared)
        import_jobs_register()
