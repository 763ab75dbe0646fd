"""Pages of partnerships: all partnerships (with filters and CSV export), my proposals, the review
queue, a partnership's page with its timeline, the proposal form (from scratch or from a
candidate), workflow steps, and the live member search. Views parse input; selectors read and
``partnerships.workflow`` writes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.list_tools import Column, list_tools
from accounts.services import restricted_read_record
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.spreadsheets import csv_response
from stakeholders.selectors import user_is_cleared

from . import workflow
from .filtersets import PartnershipFilterSet
from .forms import CommentForm, MemberFormSet, PartnershipForm, TransitionForm
from .selectors import (
    partnership_candidate_prefill,
    partnership_list_of_proposer,
    partnership_promoted_pairs,
    partnership_restricted_member_ids,
    partnership_review_queue,
    partnership_timeline_entries,
    partnership_visible_to,
)
from .selectors import (
    stakeholder_search as stakeholder_search_rows,
)

PAGE_SIZE = 25
PARTNERSHIP_COLUMNS = [
    Column("title", "Partnership", required=True),
    Column("status", "Status"),
    Column("members", "Members"),
    Column("outcomes", "Outcomes"),
    Column("proposer", "Proposer"),
    Column("updated", "Updated / submitted"),
]
VIEW = "partnerships.view_partnership"
ADD = "partnerships.add_partnership"
REVIEW = "partnerships.review_partnership"


def _list_page(request, queryset, *, template: str, heading: str, key: str, extra=None):
    filterset = PartnershipFilterSet(request.GET, queryset=queryset, request=request)
    tools = list_tools(
        request, key=key, columns=PARTNERSHIP_COLUMNS, filterset=filterset,
        default_per_page=PAGE_SIZE,
    )  # fmt: skip
    queryset = filterset.qs
    if queryset.query.order_by:  # a stable order when the chosen sort key has ties
        queryset = queryset.order_by(*queryset.query.order_by, "-pk")
    page = Paginator(queryset, tools.per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "filterset": filterset,
            "page_obj": page,
            "partnerships": list(page.object_list),
            "heading": heading,
            "tools": tools,
            "query": query.urlencode(),
            "can_propose": workflow.user_may_propose(request.user),
            **(extra or {}),
        },
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def partnership_list(request):
    return _list_page(
        request,
        partnership_visible_to(request.user),
        template="partnerships/partnership_list.html",
        heading="Partnerships",
        key="partnerships",
        extra={"export": True},
    )


@login_required
@permission_required(ADD, raise_exception=True)
def my_proposals(request):
    return _list_page(
        request,
        partnership_list_of_proposer(request.user),
        template="partnerships/partnership_list.html",
        heading="My proposals",
        key="my_proposals",
    )


@login_required
@permission_required(REVIEW, raise_exception=True)
def review_queue(request):
    return _list_page(
        request,
        partnership_review_queue(request.user),
        template="partnerships/partnership_review_queue.html",
        heading="Review queue",
        key="review_queue",
    )


EXPORT_COLUMNS = [
    "id", "title", "status", "proposer", "outcomes", "members", "start_date", "end_date",
    "updated_at",
]  # fmt: skip


def _export_rows(queryset):
    # Titles, names and contributions are typed by people: the shared writer defuses any cell
    # that a spreadsheet would run as a formula.
    for p in queryset.iterator(chunk_size=500):
        yield list(
            (
                p.pk,
                p.title,
                p.get_status_display(),
                p.proposer.get_username() if p.proposer else "",
                "; ".join(o.title for o in p.outcomes.all()),
                "; ".join(
                    f"{m.stakeholder.name} ({m.get_role_display()})" for m in p.visible_members
                ),
                p.start_date or "",
                p.end_date or "",
                p.updated_at.isoformat(timespec="seconds"),
            )
        )


@login_required
@permission_required(VIEW, raise_exception=True)
def partnership_export(request):
    """CSV of the filtered list; hidden members are left out like on the page. An export in
    which a cleared person receives restricted members is recorded first (who, which filters,
    which actors) in the same audit history as the API's restricted reads."""
    filterset = PartnershipFilterSet(
        request.GET, queryset=partnership_visible_to(request.user), request=request
    )
    if not filterset.is_valid():
        errors = "; ".join(
            f"{field}: {' '.join(messages_)}" for field, messages_ in filterset.errors.items()
        )
        return HttpResponseBadRequest(f"Nothing exported. {errors}", content_type="text/plain")
    queryset = filterset.qs
    if user_is_cleared(request.user):
        restricted_read_record(
            user=request.user,
            method=request.method,
            path=request.get_full_path(),
            stakeholder_ids=partnership_restricted_member_ids(queryset, request.user),
        )
    return csv_response(
        filename=f"partnerships-{timezone.now():%Y%m%d-%H%M}.csv",
        header=EXPORT_COLUMNS,
        rows=_export_rows(queryset),
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def partnership_detail(request, pk: int):
    partnership = get_object_or_404(partnership_visible_to(request.user), pk=pk)
    return _detail_page(request, partnership)


def _detail_page(request, partnership, *, transition_form=None, status: int = 200):
    return render(
        request,
        "partnerships/partnership_detail.html",
        {
            "partnership": partnership,
            "members": partnership.visible_members,
            "timeline": partnership_timeline_entries(partnership),
            "comment_form": CommentForm(),
            "actions": workflow.partnership_actions_for(request.user, partnership),
            "can_edit": workflow.user_may_edit(request.user, partnership),
            "transition_form": transition_form
            or TransitionForm(initial={"version": partnership.version}),
            "promoted_from": partnership_promoted_pairs(partnership=partnership, user=request.user),
        },
        status=status,
    )


def _render_form(
    request, form, formset, *, partnership=None, candidate=None, prefill=None, status=200
):
    return render(
        request,
        "partnerships/partnership_form.html",
        {
            "form": form,
            "formset": formset,
            "partnership": partnership,
            "candidate": candidate,
            "candidate_restricted": bool(prefill and prefill["restricted"]),
        },
        status=status,
    )


@login_required
@permission_required(ADD, raise_exception=True)
def partnership_create(request):
    if not workflow.user_may_propose(request.user):
        raise PermissionDenied
    pair = request.POST.get("candidate") or request.GET.get("candidate")
    prefill = partnership_candidate_prefill(user=request.user, pair=pair) if pair else None
    candidate = prefill["candidate"] if prefill else None
    if request.method == "POST":
        form = PartnershipForm(request.POST)
        formset = MemberFormSet(request.POST, prefix="members", user=request.user)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                partnership = workflow.partnership_create_draft(
                    proposer=request.user,
                    title=data["title"],
                    rationale=data["rationale"],
                    outcomes=data["outcomes"],
                    resources=data["resources"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    risks=data["risks"],
                    do_no_harm=data["do_no_harm"],
                    members=formset.members(),
                    candidate=candidate,
                )
            except ApplicationError as error:
                error.add_to_form(form)
            else:
                messages.success(request, "Draft saved. Submit it for review when it is ready.")
                return redirect(partnership)
        return _render_form(
            request, form, formset, candidate=candidate, prefill=prefill, status=400
        )
    if prefill:
        form = PartnershipForm(initial={k: prefill[k] for k in ("title", "rationale", "outcomes")})
        formset = MemberFormSet(
            prefix="members",
            user=request.user,
            initial=[{**m, "role": "other"} for m in prefill["members"]],
        )
    else:
        form = PartnershipForm()
        formset = MemberFormSet(prefix="members", user=request.user, initial=[{}, {}])
    return _render_form(request, form, formset, candidate=candidate, prefill=prefill)


@login_required
@permission_required(ADD, raise_exception=True)
def partnership_update(request, pk: int):
    partnership = get_object_or_404(partnership_visible_to(request.user), pk=pk)
    if not workflow.user_may_edit(request.user, partnership):
        raise PermissionDenied
    if request.method == "POST":
        form = PartnershipForm(request.POST, instance=partnership)
        formset = MemberFormSet(request.POST, prefix="members", user=request.user)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                # form.instance already carries the new values; the service writes them.
                partnership.refresh_from_db()
                workflow.partnership_update(
                    partnership=partnership,
                    user=request.user,
                    members=formset.members(),
                    outcomes=data["outcomes"],
                    expected_version=_int(request.POST.get("version")),
                    **{name: data[name] for name in workflow.FIELDS},
                )
            except ApplicationError as error:
                error.add_to_form(form)
            else:
                messages.success(request, "Saved.")
                return redirect("partnerships:partnership_detail", pk=pk)
        return _render_form(request, form, formset, partnership=partnership, status=400)
    form = PartnershipForm(instance=partnership)
    formset = MemberFormSet(
        prefix="members",
        user=request.user,
        # Only members this person may see: an editor always may (they added them).
        initial=[
            {"stakeholder": m.stakeholder_id, "role": m.role, "contribution": m.contribution}
            for m in partnership.visible_members
        ],
    )
    return _render_form(request, form, formset, partnership=partnership)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def partnership_transition(request, pk: int):
    partnership = get_object_or_404(partnership_visible_to(request.user), pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a step.")
        return redirect(partnership)
    action = form.cleaned_data["action"]
    try:
        with transaction.atomic():
            workflow.SERVICES[action](
                partnership=partnership,
                user=request.user,
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"],
            )
    except ApplicationError as error:
        if error.field == "comment":
            # Said at the field, with what was typed kept: "Say why, for the proposer."
            error.add_to_form(form)
            return _detail_page(request, partnership, transition_form=form, status=400)
        messages.error(request, str(error))
    else:
        partnership.refresh_from_db()
        proposer = partnership.proposer.get_full_name() if partnership.proposer else ""
        done = workflow.ACTION_DONE[action]
        if action == "send_back" and proposer:
            done = f"Sent back to {proposer}"
        messages.success(request, f"{done}: “{partnership.title}”.")
        if not partnership_visible_to(request.user).filter(pk=partnership.pk).exists():
            # The step took it out of this person's sight (a proposal sent back is its
            # proposer's again): land where their work continues, not on a missing page.
            queue = workflow.user_may_review(request.user, partnership)
            return redirect(
                "partnerships:review_queue" if queue else "partnerships:partnership_list"
            )
    return redirect(partnership)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def partnership_comment_add(request, pk: int):
    """Post a comment from the partnership's page; an invalid one is shown again with its error."""
    partnership = get_object_or_404(partnership_visible_to(request.user), pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            workflow.partnership_comment_add(
                partnership=partnership, author=request.user, body=form.cleaned_data["body"]
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Comment posted.")
            return redirect(f"{partnership.get_absolute_url()}#comments")
    for error in form.errors.get("body", []):
        messages.error(request, error)
    return redirect(f"{partnership.get_absolute_url()}#comment-form")


@login_required
@permission_required(ADD, raise_exception=True)
def stakeholder_search(request):
    """Live member search: ``?q=`` → up to 20 stakeholders this person may see."""
    return JsonResponse(
        {"results": stakeholder_search_rows(user=request.user, query=request.GET.get("q", ""))}
    )
