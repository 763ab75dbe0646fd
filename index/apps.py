from django.apps import AppConfig


class IndexConfig(AppConfig):
    name = "index"
    verbose_name = "Smart Diplomacy Index"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
        from .deletion import register_participants

        register_participants()
