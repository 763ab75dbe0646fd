"""Pages of the index: engagements (list, score card, forms), the dashboard and the methodology.

Views parse input and render; ``index.selectors`` reads and ``index.services`` writes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from partnerships.selectors import partnership_visible_to
from smartdiplomacy.exceptions import ApplicationError

from . import services
from .choices import Pillar
from .filtersets import EngagementFilterSet
from .forms import EngagementForm
from .models import Engagement
from .selectors import (
    engagement_list as engagement_list_query,
)
from .selectors import (
    engagement_participants_visible,
    index_dashboard,
    methodology_current,
    participant_counts_by_kind,
    score_indicators_visible,
    score_of,
)

PAGE_SIZE = 50
VIEW = "index.view_engagement"
ADD = "index.add_engagement"
CHANGE = "index.change_engagement"


@login_required
@permission_required(VIEW, raise_exception=True)
def engagement_list(request):
    methodology = methodology_current()
    filterset = EngagementFilterSet(
        request.GET, queryset=engagement_list_query(methodology=methodology)
    )
    page = Paginator(filterset.qs.order_by("-start_date", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "index/engagement_list.html",
        {
            "filterset": filterset,
            "page_obj": page,
            "engagements": page.object_list,
            "methodology": methodology,
            "can_add": request.user.has_perm(ADD),
        },
    )


def _pillar_rows(score, *, user):
    rows = []
    labels = dict(Pillar.choices)
    for pillar in Pillar.values:
        value = getattr(score, pillar) if score else None
        shown = score_indicators_visible(score.indicators, user=user) if score else []
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
    score = score_of(engagement=engagement, methodology=methodology)
    participants = engagement_participants_visible(engagement=engagement, user=request.user)
    labels = {}
    if methodology:
        labels = {spec["code"]: spec["label"] for spec in methodology.indicators}
    pillars = _pillar_rows(score, user=request.user)
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
            engagement = services.engagement_create(
                user=request.user,
                participants=form.participant_pairs(),
                outcomes=list(form.cleaned_data["outcomes"]),
                **fields,
            )
        else:
            engagement = services.engagement_update(
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
    return render(
        request,
        "index/dashboard.html",
        {"methodology": methodology, **index_dashboard(methodology=methodology)},
    )


@login_required
@permission_required("index.view_methodology", raise_exception=True)
def methodology(request):
    current = methodology_current()
    pillars = []
    if current:
        weights = current.pillar_weights
        total = sum(weights.values()) or 1
        for pillar, label in Pillar.choices:
            specs = [s for s in current.indicators if s["pillar"] == pillar]
            pillar_total = sum(s["weight"] for s in specs) or 1
            pillars.append(
                {
                    "label": label,
                    "weight": weights.get(pillar, 0),
                    "share": weights.get(pillar, 0) / total,
                    "indicators": [{**s, "share": s["weight"] / pillar_total} for s in specs],
                }
            )
    return render(request, "index/methodology.html", {"methodology": current, "pillars": pillars})
