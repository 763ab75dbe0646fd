"""How the index takes part in deleting a stakeholder or an outcome (``stakeholders.deletion``):
an archived actor leaves the engagements it took part in (they are rescored), an archived outcome
leaves the engagements that served it."""

from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.deletion import DeletionParticipant, register
from stakeholders.models import Outcome, Stakeholder

from .models import Engagement, EngagementParticipant


def _stakeholder_archive(stakeholder: Stakeholder, user) -> None:
    from .tasks import engagements_rescore

    engagement_ids = sorted(
        set(
            EngagementParticipant.objects.filter(stakeholder=stakeholder).values_list(
                "engagement_id", flat=True
            )
        )
    )
    for participant in EngagementParticipant.objects.filter(stakeholder=stakeholder):
        participant.delete()  # one by one: the history records each
    if engagement_ids:
        enqueue_on_commit(engagements_rescore, engagement_ids)


def _outcome_archive(outcome: Outcome, user) -> None:
    for engagement in Engagement.objects.filter(outcomes=outcome):
        engagement.outcomes.remove(outcome)


def register_participants() -> None:
    register(Stakeholder, DeletionParticipant(name="index", archive=_stakeholder_archive))
    register(Outcome, DeletionParticipant(name="index", archive=_outcome_archive))
