"""The "left stakes" review page: stakes left on archived outcomes, one decision each."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .left_stakes import (
    Action,
    left_stake_decide,
    left_stake_targets,
    left_stakes_decisions_visible_to,
    left_stakes_grouped,
    left_stakes_visible_to,
)

DECIDE_PERMISSION = "stakeholders.change_stake"
RECENT_DECISIONS = 20


class LeftStakeDecisionForm(forms.Form):
    stake = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=Action.choices)
    outcome = forms.ModelChoiceField(
        queryset=left_stake_targets(),
        required=False,
        empty_label="(the outcome it was merged into)",
    )
    note = forms.CharField(max_length=300, required=False)


@login_required
@permission_required(DECIDE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def left_stakes_page(request):
    user = request.user
    errors: dict[int, list[str]] = {}
    if request.method == "POST":
        form = LeftStakeDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                "; ".join(f"{name}: {' '.join(text)}" for name, text in form.errors.items()),
            )
            return redirect(reverse("stakeholders:left_stakes"))
        stake = left_stakes_visible_to(user).filter(pk=form.cleaned_data["stake"]).first()
        if stake is None:  # gone, decided, or not theirs to see: the same answer
            raise Http404("No such left stake.")
        action, outcome = form.cleaned_data["action"], form.cleaned_data["outcome"]
        if action == Action.MOVE and outcome is None:
            outcome = stake.outcome.merged_into  # may be archived itself: the service says so
        try:
            left_stake_decide(
                stake=stake, action=action, outcome=outcome, note=form.cleaned_data["note"],
                user=user,
            )  # fmt: skip
        except ValidationError as error:
            errors[stake.pk] = [
                f"{field}: {message}"
                for field, texts in error.message_dict.items()
                for message in texts
            ]
        else:
            done = Action(action).label.lower()
            messages.success(
                request, f"{stake.stakeholder.name}'s stake in “{stake.outcome.title}”: {done}."
            )
            return redirect(reverse("stakeholders:left_stakes"))
    stakes = list(left_stakes_visible_to(user))
    targets = list(left_stake_targets().only("id", "title"))
    return render(
        request,
        "stakeholders/left_stakes.html",
        {
            "groups": left_stakes_grouped(stakes),
            "count": len(stakes),
            "targets": targets,
            "actions": Action.choices,
            "errors": errors,
            "decisions": list(left_stakes_decisions_visible_to(user)[:RECENT_DECISIONS]),
        },
        status=400 if errors else 200,
    )
