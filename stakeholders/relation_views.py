"""The registry's stake and tie pages: add (from a stakeholder's or an outcome's page), edit,
delete. A stake or tie is looked up through the restriction selectors first, so one of a hidden
actor is a 404 for anyone not cleared; only then is the permission to change it checked."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from smartdiplomacy.object_views import object_delete_view, object_form_view
from smartdiplomacy.redirects import safe_next_url

from . import services
from .forms import StakeForm, TieForm
from .models import Outcome
from .selectors import (
    stake_visible_to,
    tie_visible_to,
)
from .view_helpers import (
    _require,
    _visible_stakeholder,
)


@login_required
def stakeholder_stake_add(request, pk: int):
    stakeholder = _visible_stakeholder(request, pk)
    _require(request.user, "stakeholders.add_stake")
    form = StakeForm(request.POST or None, user=request.user, stakeholder=stakeholder)
    return _stake_add(request, form, stakeholder=stakeholder, outcome=None)


@login_required
def outcome_stake_add(request, pk: int):
    outcome = get_object_or_404(Outcome, pk=pk)
    _require(request.user, "stakeholders.add_stake")
    form = StakeForm(request.POST or None, user=request.user, outcome=outcome)
    return _stake_add(request, form, stakeholder=None, outcome=outcome)


def _stake_add(request, form, *, stakeholder, outcome):
    back = safe_next_url(request, (stakeholder or outcome).get_absolute_url())
    return object_form_view(
        request,
        form=form,
        save=lambda form: services.stake_create(
            stakeholder=stakeholder or form.cleaned_data["stakeholder"],
            outcome=outcome or form.cleaned_data["outcome"],
            **form.service_fields(),
        ),
        template="stakeholders/stake_form.html",
        context={"stake": None, "stakeholder": stakeholder, "outcome": outcome, "cancel_url": back},
        message=lambda stake: f"Recorded the stake of {stake.stakeholder.name}.",
        success_url=lambda stake: back,
    )


def _visible_stake(request, pk: int):
    return get_object_or_404(
        stake_visible_to(request.user).select_related("stakeholder", "outcome"), pk=pk
    )


@login_required
def stake_update(request, pk: int):
    stake = _visible_stake(request, pk)
    _require(request.user, "stakeholders.change_stake")
    back = safe_next_url(request, stake.stakeholder.get_absolute_url())
    return object_form_view(
        request,
        form=StakeForm(request.POST or None, instance=stake, user=request.user),
        save=lambda form: services.stake_update(stake=stake, **form.service_fields()),
        template="stakeholders/stake_form.html",
        context={
            "stake": stake,
            "stakeholder": stake.stakeholder,
            "outcome": stake.outcome,
            "cancel_url": back,
        },
        message=lambda saved: f"Saved the stake of {stake.stakeholder.name}.",
        success_url=lambda saved: back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def stake_delete(request, pk: int):
    stake = _visible_stake(request, pk)
    _require(request.user, "stakeholders.delete_stake")
    back = safe_next_url(request, stake.stakeholder.get_absolute_url())
    return object_delete_view(
        request,
        delete=lambda: services.stake_delete(stake=stake),
        template="stakeholders/confirm_delete.html",
        context={
            "object_label": f"{stake.stakeholder.name} → {stake.outcome.title}",
            "what": "stake",
            "consequences": "Only this stake is deleted; the stakeholder and outcome stay.",
            "cancel_url": back,
        },
        message=f"Deleted the stake of {stake.stakeholder.name}.",
        success_url=back,
    )


# --- ties ---------------------------------------------------------------------------------------


@login_required
def stakeholder_tie_add(request, pk: int):
    stakeholder = _visible_stakeholder(request, pk)
    _require(request.user, "stakeholders.add_tie")
    back = stakeholder.get_absolute_url()
    return object_form_view(
        request,
        form=TieForm(request.POST or None, user=request.user, anchor=stakeholder),
        save=lambda form: services.tie_create(**form.service_fields()),
        template="stakeholders/tie_form.html",
        context={"tie": None, "stakeholder": stakeholder, "cancel_url": back},
        message=lambda tie: "Recorded the tie.",
        success_url=lambda tie: f"{back}#ties",
    )


def _visible_tie(request, pk: int):
    return get_object_or_404(
        tie_visible_to(request.user).select_related("from_stakeholder", "to_stakeholder"), pk=pk
    )


@login_required
def tie_update(request, pk: int):
    tie = _visible_tie(request, pk)
    _require(request.user, "stakeholders.change_tie")
    back = safe_next_url(request, tie.from_stakeholder.get_absolute_url())
    return object_form_view(
        request,
        form=TieForm(request.POST or None, instance=tie, user=request.user),
        save=lambda form: services.tie_update(tie=tie, **form.service_fields()),
        template="stakeholders/tie_form.html",
        context={"tie": tie, "stakeholder": tie.from_stakeholder, "cancel_url": back},
        message=lambda saved: "Saved the tie.",
        success_url=lambda saved: back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def tie_delete(request, pk: int):
    tie = _visible_tie(request, pk)
    _require(request.user, "stakeholders.delete_tie")
    back = safe_next_url(request, tie.from_stakeholder.get_absolute_url())
    return object_delete_view(
        request,
        delete=lambda: services.tie_delete(tie=tie),
        template="stakeholders/confirm_delete.html",
        context={
            "object_label": str(tie),
            "what": "tie",
            "consequences": "Only this tie is deleted; both stakeholders stay.",
            "cancel_url": back,
        },
        message="Deleted the tie.",
        success_url=back,
    )
