"""Pages for duplicates: the review queue of suggestions, the merge page, merge records and undo.

Everything starts from what the person may see: a pair with a hidden record is not in their
queue (nor its count), a hidden record named in a merge request answers as a missing one, a merge
record that involves one is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .choices import CAPABILITY_CHOICES
from .duplicates import duplicate_dismiss, duplicate_suggestions
from .merging import MERGE_FIELDS, stakeholder_merge, stakeholder_merge_undo
from .models import MergeRecord, Stakeholder
from .selectors import merge_record_visible_to, stakeholder_visible_to

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
    rows = []
    for name in MERGE_FIELDS:
        field = Stakeholder._meta.get_field(name)
        chosen = str(data.get(name) or survivor_pk)
        cells = []
        for record in records:
            value = getattr(record, name)
            display = getattr(record, f"get_{name}_display", None)
            shown = display() if display else value
            if name in ("country", "country_of_origin"):
                shown = value.name if value else ""
            elif name == "capabilities":
                shown = ", ".join(label for bit, label in CAPABILITY_CHOICES if value & bit)
            elif name == "parent":
                shown = value.name if value else ""
            elif isinstance(value, bool):
                shown = "Yes" if value else "No"
            cells.append({"record": record, "value": shown, "checked": chosen == str(record.pk)})
        distinct = len({str(c["value"]) for c in cells}) > 1
        rows.append(
            {
                "name": name,
                "label": field.verbose_name.capitalize(),
                "cells": cells,
                "differs": distinct,
                "errors": field_errors.get(name, []),
            }
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
    return render(request, "stakeholders/merge_record_detail.html", {"record": record})


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
