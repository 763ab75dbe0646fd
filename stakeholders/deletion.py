"""Deleting registry records as the person asking sees them (DESIGN.md, do no harm).

A person not cleared for restricted actors must be able to delete what they see, and the result,
for them, must be exactly a deletion; but it must neither destroy nor reveal what they cannot see:
a public stakeholder's ties to restricted actors, restricted actors under it, proposals that exist
only for cleared people, restricted actors' stakes in an outcome. So a deletion is one of:

* **deleted**: nothing hidden from the person hangs off the record; it goes, as always;
* **archived**: what the person could see of it goes (stakes, ties to visible actors, the
  engagements it took part in, links from engagements and visible partnerships), and the record
  is kept with the rest, out of every read: a stakeholder becomes restricted and archived, an
  outcome archived. A cleared person restores it or deletes it for good.

To the person asking, both answers are the same. Higher layers (partnerships, the index) take
part through :func:`register`, so that this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError

from .choices import Sensitivity
from .models import Outcome, Stake, Stakeholder, Tie
from .selectors import sensitivities_visible_to


@dataclass
class DeletionParticipant:
    """What one app says about deleting a stakeholder or an outcome for ``user``.

    * ``blockers(obj, user)``: reasons it may not be deleted now (shown to the person, so they
      name only what the person may see);
    * ``hidden_links(obj, user)``: whether records of this app that the person may not see hang
      off it (then it is archived, not deleted);
    * ``archive(obj, user)``: remove this app's links to it that the person may see.
    """

    name: str
    blockers: Callable[..., list[str]] = field(default=lambda obj, user: [])
    hidden_links: Callable[..., bool] = field(default=lambda obj, user: False)
    archive: Callable[..., None] = field(default=lambda obj, user: None)


_participants: dict[tuple[type, str], DeletionParticipant] = {}


def register(model: type, participant: DeletionParticipant) -> None:
    """Called by higher layers' ``AppConfig.ready``; registering again replaces (idempotent)."""
    _participants[(model, participant.name)] = participant


def _of(model: type) -> list[DeletionParticipant]:
    return [
        p for (kind, _), p in sorted(_participants.items(), key=lambda i: i[0][1]) if kind is model
    ]


def deletion_blockers(*, stakeholder: Stakeholder, user) -> list[str]:
    """Why ``user`` may not delete ``stakeholder`` now (naming only what they may see)."""
    return [reason for p in _of(Stakeholder) for reason in p.blockers(stakeholder, user)]


def _hidden(user):
    return ~Q(sensitivity__in=sensitivities_visible_to(user))


def _stakeholder_hidden_links(stakeholder: Stakeholder, user) -> bool:
    allowed = sensitivities_visible_to(user)
    ties = Tie.objects.filter(
        Q(from_stakeholder=stakeholder) & ~Q(to_stakeholder__sensitivity__in=allowed)
        | Q(to_stakeholder=stakeholder) & ~Q(from_stakeholder__sensitivity__in=allowed)
    )
    children = Stakeholder.objects.filter(parent=stakeholder).filter(_hidden(user))
    return ties.exists() or children.exists()


@transaction.atomic
def stakeholder_delete(*, stakeholder: Stakeholder, user) -> str:
    """Delete ``stakeholder`` as ``user`` sees it; ``"deleted"`` or ``"archived"`` (see above).

    Raises ApplicationError while it is a member of a partnership (take it out first).
    """
    stakeholder = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    reasons = deletion_blockers(stakeholder=stakeholder, user=user)
    if reasons:
        raise ApplicationError(" ".join(reasons), code="protected")
    hidden = _stakeholder_hidden_links(stakeholder, user) or any(
        p.hidden_links(stakeholder, user) for p in _of(Stakeholder)
    )
    if not hidden:
        stakeholder.delete()
        return "deleted"
    allowed = sensitivities_visible_to(user)
    for p in _of(Stakeholder):
        p.archive(stakeholder, user)
    for stake in Stake.objects.filter(stakeholder=stakeholder):
        stake.delete()  # one by one: the history records each
    visible_ties = Tie.objects.filter(
        Q(from_stakeholder=stakeholder, to_stakeholder__sensitivity__in=allowed)
        | Q(to_stakeholder=stakeholder, from_stakeholder__sensitivity__in=allowed)
    )
    for tie in visible_ties:
        tie.delete()
    stakeholder.external_ids.all().delete()
    stakeholder.sectors.clear()
    for child in Stakeholder.objects.filter(parent=stakeholder, sensitivity__in=allowed):
        child.parent = None  # as a deletion does (its hidden children keep it)
        child.save()
    stakeholder.sensitivity = Sensitivity.RESTRICTED
    stakeholder.archived_at = timezone.now()
    stakeholder.archived_by = user if getattr(user, "pk", None) else None
    stakeholder._change_reason = (
        "Deleted by someone not cleared for all of its relations; kept, restricted, with those."
    )
    stakeholder.save()
    return "archived"


@transaction.atomic
def outcome_delete(*, outcome: Outcome, user) -> str:
    """Delete ``outcome`` as ``user`` sees it; ``"deleted"`` or ``"archived"`` (see above)."""
    outcome = Outcome.objects.select_for_update().get(pk=outcome.pk)
    hidden_stakes = Stake.objects.filter(outcome=outcome).exclude(
        stakeholder__sensitivity__in=sensitivities_visible_to(user)
    )
    hidden = hidden_stakes.exists() or any(p.hidden_links(outcome, user) for p in _of(Outcome))
    if not hidden:
        outcome.delete()
        return "deleted"
    for p in _of(Outcome):
        p.archive(outcome, user)
    for stake in Stake.objects.filter(outcome=outcome).filter(
        stakeholder__sensitivity__in=sensitivities_visible_to(user)
    ):
        stake.delete()
    outcome.archived_at = timezone.now()
    outcome.archived_by = user if getattr(user, "pk", None) else None
    outcome._change_reason = (
        "Deleted by someone not cleared for every stake in it; kept with those stakes."
    )
    outcome.save()
    return "archived"
