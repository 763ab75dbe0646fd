"""Relationships over time: interactions, owners, follow-ups and each stakeholder's timeline."""

from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "relationships"
    verbose_name = "Relationships"

    def ready(self) -> None:
        from stakeholders.panels import panel_register

        from .deletion import register_participants

        register_participants()
        from stakeholders.merging import MergePolicy
        from stakeholders.outcome_merging import outcome_merge_policy_register

        from .models import Interaction
        from .selectors import interaction_visible_to

        # An outcome merge moves the outcomes of the interactions the person merging may see.
        outcome_merge_policy_register(
            Interaction,
            MergePolicy(
                visible=lambda rows, user: rows.filter(
                    pk__in=interaction_visible_to(user).order_by().values("pk")
                )
            ),
        )
        # The registry's, partnerships' and home pages show what this app keeps through panels
        # (stakeholders.panels): none of them imports this app.
        panel_register(
            page="stakeholder_detail",
            template="relationships/includes/stakeholder_panel.html",
            order=5,
        )
        panel_register(
            page="outcome_detail", template="relationships/includes/outcome_panel.html", order=5
        )
        panel_register(
            page="partnership_detail",
            template="relationships/includes/partnership_panel.html",
            order=5,
        )
        panel_register(page="home", template="relationships/includes/home_panel.html", order=5)
        # Salience beside the power–interest grid; support and opposition over time, and the
        # actors by salience class, first below it.
        panel_register(
            page="outcome_side",
            template="relationships/includes/outcome_side_panel.html",
            order=5,
        )
        panel_register(
            page="outcome_detail",
            template="relationships/includes/outcome_over_time_panel.html",
            order=1,
        )
        panel_register(
            page="stakeholder_detail",
            template="relationships/includes/stakeholder_salience_panel.html",
            order=6,
        )
