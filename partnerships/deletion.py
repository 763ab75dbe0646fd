"""How partnerships and candidates take part in deleting a stakeholder or an outcome
(``stakeholders.deletion``): members are taken out of partnerships before an actor goes, and
proposals that exist only for cleared people are never touched by someone not cleared."""

from django.db.models import Exists, OuterRef, Q

from stakeholders.deletion import DeletionParticipant, register
from stakeholders.models import Outcome, Stakeholder
from stakeholders.selectors import sensitivities_visible_to

from .models import Candidate, CandidateDismissal, Partnership, PartnershipMember
from .selectors import partnership_visible_to


def _hidden_from(user):
    """Partnerships that exist only for people cleared for one of their members (to ``user``:
    not visible, and with a member hidden from them)."""
    hidden_member = PartnershipMember.objects.filter(partnership=OuterRef("pk")).exclude(
        stakeholder__sensitivity__in=sensitivities_visible_to(user)
    )
    visible = partnership_visible_to(user).prefetch_related(None).order_by().values("pk")
    return Partnership.objects.filter(Exists(hidden_member)).exclude(pk__in=visible)


def _stakeholder_blockers(stakeholder: Stakeholder, user) -> list[str]:
    of_it = Partnership.objects.filter(members__stakeholder=stakeholder)
    visible = list(
        partnership_visible_to(user).filter(members__stakeholder=stakeholder).order_by("title")
    )
    reasons = []
    if visible:
        titles = ", ".join(f"“{p.title}”" for p in visible)
        reasons.append(
            f"{stakeholder.name} is a member of {titles}: take it out of "
            f"{'them' if len(visible) > 1 else 'it'} first."
        )
    others = (
        of_it.exclude(pk__in=[p.pk for p in visible])
        .exclude(pk__in=_hidden_from(user).values("pk"))
        .distinct()
        .count()
    )
    if others:
        reasons.append(
            f"{stakeholder.name} is a member of {others} proposal{'s' if others > 1 else ''} "
            "being prepared by others; an administrator can take it out."
        )
    return reasons


def _stakeholder_hidden_links(stakeholder: Stakeholder, user) -> bool:
    return _hidden_from(user).filter(members__stakeholder=stakeholder).exists()


def _stakeholder_archive(stakeholder: Stakeholder, user) -> None:
    pair = Q(stakeholder_a=stakeholder) | Q(stakeholder_b=stakeholder)
    Candidate.objects.filter(pair).delete()
    CandidateDismissal.objects.filter(pair).delete()


def _outcome_hidden_links(outcome: Outcome, user) -> bool:
    return _hidden_from(user).filter(outcomes=outcome).exists()


def _outcome_archive(outcome: Outcome, user) -> None:
    from .coalitions.models import CoalitionComputation

    # Its coalitions are derived data of an outcome nobody reads any more: as on deletion.
    CoalitionComputation.objects.filter(outcome=outcome).delete()
    kept = set(_hidden_from(user).values_list("pk", flat=True))
    for partnership in Partnership.objects.filter(outcomes=outcome).exclude(pk__in=kept):
        partnership.outcomes.remove(outcome)


def register_participants() -> None:
    register(
        Stakeholder,
        DeletionParticipant(
            name="partnerships",
            blockers=_stakeholder_blockers,
            hidden_links=_stakeholder_hidden_links,
            archive=_stakeholder_archive,
        ),
    )
    register(
        Outcome,
        DeletionParticipant(
            name="partnerships", hidden_links=_outcome_hidden_links, archive=_outcome_archive
        ),
    )
