"""A decision on a stake left behind on an archived outcome (``stakeholders.left_stakes``)."""

from django.conf import settings
from django.db import models


class LeftStakesDecision(models.Model):
    """What an officer decided about one left stake: kept where it is, moved to a curated outcome,
    or dropped. The stake's own history records the move or the deletion; this row is the
    review's record (and, for "keep", what takes the stake out of the queue)."""

    class Action(models.TextChoices):
        KEEP = "keep", "Keep where it is"
        MOVE = "move", "Move to a curated outcome"
        DROP = "drop", "Drop"

    # Null once the stake is dropped (the history keeps it whole).
    stake = models.ForeignKey(
        "stakeholders.Stake", null=True, on_delete=models.SET_NULL, related_name="left_decisions"
    )
    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder", on_delete=models.CASCADE, related_name="left_stake_decisions"
    )
    from_outcome = models.ForeignKey(
        "stakeholders.Outcome", on_delete=models.CASCADE, related_name="+"
    )
    to_outcome = models.ForeignKey(
        "stakeholders.Outcome", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=4, choices=Action.choices)
    note = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action="move", to_outcome__isnull=False)
                | ~models.Q(action="move"),
                name="stakeholders_leftstakes_move_has_target",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()}: stake of {self.stakeholder_id} in {self.from_outcome_id}"
        )
