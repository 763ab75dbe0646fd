"""The registry's pages as recorded on a past day (``?as_of=YYYY-MM-DD`` on a stakeholder's or an
outcome's page) and the diff between two days (``/registry/diff/``, its CSV).

The reads are ``stakeholders.history``'s; these views parse the days, turn its answers into pages
and never name what the reader may not see today. A page as of a day shows what was recorded
then, not what is derived today (candidates, scores, the timeline: their panels are left out).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from smartdiplomacy.spreadsheets import csv_response

from .exports import record_restricted_export
from .history import (
    NotRecordedYet,
    RegistryDiff,
    day_parse,
    outcome_as_of,
    registry_diff,
    stakeholder_as_of,
)
from .models import Outcome, Sector, Stake, Stakeholder, Tie
from .selectors import stakeholder_names_visible_to, stakeholder_visible_to, user_is_cleared
from .view_helpers import _history_value, _positions, _power_interest_grid

# The diff's default window when no day is given: the last 30 days.
DEFAULT_WINDOW_DAYS = 30


def _as_of_url(name: str, pk: int, day: datetime.date) -> str:
    return f"{reverse(name, args=[pk])}?{urlencode({'as_of': day.isoformat()})}"


def _date_error(request, *, template_title: str, back_url: str, error: ValidationError):
    messages = [m for values in error.message_dict.values() for m in values]
    return render(
        request,
        "stakeholders/as_of_error.html",
        {"title": template_title, "back_url": back_url, "errors": messages,
         "value": request.GET.get("as_of", "")},
        status=400,
    )  # fmt: skip


def _not_recorded(request, *, title: str, back_url: str, day: datetime.date):
    return render(
        request,
        "stakeholders/as_of_missing.html",
        {"title": title, "back_url": back_url, "day": day},
        status=404,
    )


# --- a stakeholder as of a day --------------------------------------------------------------------


@dataclass
class _Actor:
    """A stakeholder as recorded then, linked to its page as of the same day."""

    record: Any
    day: datetime.date

    def __getattr__(self, name):
        return getattr(self.record, name)

    @property
    def pk(self) -> int:
        return self.record.id

    def get_absolute_url(self) -> str:
        return _as_of_url("stakeholders:stakeholder_detail", self.record.id, self.day)

    def __str__(self) -> str:
        record = self.record
        return f"{record.name} ({record.acronym})" if record.acronym else record.name


def stakeholder_as_of_page(request, pk: int):
    """The stakeholder page as recorded at the end of ``as_of``."""
    user = request.user
    back = reverse("stakeholders:stakeholder_detail", args=[pk])
    try:
        day = day_parse(request.GET.get("as_of"))
    except ValidationError as error:
        if not stakeholder_visible_to(user).filter(pk=pk).exists():
            raise Http404("No such stakeholder.") from None
        return _date_error(request, template_title="Stakeholder", back_url=back, error=error)
    assert day is not None
    try:
        recorded = stakeholder_as_of(user=user, pk=pk, day=day)
    except NotRecordedYet:
        name = stakeholder_names_visible_to(user, [pk]).get(pk, "This stakeholder")
        return _not_recorded(request, title=name, back_url=back, day=day)
    if recorded is None:
        raise Http404("No such stakeholder.")
    sector_names = dict(
        Sector.objects.filter(code__in=recorded.sectors).values_list("code", "name")
    )
    context = {
        "day": day,
        "back_url": back,
        "stakeholder": recorded.stakeholder,
        "sectors": [(code, sector_names.get(code, code)) for code in recorded.sectors],
        "parent": _Actor(recorded.parent, day) if recorded.parent else None,
        "stakes": [
            {
                "stake": row["stake"],
                "outcome": row["outcome"],
                "url": _as_of_url("stakeholders:outcome_detail", row["outcome"].id, day),
            }
            for row in recorded.stakes
        ],  # fmt: skip
        "ties": [
            {"tie": row["tie"], "outgoing": row["outgoing"], "other": _Actor(row["other"], day)}
            for row in recorded.ties
        ],
        "is_cleared": user_is_cleared(user),
        "diff_url": f"{reverse('stakeholders:registry_diff')}?"
        + urlencode({"from": day.isoformat(), "stakeholder": pk}),
    }
    return render(request, "stakeholders/stakeholder_as_of.html", context)


# --- an outcome as of a day -----------------------------------------------------------------------


@dataclass
class _StakeThen:
    """A stake as recorded then, shaped as the power–interest grid reads a stake."""

    record: Any
    stakeholder: _Actor

    def __getattr__(self, name):
        return getattr(self.record, name)

    @property
    def pk(self) -> int:
        return self.record.id


def outcome_as_of_page(request, pk: int):
    back = reverse("stakeholders:outcome_detail", args=[pk])
    try:
        day = day_parse(request.GET.get("as_of"))
    except ValidationError as error:
        if not Outcome.objects.filter(pk=pk).exists():
            raise Http404("No such outcome.") from None
        return _date_error(request, template_title="Outcome", back_url=back, error=error)
    assert day is not None
    try:
        recorded = outcome_as_of(user=request.user, pk=pk, day=day)
    except NotRecordedYet:
        title = Outcome.objects.filter(pk=pk).values_list("title", flat=True).first()
        return _not_recorded(request, title=title or "This outcome", back_url=back, day=day)
    if recorded is None:
        raise Http404("No such outcome.")
    stakes = [_StakeThen(row["stake"], _Actor(row["stakeholder"], day)) for row in recorded.stakes]
    context = {
        "day": day,
        "back_url": back,
        "outcome": recorded.outcome,
        "stakes": stakes,
        "grid": _power_interest_grid(stakes),
        "positions": _positions(stakes),
        "diff_url": f"{reverse('stakeholders:registry_diff')}?"
        + urlencode({"from": day.isoformat(), "outcome": pk}),
    }
    return render(request, "stakeholders/outcome_as_of.html", context)


# --- the diff -------------------------------------------------------------------------------------


class DiffQuery:
    """The diff's parameters, parsed and checked: ``from``, ``to`` (days), ``stakeholder`` and
    ``outcome`` (ids the reader may see today; any other is refused like a missing one)."""

    def __init__(self, data, *, user):
        self.errors: dict[str, list[str]] = {}
        today = timezone.localdate()
        self.end = self._day(data, "to") or today
        self.start = self._day(data, "from") or (
            self.end - datetime.timedelta(days=DEFAULT_WINDOW_DAYS)
        )
        if not self.errors and self.start > self.end:
            self.errors["from"] = ["The first day must not be after the second."]
        self.stakeholder = self._id(data, "stakeholder", stakeholder_visible_to(user))
        self.outcome = self._id(data, "outcome", Outcome.objects.all())

    def _day(self, data, name):
        try:
            return day_parse(data.get(name), field=name)
        except ValidationError as error:
            self.errors.update(error.message_dict)
            return None

    def _id(self, data, name, queryset) -> int | None:
        value = (data.get(name) or "").strip()
        if not value:
            return None
        if value.isdigit() and queryset.filter(pk=int(value)).exists():
            return int(value)
        self.errors[name] = [f"No such {name}."]
        return None

    def diff(self, user) -> RegistryDiff:
        return registry_diff(
            user=user,
            start=self.start,
            end=self.end,
            stakeholder=self.stakeholder,
            outcome=self.outcome,
        )


FIELD_MODELS = {"stakeholder": Stakeholder, "outcome": Outcome, "stake": Stake, "tie": Tie}


def _shown(what: str, name: str, value, parent_names) -> str:
    if name == "countries":
        return ", ".join(countries.name(code) or code for code in value) or "—"
    if name in ("start_date", "end_date"):
        return value.isoformat() if value else "—"
    return _history_value(FIELD_MODELS[what]._meta.get_field(name), value, parent_names)


def diff_rows(diff: RegistryDiff, *, user) -> list[dict]:
    """The diff's entries with field labels and values as people read them (one query for the
    names of recorded parents)."""
    parent_ids = {
        value
        for entry in diff.entries
        for change in entry.fields
        if change["field"] == "parent"
        for value in (change["before"], change["after"])
    }
    parent_names = stakeholder_names_visible_to(user, parent_ids)
    rows = []
    for entry in diff.entries:
        model = FIELD_MODELS[entry.what]
        fields = [
            {
                "field": change["field"],
                "label": str(model._meta.get_field(change["field"]).verbose_name).capitalize(),
                "before": _shown(entry.what, change["field"], change["before"], parent_names),
                "after": _shown(entry.what, change["field"], change["after"], parent_names),
            }
            for change in entry.fields
        ]
        rows.append({"entry": entry, "fields": fields, "url": _entry_url(entry, diff.end)})
    return rows


def _entry_url(entry, day: datetime.date) -> str | None:
    if entry.what == "outcome":
        return _as_of_url("stakeholders:outcome_detail", entry.id, day)
    if entry.stakeholder_ids:
        return _as_of_url("stakeholders:stakeholder_detail", entry.stakeholder_ids[0], day)
    return None


@login_required
def registry_diff_page(request):
    query = DiffQuery(request.GET, user=request.user)
    context: dict[str, Any] = {
        "query": query,
        "errors": query.errors,
        "today": timezone.localdate(),
        "kinds": [("stakeholder", "Stakeholders"), ("outcome", "Outcomes"),
                  ("stake", "Stakes"), ("tie", "Ties")],
    }  # fmt: skip
    status = 400 if query.errors else 200
    if not query.errors:
        diff = query.diff(request.user)
        context["diff"] = diff
        counts = diff.counts()
        context["summary"] = [{"label": label, **counts[what]} for what, label in context["kinds"]]
        context["rows"] = diff_rows(diff, user=request.user)
        context["csv_query"] = request.GET.urlencode()
        names = stakeholder_names_visible_to(request.user, [query.stakeholder])
        context["stakeholder_name"] = names.get(query.stakeholder) if query.stakeholder else None
        context["outcome_title"] = (
            Outcome.objects.filter(pk=query.outcome).values_list("title", flat=True).first()
            if query.outcome
            else None
        )
    return render(request, "stakeholders/registry_diff.html", context, status=status)


DIFF_COLUMNS = ["record", "id", "change", "label", "field", "before", "after"]


def diff_csv_rows(diff: RegistryDiff, *, user):
    """One row per added or removed record, one per changed field."""
    for row in diff_rows(diff, user=user):
        entry = row["entry"]
        if not row["fields"]:
            yield [entry.what, entry.id, entry.change, entry.label, "", "", ""]
        for change in row["fields"]:
            yield [entry.what, entry.id, entry.change, entry.label, change["field"],
                   change["before"], change["after"]]  # fmt: skip


@login_required
def registry_diff_export(request):
    query = DiffQuery(request.GET, user=request.user)
    if query.errors:
        return registry_diff_page(request)
    diff = query.diff(request.user)
    _audit_restricted(diff, user=request.user, query=request.GET.urlencode())
    return csv_response(
        filename=f"registry-diff-{query.start:%Y%m%d}-{query.end:%Y%m%d}.csv",
        header=DIFF_COLUMNS,
        rows=diff_csv_rows(diff, user=request.user),
    )


def _audit_restricted(diff: RegistryDiff, *, user, query: str) -> None:
    """A CSV giving a cleared person restricted actors is logged like the registry's exports."""
    if not user_is_cleared(user):
        return
    ids = {pk for entry in diff.entries for pk in entry.stakeholder_ids}
    if ids:
        record_restricted_export(
            queryset=Stakeholder.objects.filter(pk__in=ids), user=user, query=query
        )
