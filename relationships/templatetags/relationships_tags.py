"""The panels relationships adds to the registry's, partnerships' and home pages."""

from django import template

register = template.Library()

PANEL_ROWS = 10


@register.inclusion_tag("relationships/includes/stakeholder_relationship.html", takes_context=True)
def stakeholder_relationship_panel(context, stakeholder) -> dict:
    from ..selectors import stakeholder_relationship

    request = context["request"]
    data = stakeholder_relationship(stakeholder=stakeholder, user=request.user)
    return {
        **data,
        "stakeholder": stakeholder,
        "perms": context.get("perms"),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("relationships/includes/interactions_panel.html", takes_context=True)
def interactions_panel(context, outcome=None, partnership=None) -> dict:
    from ..selectors import interaction_list

    request = context["request"]
    rows = interaction_list(user=request.user)
    if outcome is not None:
        rows, query = rows.filter(outcomes=outcome), f"outcome={outcome.pk}"
    else:
        rows, query = rows.filter(partnership=partnership), f"partnership={partnership.pk}"
    shown = list(rows[: PANEL_ROWS + 1])
    return {
        "interactions": shown[:PANEL_ROWS],
        "more": len(shown) > PANEL_ROWS,
        "query": query,
        "perms": context.get("perms"),
    }


@register.inclusion_tag("relationships/includes/my_follow_ups.html", takes_context=True)
def my_follow_ups(context) -> dict:
    from ..selectors import follow_ups_of_owner

    request = context["request"]
    return {
        **follow_ups_of_owner(user=request.user),
        "perms": context.get("perms"),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


def _outcome_salience(request, outcome) -> dict:
    """The outcome's salience, read once per request (the page shows it in two places)."""
    from ..selectors import outcome_salience

    cache = request.__dict__.setdefault("_outcome_salience", {})
    if outcome.pk not in cache:
        cache[outcome.pk] = outcome_salience(outcome=outcome, user=request.user)
    return cache[outcome.pk]


@register.inclusion_tag("relationships/includes/outcome_salience.html", takes_context=True)
def outcome_salience_panel(context, outcome) -> dict:
    """Beside the power–interest grid: each actor's latest salience class, as three circles."""
    request = context["request"]
    return {
        **_outcome_salience(request, outcome),
        "outcome": outcome,
        "perms": context.get("perms"),
        "request": request,
    }


@register.inclusion_tag("relationships/includes/outcome_over_time.html", takes_context=True)
def outcome_over_time_panel(context, outcome) -> dict:
    """Below the grid: salience by class with the assessments kept, and how support and
    opposition moved (chart and who moved)."""
    from ..selectors import outcome_positions

    request = context["request"]
    return {
        "salience": _outcome_salience(request, outcome),
        "positions": outcome_positions(outcome=outcome, user=request.user),
        "outcome": outcome,
        "perms": context.get("perms"),
        "request": request,
    }


@register.inclusion_tag("relationships/includes/stakeholder_salience.html", takes_context=True)
def stakeholder_salience_panel(context, stakeholder) -> dict:
    from ..selectors import stakeholder_salience

    request = context["request"]
    return {
        "outcomes": stakeholder_salience(stakeholder=stakeholder, user=request.user),
        "stakeholder": stakeholder,
        "perms": context.get("perms"),
        "request": request,
    }
