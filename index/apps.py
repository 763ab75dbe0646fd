from django.apps import AppConfig


class IndexConfig(AppConfig):
    name = "index"
    verbose_name = "Smart Diplomacy Index"

    def ready(self):
        from stakeholders.panels import panel_register

        from . import signals  # noqa: F401  (connects the receivers)
        from .deletion import register_participants

        register_participants()
        from .jobs import rescore_jobs_register

        rescore_jobs_register()
        # The registry's stakeholder page shows its engagements' scores through this panel.
        panel_register(
            page="stakeholder_detail", template="index/includes/stakeholder_panel.html", order=20
        )
