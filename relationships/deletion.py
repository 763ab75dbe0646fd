"""How relationships take part in deleting a stakeholder or an outcome (``stakeholders.deletion``).

An interaction that also involves actors hidden from the person deleting is a hidden link: the
record is archived, and only what they may see is removed (the actor leaves their visible
interactions; its follow-ups and owner go).
"""

from stakeholders.deletion import DeletionParticipant, register
from stakeholders.models import Outcome, Stakeholder

from .models import FollowUp, Interaction, SalienceAssessment, StakeholderOwner
from .selectors import interaction_visible_to, salience_visible_to


def _stakeholder_hidden_links(stakeholder: Stakeholder, user) -> bool:
    return (
        Interaction.objects.filter(stakeholders=stakeholder)
        .exclude(pk__in=interaction_visible_to(user).values("pk"))
        .exists()
    )


def _stakeholder_archive(stakeholder: Stakeholder, user) -> None:
    # Through the link rows, as a deletion's cascade would (no new history record).
    Interaction.stakeholders.through.objects.filter(
        stakeholder=stakeholder, interaction__in=interaction_visible_to(user).values("pk")
    ).delete()
    for follow_up in FollowUp.objects.filter(stakeholder=stakeholder):
        follow_up.delete()  # one by one: the history records each
    StakeholderOwner.objects.filter(stakeholder=stakeholder).delete()
    for assessment in SalienceAssessment.objects.filter(stakeholder=stakeholder):
        assessment.delete()


def _outcome_hidden_links(outcome: Outcome, user) -> bool:
    # Salience of actors hidden from the person: deleting the outcome would destroy it.
    return (
        Interaction.objects.filter(outcomes=outcome)
        .exclude(pk__in=interaction_visible_to(user).values("pk"))
        .exists()
    ) or (
        SalienceAssessment.objects.filter(outcome=outcome)
        .exclude(pk__in=salience_visible_to(user).values("pk"))
        .exists()
    )


def _outcome_archive(outcome: Outcome, user) -> None:
    Interaction.outcomes.through.objects.filter(
        outcome=outcome, interaction__in=interaction_visible_to(user).values("pk")
    ).delete()
    for assessment in salience_visible_to(user).filter(outcome=outcome):
        assessment.delete()


def register_participants() -> None:
    register(
        Stakeholder,
        DeletionParticipant(
            name="relationships",
            hidden_links=_stakeholder_hidden_links,
            archive=_stakeholder_archive,
        ),
    )
    register(
        Outcome,
        DeletionParticipant(
            name="relationships", hidden_links=_outcome_hidden_links, archive=_outcome_archive
        ),
    )
