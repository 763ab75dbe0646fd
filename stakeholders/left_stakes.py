"""Stakes left behind on archived outcomes, and an officer's decision on each.

An outcome merge by someone not cleared moves only the stakes they see: a restricted actor's
stake stays with the archived (merged) outcome, neither moved nor named (README, "Outcomes merge
the same way"); an outcome deleted by someone not cleared keeps, archived, the stakes they could
not see. These are the *left stakes*. A person who may see the stake decides, through
``left_stake_decide``: keep it where it is (it leaves the queue), move it to a live outcome (by
default the one its outcome was merged into), or drop it. The stake's history records the move
or the deletion; a ``LeftStakesDecision`` records the review.

Do no harm: the queue and the decisions are read through ``stake_visible_to`` — a reader not
cleared for an actor neither sees its left stakes nor the decisions about them, exactly as if it
had never existed; a stake they may not see answers as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from .choices import MACHINE_ORIGINS
from .left_stakes_models import LeftStakesDecision
from .merging import MergePolicy
from .models import Outcome, Stake
from .outcome_merging import outcome_merge_policy_register
from .selectors import stake_visible_to, stakeholder_visible_to
from .services import stake_delete, stake_update

Action = LeftStakesDecision.Action


def left_stakes_visible_to(user) -> QuerySet[Stake]:
    """Stakes ``user`` may see whose outcome is archived (merged into another, or deleted with
    what its deleter could not see), none yet kept by a decision; machine-made outcomes first,
    then by outcome and actor."""
    kept = LeftStakesDecision.objects.filter(stake=OuterRef("pk"), action=Action.KEEP)
    return (
        stake_visible_to(user)
        .filter(outcome__archived_at__isnull=False)
        .exclude(Exists(kept))
        .select_related("stakeholder", "outcome", "outcome__merged_into")
        .order_by("outcome__title", "outcome_id", "stakeholder__name", "id")
    )


def left_stakes_decisions_visible_to(user) -> QuerySet[LeftStakesDecision]:
    """Decisions about the actors ``user`` may see, newest first."""
    return LeftStakesDecision.objects.filter(
        stakeholder__in=stakeholder_visible_to(user)
    ).select_related("stakeholder", "from_outcome", "to_outcome", "decided_by")


def left_stake_targets() -> QuerySet[Outcome]:
    """Where a left stake may move: live outcomes that are curated or promoted."""
    return Outcome.objects.listed().order_by("title", "id")


@dataclass(frozen=True)
class LeftStakeGroup:
    outcome: Outcome
    machine_made: bool
    stakes: list[Stake]


def left_stakes_grouped(stakes) -> list[LeftStakeGroup]:
    """The queue by archived outcome, machine-made ones first (the usual case: an import's
    "<sector> in <country>" merged into the curated outcome it meant)."""
    groups: dict[int, LeftStakeGroup] = {}
    for stake in stakes:
        outcome = stake.outcome
        group = groups.get(outcome.pk)
        if group is None:
            group = groups[outcome.pk] = LeftStakeGroup(
                outcome=outcome, machine_made=outcome.origin in MACHINE_ORIGINS, stakes=[]
            )
        group.stakes.append(stake)
    return sorted(groups.values(), key=lambda g: (not g.machine_made, g.outcome.title))


@transaction.atomic
def left_stake_decide(
    *, stake: Stake, action: str, user, outcome: Outcome | None = None, note: str = ""
) -> LeftStakesDecision:
    """Decide about one left stake (``stake`` as ``user`` may see it: callers find it through
    ``left_stakes_visible_to``). ``move`` needs ``outcome``: a live curated or promoted outcome
    in which the actor has no stake yet. Refused, changing nothing, with the field named."""
    if action not in Action.values:
        raise ValidationError(
            {"action": f"Choose one of: {', '.join(Action.values)} (not “{action}”)."}
        )
    if len(note) > 300:
        raise ValidationError({"note": "At most 300 characters."})
    locked = Stake.objects.select_for_update().filter(pk=stake.pk).first()
    if locked is None or locked.outcome.archived_at is None:
        raise ValidationError({"stake": "This stake is no longer left on an archived outcome."})
    if LeftStakesDecision.objects.filter(stake=locked, action=Action.KEEP).exists():
        raise ValidationError({"stake": "This stake was already reviewed and kept."})
    stakeholder, from_outcome = locked.stakeholder, locked.outcome
    target = None
    if action == Action.MOVE:
        if outcome is None:
            raise ValidationError({"outcome": "Choose the curated outcome to move the stake to."})
        if not left_stake_targets().filter(pk=outcome.pk).exists():
            raise ValidationError(
                {"outcome": f"“{outcome.title}” is not a live curated or promoted outcome."}
            )
        if Stake.objects.filter(stakeholder=stakeholder, outcome=outcome).exists():
            raise ValidationError(
                {
                    "outcome": f"{stakeholder.name} already has a stake in “{outcome.title}”: "
                    "keep or drop this one."
                }
            )
        target = outcome
    decision = LeftStakesDecision.objects.create(
        stake=None if action == Action.DROP else locked,
        stakeholder=stakeholder,
        from_outcome=from_outcome,
        to_outcome=target,
        action=action,
        note=note,
        decided_by=user if getattr(user, "pk", None) else None,
    )
    if action == Action.MOVE:
        stake_update(stake=locked, outcome=target)
    elif action == Action.DROP:
        stake_delete(stake=locked)
    return decision


def _decisions_stay(rows: QuerySet, user) -> QuerySet:
    """A decision records the outcomes as they were decided on: an outcome merge moves none."""
    return rows.none()


outcome_merge_policy_register(LeftStakesDecision, MergePolicy(visible=_decisions_stay))
