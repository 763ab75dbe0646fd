"""Pages of relationships: log, read, edit and promote interactions; the stakeholder's timeline;
follow-ups and owners. Views parse input and render; selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from index.choices import EngagementKind, ParticipantRole
from index.forms import EngagementForm
from partnerships.selectors import partnership_visible_to
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.redirects import safe_next_url
from stakeholders.models import Outcome
from stakeholders.selectors import stakeholder_visible_to

from . import services
from .filtersets import FollowUpFilterSet, InteractionFilterSet
from .forms import FollowUpForm, InteractionForm, OwnerForm, SalienceForm
from .selectors import (
    follow_up_list,
    follow_up_visible_to,
    interaction_list,
    stakeholder_timeline,
)

PAGE_SIZE = 50
VIEW = "relationships.view_interaction"
ADD = "relationships.add_interaction"
CHANGE = "relationships.change_interaction"
DELETE = "relationships.delete_interaction"


def _visible_interaction(request, pk: int):
    return get_object_or_404(interaction_list(user=request.user), pk=pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def interaction_list_page(request):
    filterset = InteractionFilterSet(
        request.GET, queryset=interaction_list(user=request.user), request=request
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "relationships/interaction_list.html",
        {"filter": filterset, "page_obj": page, "interactions": page.object_list},
    )


def _context_from_query(request) -> tuple[dict, str]:
    """What the page the form was opened from knows (``?stakeholder=``, ``?outcome=``,
    ``?partnership=``), as initial values, and where to go back to."""
    initial: dict = {}
    back = reverse("relationships:interaction_list")
    stakeholder_id = request.GET.get("stakeholder")
    if stakeholder_id and stakeholder_id.isdigit():
        stakeholder = stakeholder_visible_to(request.user).filter(pk=stakeholder_id).first()
        if stakeholder is not None:
            initial["stakeholders"] = [stakeholder.pk]
            back = stakeholder.get_absolute_url()
    outcome_id = request.GET.get("outcome")
    if outcome_id and outcome_id.isdigit():
        outcome = Outcome.objects.filter(pk=outcome_id).first()
        if outcome is not None:
            initial["outcomes"] = [outcome.pk]
            back = outcome.get_absolute_url()
    partnership_id = request.GET.get("partnership")
    if partnership_id and partnership_id.isdigit():
        partnership = partnership_visible_to(request.user).filter(pk=partnership_id).first()
        if partnership is not None:
            initial["partnership"] = partnership.pk
            initial["stakeholders"] = [m.stakeholder_id for m in partnership.visible_members]
            initial["outcomes"] = [o.pk for o in partnership.outcomes.all()]
            back = partnership.get_absolute_url()
    return initial, back


@login_required
@permission_required(ADD, raise_exception=True)
def interaction_create(request):
    initial, back = _context_from_query(request)
    form = InteractionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            interaction = services.interaction_create(
                user=request.user, **form.interaction_fields()
            )
            title = form.cleaned_data.get("follow_up_title")
            if title:
                chosen = form.cleaned_data["stakeholders"]
                preferred = initial.get("stakeholders", [])
                stakeholder = next((s for s in chosen if s.pk in preferred), chosen[0])
                services.follow_up_create(
                    user=request.user,
                    stakeholder=stakeholder,
                    title=title,
                    due_date=form.cleaned_data["follow_up_due"],
                    owner=form.cleaned_data["follow_up_owner"] or request.user,
                    interaction=interaction,
                )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Interaction logged.")
            return redirect(safe_next_url(request, back))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "relationships/interaction_form.html",
        {"form": form, "back": safe_next_url(request, back)},
        status=status,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def interaction_detail(request, pk: int):
    interaction = _visible_interaction(request, pk)
    partnership = None
    if interaction.partnership_id:
        partnership = (
            partnership_visible_to(request.user)
            .prefetch_related(None)
            .filter(pk=interaction.partnership_id)
            .first()
        )
    follow_ups = follow_up_list(user=request.user).filter(interaction=interaction)
    return render(
        request,
        "relationships/interaction_detail.html",
        {
            "interaction": interaction,
            "partnership": partnership,
            "follow_ups": follow_ups,
            "can_promote": request.user.has_perm("index.add_engagement")
            and request.user.has_perm(CHANGE)
            and interaction.engagement_id is None,
        },
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
def interaction_update(request, pk: int):
    interaction = _visible_interaction(request, pk)
    form = InteractionForm(
        request.POST or None, user=request.user, initial=InteractionForm.initial_of(interaction)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_update(
                interaction=interaction, user=request.user, **form.interaction_fields()
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Interaction saved.")
            return redirect(interaction)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "relationships/interaction_form.html",
        {"form": form, "interaction": interaction, "back": interaction.get_absolute_url()},
        status=status,
    )


@login_required
@permission_required(DELETE, raise_exception=True)
def interaction_delete(request, pk: int):
    interaction = _visible_interaction(request, pk)
    error = None
    if request.method == "POST":
        try:
            services.interaction_delete(interaction=interaction, user=request.user)
        except ApplicationError as exc:
            error = str(exc)
        else:
            messages.success(request, "Interaction deleted.")
            return redirect("relationships:interaction_list")
    return render(
        request,
        "stakeholders/confirm_delete.html",
        {
            "what": "interaction",
            "object_label": interaction.title,
            "consequences": "Its follow-ups stay, without it. The history keeps a record.",
            "cancel_url": interaction.get_absolute_url(),
            "error": error,
        },
        status=400 if error else 200,
    )


KIND_TO_ENGAGEMENT = {
    "meeting": EngagementKind.MEETING,
    "call": EngagementKind.MEETING,
    "email": EngagementKind.CONSULTATION,
    "event": EngagementKind.CONFERENCE,
    "visit": EngagementKind.MEETING,
}


def _promote_initial(interaction) -> dict:
    return {
        "title": interaction.title,
        "kind": KIND_TO_ENGAGEMENT.get(interaction.kind, EngagementKind.MEETING),
        "format": "virtual" if interaction.kind in ("call", "email") else "in_person",
        # As text: the index form's date input would render a date in the locale's format,
        # which a browser's date input does not read.
        "start_date": interaction.date.isoformat(),
        "partnership": interaction.partnership_id,
        "outcomes": [o.pk for o in interaction.outcomes.all()],
        "other_participants": [s.pk for s in interaction.stakeholders.all()],
    }


@login_required
@permission_required("index.add_engagement", raise_exception=True)
@permission_required(CHANGE, raise_exception=True)
def interaction_promote(request, pk: int):
    """The index's engagement form, pre-filled with what the interaction knows; saving it
    records the engagement and links it to the interaction."""
    interaction = _visible_interaction(request, pk)
    if interaction.engagement_id is not None:
        return redirect(interaction.engagement)
    form = EngagementForm(request.POST or None, user=request.user)
    if request.method != "POST":
        form.initial.update(_promote_initial(interaction))
    if request.method == "POST" and form.is_valid():
        try:
            engagement = services.interaction_promote(
                interaction=interaction,
                user=request.user,
                participants=form.participant_pairs(),
                outcomes=list(form.cleaned_data["outcomes"]),
                **form.engagement_fields(),
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Engagement recorded from the interaction.")
            return redirect(engagement)
    return render(
        request,
        "relationships/interaction_promote.html",
        {"form": form, "interaction": interaction, "participant_role": ParticipantRole},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def timeline(request, pk: int):
    stakeholder = get_object_or_404(stakeholder_visible_to(request.user), pk=pk)
    page = request.GET.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 1000 else 1
    context = stakeholder_timeline(stakeholder=stakeholder, user=request.user, page=page)
    return render(request, "relationships/timeline.html", {"timeline": context})


@login_required
@permission_required("relationships.view_followup", raise_exception=True)
def follow_up_list_page(request):
    data = request.GET.copy()
    data.setdefault("mine", "true")
    data.setdefault("open", "true")
    filterset = FollowUpFilterSet(data, queryset=follow_up_list(user=request.user), request=request)
    page = Paginator(filterset.qs.order_by("due_date", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    from django.utils import timezone

    today = timezone.localdate()
    for row in page.object_list:
        row.overdue = row.done_at is None and row.due_date < today
    return render(
        request,
        "relationships/follow_up_list.html",
        {"filter": filterset, "page_obj": page, "follow_ups": page.object_list},
    )


@login_required
@permission_required("relationships.add_followup", raise_exception=True)
def follow_up_create(request, pk: int):
    stakeholder = get_object_or_404(stakeholder_visible_to(request.user), pk=pk)
    form = FollowUpForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_create(
                user=request.user,
                stakeholder=stakeholder,
                title=form.cleaned_data["title"],
                due_date=form.cleaned_data["due_date"],
                owner=form.cleaned_data["owner"],
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Follow-up added.")
            return redirect(stakeholder.get_absolute_url() + "#follow-ups")
    return render(
        request,
        "relationships/follow_up_form.html",
        {"form": form, "stakeholder": stakeholder},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
@permission_required("relationships.change_followup", raise_exception=True)
def follow_up_done(request, pk: int):
    follow_up = get_object_or_404(follow_up_visible_to(request.user), pk=pk)
    try:
        if request.POST.get("reopen"):
            services.follow_up_reopen(follow_up=follow_up, user=request.user)
        else:
            services.follow_up_complete(follow_up=follow_up, user=request.user)
    except ApplicationError as error:  # pragma: no cover - visible a moment ago
        raise Http404 from error
    return redirect(safe_next_url(request, follow_up.get_absolute_url()))


@login_required
@permission_required("relationships.change_stakeholderowner", raise_exception=True)
def owner_set(request, pk: int):
    stakeholder = get_object_or_404(stakeholder_visible_to(request.user), pk=pk)
    form = OwnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.stakeholder_owner_set(
                stakeholder=stakeholder, owner=form.cleaned_data["owner"], user=request.user
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Owner saved.")
            return redirect(stakeholder)
    return render(
        request,
        "relationships/owner_form.html",
        {"form": form, "stakeholder": stakeholder},
        status=400 if request.method == "POST" else 200,
    )


# --- salience -------------------------------------------------------------------------------


def _query_id(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@login_required
@permission_required("relationships.add_salienceassessment", raise_exception=True)
def salience_assess(request):
    """The quick salience form, opened from an outcome or stakeholder page (``?outcome=`` /
    ``?stakeholder=`` pre-fill it; an id the reader may not see pre-fills nothing)."""
    initial = {}
    stakeholder_id, outcome_id = _query_id(request, "stakeholder"), _query_id(request, "outcome")
    if stakeholder_id and stakeholder_visible_to(request.user).filter(pk=stakeholder_id).exists():
        initial["stakeholder"] = stakeholder_id
    if outcome_id and Outcome.objects.filter(pk=outcome_id).exists():
        initial["outcome"] = outcome_id
    form = SalienceForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.salience_assess(
                user=request.user,
                stakeholder=data["stakeholder"],
                outcome=data["outcome"],
                power=data["power"],
                legitimacy=data["legitimacy"],
                urgency=data["urgency"],
                assessed_on=data["assessed_on"],
                note=data["note"],
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(
                request,
                f"Assessed {assessment.stakeholder.name}: {assessment.salience.label.lower()}.",
            )
            default = assessment.outcome.get_absolute_url() + "#salience"
            return redirect(safe_next_url(request, default))
    return render(
        request,
        "relationships/salience_form.html",
        {"form": form, "next": safe_next_url(request, "")},
        status=400 if request.method == "POST" else 200,
    )
