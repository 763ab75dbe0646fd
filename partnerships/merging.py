"""How candidates, coalitions and partnerships take part in merging stakeholders
(``stakeholders.merging``): computed rows are dropped and recomputed from the merged registry, a
person's dismissal of a pair follows the pair, members move with partnerships untouched."""

from django.db.models import QuerySet

from stakeholders.merging import MergePolicy, merge_policy_register, ordered_pair

from .coalitions.models import Coalition, CoalitionMember
from .models import Candidate, CandidateDismissal


def _coalitions_drop(members: QuerySet) -> int:
    """A coalition is computed for its members together: one of them merged, it goes whole."""
    coalitions = Coalition.objects.filter(pk__in=members.values("coalition_id"))
    count = coalitions.count()
    coalitions.delete()
    return count


def register_merge_policies() -> None:
    merge_policy_register(Candidate, MergePolicy(derived=True))
    merge_policy_register(CoalitionMember, MergePolicy(derived=True, drop=_coalitions_drop))
    merge_policy_register(
        CandidateDismissal,
        MergePolicy(normalise=ordered_pair("stakeholder_a_id", "stakeholder_b_id")),
    )
