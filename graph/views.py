"""The graph explorer page, its accessible table view and its exports.

The page draws what /api/v1/graph/ returns; the table view and the exports read the same
selector with the same query string, so the three always show the same graph.
"""

import io

import networkx as nx
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.list_tools import Column, list_tools
from accounts.services import restricted_read_record
from smartdiplomacy.spreadsheets import csv_text
from stakeholders.choices import Kind, Theme, TieKind
from stakeholders.models import Outcome, Sector
from stakeholders.power_interest import QUADRANTS
from stakeholders.regions import REGIONS
from stakeholders.selectors import stakeholder_visible_to

from . import metrics
from .api.serializers import graph_options
from .selectors import (
    BROWSER_MAX_EDGES,
    BROWSER_MAX_NODES,
    first_tie_date,
    graph_snapshot_for,
    graph_view,
    outcome_gaps_list,
    saved_view_visible_to,
    stakeholder_filterset,
)

EXPORT_FORMATS = {
    "gexf": ("application/gexf+xml", "gexf"),
    "graphml": ("application/graphml+xml", "graphml"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
TABLE_PAGE_SIZE = 50
# The table view's own parameters: paging, sorting and columns, not filters of the graph.
TABLE_PARAMETERS = (
    "page", "per_page", "columns", "columns_set", "ordering", "tie_page", "tie_ordering", "of",
)  # fmt: skip
NODE_COLUMNS = [
    Column("name", "Name", required=True),
    Column("kind", "Kind"),
    Column("country", "Country"),
    Column("degree", "Ties shown"),
    Column("betweenness", "Betweenness"),
    Column("constraint", "Constraint"),
    Column("effective_size", "Effective size"),
    Column("community", "Community", default=False),
]


def _metric(name):
    return lambda row: (row.get("metrics") or {}).get(name)


NODE_SORT_KEYS = {
    "name": lambda row: row["name"].casefold(),
    "kind": lambda row: row["kind_label"],
    "country": lambda row: row["country"] or None,
    "degree": lambda row: row["degree"],
    "betweenness": _metric("betweenness"),
    "constraint": _metric("constraint"),
    "effective_size": _metric("effective_size"),
    "community": _metric("community"),
}
EDGE_SORT_KEYS = {
    "source": lambda row: row["source_name"].casefold(),
    "kind": lambda row: row["kind_label"],
    "target": lambda row: row["target_name"].casefold(),
    "strength": lambda row: row["strength"],
}


def _graph_filters(query: QueryDict) -> QueryDict:
    filters = query.copy()
    for name in TABLE_PARAMETERS:
        filters.pop(name, None)
    return filters


def _sorted_rows(rows: list[dict], ordering: str, keys: dict, default: str) -> list[dict]:
    """``rows`` sorted by the column ``ordering`` names (``-`` for descending); rows without a
    value (metrics not computed yet) come last either way; ties keep the name order."""
    field = ordering.lstrip("-")
    if field not in keys:
        field, ordering = default, default
    key = keys[field]
    rows = sorted(rows, key=keys[default])
    known = [row for row in rows if key(row) is not None]
    unknown = [row for row in rows if key(row) is None]
    known.sort(key=key, reverse=ordering.startswith("-"))
    return known + unknown


GAP_COLUMNS = (metrics.GAP_WOMENS_GROUP, metrics.GAP_LOCAL, metrics.GAP_DIASPORA)


def _filter_context(request) -> dict:
    countries = sorted(
        {
            str(code)
            for code in stakeholder_visible_to(request.user)
            .order_by()
            .values_list("country", flat=True)
            .distinct()
            if code
        }
    )
    return {
        "kinds": Kind.choices,
        "tie_kinds": TieKind.choices,
        "regions": REGIONS,
        "countries": countries,
        "outcomes": Outcome.objects.order_by("title").values_list("id", "title"),
        "sectors": Sector.objects.order_by("name").values_list("code", "name"),
        "query": request.GET,
        "selected_kinds": request.GET.getlist("kind"),
        "selected_tie_kinds": request.GET.getlist("tie_kind"),
    }


def _error_messages(error) -> list[str]:
    detail = error.message_dict if isinstance(error, ValidationError) else error.detail
    return [f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in detail.items()]


@login_required
@require_GET
def explorer(request):
    snapshot = graph_snapshot_for(request.user)
    return render(
        request,
        "graph/explorer.html",
        {
            **_filter_context(request),
            "snapshot": snapshot,
            "browser_max_nodes": BROWSER_MAX_NODES,
            "browser_max_edges": BROWSER_MAX_EDGES,
            "large_nodes": settings.GRAPH_MAP_LARGE_NODES,
            "first_tie_date": first_tie_date(user=request.user),
            # The outcome view draws the outcome page's grid: one definition of the quadrants.
            "quadrants": [
                {
                    "key": q.key,
                    "label": q.label,
                    "advice": q.advice,
                    "high_interest": q.high_interest,
                    "high_influence": q.high_influence,
                }
                for q in QUADRANTS
            ],  # fmt: skip
        },
    )


@login_required
@require_GET
def saved_view(request, slug: str):
    """A saved view's link: the graph page with its state (a view saved by cleared people is
    missing for everyone else, exactly like one that does not exist)."""
    view = get_object_or_404(saved_view_visible_to(request.user), slug=slug)
    query = QueryDict(view.query, mutable=True)
    for key, name in (("x", "cx"), ("y", "cy"), ("ratio", "cr")):
        if key in view.camera:
            query[name] = str(view.camera[key])
    query["saved"] = view.slug
    return redirect(f"{reverse('graph:explorer')}?{query.urlencode()}")


@login_required
@require_GET
def gaps(request):
    """Every outcome whose visible stakeholders lack a women's group, a local or a diaspora
    actor; computed over what the reader may see, so it never hints at a hidden actor."""
    themes = dict(Theme.choices)
    rows = [
        {
            "outcome": row,
            "theme": themes.get(row.theme, row.theme),
            "flags": [gap in row.gaps for gap in GAP_COLUMNS],
        }
        for row in outcome_gaps_list(user=request.user)
    ]
    return render(
        request,
        "graph/gaps.html",
        {
            "rows": rows,
            "outcome_count": Outcome.objects.listed().count(),
            "gap_columns": GAP_COLUMNS,
        },
    )


@login_required
@require_GET
def table(request):
    """The graph as two tables (actors, ties), each sorted and paginated, with the list tools
    every list has. The table's own parameters are taken off before the graph's filters are read,
    so the tables always show the graph the page and the exports show."""
    filters = _graph_filters(request.GET)
    errors, view = [], None
    try:
        view = graph_view(user=request.user, filters=filters, options=graph_options(filters))
    except (ValidationError, ApiValidationError) as error:
        errors = _error_messages(error)
    filterset = stakeholder_filterset(user=request.user, data=filters)
    tools = list_tools(
        request,
        key="graph_table",
        columns=NODE_COLUMNS,
        filterset=filterset if not errors else None,
        default_per_page=TABLE_PAGE_SIZE,
    )
    nodes, edges = [], []
    if view:
        if view.restricted_ids:
            restricted_read_record(
                user=request.user, method="GET", path=request.get_full_path(),
                stakeholder_ids=view.restricted_ids,
            )  # fmt: skip
        names = {node["id"]: node["name"] for node in view.nodes}
        kind_labels = dict(Kind.choices)
        tie_labels = dict(TieKind.choices)
        nodes = [
            {**node, "kind_label": kind_labels.get(node["kind"], node["kind"])}
            for node in view.nodes
        ]
        edges = [
            {**edge, "source_name": names[edge["source"]], "target_name": names[edge["target"]],
             "kind_label": tie_labels.get(edge["kind"], edge["kind"])}
            for edge in view.edges
        ]  # fmt: skip
        nodes = _sorted_rows(nodes, request.GET.get("ordering", ""), NODE_SORT_KEYS, "name")
        edges = _sorted_rows(edges, request.GET.get("tie_ordering", ""), EDGE_SORT_KEYS, "source")
    node_page = Paginator(nodes, tools.per_page).get_page(request.GET.get("page"))
    edge_page = Paginator(edges, tools.per_page).get_page(request.GET.get("tie_page"))
    return render(
        request,
        "graph/table.html",
        {
            **_filter_context(request),
            "view": view,
            "errors": errors,
            "tools": tools,
            "page_obj": node_page,
            "nodes": node_page.object_list,
            "edge_page": edge_page,
            "edges": edge_page.object_list,
            "graph_query": filters.urlencode(),
        },
    )


@login_required
@require_GET
def export(request, fmt: str):
    """GEXF, GraphML or a CSV edge list of the graph the current filters show."""
    if fmt not in EXPORT_FORMATS:
        return HttpResponseBadRequest("format: choose gexf, graphml or csv.")
    filters = _graph_filters(request.GET)
    try:
        view = graph_view(user=request.user, filters=filters, options=graph_options(filters))
    except (ValidationError, ApiValidationError) as error:
        return HttpResponseBadRequest("\n".join(_error_messages(error)))
    if view.restricted_ids:
        restricted_read_record(
            user=request.user, method="GET", path=request.get_full_path(),
            stakeholder_ids=view.restricted_ids,
        )  # fmt: skip
    content_type, extension = EXPORT_FORMATS[fmt]
    if fmt == "csv" and request.GET.get("of") == "actors":
        # The actors table as shown (sorted the same way), with its metrics.
        kind_labels = dict(Kind.choices)
        nodes = _sorted_rows(
            [{**node, "kind_label": kind_labels.get(node["kind"], node["kind"])}
             for node in view.nodes],
            request.GET.get("ordering", ""), NODE_SORT_KEYS, "name",
        )  # fmt: skip
        body = csv_text(
            ["id", "name", "kind", "country", "ties_shown", "betweenness", "constraint",
             "effective_size", "community"],
            (
                [node["id"], node["name"], node["kind_label"], node["country"] or "",
                 node["degree"],
                 *("" if (node.get("metrics") or {}).get(name) is None else node["metrics"][name]
                   for name in ("betweenness", "constraint", "effective_size", "community"))]
                for node in nodes
            ),
            bom=False,
        ).encode()  # fmt: skip
    elif fmt == "csv":
        # Names are typed by people: the shared writer defuses any that a spreadsheet would run.
        names = {node["id"]: node["name"] for node in view.nodes}
        body = csv_text(
            ["source_id", "source", "target_id", "target", "kind", "strength"],
            (
                [
                    edge["source"],
                    names[edge["source"]],
                    edge["target"],
                    names[edge["target"]],
                    edge["kind"],
                    edge["strength"],
                ]
                for edge in view.edges
            ),  # fmt: skip
            bom=False,
        ).encode()
    else:
        buffer = io.BytesIO()
        graph = view.as_networkx()
        if fmt == "gexf":
            nx.write_gexf(graph, buffer)
        else:
            nx.write_graphml(graph, buffer)
        body = buffer.getvalue()
    response = HttpResponse(body, content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="graph-{stamp}.{extension}"'
    return response
