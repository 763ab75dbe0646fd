from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholder registry"

    def ready(self) -> None:
        from smartdiplomacy.jobs.registry import clearance_register

        # merge policies (the left stakes' decisions' too); the change signals
        from . import left_stakes, merging, signals  # noqa: F401
        from .imports.jobs import import_jobs_register
        from .imports.services import import_job_cancelled
        from .selectors import user_is_cleared

        # The Jobs page (project core) asks the registry who is cleared, and how to show imports.
        clearance_register(user_is_cleared)
        import_jobs_register(on_cancel=import_job_cancelled)
