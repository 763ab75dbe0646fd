from django.apps import AppConfig


class ThreeWConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "threew"
    verbose_name = "3W / HXL import"
