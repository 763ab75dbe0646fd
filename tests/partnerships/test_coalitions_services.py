"""Computing and storing coalitions: the values as worked out by hand, repeat-safety, the atomic
replace that keeps the last good coalitions, the triggers that follow the registry, and the
Celery task."""

import pytest
from django.utils import timezone

from partnerships.coalitions import proposing, services, tasks
from partnerships.coalitions.core.objective import Solution
from partnerships.coalitions.core.pool import (
    NO_FEASIBLE_SET,
    NO_INCLUSIVE_ACTOR,
    SOLVER_NONE,
    TOO_FEW_ACTORS,
)
from partnerships.models import Coalition, CoalitionComputation, CoalitionMember
from stakeholders.choices import Kind, Scope
from stakeholders.models import Stake
from tests.partnerships.coalition_fixtures import (
    FIELD,
    FUNDING,
    TECH,
    TRUST,
    coalition_registry_create,
    compute,
)
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


def test_an_outcome_gets_its_coalitions_for_both_audiences(coalition_registry):
    r = coalition_registry
    results = compute(r)
    assert [(x.audience, x.status, x.coalitions) for x in results] == [
        ("public", "written", 1),
        ("cleared", "written", 1),
    ]
    coalition = Coalition.objects.get(audience="public")
    assert coalition.value == pytest.approx(0.706)
    assert coalition.coverage == 1.0
    assert coalition.stake == pytest.approx(0.47)
    assert coalition.trust == pytest.approx(0.325)
    assert coalition.rank == 1 and coalition.bound == 1.0
    assert int(coalition.covered_capabilities) == FUNDING | FIELD | TECH | TRUST
    assert coalition.key == services.coalition_key(
        audience="public", outcome_id=r.outcome.pk, members=[a.pk for a in r.actors]
    )
    members = list(coalition.members.order_by("position"))
    # The broker first, then by how much of what is needed each brings.
    assert [m.stakeholder for m in members][0] == r.ngo
    assert members[0].is_broker and members[0].tied_to == 2
    assert {m.stakeholder_id: int(m.brings) for m in members} == {
        r.state.pk: FUNDING, r.ngo.pk: FIELD, r.women.pk: TRUST, r.firm.pk: TECH,
    }  # fmt: skip
    assert [m.stakeholder for m in members if m.is_inclusive] == [r.women]
    assert sorted(tuple(t[:2]) for t in coalition.ties) == sorted(
        tuple(sorted(pair))
        for pair in ((r.state.pk, r.ngo.pk), (r.women.pk, r.state.pk), (r.ngo.pk, r.women.pk))
    )
    computation = coalition.computation
    assert computation.solver == "exact" and computation.pool_size == 4
    assert computation.guarantee == 1.0 and computation.error == ""


def test_computing_again_without_changes_changes_nothing(coalition_registry):
    compute(coalition_registry)
    before = list(Coalition.objects.values_list("pk", "key", "computation__computed_at"))
    assert [x.status for x in compute(coalition_registry)] == ["unchanged", "unchanged"]
    assert list(Coalition.objects.values_list("pk", "key", "computation__computed_at")) == before


def test_a_change_replaces_the_coalitions_and_keeps_a_proposal_linked(coalition_registry, officer):
    r = coalition_registry
    compute(r)
    coalition = Coalition.objects.get(audience="public")
    partnership = proposing.coalition_propose(coalition=coalition, proposer=officer)
    computed_at = coalition.computation.computed_at
    Stake.objects.filter(stakeholder=r.firm).update(influence=0.81)  # stake 0.45 instead of 0.5
    assert [x.status for x in compute(r)] == ["written", "written"]
    again = Coalition.objects.get(audience="public")
    assert again.pk != coalition.pk and again.key == coalition.key
    assert again.value == pytest.approx(0.706 - 0.3 * 0.05 / 5)
    assert again.partnership == partnership  # same members: still the proposed coalition
    assert again.computation.computed_at > computed_at


def test_a_failed_computation_keeps_the_last_good_coalitions(coalition_registry, monkeypatch):
    r = coalition_registry
    compute(r)
    kept = list(Coalition.objects.values_list("pk", "value"))
    Stake.objects.filter(stakeholder=r.firm).update(interest=0.36)

    def broken(pool, params=None):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(services, "solve", broken)
    results = compute(r)
    assert [x.status for x in results] == ["failed", "failed"]
    assert list(Coalition.objects.values_list("pk", "value")) == kept
    computation = CoalitionComputation.objects.get(audience="public")
    assert computation.error == "RuntimeError: solver exploded" and computation.failed_at
    monkeypatch.undo()
    assert [x.status for x in compute(r)] == ["written", "written"]
    computation.refresh_from_db()
    assert computation.error == "" and computation.failed_at is None


def test_a_write_that_dies_halfway_is_rolled_back(coalition_registry, monkeypatch):
    r = coalition_registry
    compute(r)
    kept = list(Coalition.objects.values_list("pk", "value"))
    members = CoalitionMember.objects.count()
    Stake.objects.filter(stakeholder=r.firm).update(interest=0.36)

    def dies(*args, **kwargs):
        raise ConnectionError("worker killed")

    monkeypatch.setattr(CoalitionMember.objects, "bulk_create", dies)
    assert [x.status for x in compute(r)] == ["failed", "failed"]
    assert list(Coalition.objects.values_list("pk", "value")) == kept
    assert CoalitionMember.objects.count() == members


def test_coalitions_read_earlier_never_overwrite_newer_ones(coalition_registry):
    r = coalition_registry
    compute(r)
    computation = CoalitionComputation.objects.get(audience="public")
    inputs = services.outcome_inputs_load(r.outcome)
    pool = inputs.pool("public")
    params = services.coalition_parameters()
    written = services._coalitions_replace(
        outcome=r.outcome,
        audience="public",
        solution=Solution([], SOLVER_NONE, 0, reason=NO_FEASIBLE_SET),
        pool=pool,
        inputs=inputs,
        digest="older",
        read_at=computation.read_at - timezone.timedelta(seconds=5),
        params=params,
    )
    assert written is False
    assert Coalition.objects.filter(audience="public").count() == 1


def test_an_outcome_without_an_inclusive_actor_says_why(coalition_registry):
    r = coalition_registry
    r.women.kind = Kind.NGO
    r.women.scope = Scope.NATIONAL
    r.women.save()
    compute(r)
    computation = CoalitionComputation.objects.get(audience="public")
    assert computation.reason == NO_INCLUSIVE_ACTOR
    assert not Coalition.objects.exists()


def test_a_local_actor_counts_as_inclusive(coalition_registry):
    r = coalition_registry
    r.women.kind = Kind.FAITH_BASED
    r.women.scope = Scope.LOCAL
    r.women.save()
    compute(r)
    member = CoalitionMember.objects.get(coalition__audience="public", stakeholder=r.women)
    assert member.is_inclusive


def test_opposing_outcome_stakes_and_ended_ties_are_left_out(coalition_registry):
    r = coalition_registry
    Stake.objects.filter(stakeholder=r.firm).update(position=Stake.Position.OPPOSES)
    r.state.ties_out.update(end_date=timezone.localdate() - timezone.timedelta(days=1))
    inputs = services.outcome_inputs_load(r.outcome)
    assert {row[0] for row in inputs.holders} == {r.state.pk, r.ngo.pk, r.women.pk}
    assert len(inputs.ties) == 2  # women → state and NGO → women; state → NGO has ended


# --- following the registry ---------------------------------------------------------------------


@pytest.fixture
def committed_registry(db, django_capture_on_commit_callbacks):
    """The registry, created as if committed: its outcome's coalitions are computed by the
    triggers themselves."""
    with django_capture_on_commit_callbacks(execute=True):
        registry = coalition_registry_create()
    assert Coalition.objects.filter(outcome=registry.outcome).count() == 2
    return registry


def test_a_new_stake_recomputes_its_outcome_when_it_commits(
    committed_registry, django_capture_on_commit_callbacks
):
    r = committed_registry
    with django_capture_on_commit_callbacks(execute=True):
        radio = StakeholderFactory(name="Radio", kind=Kind.MEDIA, capabilities=TECH)
        StakeFactory(stakeholder=radio, outcome=r.outcome, interest=1.0, influence=1.0)
    coalition = Coalition.objects.get(audience="public", rank=1)
    assert radio.pk in set(coalition.members.values_list("stakeholder_id", flat=True))


def test_a_changed_kind_recomputes_the_actors_outcomes(
    committed_registry, django_capture_on_commit_callbacks
):
    r = committed_registry
    assert Coalition.objects.filter(members__stakeholder=r.firm).exists()
    with django_capture_on_commit_callbacks(execute=True):
        r.firm.kind = Kind.NGO  # two NGOs: the firm or the NGO, never both
        r.firm.save()
    for coalition in Coalition.objects.all():
        members = set(coalition.members.values_list("stakeholder_id", flat=True))
        assert not {r.firm.pk, r.ngo.pk} <= members


def test_a_new_tie_recomputes_the_outcomes_of_both_ends(
    committed_registry, django_capture_on_commit_callbacks
):
    r = committed_registry
    with django_capture_on_commit_callbacks(execute=True):
        TieFactory(from_stakeholder=r.firm, to_stakeholder=r.ngo, strength=1.0)
    coalition = Coalition.objects.get(audience="public")
    assert coalition.trust == pytest.approx((0.8 + 0.5 + 1.0) / 4)


def test_a_deleted_actor_leaves_no_coalition_behind(
    committed_registry, django_capture_on_commit_callbacks
):
    r = committed_registry
    with django_capture_on_commit_callbacks(execute=True):
        youth = StakeholderFactory(name="Youth movement", kind=Kind.GRASSROOTS, capabilities=TECH)
        StakeFactory(stakeholder=youth, outcome=r.outcome, interest=0.5, influence=0.5)
    assert Coalition.objects.filter(members__stakeholder=r.firm).exists()
    with django_capture_on_commit_callbacks(execute=True):
        r.firm.delete()
    assert not CoalitionMember.objects.filter(stakeholder_id=r.firm.pk).exists()
    # Recomputed without it: the youth movement brings the technology now.
    coalition = Coalition.objects.get(audience="public")
    assert youth.pk in set(coalition.members.values_list("stakeholder_id", flat=True))


def test_a_changed_need_recomputes_the_outcome(
    committed_registry, django_capture_on_commit_callbacks
):
    r = committed_registry
    with django_capture_on_commit_callbacks(execute=True):
        r.outcome.needed_capabilities = FUNDING | TRUST
        r.outcome.save()
    assert Coalition.objects.get(audience="public").coverage == 1.0
    assert int(Coalition.objects.get(audience="public").needed_capabilities) == FUNDING | TRUST


def test_an_overlap_run_recomputes_every_outcome(coalition_registry, run_overlap):
    other = OutcomeFactory(title="Nobody here")
    run_overlap()
    assert CoalitionComputation.objects.filter(outcome=coalition_registry.outcome).count() == 2
    assert CoalitionComputation.objects.get(outcome=other, audience="public").reason == (
        TOO_FEW_ACTORS
    )


# --- the task -----------------------------------------------------------------------------------


def test_the_task_takes_an_id_and_is_safe_to_repeat(coalition_registry):
    outcome = coalition_registry.outcome
    assert tasks.coalitions_compute_outcome(outcome.pk) == ["public: written", "cleared: written"]
    assert tasks.coalitions_compute_outcome(outcome.pk) == [
        "public: unchanged",
        "cleared: unchanged",
    ]
    assert tasks.coalitions_compute_outcome(999_999) == []  # gone: quietly nothing


def test_compute_all_queues_every_outcome(coalition_registry, django_capture_on_commit_callbacks):
    OutcomeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.coalitions_compute_all() == 2
    assert CoalitionComputation.objects.count() == 4


def test_larger_outcomes_than_the_exact_limit_are_solved_greedily(coalition_registry, settings):
    settings.COALITIONS_EXACT_LIMIT = 3
    compute(coalition_registry)
    computation = CoalitionComputation.objects.get(audience="public")
    assert computation.solver == "greedy" and computation.parameters["exact_limit"] == 3
    coalition = computation.coalitions.get()
    assert coalition.value == pytest.approx(0.706)  # the greedy finds the optimum here
    assert computation.upper_bound >= coalition.value
    assert coalition.bound == pytest.approx(coalition.value / computation.upper_bound)
    assert computation.guarantee in (0.5, 1 / 3, 0.0)
