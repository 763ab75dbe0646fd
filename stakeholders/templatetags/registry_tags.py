"""Small presentation helpers for the registry pages."""

from django import template
from django.utils.html import format_html

from stakeholders.choices import CAPABILITY_LABELS, Capability, TieKind
from stakeholders.fields import to_capability
from stakeholders.panels import panels_for

register = template.Library()

CAPABILITY_SHORT_LABELS = {
    Capability.FUNDING: "Fund",
    Capability.FIELD_PRESENCE: "Field",
    Capability.TECHNOLOGY: "Tech",
    Capability.CONVENING: "Convene",
    Capability.LEGAL: "Legal",
    Capability.SECURITY: "Security",
    Capability.MEDIA_REACH: "Media",
    Capability.RESEARCH_DATA: "Data",
    Capability.LOGISTICS: "Logistics",
    Capability.COMMUNITY_TRUST: "Trust",
}


@register.filter
def capability_chips(value) -> list[dict]:
    """The capabilities of a bit set as short and full labels, in a fixed order."""
    capabilities = to_capability(value)
    return [
        {"short": CAPABILITY_SHORT_LABELS[member], "label": CAPABILITY_LABELS[member]}
        for member in Capability
        if member in capabilities
    ]


@register.filter
def unit(value) -> str:
    """A 0–1 figure with two decimals, or a dash when unknown."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.2f}"


@register.filter
def percent(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.0f} %"


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str):
    """A column header that sorts by ``field``, toggling direction, keeping every filter.

    Sorting goes back to the first page; the current direction is announced with aria-sort.
    """
    request = context["request"]
    current = request.GET.get("ordering", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == field:
        params["ordering"] = f"-{field}"
        state, arrow = "ascending", "▲"
    elif current == f"-{field}":
        params["ordering"] = field
        state, arrow = "descending", "▼"
    else:
        params["ordering"] = field
        state, arrow = None, ""
    sort_attr = format_html(' aria-sort="{}"', state) if state else ""
    return format_html(
        '<th scope="col"{}><a class="sort" href="?{}">{}<span class="sort-arrow" '
        'aria-hidden="true">{}</span></a></th>',
        sort_attr,
        params.urlencode(),
        label,
        arrow,
    )


TIE_VERBS = {"member_of": "is a member of"}


@register.filter
def tie_verb(kind: str) -> str:
    """The tie kind as the verb of a sentence: "A funds B", "A is a member of B"."""
    return TIE_VERBS.get(kind) or str(dict(TieKind.choices).get(kind, kind)).lower()


@register.simple_tag
def page_panels(page: str) -> list[str]:
    """The sections higher apps added to this registry page (``stakeholders.panels``)."""
    return panels_for(page)
