"""Runs of the overlap job, candidate partnerships and partnerships (see DESIGN.md)."""

from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = "Partnerships"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the stake-change refresh)
        from .coalitions import signals as coalition_signals  # noqa: F401
        from .deletion import register_participants

        register_participants()
