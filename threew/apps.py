from django.apps import AppConfig


class ThreeWConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "threew"
    verbose_name = "3W / HXL import"

    def ready(self) -> None:
        from .jobs import threew_jobs_register

        threew_jobs_register()
