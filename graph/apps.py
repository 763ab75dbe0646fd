"""The stakeholder graph explorer: metrics, cached snapshots, the page and its API."""

from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "graph"
    verbose_name = "Stakeholder graph"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (queues a snapshot refresh after registry changes)
        from .jobs import graph_jobs_register

        graph_jobs_register()
