import math
import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from partnerships import candidates, tasks
from partnerships.models import Candidate, CandidateDismissal, OverlapRun
from partnerships.overlap import partitions, refresh, runs, steps
from partnerships.overlap.parameters import PUBLIC_SET
from partnerships.selectors import CANDIDATE_ORDER
from smartdiplomacy.exceptions import ApplicationError
from stakeholders import services as registry_services
from stakeholders.choices import Capability, Kind, Scope
from stakeholders.models import Outcome, Stake, Stakeholder
from tests.partnerships.conftest import restrict
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


def pairs(run=None) -> dict:
    qs = Candidate.objects.filter(run__is_current=True) if run is None else run.candidates.all()
    return {(c.stakeholder_a_id, c.stakeholder_b_id): c for c in qs}


def test_a_run_writes_the_hand_computed_candidates(small_registry, run_overlap):
    r = small_registry
    run = run_overlap()
    assert run.status == OverlapRun.Status.SUCCEEDED
    assert run.is_current and not run.is_active
    assert run.stakeholder_count == 4 and run.stake_count == 7 and run.candidate_count == 3
    assert {"load", "compute", "write"} <= set(run.timings)
    found = pairs()
    assert set(found) == {(r.ngo.pk, r.firm.pk), (r.ngo.pk, r.women.pk), (r.firm.pk, r.women.pk)}
    ngo_firm = found[(r.ngo.pk, r.firm.pk)]
    assert ngo_firm.overlap == pytest.approx(0.8, abs=1e-9)
    assert ngo_firm.complementarity == pytest.approx(0.5, abs=1e-9)
    assert ngo_firm.inclusion == 0
    # Two shared outcomes: support 2 / (2 + 2); no inclusive actor: priority = likelihood.
    assert ngo_firm.likelihood == pytest.approx(0.8 * 0.5, abs=1e-12)
    assert ngo_firm.score == pytest.approx(0.4, abs=1e-12)
    assert ngo_firm.shared_outcome_ids == [r.o1.pk, r.o2.pk]
    ngo_women = found[(r.ngo.pk, r.women.pk)]
    assert ngo_women.overlap == pytest.approx(1 / math.sqrt(2.5), abs=1e-9)
    # One shared outcome: support 1/3; an NGO and a women's group, kinds never tied here while
    # one pair in five of different kinds is: kind factor 10 / 10.4 (see test_overlap).
    assert ngo_women.kind_affinity == pytest.approx(10 / 10.4, abs=1e-12)
    assert ngo_firm.kind_affinity == 1.0
    likelihood = 1 / math.sqrt(2.5) / 3 * 10 / 10.4
    assert ngo_women.likelihood == pytest.approx(likelihood, abs=1e-12)
    assert ngo_women.score == pytest.approx(1 - (1 - likelihood) ** 2, abs=1e-12)
    # o1 needs funding, technology, trust: the NGO brings funding, the network trust.
    assert int(ngo_women.brings_a) == int(Capability.FUNDING)
    assert int(ngo_women.brings_b) == int(Capability.COMMUNITY_TRUST)


def test_empty_registry_is_a_clean_run_with_zero_candidates_and_a_message(run_overlap):
    run = run_overlap()
    assert run.status == OverlapRun.Status.SUCCEEDED
    assert run.candidate_count == 0
    assert run.message == steps.NO_INTEREST_MESSAGE
    assert run.is_current


def test_all_zero_interest_and_outcomes_nobody_holds_give_zero_candidates(run_overlap):
    OutcomeFactory()  # nobody holds it
    StakeFactory(interest=0.0, stakeholder=StakeholderFactory(kind=Kind.FIRM))
    StakeFactory(interest=0.0)
    run = run_overlap()
    assert (run.status, run.candidate_count) == (OverlapRun.Status.SUCCEEDED, 0)
    assert "interest above zero" in run.message


def test_a_registry_of_one_kind_gives_zero_candidates_and_says_why(run_overlap):
    outcome = OutcomeFactory()
    StakeFactory(outcome=outcome)
    StakeFactory(outcome=outcome)
    run = run_overlap()
    assert (run.status, run.candidate_count) == (OverlapRun.Status.SUCCEEDED, 0)
    assert run.message == steps.NO_PAIRS_MESSAGE


def test_a_new_run_replaces_the_previous_runs_candidates(small_registry, run_overlap):
    first = run_overlap()
    second = run_overlap(top_k=1, top_k_growth=0)
    first.refresh_from_db()
    assert second.is_current and not first.is_current
    assert not Candidate.objects.filter(run=first).exists()
    assert Candidate.objects.filter(run=second).count() == 2  # see test_overlap top-k union


def test_chunked_run_writes_what_a_single_chunk_run_writes(run_overlap):
    outcomes = [
        OutcomeFactory(needed_capabilities=1 << (i % 10) | 1 << ((i + 3) % 10)) for i in range(6)
    ]
    kinds = [Kind.NGO, Kind.FIRM, Kind.STATE, Kind.DIASPORA, Kind.MEDIA]
    for i in range(30):
        actor = StakeholderFactory(kind=kinds[i % 5], capabilities=(i * 37) % 1024)
        for j in range(1 + i % 3):
            StakeFactory(
                stakeholder=actor, outcome=outcomes[(i + j * 2) % 6], interest=(i % 7 + 1) / 8
            )

    def snapshot(run):
        return sorted(
            run.candidates.values_list(
                "stakeholder_a", "stakeholder_b", "overlap", "complementarity", "score",
                "shared_outcome_ids",
            )
        )  # fmt: skip

    single = snapshot(run_overlap(chunks=1))
    chunked_run = run_overlap(chunks=4)
    assert chunked_run.chunks_total == 4 and chunked_run.chunks_done == 4
    assert snapshot(chunked_run) == single and len(single) > 20


@pytest.mark.parametrize("failing", ["candidates_insert", "_promotions_carry_over"])
def test_a_failing_write_leaves_the_previous_candidates_and_fails_the_run(
    small_registry, run_overlap, monkeypatch, failing
):
    good = run_overlap()
    before = sorted(pairs())
    real = getattr(steps, failing)

    def write_then_break(*args, **kwargs):
        real(*args, **kwargs)  # rows are written (and, after the insert, their partition attached)…
        raise RuntimeError("disk full")  # …and then the write fails before the swap

    monkeypatch.setattr(steps, failing, write_then_break)
    broken = run_overlap()
    assert broken.status == OverlapRun.Status.FAILED
    assert "writing candidates" in broken.error and "disk full" in broken.error
    assert not broken.is_current and not broken.is_active
    good.refresh_from_db()
    assert good.is_current
    assert sorted(pairs()) == before
    assert not Candidate.objects.filter(run=broken).exists()
    if partitions.candidates_partitioned():  # PostgreSQL: the broken run's table never existed
        assert set(partitions.run_partitions()) == {good.pk}


def test_asking_twice_joins_the_run_in_progress(small_registry):
    first, created = runs.overlap_run_request()
    again, created_again = runs.overlap_run_request()
    assert created and not created_again
    assert again.pk == first.pk
    assert OverlapRun.objects.count() == 1


def test_a_run_whose_worker_died_is_marked_failed_and_a_new_run_can_start(small_registry):
    stuck, _ = runs.overlap_run_request()
    OverlapRun.objects.filter(pk=stuck.pk).update(
        status=OverlapRun.Status.RUNNING, updated_at=timezone.now() - timedelta(hours=3)
    )
    fresh, created = runs.overlap_run_request()
    stuck.refresh_from_db()
    assert stuck.status == OverlapRun.Status.FAILED
    assert "stopped making progress" in stuck.error
    assert created and fresh.pk != stuck.pk


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"top_k": 0}, "top_k"),
        ({"min_score": 2}, "min_score"),
        ({"weight_overlap": 0.7}, "weight_overlap"),
        ({"chunks": 99}, "chunks"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(parameters, field):
    with pytest.raises(ApplicationError) as error:
        runs.overlap_run_request(parameters=parameters)
    assert error.value.field == field
    assert not OverlapRun.objects.exists()


def test_repeated_tasks_do_no_harm(small_registry, run_overlap):
    run = run_overlap()
    written = sorted(pairs())
    tasks.overlap_run_execute_task.delay(run.pk)
    tasks.overlap_chunk_compute_task.delay(run.pk, 0)
    tasks.overlap_run_finalize_task.delay(run.pk)
    run.refresh_from_db()
    assert run.status == OverlapRun.Status.SUCCEEDED and sorted(pairs()) == written


# --- refreshing one stakeholder ---------------------------------------------------------------


def test_refresh_of_one_stakeholder_replaces_only_its_candidates(
    small_registry, run_overlap, django_capture_on_commit_callbacks
):
    r = small_registry
    run = run_overlap()
    untouched = {key: (c.pk, c.score) for key, c in pairs().items() if r.women.pk not in key}
    stake = Stake.objects.get(stakeholder=r.women, outcome=r.o3)
    with django_capture_on_commit_callbacks(execute=True):
        # The women's network now cares about o2 too: it overlaps with the Tech NGO.
        registry_services.stake_update(stake=stake, outcome=r.o2)
    after = pairs()
    new_pair = tuple(sorted((r.ngo2.pk, r.women.pk)))
    assert new_pair in after
    # cos(women, tech NGO) = 1·1 / (√2 · 1)
    assert after[new_pair].overlap == pytest.approx(1 / math.sqrt(2), abs=1e-9)
    # Same rows for pairs without the women's network: not rewritten.
    assert {key: (c.pk, c.score) for key, c in after.items() if r.women.pk not in key} == untouched
    # A full run on the new data agrees on the women's network's pairs.
    refreshed = {key: c.score for key, c in after.items() if r.women.pk in key}
    full = run_overlap()
    assert {k: c.score for k, c in pairs(full).items() if r.women.pk in k} == pytest.approx(
        refreshed
    )
    assert run.pk != full.pk


def test_a_deleted_stake_drops_the_pairs_it_made(
    small_registry, run_overlap, django_capture_on_commit_callbacks
):
    r = small_registry
    run_overlap()
    with django_capture_on_commit_callbacks(execute=True):
        for stake in Stake.objects.filter(stakeholder=r.women):
            registry_services.stake_delete(stake=stake)
    assert not [key for key in pairs() if r.women.pk in key]


def test_changes_in_one_transaction_queue_one_refresh_per_stakeholder(
    small_registry, monkeypatch, django_capture_on_commit_callbacks
):
    r = small_registry
    sent = []
    monkeypatch.setattr(tasks.candidates_refresh_stakeholder_task, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for stake in Stake.objects.filter(stakeholder__in=[r.ngo, r.firm]):
            registry_services.stake_update(stake=stake, interest=0.9)
        assert sent == []  # nothing before the commit
    assert sorted(sent) == sorted([r.ngo.pk, r.firm.pk])


def test_no_refresh_is_queued_while_suspended(
    small_registry, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(tasks.candidates_refresh_stakeholder_task, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True), refresh.overlap_refresh_suspended():
        StakeFactory(stakeholder=small_registry.ngo, interest=0.3)
    assert sent == []


def test_refresh_without_a_run_or_of_a_deleted_stakeholder_does_nothing(small_registry):
    assert refresh.candidates_refresh_stakeholder(stakeholder_id=small_registry.ngo.pk) is None
    assert refresh.candidates_refresh_stakeholder(stakeholder_id=999_999) is None


# --- dismissals -------------------------------------------------------------------------------


def test_a_dismissal_needs_a_reason_and_survives_a_new_run(small_registry, run_overlap, officer):
    r = small_registry
    run_overlap()
    candidate = pairs()[(r.ngo.pk, r.firm.pk)]
    with pytest.raises(ApplicationError) as error:
        candidates.candidate_dismiss(candidate=candidate, user=officer, reason="  ")
    assert error.value.field == "reason"
    candidates.candidate_dismiss(candidate=candidate, user=officer, reason="They compete for funds")
    run_overlap()
    new_candidate = pairs()[(r.ngo.pk, r.firm.pk)]
    assert new_candidate.pk != candidate.pk
    dismissal = CandidateDismissal.objects.get()
    assert (dismissal.stakeholder_a_id, dismissal.stakeholder_b_id) == (r.ngo.pk, r.firm.pk)
    assert candidates.candidate_restore(candidate=new_candidate) == 1


# --- concurrency (PostgreSQL: real row locks and unique indexes across connections) -------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_two_runs_asked_for_at_once_make_one_run(small_registry, monkeypatch):
    monkeypatch.setattr(runs, "enqueue_on_commit", lambda task, *args, **options: None)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def ask():
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(runs.overlap_run_request()[0].pk)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    assert OverlapRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_two_finalisers_at_once_write_once(small_registry, monkeypatch):
    # Build a run up to the point where it is ready to write, without writing.
    monkeypatch.setattr(tasks.overlap_run_finalize_task, "delay", lambda run_id: None)
    monkeypatch.setattr(runs, "enqueue_on_commit", lambda task, *args, **options: None)
    run, _ = runs.overlap_run_request(parameters={"chunks": 2})
    steps.overlap_run_execute(run_id=run.pk)
    barrier = threading.Barrier(2)

    def finalise():
        try:
            barrier.wait()
            steps.overlap_run_finalize(run_id=run.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalise) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.refresh_from_db()
    assert run.status == OverlapRun.Status.SUCCEEDED
    assert Candidate.objects.filter(run=run).count() == 3


def _tied_registry(order: list[int]) -> None:
    """Six NGOs and six firms with the same single stake: every pair of different kinds ties on
    every figure, so only the tie-breaking decides which pairs are kept and in what order. Created
    in ``order`` (a permutation of 0..11), so the database ids follow it."""
    outcome = OutcomeFactory(title="Shared outcome")
    with refresh.overlap_refresh_suspended():
        for index in order:
            kind = Kind.NGO if index < 6 else Kind.FIRM
            actor = StakeholderFactory(name=f"Actor {index:02d}", kind=kind, capabilities=0)
            StakeFactory(stakeholder=actor, outcome=outcome, interest=1.0, influence=0.5)


def _listed_names() -> list[tuple[str, str]]:
    rows = (
        Candidate.objects.filter(run__is_current=True)
        .order_by(*CANDIDATE_ORDER)
        .values_list("stakeholder_a__name", "stakeholder_b__name")
    )
    return [tuple(sorted(pair)) for pair in rows]


def test_shuffling_the_import_order_leaves_the_list_unchanged(run_overlap):
    orders = [list(range(12)), list(reversed(range(12)))]
    shuffled = list(range(12))
    random.Random(7).shuffle(shuffled)
    orders.append(shuffled)
    lists = []
    for order in orders:
        _tied_registry(order)
        run_overlap(top_k=2, top_k_growth=0, shortlist=6)
        lists.append(_listed_names())
        Candidate.objects.all().delete()
        Stake.objects.all().delete()
        Stakeholder.objects.all().delete()
        Outcome.objects.all().delete()
    # Each actor keeps two partners: the two first by name among the other kind.
    assert lists[0] == lists[1] == lists[2]
    ngos = [f"Actor {i:02d}" for i in range(6)]
    firms = [f"Actor {i:02d}" for i in range(6, 12)]
    expected = {(n, f) for n in ngos for f in firms[:2]} | {(n, f) for n in ngos[:2] for f in firms}
    assert set(lists[0]) == expected and len(expected) == 20
    # Listed in name order where every figure ties.
    assert lists[0] == sorted(lists[0])


def test_actors_working_at_local_scope_count_for_inclusion(run_overlap):
    outcome = OutcomeFactory()
    with refresh.overlap_refresh_suspended():
        local = StakeholderFactory(kind=Kind.NGO, scope=Scope.LOCAL, women_led=False)
        firm = StakeholderFactory(kind=Kind.FIRM, scope=Scope.GLOBAL, women_led=False)
        state = StakeholderFactory(kind=Kind.STATE, scope=Scope.NATIONAL, women_led=False)
        for actor in (local, firm, state):
            StakeFactory(stakeholder=actor, outcome=outcome, interest=1.0)
    run_overlap()
    found = {frozenset((c.stakeholder_a_id, c.stakeholder_b_id)): c for c in pairs().values()}
    assert found[frozenset((local.pk, firm.pk))].inclusion == 1.0
    assert found[frozenset((firm.pk, state.pk))].inclusion == 0.0
    with_local = found[frozenset((local.pk, firm.pk))]
    assert with_local.score > with_local.likelihood  # the preference lifts it


def test_a_refresh_computes_the_full_runs_figures_with_rarity_fit_and_a_hidden_holder(
    small_registry, run_overlap, django_capture_on_commit_callbacks
):
    """Rarity (public holders only), influence, degrees, name ranks, the kind counts and the
    shared partners read by a one-stakeholder refresh are the whole registry's: its figures
    equal a full run's, for both audiences."""
    r = small_registry
    with refresh.overlap_refresh_suspended():
        hidden = StakeholderFactory(name="Hidden collective", kind=Kind.GRASSROOTS)
        StakeFactory(stakeholder=hidden, outcome=r.o1, interest=0.7, influence=0.2)
        restrict(hidden)
        # A public funder works with the women's network and the NGO (one shared partner); the
        # hidden collective with the women's network and the firm (never counted).
        broker = StakeholderFactory(name="Funder", kind=Kind.FOUNDATION)
        TieFactory(from_stakeholder=broker, to_stakeholder=r.women)
        TieFactory(from_stakeholder=r.ngo, to_stakeholder=broker)
        TieFactory(from_stakeholder=hidden, to_stakeholder=r.women)
        TieFactory(from_stakeholder=r.firm, to_stakeholder=hidden)
        influences = (0.9, 0.1, 0.4, 0.6, 0.3, 0.8, 0.5, 0.2)  # the eight stakes, in id order
        for stake, influence in zip(Stake.objects.order_by("id"), influences, strict=True):
            Stake.objects.filter(pk=stake.pk).update(influence=influence)
    params = {"weight_rarity": 1.0, "weight_fit": 0.5, "min_overlap": 0.0}
    run_overlap(**params)
    # A change that moves no registry-wide figure (the outcome's holders, the actors by kind): a
    # refresh reads those as the run did (see the next test), the rest it reads today.
    stake = Stake.objects.get(stakeholder=r.women, outcome=r.o1)
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.stake_update(stake=stake, interest=0.6, influence=0.7)

    def figures(run=None):
        return {
            (key, c.audiences): (
                c.overlap, c.likelihood, c.score, c.power_interest, c.kind_affinity,
                c.shared_partners,
            )
            for key, c in pairs(run).items()
            if r.women.pk in key
        }  # fmt: skip

    refreshed = figures()
    full = figures(run_overlap(**params))
    assert set(refreshed) == set(full)
    for key, values in full.items():
        assert refreshed[key] == pytest.approx(values, abs=1e-12)
    assert any(values[3] > 0 for values in full.values())  # influence was read
    shared = {key: values[5] for (key, _audiences), values in full.items()}
    assert shared[tuple(sorted((r.ngo.pk, r.women.pk)))] == 1  # the funder, not the collective
    assert shared[tuple(sorted((r.firm.pk, r.women.pk)))] == 0


def test_a_refresh_scores_with_the_runs_registry_wide_figures(
    small_registry, run_overlap, django_capture_on_commit_callbacks
):
    """Between runs, a refresh reads the registry-wide figures (ties and actors by kind, each
    outcome's public holders, how many hold anything) as the run read them. So a refresh set off
    by what the uncleared cannot see — a tie to a hidden actor — leaves an actor's public pairs
    exactly as the run wrote them, though visible changes elsewhere have moved those figures
    since (they move for every pair at once, at the next full run)."""
    r = small_registry
    with refresh.overlap_refresh_suspended():
        hidden = restrict(StakeholderFactory(name="Hidden collective", kind=Kind.GRASSROOTS))
    params = {"weight_rarity": 1.0, "min_overlap": 0.0}
    run_overlap(**params)

    def women_public(run=None):
        return {
            key: (c.overlap, c.likelihood, c.score, c.kind_affinity, c.shared_partners)
            for key, c in pairs(run).items()
            if r.women.pk in key and c.audiences & PUBLIC_SET
        }

    written = women_public()
    assert written
    with refresh.overlap_refresh_suspended():
        # Visible changes away from the women's network's pairs: a new public foundation holding
        # o2, tied to the Tech NGO (the kind counts and o2's holders move).
        foundation = StakeholderFactory(name="Open Foundation", kind=Kind.FOUNDATION)
        StakeFactory(stakeholder=foundation, outcome=r.o2, interest=0.8)
        TieFactory(from_stakeholder=foundation, to_stakeholder=r.ngo2)
    with django_capture_on_commit_callbacks(execute=True):
        TieFactory(from_stakeholder=hidden, to_stakeholder=r.women)  # refreshes the network
    assert women_public() == written
    # The figures did move: a full run now scores those pairs otherwise.
    moved = women_public(run_overlap(**params))
    assert set(moved) == set(written)
    assert any(moved[key][3] != written[key][3] for key in written)
