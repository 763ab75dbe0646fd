"""Coalitions follow what they are computed from: every change to a stake, a tie, a stakeholder
or an outcome queues its outcomes once the change commits, and every successful overlap run
(which bulk imports and the nightly schedule start) recomputes them all."""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from stakeholders.models import Outcome, Stake, Stakeholder, Tie

from ..signals import overlap_run_succeeded
from . import services


@receiver(post_save, sender=Stake, dispatch_uid="coalitions_stake_saved")
@receiver(post_delete, sender=Stake, dispatch_uid="coalitions_stake_deleted")
def stake_changed(sender, instance: Stake, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    services.coalitions_queue(outcome_ids=[instance.outcome_id])


@receiver(post_save, sender=Tie, dispatch_uid="coalitions_tie_saved")
@receiver(post_delete, sender=Tie, dispatch_uid="coalitions_tie_deleted")
def tie_changed(sender, instance: Tie, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    services.coalitions_queue(
        stakeholder_ids=[instance.from_stakeholder_id, instance.to_stakeholder_id]
    )


@receiver(post_save, sender=Stakeholder, dispatch_uid="coalitions_stakeholder_saved")
def stakeholder_changed(sender, instance: Stakeholder, **kwargs) -> None:
    """Kind, scope, toolbox and sensitivity all shape coalitions; a change that shapes nothing
    finds the same inputs and rewrites nothing."""
    if kwargs.get("raw"):
        return
    services.coalitions_queue(stakeholder_ids=[instance.pk])


@receiver(pre_delete, sender=Stakeholder, dispatch_uid="coalitions_stakeholder_deleting")
def stakeholder_deleting(sender, instance: Stakeholder, **kwargs) -> None:
    services.coalitions_drop_stakeholder(stakeholder_id=instance.pk)


@receiver(post_save, sender=Outcome, dispatch_uid="coalitions_outcome_saved")
def outcome_changed(sender, instance: Outcome, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    services.coalitions_queue(outcome_ids=[instance.pk])


@receiver(overlap_run_succeeded, dispatch_uid="coalitions_after_overlap_run")
def overlap_run_done(sender, run_id: int, **kwargs) -> None:
    services.coalitions_compute_all()
