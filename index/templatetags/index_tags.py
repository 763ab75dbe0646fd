from django import template

register = template.Library()


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form, name: str):
    """The bound field ``name`` of ``form`` (templates cannot index by a variable)."""
    return form[name]


@register.filter
def percent_of(value, total) -> str:
    """``value`` as a percentage of ``total`` for a CSS length, e.g. ``12.5`` (dot decimal).

    Ranks run from 1 to total, so rank r sits at (r - 1) / (total - 1) along the bar.
    """
    try:
        value, total = float(value), float(total)
    except (TypeError, ValueError):
        return "0"
    if total <= 1:
        return "0"
    return f"{max(0.0, min(100.0, 100.0 * (value - 1) / (total - 1))):.1f}"


@register.filter
def span_percent(width, total) -> str:
    """A span of ``width`` ranks as a percentage of the 1…total bar, for a CSS width."""
    try:
        width, total = float(width), float(total)
    except (TypeError, ValueError):
        return "0"
    if total <= 1:
        return "0"
    return f"{max(0.0, min(100.0, 100.0 * width / (total - 1))):.1f}"


@register.inclusion_tag("index/includes/engagement_scores.html", takes_context=True)
def stakeholder_scores(context, stakeholder, limit: int = 10) -> dict:
    """A stakeholder's engagements and their index scores as the reader sees them, for its page."""
    from ..selectors import engagement_scores_for, methodology_current

    context = engagement_scores_for(
        user=context["request"].user,
        stakeholder=stakeholder,
        methodology=methodology_current(),
        limit=limit,
    )
    return {**context, "subject": stakeholder, "filter": f"participant={stakeholder.pk}"}


@register.inclusion_tag("index/includes/engagement_scores.html", takes_context=True)
def partnership_scores(context, partnership, limit: int = 10) -> dict:
    """A partnership's engagements and their index scores as the reader sees them."""
    from ..selectors import engagement_scores_for, methodology_current

    context = engagement_scores_for(
        user=context["request"].user,
        partnership=partnership,
        methodology=methodology_current(),
        limit=limit,
    )
    return {**context, "subject": partnership, "filter": f"partnership={partnership.pk}"}


@register.filter
def pillar_label(pillar: str | None) -> str:
    """``multi_stakeholder`` → ``Multi-stakeholder``; empty for none."""
    from ..choices import Pillar

    return dict(Pillar.choices).get(pillar, "") if pillar else ""
