"""Runs of the overlap job, candidate partnerships and partnerships (see DESIGN.md)."""

from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = "Partnerships"

    def ready(self) -> None:
        from stakeholders.panels import panel_register

        from . import signals  # noqa: F401  (connects the stake-change refresh)
        from .coalitions import signals as coalition_signals  # noqa: F401
        from .deletion import register_participants

        register_participants()
        from .merging import register_merge_policies

        register_merge_policies()
        from .jobs import overlap_jobs_register
        from .overlap.runs import overlap_run_cancelled

        overlap_jobs_register(on_cancel=overlap_run_cancelled)
        # The registry's pages show candidates through panels this app fills.
        panel_register(
            page="stakeholder_detail",
            template="partnerships/includes/stakeholder_panel.html",
            order=10,
        )
        panel_register(
            page="outcome_detail", template="partnerships/includes/outcome_panel.html", order=10
        )
