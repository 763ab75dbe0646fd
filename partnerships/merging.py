"""How candidates, coalitions and partnerships take part in merging stakeholders
(``stakeholders.merging``): computed rows are dropped and recomputed from the merged registry, a
person's dismissal of a pair follows the pair, members move with partnerships untouched. In a
merge of outcomes (``stakeholders.outcome_merging``) an outcome's coalitions are computed (dropped)
and a partnership's outcomes follow the merge where the person merging may see the partnership."""

from django.db.models import QuerySet

from stakeholders.merging import MergePolicy, merge_policy_register, ordered_pair
from stakeholders.outcome_merging import outcome_merge_policy_register

from .coalitions.models import Coalition, CoalitionComputation, CoalitionMember
from .models import Candidate, CandidateDismissal, Partnership
from .selectors import partnership_visible_to


def _coalitions_drop(members: QuerySet) -> int:
    """A coalition is computed for its members together: one of them merged, it goes whole."""
    coalitions = Coalition.objects.filter(pk__in=members.values("coalition_id"))
    count = coalitions.count()
    coalitions.delete()
    return count


def _partnerships_visible(rows: QuerySet, user) -> QuerySet:
    return rows.filter(
        pk__in=partnership_visible_to(user).prefetch_related(None).order_by().values("pk")
    )


def register_merge_policies() -> None:
    outcome_merge_policy_register(Coalition, MergePolicy(derived=True))
    outcome_merge_policy_register(CoalitionComputation, MergePolicy(derived=True))
    outcome_merge_policy_register(Partnership, MergePolicy(visible=_partnerships_visible))
    merge_policy_register(Candidate, MergePolicy(derived=True))
    merge_policy_register(CoalitionMember, MergePolicy(derived=True, drop=_coalitions_drop))
    merge_policy_register(
        CandidateDismissal,
        MergePolicy(normalise=ordered_pair("stakeholder_a_id", "stakeholder_b_id")),
    )
