"""Stakes to review: left on archived outcomes (an uncleared officer's merge leaves a hidden
actor's stake behind), or machine-made in a promoted outcome: the review page, the decisions
(keep, move, drop) through the service with history, and the restriction rule."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from stakeholders.choices import Origin, Sensitivity
from stakeholders.left_stakes import (
    left_stake_decide,
    left_stakes_grouped,
    left_stakes_visible_to,
)
from stakeholders.models import LeftStakesDecision, Outcome, Stake
from stakeholders.outcome_merging import outcome_merge
from stakeholders.services import outcome_demote, outcome_promote
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cleared_officer(db):
    return UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)


@pytest.fixture
def left(officer):
    """A machine-made outcome merged by an officer not cleared into the curated one it meant: the
    public actor's stake moved, the hidden one's left with the archived outcome."""
    curated = OutcomeFactory(title="Basic health care in Kenya")
    machine = OutcomeFactory(title="Basic health care in Kenya (IATI)", origin=Origin.IATI)
    public = StakeholderFactory(name="Kenya Red Cross")
    hidden = StakeholderFactory(
        name="Nairobi Survivors Network", sensitivity=Sensitivity.RESTRICTED
    )
    StakeFactory(stakeholder=public, outcome=machine, interest=0.5, influence=0.5)
    stake = StakeFactory(stakeholder=hidden, outcome=machine, interest=0.9, influence=0.2)
    outcome_merge(survivor=curated, others=[machine], values={}, user=officer)
    return {"curated": curated, "machine": machine, "hidden": hidden, "stake": stake}


def test_the_queue_holds_the_hidden_stake_for_the_cleared_only(left, officer, cleared_officer):
    assert list(left_stakes_visible_to(cleared_officer)) == [left["stake"]]
    assert list(left_stakes_visible_to(officer)) == []


def test_move_goes_by_default_to_the_outcome_it_was_merged_into_with_history(
    client, left, cleared_officer
):
    login_verified(client, cleared_officer)
    url = reverse("stakeholders:left_stakes")
    page = client.get(url).content.decode()
    assert "Nairobi Survivors Network" in page and "machine-made" in page
    response = client.post(url, {"stake": left["stake"].pk, "action": "move", "note": "same"})
    assert response.status_code == 302
    stake = Stake.objects.get(pk=left["stake"].pk)
    assert stake.outcome == left["curated"]
    assert [h.outcome_id for h in stake.history.order_by("history_id")] == [
        left["machine"].pk,
        left["curated"].pk,
    ]
    decision = LeftStakesDecision.objects.get()
    assert (decision.action, decision.to_outcome, decision.decided_by) == (
        "move",
        left["curated"],
        cleared_officer,
    )
    assert list(left_stakes_visible_to(cleared_officer)) == []
    page = client.get(url).content.decode()
    assert "No stakes to review." in page
    assert "Nairobi Survivors Network's stake in “Basic health care in Kenya (IATI)” — move" in page


def test_keep_takes_it_out_of_the_queue_and_drop_deletes_it_with_history(left, cleared_officer):
    left_stake_decide(stake=left["stake"], action="keep", user=cleared_officer)
    assert Stake.objects.filter(pk=left["stake"].pk, outcome=left["machine"]).exists()
    assert list(left_stakes_visible_to(cleared_officer)) == []
    with pytest.raises(ValidationError) as refused:
        left_stake_decide(stake=left["stake"], action="drop", user=cleared_officer)
    assert "stake" in refused.value.message_dict
    other = StakeFactory(
        stakeholder=left["hidden"], outcome=OutcomeFactory(title="Archived", origin=Origin.THREEW)
    )
    Outcome.all_objects.filter(pk=other.outcome_id).update(archived_at="2026-12-01T00:00Z")
    left_stake_decide(stake=other, action="drop", user=cleared_officer, note="duplicate")
    assert not Stake.objects.filter(pk=other.pk).exists()
    assert Stake.history.filter(id=other.pk, history_type="-").exists()
    assert LeftStakesDecision.objects.filter(action="drop", stake=None, note="duplicate").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "burn"}, "action"),
        ({"action": "move", "outcome": "machine"}, "outcome"),  # archived: not a target
        ({"action": "move", "outcome": "taken"}, "outcome"),  # the actor has a stake there
        ({"action": "keep", "note": "x" * 301}, "note"),
    ],
)
def test_a_refused_decision_names_the_field_and_changes_nothing(left, cleared_officer, data, field):
    taken = OutcomeFactory(title="Taken")
    StakeFactory(stakeholder=left["hidden"], outcome=taken)
    targets = {"machine": left["machine"], "taken": taken}
    kwargs = dict(data)
    if "outcome" in kwargs:
        kwargs["outcome"] = targets[kwargs["outcome"]]
    before = sorted(Stake.objects.values_list("pk", "outcome_id"))
    with pytest.raises(ValidationError) as refused:
        left_stake_decide(stake=left["stake"], user=cleared_officer, **kwargs)
    assert field in refused.value.message_dict
    assert sorted(Stake.objects.values_list("pk", "outcome_id")) == before
    assert not LeftStakesDecision.objects.exists()


def test_the_uncleared_see_an_empty_queue_and_a_hidden_stake_answers_as_missing(
    client, left, officer, analyst
):
    login_verified(client, analyst)
    assert client.get(reverse("stakeholders:left_stakes")).status_code == 403
    login_verified(client, officer)
    url = reverse("stakeholders:left_stakes")
    page = client.get(url).content.decode()
    assert "Nairobi" not in page and "0 stakes to review" in page
    response = client.post(url, {"stake": left["stake"].pk, "action": "drop"})
    assert response.status_code == 404
    assert Stake.objects.filter(pk=left["stake"].pk).exists()


@pytest.mark.parametrize("rows", [1, 6])
def test_the_page_costs_the_same_queries_for_one_left_stake_and_many(
    client, officer, cleared_officer, django_assert_num_queries, rows
):
    curated = OutcomeFactory(title="Curated")
    machine = OutcomeFactory(title="Machine", origin=Origin.IATI)
    for index in range(rows):
        actor = StakeholderFactory(name=f"Hidden {index}", sensitivity=Sensitivity.RESTRICTED)
        stake = StakeFactory(stakeholder=actor, outcome=machine)
    outcome_merge(survivor=curated, others=[machine], values={}, user=officer)
    left_stake_decide(stake=stake, action="keep", user=cleared_officer)
    login_verified(client, cleared_officer)
    url = reverse("stakeholders:left_stakes")
    client.get(url)
    # session, user, permissions ×2, the two-factor check, left stakes, targets, decisions
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200


# Promoting a machine-made outcome: its imported stakes are asked about, one by one.


def imported_outcome(*, hidden: bool) -> dict:
    """A machine-made outcome with two imported stakes of public actors, one curated stake (an
    officer's own: nothing to review), and, when ``hidden``, a restricted actor's imported one."""
    outcome = OutcomeFactory(title="Basic health care in Kenya", origin=Origin.IATI)
    curated = OutcomeFactory(title="Health for all in Kenya")
    stakes = {
        name: StakeFactory(
            stakeholder=StakeholderFactory(name=name), outcome=outcome, origin=Origin.IATI
        )
        for name in ("Kenya Red Cross", "Amref Health Africa")
    }
    StakeFactory(stakeholder=StakeholderFactory(name="Ministry of Health"), outcome=outcome)
    if hidden:
        stakes["Nairobi Survivors Network"] = StakeFactory(
            stakeholder=StakeholderFactory(
                name="Nairobi Survivors Network", sensitivity=Sensitivity.RESTRICTED
            ),
            outcome=outcome,
            origin=Origin.IATI,
        )
    return {"outcome": outcome, "curated": curated, "stakes": stakes}


def queue(user) -> list[tuple[str, str, list[str]]]:
    return [
        (group.outcome.title, group.reason, [stake.stakeholder.name for stake in group.stakes])
        for group in left_stakes_grouped(left_stakes_visible_to(user))
    ]


def test_promoting_puts_its_imported_stakes_in_the_queue_and_demoting_takes_them_out(
    officer, cleared_officer
):
    made = imported_outcome(hidden=True)
    outcome, stakes = made["outcome"], made["stakes"]
    assert queue(cleared_officer) == []
    outcome_promote(outcome=outcome, user=officer)
    assert queue(officer) == [
        ("Basic health care in Kenya", "promoted", ["Amref Health Africa", "Kenya Red Cross"])
    ]
    assert queue(cleared_officer)[0][2] == [
        "Amref Health Africa",
        "Kenya Red Cross",
        "Nairobi Survivors Network",
    ]
    left_stake_decide(stake=stakes["Kenya Red Cross"], action="keep", user=officer)
    left_stake_decide(
        stake=stakes["Amref Health Africa"], action="move", outcome=made["curated"], user=officer
    )
    assert Stake.objects.get(pk=stakes["Amref Health Africa"].pk).outcome == made["curated"]
    assert queue(officer) == []
    assert queue(cleared_officer)[0][2] == ["Nairobi Survivors Network"]
    # Demoted before the last decision: out of the queue, and a decision is refused.
    outcome_demote(outcome=outcome)
    assert queue(cleared_officer) == []
    with pytest.raises(ValidationError) as refused:
        left_stake_decide(
            stake=stakes["Nairobi Survivors Network"], action="drop", user=cleared_officer
        )
    assert "stake" in refused.value.message_dict
    # Promoted again: what was kept there stays decided; the undecided one is back.
    outcome_promote(outcome=Outcome.objects.get(pk=outcome.pk), user=officer)
    assert queue(cleared_officer)[0][2] == ["Nairobi Survivors Network"]


def test_a_stake_moved_into_a_promoted_outcome_is_not_asked_about_again(left, cleared_officer):
    promoted = OutcomeFactory(title="Reproductive health in Kenya", origin=Origin.IATI)
    outcome_promote(outcome=promoted, user=cleared_officer)
    Stake.objects.filter(pk=left["stake"].pk).update(origin=Origin.IATI)
    left_stake_decide(stake=left["stake"], action="move", outcome=promoted, user=cleared_officer)
    assert Stake.objects.get(pk=left["stake"].pk).outcome == promoted
    assert queue(cleared_officer) == []


def test_a_promoted_stake_cannot_be_moved_to_its_own_outcome(officer):
    made = imported_outcome(hidden=False)
    outcome_promote(outcome=made["outcome"], user=officer)
    with pytest.raises(ValidationError) as refused:
        left_stake_decide(
            stake=made["stakes"]["Kenya Red Cross"],
            action="move",
            outcome=made["outcome"],
            user=officer,
        )
    assert "already in “Basic health care in Kenya”" in refused.value.message_dict["outcome"][0]
    assert not LeftStakesDecision.objects.exists()


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def promoted_as_the_uncleared_officer_reads_it(client, officer, *, hidden: bool) -> dict:
    made = imported_outcome(hidden=hidden)
    login_verified(client, officer)
    promote = reverse("stakeholders:outcome_promote", args=[made["outcome"].pk])
    told = [str(m) for m in client.post(promote, follow=True).context["messages"]]
    page = client.get(reverse("stakeholders:left_stakes"))
    groups = [
        (g.outcome.title, g.reason, g.machine_made, [s.stakeholder.name for s in g.stakes])
        for g in page.context["groups"]
    ]
    # A stake id the reader cannot see (or that does not exist) answers as missing.
    unseen = made["stakes"].get("Nairobi Survivors Network")
    missing = client.post(
        reverse("stakeholders:left_stakes"),
        {"stake": unseen.pk if unseen else 987654, "action": "drop"},
    )
    return {
        "told": told,
        "groups": groups,
        "count": page.context["count"],
        # Each answer masks the CSRF token afresh: the one difference that is not the world's.
        "missing": (missing.status_code, CSRF.sub("", missing.content.decode())),
    }


def test_the_uncleared_officer_reads_the_same_with_and_without_the_hidden_stake(client, officer):
    def world(hidden):
        with transaction.atomic():
            read = promoted_as_the_uncleared_officer_reads_it(client, officer, hidden=hidden)
            transaction.set_rollback(True)
        return read

    with_hidden, without = world(True), world(False)
    assert with_hidden == without
    assert without["told"] == [
        "Promoted “Basic health care in Kenya”: it now shows in the default lists. Its 2 "
        "imported stakes wait for review under “Left stakes”."
    ]
    assert without["groups"] == [
        (
            "Basic health care in Kenya",
            "promoted",
            True,
            ["Amref Health Africa", "Kenya Red Cross"],
        )
    ]
    assert without["missing"][0] == 404


@pytest.mark.parametrize("rows", [1, 6])
def test_the_page_costs_the_same_queries_for_one_promoted_outcome_and_many(
    client, officer, django_assert_num_queries, rows
):
    for index in range(rows):
        outcome = OutcomeFactory(title=f"Machine {index}", origin=Origin.IATI)
        StakeFactory(outcome=outcome, origin=Origin.IATI)
        outcome_promote(outcome=outcome, user=officer)
    login_verified(client, officer)
    url = reverse("stakeholders:left_stakes")
    client.get(url)
    # session, user, permissions ×2, left stakes (with who promoted), targets, decisions
    with django_assert_num_queries(7):
        page = client.get(url)
    assert page.status_code == 200 and page.context["count"] == rows
