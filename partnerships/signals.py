"""When a stakeholder's stakes change, refresh its candidates once the change is committed."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from stakeholders.models import Stake
from stakeholders.signals import registry_bulk_changed

from .choices import RunTrigger
from .services import overlap_refresh_queue, overlap_run_request

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
