"""Pages of the index: engagements (list, score card, forms), the dashboard and the methodology.

Views parse input and render; ``index.selectors`` reads and ``index.services`` writes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.list_tools import Column, list_tools
from partnerships.selectors import partnership_visible_to
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.spreadsheets import csv_response

from . import engagement_services, services
from .choices import Pillar
from .filtersets import EngagementFilterSet
from .forms import EngagementForm, MethodologyDraftForm
from .jobs import rescore_job_of, rescore_run_progress_payload
from .methodology_review import methodology_comparison, methodology_preview, methodology_sensitivity
from .models import Engagement, Methodology, RescoreRun
from .selectors import engagement_list as engagement_list_query
from .selectors import (
    engagement_participants_visible,
    methodology_current,
    participant_counts_by_kind,
    rescore_run_status_of,
    score_of,
    score_visible_to,
)
from .summaries import index_dashboard

PAGE_SIZE = 50
ENGAGEMENT_COLUMNS = [
    Column("title", "Engagement", required=True),
    Column("kind", "Kind"),
    Column("dates", "Dates"),
    Column("country", "Country"),
    Column("digital", "Digital"),
    Column("multi_stakeholder", "Multi-stakeholder"),
    Column("feminist", "Feminist"),
    Column("composite", "Composite"),
    Column("completeness", "Completeness"),
]
VIEW = "index.view_engagement"
ADD = "index.add_engagement"
CHANGE = "index.change_engagement"


@login_required
@permission_required(VIEW, raise_exception=True)
def engagement_list(request):
    methodology = methodology_current()
    filterset = EngagementFilterSet(
        request.GET,
        queryset=engagement_list_query(methodology=methodology, user=request.user),
        request=request,
    )
    tools = list_tools(
        request,
        key="engagements",
        columns=ENGAGEMENT_COLUMNS,
        filterset=filterset,
        default_per_page=PAGE_SIZE,
    )
    queryset = filterset.qs
    if filterset.is_valid() and filterset.form.cleaned_data.get("ordering"):
        # Unscored engagements last whichever way a score column is sorted.
        queryset = queryset.order_by(*_nulls_last(queryset.query.order_by), "-start_date", "-pk")
    else:
        queryset = queryset.order_by("-start_date", "-pk")
    page = Paginator(queryset, tools.per_page).get_page(request.GET.get("page"))
    return render(
        request,
        "index/engagement_list.html",
        {
            "filterset": filterset,
            "page_obj": page,
            "engagements": page.object_list,
            "tools": tools,
            "methodology": methodology,
            "can_add": request.user.has_perm(ADD),
        },
    )


def _nulls_last(order_by):
    expressions = []
    for term in order_by:
        if isinstance(term, str):
            name = term.lstrip("-")
            field = F(name)
            term = (
                field.desc(nulls_last=True) if term.startswith("-") else field.asc(nulls_last=True)
            )
        expressions.append(term)
    return expressions


EXPORT_COLUMNS = [
    "id", "title", "kind", "format", "start_date", "end_date", "country", "digital",
    "multi_stakeholder", "feminist", "composite", "completeness", "methodology",
]  # fmt: skip


def _export_rows(queryset, methodology):
    # Titles are typed by people: the shared writer defuses any cell a spreadsheet would run.
    version = str(methodology) if methodology else ""
    for e in queryset.iterator(chunk_size=500):
        yield [
            e.pk, e.title, e.get_kind_display(), e.get_format_display(), e.start_date or "",
            e.end_date or "", e.country.code if e.country else "",
            *(
                "" if getattr(e, name) is None else f"{getattr(e, name):.2f}"
                for name in ("digital", "multi_stakeholder", "feminist", "composite")
            ),
            "" if e.completeness is None else f"{e.completeness:.3f}",
            version,
        ]  # fmt: skip


@login_required
@permission_required(VIEW, raise_exception=True)
def engagement_export(request):
    """CSV of the engagement list as filtered and sorted on the page (all pages), with the
    scores the reader's audience reads. No participant is named."""
    methodology = methodology_current()
    filterset = EngagementFilterSet(
        request.GET,
        queryset=engagement_list_query(methodology=methodology, user=request.user),
        request=request,
    )
    if not filterset.is_valid():
        errors = "; ".join(
            f"{field}: {' '.join(problems)}" for field, problems in filterset.errors.items()
        )
        return HttpResponseBadRequest(f"Nothing exported. {errors}", content_type="text/plain")
    queryset = filterset.qs
    if filterset.form.cleaned_data.get("ordering"):
        queryset = queryset.order_by(*_nulls_last(queryset.query.order_by), "-start_date", "-pk")
    else:
        queryset = queryset.order_by("-start_date", "-pk")
    return csv_response(
        filename=f"engagements-{timezone.now():%Y%m%d-%H%M}.csv",
        header=EXPORT_COLUMNS,
        rows=_export_rows(queryset, methodology),
    )


def _pillar_rows(score):
    rows = []
    labels = dict(Pillar.choices)
    for pillar in Pillar.values:
        value = getattr(score, pillar) if score else None
        shown = [dict(indicator) for indicator in score.indicators] if score else []
        indicators = [i for i in shown if i["pillar"] == pillar]
        rows.append(
            {"pillar": pillar, "label": labels[pillar], "value": value, "indicators": indicators}
        )
    return rows


@login_required
@permission_required(VIEW, raise_exception=True)
def engagement_detail(request, pk: int):
    engagement = get_object_or_404(Engagement.objects.prefetch_related("outcomes"), pk=pk)
    methodology = methodology_current()
    score = score_of(engagement=engagement, methodology=methodology, user=request.user)
    participants = engagement_participants_visible(engagement=engagement, user=request.user)
    labels = {}
    if methodology:
        labels = {spec["code"]: spec["label"] for spec in methodology.indicators}
    pillars = _pillar_rows(score)
    for row in pillars:
        for indicator in row["indicators"]:
            indicator["label"] = labels.get(indicator["code"], indicator["code"])
    partnership = None
    if engagement.partnership_id:
        partnership = (
            partnership_visible_to(request.user)
            .prefetch_related(None)
            .filter(pk=engagement.partnership_id)
            .first()
        )
    return render(
        request,
        "index/engagement_detail.html",
        {
            "engagement": engagement,
            "partnership": partnership,
            "methodology": methodology,
            "score": score,
            "pillars": pillars,
            "participants": participants,
            "counts_by_kind": participant_counts_by_kind(participants),
            "can_change": request.user.has_perm(CHANGE),
        },
    )


def _save(request, form, engagement=None):
    fields = form.engagement_fields()
    try:
        if engagement is None:
            engagement = engagement_services.engagement_create(
                user=request.user,
                participants=form.participant_pairs(),
                outcomes=list(form.cleaned_data["outcomes"]),
                **fields,
            )
        else:
            engagement = engagement_services.engagement_update(
                engagement=engagement,
                user=request.user,
                participants=form.participant_pairs(),
                outcomes=list(form.cleaned_data["outcomes"]),
                **fields,
            )
    except ApplicationError as error:
        error.add_to_form(form)
        return None
    return engagement


@login_required
@permission_required(ADD, raise_exception=True)
def engagement_create(request):
    form = EngagementForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        engagement = _save(request, form)
        if engagement is not None:
            messages.success(request, "Engagement recorded; its score is being computed.")
            return redirect(engagement)
    status = 400 if request.method == "POST" else 200
    return render(request, "index/engagement_form.html", {"form": form}, status=status)


@login_required
@permission_required(CHANGE, raise_exception=True)
def engagement_update(request, pk: int):
    engagement = get_object_or_404(Engagement, pk=pk)
    form = EngagementForm(request.POST or None, instance=engagement, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, engagement=Engagement.objects.get(pk=pk))
        if saved is not None:
            messages.success(request, "Engagement saved; its score is being recomputed.")
            return redirect(saved)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "index/engagement_form.html",
        {"form": form, "engagement": engagement},
        status=status,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard(request):
    methodology = methodology_current()
    context = index_dashboard(methodology=methodology, user=request.user)
    return render(
        request,
        "index/dashboard.html",
        {"methodology": methodology, **context, "chart_data": _chart_data(context)},
    )


def _chart_data(context: dict) -> dict:
    """What the dashboard's charts draw (static/js/index_charts.js), as plain JSON; the tables
    beside the charts show the same figures to screen readers and without JavaScript."""
    from django_countries import countries

    if not context.get("count"):
        return {}

    def numeric(code: str) -> str | None:  # world-atlas names countries by ISO 3166-1 numeric
        number = countries.numeric(code)
        return f"{number:03d}" if number else None

    return {
        "countries": [
            {"numeric": numeric(row["country"]), "name": row["country_name"],
             "mean": row["mean_composite"], "count": row["count"]}
            for row in context["by_country"]
        ],
        "histogram": context["histogram"],
        "quarters": [
            {"quarter": row["quarter"], "count": row["count"], "composite": row["mean_composite"],
             "digital": row["mean_digital"], "multi_stakeholder": row["mean_multi_stakeholder"],
             "feminist": row["mean_feminist"]}
            for row in context["by_quarter"]
        ],
    }  # fmt: skip


@login_required
@permission_required("index.view_methodology", raise_exception=True)
def methodology(request):
    """The methodology page: the current published version, explained, with its sensitivity."""
    return _methodology_page(request, methodology_current())


# --- methodology versions, sensitivity and rescoring ---------------------------------------------

MANAGE_METHODOLOGY = "index.change_methodology"


def _methodology_pillars(methodology):
    pillars = []
    weights = methodology.pillar_weights
    total = sum(weights.values()) or 1
    for pillar, label in Pillar.choices:
        specs = [s for s in methodology.indicators if s["pillar"] == pillar]
        pillar_total = sum(s["weight"] for s in specs) or 1
        pillars.append(
            {
                "label": label,
                "weight": weights.get(pillar, 0),
                "share": weights.get(pillar, 0) / total,
                "indicators": [{**s, "share": s["weight"] / pillar_total} for s in specs],
            }
        )
    return pillars


@login_required
@permission_required("index.view_methodology", raise_exception=True)
def methodology_version(request, pk: int):
    version = get_object_or_404(Methodology, pk=pk)
    return _methodology_page(request, version)


def _methodology_page(request, version):
    context = {"methodology": version, "pillars": [], "sensitivity": None}
    if version is not None:
        context["pillars"] = _methodology_pillars(version)
        if version.published:
            context["sensitivity"] = methodology_sensitivity(methodology=version, user=request.user)
            context["rescore_run"] = version.rescore_runs.order_by("-pk").first()
        context["current"] = methodology_current()
    context["can_manage"] = request.user.has_perm(MANAGE_METHODOLOGY)
    return render(request, "index/methodology.html", context)


@login_required
@permission_required("index.view_methodology", raise_exception=True)
def methodology_versions(request):
    # The scores this reader reads: one per engagement (cleared people's own where they differ).
    readable = score_visible_to(request.user).values("pk")
    versions = Methodology.objects.annotate(
        score_count=Count("scores", filter=Q(scores__in=readable))
    ).order_by("name", "-version")
    return render(
        request,
        "index/methodology_versions.html",
        {
            "versions": versions,
            "current": methodology_current(),
            "can_manage": request.user.has_perm(MANAGE_METHODOLOGY),
        },
    )


@login_required
@permission_required(MANAGE_METHODOLOGY, raise_exception=True)
@require_POST
def methodology_copy(request, pk: int):
    source = get_object_or_404(Methodology, pk=pk)
    draft = services.methodology_copy(methodology=source)
    messages.success(request, f"{draft} is a draft copy of {source}: edit it, then publish.")
    return redirect("index:methodology_edit", pk=draft.pk)


@login_required
@permission_required(MANAGE_METHODOLOGY, raise_exception=True)
def methodology_edit(request, pk: int):
    version = get_object_or_404(Methodology, pk=pk)
    if version.published:
        messages.error(request, f"{version} is published and cannot change; copy it instead.")
        return redirect("index:methodology_version", pk=version.pk)
    form = MethodologyDraftForm(request.POST or None, methodology=version)
    if request.method == "POST" and form.is_valid():
        try:
            services.methodology_update(methodology=version, **form.methodology_fields())
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, f"{version} saved (still a draft).")
            return redirect("index:methodology_version", pk=version.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "methodology": version}
    return render(request, "index/methodology_form.html", context, status=status)


@login_required
@permission_required(MANAGE_METHODOLOGY, raise_exception=True)
def methodology_publish(request, pk: int):
    """GET: what publishing would change, and a confirmation; POST (confirmed): publish."""
    version = get_object_or_404(Methodology, pk=pk)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        if version.published:
            return redirect("index:methodology_version", pk=version.pk)
        return render(
            request,
            "index/methodology_publish.html",
            {"methodology": version,
             "preview": methodology_preview(methodology=version, user=request.user)},
        )  # fmt: skip
    try:
        services.methodology_publish(methodology=version, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message_text)
        return redirect("index:methodology_version", pk=version.pk)
    run = version.rescore_runs.order_by("-pk").first()
    messages.success(request, f"{version} published: every engagement is being rescored under it.")
    return redirect(run) if run else redirect("index:methodology_version", pk=version.pk)


@login_required
@permission_required(MANAGE_METHODOLOGY, raise_exception=True)
@require_POST
def rescore_start(request, pk: int):
    version = get_object_or_404(Methodology, pk=pk)
    try:
        run = services.rescore_run_start(methodology=version, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message_text)
        return redirect("index:methodology_version", pk=version.pk)
    return redirect(run)


@login_required
@permission_required("index.view_methodology", raise_exception=True)
def rescore_run_detail(request, pk: int):
    run = get_object_or_404(RescoreRun.objects.select_related("methodology", "started_by"), pk=pk)
    comparison = None
    if run.status == RescoreRun.Status.DONE:
        comparison = methodology_comparison(methodology=run.methodology, user=request.user)
    return render(
        request,
        "index/rescore_run_detail.html",
        {"run": run, "comparison": comparison, "progress": rescore_job_of(run)},
    )


@login_required
@permission_required("index.view_methodology", raise_exception=True)
def rescore_run_status(request, pk: int):
    run = get_object_or_404(RescoreRun, pk=pk)
    # The one progress partial's fields as "job" (static/js/jobs.js).
    return JsonResponse({**rescore_run_status_of(run), "job": rescore_run_progress_payload(run)})
