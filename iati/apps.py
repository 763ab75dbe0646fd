from django.apps import AppConfig


class IatiConfig(AppConfig):
    """IATI activity files into the registry and the index: an integration above both."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "iati"
    verbose_name = "IATI import"

    def ready(self) -> None:
        from .jobs import iati_jobs_register

        iati_jobs_register()
