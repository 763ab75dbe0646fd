"""Small presentation helpers for the registry pages."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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
def sort_header(
    context, field: str, label: str, css: str = "", title: str = "", descending_first=False
):
    """A column header that sorts by ``field``, toggling direction, keeping every filter.

    Sorting goes back to the first page; the current direction is announced with aria-sort.
    """
    return _sort_header(context, field, label, css, title, descending_first)


@register.simple_tag(takes_context=True)
def tie_sort_header(context, field: str, label: str, css: str = "", descending_first=False):
    """:func:`sort_header` for a second table on the same page (the graph's ties), which keeps
    its own sort and page in ``tie_ordering`` and ``tie_page``."""
    return _sort_header(
        context, field, label, css, "", descending_first, param="tie_ordering", page="tie_page"
    )


def _sort_header(
    context, field, label, css, title, descending_first, *, param="ordering", page="page"
):
    request = context["request"]
    current = request.GET.get(param, "")
    params = request.GET.copy()
    params.pop(page, None)
    if current == field:
        params[param] = f"-{field}"
        state, arrow = "ascending", "▲"
    elif current == f"-{field}":
        params[param] = field
        state, arrow = "descending", "▼"
    else:
        # Scores read best first: their first click sorts from the highest.
        params[param] = f"-{field}" if descending_first else field
        state, arrow = None, ""
    sort_attr = format_html(' aria-sort="{}"', state) if state else ""
    if css:
        sort_attr = format_html('{} class="{}"', sort_attr, css)
    if title:
        sort_attr = format_html('{} title="{}"', sort_attr, title)
    return format_html(
        '<th scope="col"{}><a class="sort" href="?{}">{}<span class="sort-arrow" '
        'aria-hidden="true">{}</span></a></th>',
        sort_attr,
        params.urlencode(),
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def sort_link(context, field: str, label: str):
    """A sort choice for lists that are not tables (cards): best first, then toggling, like
    :func:`sort_header`; the current one is marked with aria-current."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == f"-{field}":
        params["ordering"] = field
        marker, arrow = ' aria-current="true"', "▼"
    elif current == field:
        params["ordering"] = f"-{field}"
        marker, arrow = ' aria-current="true"', "▲"
    else:
        params["ordering"] = f"-{field}"
        marker, arrow = "", ""
    direction = {"▼": " (highest first)", "▲": " (lowest first)"}.get(arrow, "")
    return format_html(
        '<a class="sort-choice" href="?{}"{}>{}<span class="sort-arrow" aria-hidden="true">{}'
        '</span><span class="visually-hidden">{}</span></a>',
        params.urlencode(),
        mark_safe(marker),  # noqa: S308 - one of two fixed strings
        label,
        arrow,
        direction,
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
