from django import template

from ..coalitions.selectors import (
    coalition_computation_for,
    coalition_list_for_outcome,
    coalition_reason_text,
    coalitions_explained,
)
from ..coalitions.services import coalition_parameters
from ..workflow import user_may_propose

register = template.Library()


@register.inclusion_tag("partnerships/includes/outcome_coalitions.html", takes_context=True)
def outcome_coalitions(context, outcome, limit: int = 3) -> dict:
    """An outcome's coalitions for its page; the registry app needs no import of ours."""
    request = context["request"]
    user = request.user
    if not user.has_perm("partnerships.view_coalition"):
        return {"hidden": True}
    computation = coalition_computation_for(user=user, outcome=outcome)
    coalitions = []
    if computation is not None:
        coalitions = coalitions_explained(
            coalition_list_for_outcome(user=user, outcome=outcome, limit=limit)
        )
    return {
        "request": request,
        "outcome": outcome,
        "computation": computation,
        "reason_text": coalition_reason_text(computation.reason) if computation else "",
        "coalitions": coalitions,
        # Who may propose is only asked when there is something to propose.
        "can_propose": bool(coalitions) and user_may_propose(user),
        "can_compute": user.has_perm("partnerships.add_overlaprun"),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def coalition_defaults():
    """The parameters coalitions are computed with, for the methodology page."""
    return coalition_parameters()
