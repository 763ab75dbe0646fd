"""Signals the registry sends, so that what is derived from it (candidates, scores, graph
metrics) follows it without the registry knowing who derives what."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal, receiver

from .models import Stakeholder

# Sent after the transaction of a bulk write commits: kind is "stakeholders", "outcomes", "stakes"
# or "ties"; count is how many rows were created or updated. Listeners (the overlap engine)
# decide what to recompute; the registry does not need to know them.
registry_bulk_changed = Signal()

# Sent (inside the transaction, after the save) when a saved stakeholder's fields that derived
# data reads changed: ``changed`` is the set of those fields' names, ``before`` their old values
# (an empty dict for a new stakeholder). Listeners queue their refreshes on commit.
stakeholder_changed = Signal()

# The fields derived data reads: who may see it, its kind and scope (candidates, the index's
# multi-stakeholder pillar), its toolbox and women-led flag (candidates), its parent (the graph).
WATCHED_FIELDS = ("sensitivity", "kind", "scope", "capabilities", "women_led", "archived_at")


@receiver(pre_save, sender=Stakeholder, dispatch_uid="stakeholders_remember_watched")
def _remember(sender, instance: Stakeholder, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._watched_before = {}
        return
    row = (
        Stakeholder._base_manager.filter(pk=instance.pk).values(*WATCHED_FIELDS).first()
        if instance.pk
        else None
    )
    instance._watched_before = row or {}


@receiver(post_save, sender=Stakeholder, dispatch_uid="stakeholders_send_changed")
def _send(sender, instance: Stakeholder, created=False, raw=False, **kwargs) -> None:
    if raw:
        return
    before = getattr(instance, "_watched_before", {}) or {}
    if created or not before:
        changed = set(WATCHED_FIELDS)
        before = {}
    else:
        changed = {f for f in WATCHED_FIELDS if before.get(f) != getattr(instance, f)}
    if changed:
        stakeholder_changed.send(
            sender=Stakeholder, stakeholder=instance, changed=changed, before=before
        )
