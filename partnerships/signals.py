"""When a stakeholder's stakes change, refresh its candidates once the change is committed."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from stakeholders.models import Stake, Tie
from stakeholders.signals import registry_bulk_changed, stakeholder_changed

from .choices import RunTrigger
from .overlap.refresh import overlap_refresh_queue
from .overlap.runs import overlap_run_request

# Sent by the overlap job when a run has become current (its candidates are live), with
# ``run_id``. Work that follows a full run (coalitions) listens; the job need not know it.
overlap_run_succeeded = Signal()


@receiver(post_save, sender=Stake, dispatch_uid="partnerships_stake_saved")
@receiver(post_delete, sender=Stake, dispatch_uid="partnerships_stake_deleted")
def stake_changed(sender, instance: Stake, **kwargs) -> None:
    if kwargs.get("raw"):  # fixtures being loaded
        return
    overlap_refresh_queue(instance.stakeholder_id)


# Kinds of bulk change that move candidates: who holds which stake, toolboxes and kinds, ties.
BULK_KINDS_THAT_MOVE_CANDIDATES = {"stakeholders", "outcomes", "stakes", "ties"}


@receiver(registry_bulk_changed, dispatch_uid="partnerships_registry_bulk_changed")
def registry_changed_in_bulk(sender, kind: str, count: int, **kwargs) -> None:
    """A bulk import bypasses the per-stake refresh: recompute everything with one full run."""
    if kind in BULK_KINDS_THAT_MOVE_CANDIDATES and count:
        overlap_run_request(trigger=RunTrigger.CHANGES)


# A stakeholder's fields the candidates read. A change moves its own pairs and, through the
# top-K lists, those of everyone who shares an outcome with it: they are all refreshed (more than
# a few hundred: a full run), so that tied, same-kind or newly hidden pairs are never listed.
FIELDS_CANDIDATES_READ = {
    "sensitivity",
    "kind",
    "scope",
    "capabilities",
    "women_led",
    "archived_at",
}


def _sharing_an_outcome(stakeholder_id: int) -> set[int]:
    outcomes = Stake.objects.filter(stakeholder_id=stakeholder_id, interest__gt=0).values(
        "outcome_id"
    )
    return set(
        Stake.objects.filter(outcome_id__in=outcomes, interest__gt=0)
        .order_by()
        .values_list("stakeholder_id", flat=True)
        .distinct()
    )


@receiver(stakeholder_changed, dispatch_uid="partnerships_stakeholder_changed")
def stakeholder_fields_changed(sender, stakeholder, changed, before, **kwargs) -> None:
    if not before or not changed & FIELDS_CANDIDATES_READ:
        return  # a new stakeholder has no stakes yet
    for stakeholder_id in _sharing_an_outcome(stakeholder.pk) | {stakeholder.pk}:
        overlap_refresh_queue(stakeholder_id)


@receiver(post_save, sender=Tie, dispatch_uid="partnerships_tie_saved")
@receiver(post_delete, sender=Tie, dispatch_uid="partnerships_tie_deleted")
def tie_changed(sender, instance: Tie, **kwargs) -> None:
    """A tie makes a pair ineligible (or eligible again, when ended): both ends are refreshed."""
    if kwargs.get("raw"):
        return
    overlap_refresh_queue(instance.from_stakeholder_id)
    overlap_refresh_queue(instance.to_stakeholder_id)
