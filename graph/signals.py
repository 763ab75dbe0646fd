"""Registry changes queue one (debounced) refresh of the graph snapshots."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from partnerships.models import Candidate
from partnerships.signals import overlap_run_succeeded
from stakeholders.choices import Audience, Sensitivity
from stakeholders.models import Outcome, Stake, Stakeholder, Tie
from stakeholders.signals import registry_bulk_changed, stakeholder_changed

from .models import GraphSnapshot
from .services import graph_refresh_queue, graph_snapshots_bring_up_to_date, tables_analyze


@receiver(post_save, sender=Stakeholder, dispatch_uid="graph_stakeholder_saved")
@receiver(post_delete, sender=Stakeholder, dispatch_uid="graph_stakeholder_deleted")
@receiver(post_save, sender=Tie, dispatch_uid="graph_tie_saved")
@receiver(post_delete, sender=Tie, dispatch_uid="graph_tie_deleted")
def registry_changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    graph_refresh_queue()


# The snapshots are made of actors and ties; stakes are read live (outcome view, gaps). A bulk
# sender that wrote stakeholders too (the demo, IATI imports) says "stakeholders".
BULK_KINDS_THAT_MOVE_THE_GRAPH = {"stakeholders", "ties"}


@receiver(registry_bulk_changed, dispatch_uid="graph_registry_bulk_changed")
def registry_changed_in_bulk(sender, kind: str, count: int, **kwargs) -> None:
    """Bulk changes are sent after commit (demo, spreadsheet and IATI imports): fresh planner
    statistics for the registry's tables first, then the snapshots, now or by a worker."""
    if not count:
        return
    tables_analyze([Stakeholder, Outcome, Stake, Tie])
    if kind in BULK_KINDS_THAT_MOVE_THE_GRAPH:
        graph_snapshots_bring_up_to_date()


@receiver(overlap_run_succeeded, dispatch_uid="graph_overlap_run_analyze")
def overlap_run_done(sender, run_id: int, **kwargs) -> None:
    """A run rewrites the candidates in bulk: the graph's candidate layer reads them next."""
    tables_analyze([Candidate])


def _public_snapshot_invalidate() -> None:
    """The public audience's metrics counted an actor that is no longer public (or missed one
    that now is): dropped in the same transaction, so that nobody reads them, and computed again
    once it commits."""
    GraphSnapshot.objects.filter(audience=Audience.PUBLIC).delete()
    transaction.on_commit(graph_snapshots_bring_up_to_date)


@receiver(stakeholder_changed, dispatch_uid="graph_stakeholder_visibility_changed")
def stakeholder_visibility_changed(sender, stakeholder, changed, before, **kwargs) -> None:
    if (
        before
        and "sensitivity" in changed
        and Sensitivity.PUBLIC
        in (
            before.get("sensitivity"),
            stakeholder.sensitivity,
        )
    ):
        _public_snapshot_invalidate()


@receiver(post_delete, sender=Stakeholder, dispatch_uid="graph_public_stakeholder_deleted")
def public_stakeholder_deleted(sender, instance, **kwargs) -> None:
    if instance.sensitivity == Sensitivity.PUBLIC:
        _public_snapshot_invalidate()
