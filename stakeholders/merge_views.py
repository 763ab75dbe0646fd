"""Pages for duplicates: the review queue of suggestions, the merge page, merge records and undo.

Everything starts from what the person may see: a pair with a hidden record is not in their
queue (nor its count), a hidden record named in a merge request answers as a missing one, a merge
record that involves one is a 404. Outcomes (public) are merged here too; what such a merge moved
of hidden actors is listed to cleared readers only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .choices import CAPABILITY_CHOICES, MACHINE_ORIGINS
from .duplicates import duplicate_dismiss, duplicate_suggestions
from .merge_undo import stakeholder_merge_undo
from .merging import MERGE_FIELDS, stakeholder_merge
from .models import MergeRecord, Outcome, Stakeholder
from .outcome_merging import OUTCOME_MERGE_FIELDS, outcome_merge
from .selectors import merge_record_visible_to, stakeholder_visible_to, user_is_cleared

MERGE_PERMISSION = "stakeholders.merge_stakeholder"
PAGE_SIZE = 50


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
def duplicate_list(request):
    """The review queue: suggested pairs, surest first, each to merge or dismiss."""
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    suggestions, total = duplicate_suggestions(
        user=request.user, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    paginator = Paginator(range(total), PAGE_SIZE)
    page_obj = paginator.get_page(number)
    return render(
        request,
        "stakeholders/duplicate_list.html",
        {"suggestions": suggestions, "total": total, "page_obj": page_obj},
    )


def _visible_or_404(user, pk) -> Stakeholder:
    try:
        return stakeholder_visible_to(user).get(pk=int(pk))
    except (Stakeholder.DoesNotExist, TypeError, ValueError):
        raise Http404("No such stakeholder.") from None


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
@require_http_methods(["POST"])
def duplicate_dismiss_view(request):
    a = _visible_or_404(request.user, request.POST.get("a"))
    b = _visible_or_404(request.user, request.POST.get("b"))
    try:
        duplicate_dismiss(a=a, b=b, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{a.name} and {b.name} will not be suggested again.")
    return redirect(reverse("stakeholders:duplicate_list"))


def _merge_ids(data) -> list[int]:
    ids = []
    for raw in data.getlist("ids"):
        for part in str(raw).split(","):
            if part.strip().isdigit() and int(part) not in ids:
                ids.append(int(part))
    return ids


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def merge_page(request):
    """Choose the survivor and, field by field, the surviving values of two or more records."""
    data = request.POST if request.method == "POST" else request.GET
    ids = _merge_ids(data)
    records = list(stakeholder_visible_to(request.user).filter(pk__in=ids, archived_at=None))
    records.sort(key=lambda r: ids.index(r.pk))
    if len(ids) < 2 or len(records) != len(ids):
        # One record, or one the person may not see (it answers as missing): nothing to merge.
        messages.error(request, "Choose two or more stakeholders to merge.")
        return redirect(reverse("stakeholders:duplicate_list"))
    errors: list[str] = []
    field_errors: dict[str, list[str]] = {}
    survivor_pk = records[0].pk
    if request.method == "POST":
        try:
            survivor_pk = int(request.POST.get("survivor", ""))
        except ValueError:
            survivor_pk = None
        survivor = next((r for r in records if r.pk == survivor_pk), None)
        values = {f: request.POST[f] for f in MERGE_FIELDS if request.POST.get(f)}
        if survivor is None:
            field_errors["survivor"] = ["Choose the record that survives."]
        else:
            try:
                record = stakeholder_merge(
                    survivor=survivor,
                    others=[r for r in records if r.pk != survivor.pk],
                    values=values,
                    user=request.user,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    field_errors = {k: list(v) for k, v in error.message_dict.items()}
                else:
                    errors = list(error.messages)
            else:
                messages.success(
                    request,
                    f"Merged {len(records) - 1} record{'s' if len(records) > 2 else ''} into "
                    f"{survivor.name}. You can undo this merge from its record.",
                )
                return redirect(record.get_absolute_url())
    rows = _field_rows(
        Stakeholder, MERGE_FIELDS, records, data=data, chosen=survivor_pk, errors=field_errors
    )
    general = errors + [
        f"{k.replace('_', ' ').capitalize()}: {m}"
        for k, ms in field_errors.items()
        if k not in MERGE_FIELDS
        for m in ms
    ]
    return render(
        request,
        "stakeholders/merge_page.html",
        {
            "records": records,
            "rows": rows,
            "survivor_pk": survivor_pk,
            "ids": ",".join(str(r.pk) for r in records),
            "errors": general,
        },
    )


def _shown(record, name: str):
    """A field's value as the merge page shows it."""
    value = getattr(record, name)
    display = getattr(record, f"get_{name}_display", None)
    if name in ("country", "country_of_origin"):
        return value.name if value else ""
    if name == "countries":
        return ", ".join(country.name for country in value)
    if name in ("capabilities", "needed_capabilities"):
        return ", ".join(label for bit, label in CAPABILITY_CHOICES if value & bit)
    if name in ("parent", "sector"):
        return str(value) if value else ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return display() if display else value


def _field_rows(model, fields, records, *, data, chosen, errors) -> list[dict]:
    """One row per field: each record's value, the one chosen checked, rows that differ marked."""
    rows = []
    for name in fields:
        selected = str(data.get(name) or chosen)
        cells = [
            {"record": r, "value": _shown(r, name), "checked": selected == str(r.pk)}
            for r in records
        ]
        rows.append(
            {
                "name": name,
                "label": model._meta.get_field(name).verbose_name.capitalize(),
                "cells": cells,
                "differs": len({str(c["value"]) for c in cells}) > 1,
                "errors": errors.get(name, []),
            }
        )
    return rows


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def outcome_merge_page(request):
    """Choose the surviving outcome and, field by field, the surviving values of two or more
    outcomes (from the outcome list's selection, or an outcome page and one more chosen here)."""
    data = request.POST if request.method == "POST" else request.GET
    ids = _merge_ids(data)
    records = list(Outcome.objects.filter(pk__in=ids).select_related("sector"))
    records.sort(key=lambda r: ids.index(r.pk))
    if not records or len(records) != len(ids):
        messages.error(request, "Choose two or more outcomes to merge.")
        return redirect(reverse("stakeholders:outcome_list"))
    errors: list[str] = []
    field_errors: dict[str, list[str]] = {}
    survivor_pk = records[0].pk
    if request.method == "POST" and len(records) > 1:
        survivor = next((r for r in records if str(r.pk) == request.POST.get("survivor")), None)
        values = {f: request.POST[f] for f in OUTCOME_MERGE_FIELDS if request.POST.get(f)}
        if survivor is None:
            field_errors["survivor"] = ["Choose the outcome that survives."]
        else:
            survivor_pk = survivor.pk
            try:
                record = outcome_merge(
                    survivor=survivor,
                    others=[r for r in records if r.pk != survivor.pk],
                    values=values,
                    user=request.user,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    field_errors = {k: list(v) for k, v in error.message_dict.items()}
                else:
                    errors = list(error.messages)
            else:
                count = len(records) - 1
                messages.success(
                    request,
                    f"Merged {count} outcome{'s' if count > 1 else ''} into {survivor.title}. "
                    "You can undo this merge from its record.",
                )
                return redirect(record.get_absolute_url())
    general = errors + [
        f"{k.replace('_', ' ').capitalize()}: {m}"
        for k, ms in field_errors.items()
        if k not in OUTCOME_MERGE_FIELDS
        for m in ms
    ]
    # With one outcome chosen (from its page), the others to merge it with: curated first.
    more = (
        Outcome.objects.exclude(pk__in=ids)
        .annotate(machine=Q(origin__in=MACHINE_ORIGINS, promoted_at__isnull=True))
        .order_by("machine", "title")
        .values_list("pk", "title")
        if len(records) == 1
        else []
    )
    return render(
        request,
        "stakeholders/outcome_merge_page.html",
        {
            "records": records,
            "rows": _field_rows(
                Outcome,
                OUTCOME_MERGE_FIELDS,
                records,
                data=data,
                chosen=survivor_pk,
                errors=field_errors,
            ),
            "survivor_pk": survivor_pk,
            "ids": ",".join(str(r.pk) for r in records),
            "errors": general,
            "more": more,
        },
    )


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
def merge_record_list(request):
    paginator = Paginator(merge_record_visible_to(request.user), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request, "stakeholders/merge_record_list.html", {"records": page_obj, "page_obj": page_obj}
    )


def _record_or_404(user, pk) -> MergeRecord:
    try:
        return merge_record_visible_to(user).get(pk=pk)
    except MergeRecord.DoesNotExist:
        raise Http404("No such merge.") from None


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
def merge_record_detail(request, pk: int):
    record = _record_or_404(request.user, pk)
    # What an outcome merge moved of hidden actors is for cleared readers only.
    restricted_summary = record.restricted_summary if user_is_cleared(request.user) else []
    return render(
        request,
        "stakeholders/merge_record_detail.html",
        {"record": record, "restricted_summary": restricted_summary},
    )


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
@require_http_methods(["POST"])
def merge_record_undo(request, pk: int):
    record = _record_or_404(request.user, pk)
    try:
        stakeholder_merge_undo(record=record, user=request.user)
    except ValidationError as error:
        messages.error(request, "Nothing was changed. " + " ".join(error.messages))
    else:
        messages.success(request, "The merge was undone: the merged records are back.")
    return redirect(record.get_absolute_url())
