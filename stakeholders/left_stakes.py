"""Stakes to review: those left behind on archived outcomes, and the machine-made stakes of a
promoted outcome; an officer's decision on each.

An outcome merge by someone not cleared moves only the stakes they see: a restricted actor's
stake stays with the archived (merged) outcome, neither moved nor named (README, "Outcomes merge
the same way"); an outcome deleted by someone not cleared keeps, archived, the stakes they could
not see. These are the *left stakes*. An officer who promotes a machine-made outcome takes it
into the curated registry, but its stakes are still the importer's guesses (an interest read
from a budget, an influence from a role): its IATI and 3W stakes join the queue, under that
outcome, for the reason "promoted", until each is decided; demoting the outcome takes the
undecided ones out again. A person who may see the stake decides, through
``left_stake_decide``: keep it where it is (it leaves the queue), move it to a live outcome (by
default the one its outcome was merged into), or drop it. The stake's history records the move
or the deletion; a ``LeftStakesDecision`` records the review. A decision holds for the outcome
it was made about: a stake kept in an outcome, or moved into one, is not asked about there again.

Do no harm: the queue and the decisions are read through ``stake_visible_to`` — a reader not
cleared for an actor neither sees its left stakes nor the decisions about them, exactly as if it
had never existed; a stake they may not see answers as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from .choices import MACHINE_ORIGINS
from .left_stakes_models import LeftStakesDecision
from .merging import MergePolicy
from .models import Outcome, Stake
from .outcome_merging import outcome_merge_policy_register
from .selectors import stake_visible_to, stakeholder_visible_to
from .services import stake_delete, stake_update

Action = LeftStakesDecision.Action


def _awaiting_review() -> Q:
    """Left on an archived outcome, or machine-made in a live promoted one."""
    return Q(outcome__archived_at__isnull=False) | Q(
        outcome__promoted_at__isnull=False, origin__in=MACHINE_ORIGINS
    )


def _decided_where_it_is() -> Exists:
    """A decision already made about the stake in the outcome it is in: kept there, or moved
    there."""
    return Exists(
        LeftStakesDecision.objects.filter(stake=OuterRef("pk")).filter(
            Q(action=Action.KEEP, from_outcome=OuterRef("outcome_id"))
            | Q(action=Action.MOVE, to_outcome=OuterRef("outcome_id"))
        )
    )


def left_stakes_visible_to(user) -> QuerySet[Stake]:
    """Stakes ``user`` may see that wait for a decision: left on an archived outcome (merged into
    another, or deleted with what its deleter could not see), or machine-made in a promoted
    outcome; none already decided where it is. By outcome, then actor."""
    return (
        stake_visible_to(user)
        .filter(_awaiting_review())
        .exclude(_decided_where_it_is())
        .select_related("stakeholder", "outcome", "outcome__merged_into", "outcome__promoted_by")
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
    # Why its stakes are asked about: "promoted" (a live promoted outcome), else "archived".
    reason: str
    stakes: list[Stake]


PROMOTED = "promoted"
ARCHIVED = "archived"


def left_stakes_grouped(stakes) -> list[LeftStakeGroup]:
    """The queue by outcome: archived ones first, machine-made before curated (the usual case:
    an import's "<sector> in <country>" merged into the curated outcome it meant), then promoted
    outcomes."""
    groups: dict[int, LeftStakeGroup] = {}
    for stake in stakes:
        outcome = stake.outcome
        group = groups.get(outcome.pk)
        if group is None:
            group = groups[outcome.pk] = LeftStakeGroup(
                outcome=outcome,
                machine_made=outcome.origin in MACHINE_ORIGINS,
                reason=ARCHIVED if outcome.archived_at is not None else PROMOTED,
                stakes=[],
            )
        group.stakes.append(stake)
    return sorted(
        groups.values(),
        key=lambda g: (g.reason == PROMOTED, not g.machine_made, g.outcome.title, g.outcome.pk),
    )


@transaction.atomic
def left_stake_decide(
    *, stake: Stake, action: str, user, outcome: Outcome | None = None, note: str = ""
) -> LeftStakesDecision:
    """Decide about one stake in the queue (``stake`` as ``user`` may see it: callers find it
    through ``left_stakes_visible_to``). ``move`` needs ``outcome``: a live curated or promoted
    outcome, not its own, in which the actor has no stake yet. Refused, changing nothing, with
    the field named."""
    if action not in Action.values:
        raise ValidationError(
            {"action": f"Choose one of: {', '.join(Action.values)} (not “{action}”)."}
        )
    if len(note) > 300:
        raise ValidationError({"note": "At most 300 characters."})
    locked = Stake.objects.select_for_update().filter(pk=stake.pk).first()
    if locked is None or not Stake.objects.filter(_awaiting_review(), pk=locked.pk).exists():
        raise ValidationError(
            {
                "stake": "This stake is no longer left on an archived outcome or machine-made "
                "in a promoted one."
            }
        )
    if Stake.objects.filter(_decided_where_it_is(), pk=locked.pk).exists():
        raise ValidationError({"stake": "This stake was already reviewed where it is."})
    stakeholder, from_outcome = locked.stakeholder, locked.outcome
    target = None
    if action == Action.MOVE:
        if outcome is None:
            raise ValidationError({"outcome": "Choose the curated outcome to move the stake to."})
        if outcome.pk == locked.outcome_id:
            raise ValidationError(
                {"outcome": f"The stake is already in “{outcome.title}”: keep it instead."}
            )
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
