from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background jobs of every kind, one row each (see the package's docstring)."""

    name = "smartdiplomacy.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"
