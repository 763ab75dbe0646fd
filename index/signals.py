"""What retires the scores API's remembered answers (``index.api.conditional.scores_changed``).

Every model whose rows a score response shows, filters on or is made visible by: scores and
their engagements, participants and outcomes, methodologies, partnerships, outcomes and
stakeholders (a stakeholder's sensitivity decides the ``stakeholder`` filter). Bulk writes that
send no signal (the rescoring upsert, the IATI importer, synthetic data) call it themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from partnerships.models import Partnership
from stakeholders.models import Outcome, Stakeholder

from .api.conditional import scores_changed
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
