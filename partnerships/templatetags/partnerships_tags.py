from django import template

from ..selectors import candidate_list_for_outcome, candidate_list_for_stakeholder, url_or_none

register = template.Library()


@register.filter
def stakeholder_url(stakeholder) -> str:
    """The stakeholder's page, or "" while the registry pages are not there."""
    return url_or_none("stakeholders:stakeholder_detail", stakeholder.pk) or ""


@register.filter
def outcome_url(outcome) -> str:
    return url_or_none("stakeholders:outcome_detail", outcome.pk) or ""


@register.filter
def as_percent(value) -> int:
    """0–1 as a whole percentage for bars (clamped)."""
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError):
        return 0


@register.filter
def other_actor(candidate, stakeholder):
    return candidate.partner_of(stakeholder.pk)


@register.inclusion_tag("partnerships/includes/stakeholder_candidates.html", takes_context=True)
def stakeholder_candidates(context, stakeholder, limit: int = 10) -> dict:
    """A stakeholder's best candidates for its page; the registry app needs no import of ours."""
    user = context["request"].user
    return {
        "stakeholder": stakeholder,
        "candidates": candidate_list_for_stakeholder(
            user=user, stakeholder=stakeholder, limit=limit
        ),
    }


@register.inclusion_tag("partnerships/includes/outcome_pairs.html", takes_context=True)
def outcome_pairs(context, outcome, limit: int = 10) -> dict:
    user = context["request"].user
    return {
        "outcome": outcome,
        "candidates": candidate_list_for_outcome(user=user, outcome=outcome, limit=limit),
    }
