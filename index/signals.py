"""What retires the scores API's remembered answers (``index.generation.scores_changed``).

Every model whose rows a score response shows, filters on or is made visible by: scores and
their engagements, participants and outcomes, methodologies, partnerships, outcomes and
stakeholders (a stakeholder's sensitivity decides the ``stakeholder`` filter). Bulk writes that
send no signal (the rescoring upsert, the IATI importer, synthetic data) call it themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from partnerships.models import Partnership
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.models import Outcome, Stakeholder
from stakeholders.signals import stakeholder_changed

from .generation import scores_changed
from .models import Engagement, EngagementParticipant, Methodology, Score

WATCHED = (Score, Engagement, EngagementParticipant, Methodology, Partnership, Outcome, Stakeholder)


def _changed(sender, using=None, **kwargs):
    scores_changed(using=using)


for model in WATCHED:
    post_save.connect(_changed, sender=model, dispatch_uid=f"index-scores-changed-save-{model}")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"index-scores-changed-del-{model}")


@receiver(m2m_changed, sender=Engagement.outcomes.through, dispatch_uid="index-outcomes-changed")
def _outcomes_changed(sender, action, using=None, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        scores_changed(using=using)


# What the index reads of a participant: its kind and scope (M2–M5, F3) and whether it counts
# for the public score at all (its sensitivity). A change rescores its engagements on commit.
FIELDS_SCORES_READ = {"sensitivity", "kind", "scope", "archived_at"}


def _rescore_on_commit(engagement_ids) -> None:
    from .tasks import engagements_rescore

    ids = sorted(set(engagement_ids))
    if ids:
        enqueue_on_commit(engagements_rescore, ids)


@receiver(stakeholder_changed, dispatch_uid="index_participant_changed")
def _participant_changed(sender, stakeholder, changed, before, **kwargs):
    if before and changed & FIELDS_SCORES_READ:
        _rescore_on_commit(
            EngagementParticipant.objects.filter(stakeholder=stakeholder).values_list(
                "engagement_id", flat=True
            )
        )


@receiver(pre_delete, sender=Stakeholder, dispatch_uid="index_participant_deleted")
def _participant_deleted(sender, instance, **kwargs):
    # Read before the cascade removes its participations; scored again once they are gone.
    _rescore_on_commit(
        EngagementParticipant.objects.filter(stakeholder=instance).values_list(
            "engagement_id", flat=True
        )
    )
