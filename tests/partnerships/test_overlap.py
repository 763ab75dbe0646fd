"""The pure core, checked against numbers worked out by hand (no database)."""

import io
import math
import zlib

import numpy as np
import pytest

from partnerships.overlap.compute import (
    candidates_for_rows,
    complementarity,
    compute_all,
    merge_pairs,
    score_given_pairs,
    select_top,
    shortlist,
)
from partnerships.overlap.parameters import BOTH_SETS, CLEARED_SET, PUBLIC_SET, Parameters
from partnerships.overlap.registry import build_registry, chunk_bounds
from partnerships.overlap.selection import Selection

NGO, FIRM, WOMEN = 0, 1, 2
FUNDING, FIELD, TECH, LEGAL, TRUST = 1, 2, 4, 16, 512


def small_registry(*, ties=((4, 2),), kinds=(NGO, FIRM, WOMEN, NGO)):
    """Four actors × three outcomes, small enough to work out by hand.

    actor 1 NGO   {funding, field}  o1 = 1.0, o2 = 0.5
    actor 2 firm  {technology}      o1 = 0.5, o2 = 1.0
    actor 3 women {community trust} o1 = 1.0, o3 = 1.0   (inclusive)
    actor 4 NGO   {technology}      o2 = 1.0
    o1 needs funding, technology, trust; o2 needs field, technology; o3 needs legal.
    """
    return build_registry(
        stakeholder_ids=[1, 2, 3, 4],
        kinds=kinds,
        capabilities=[FUNDING | FIELD, TECH, TRUST, TECH],
        inclusive=[False, False, True, False],
        outcome_ids=[10, 20, 30],
        needs=[FUNDING | TECH | TRUST, FIELD | TECH, LEGAL],
        stake_stakeholder_ids=[1, 1, 2, 2, 3, 3, 4],
        stake_outcome_ids=[10, 20, 10, 20, 10, 30, 20],
        stake_interest=[1.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0],
        tie_from_ids=[a for a, _ in ties],
        tie_to_ids=[b for _, b in ties],
    )


def as_dict(selection: Selection) -> dict:
    return {
        (int(a), int(b)): i
        for i, (a, b) in enumerate(zip(selection.src, selection.dst, strict=False))
    }


def test_overlap_complementarity_likelihood_and_priority_match_the_hand_computation():
    result = compute_all(small_registry(), Parameters())
    pairs = as_dict(result)
    # (1,4) same kind, (2,4) tied (4 → 2), (3,4) share nothing.
    assert set(pairs) == {(1, 2), (1, 3), (2, 3)}

    # cos(1,2) = (1·0.5 + 0.5·1) / (√1.25 · √1.25) = 0.8
    # cos(1,3) = 1 / (√1.25 · √2) = 1/√2.5 ; cos(2,3) = 0.5/√2.5
    expected_overlap = {(1, 2): 0.8, (1, 3): 1 / math.sqrt(2.5), (2, 3): 0.5 / math.sqrt(2.5)}
    # (1,2) share o1+o2: needed {funding, field, tech, trust}; only 1: {funding, field} = 2,
    # only 2: {tech} = 1; ⌊4/2⌋ = 2 → 1/2.  (1,3) and (2,3) share o1: needed {funding, tech,
    # trust}; each brings one the other lacks → min(1,1)/⌊3/2⌋ = 1.
    expected_compl = {(1, 2): 0.5, (1, 3): 1.0, (2, 3): 1.0}
    expected_inclusion = {(1, 2): 0.0, (1, 3): 1.0, (2, 3): 1.0}
    for pair, i in pairs.items():
        assert result.overlap[i] == pytest.approx(expected_overlap[pair], abs=1e-9)
        assert result.complementarity[i] == pytest.approx(expected_compl[pair], abs=1e-9)
        assert result.inclusion[i] == expected_inclusion[pair]
        # (1,2) share two outcomes: support 2 / (2 + 2) = 1/2; the others one: 1 / (1 + 2) = 1/3.
        # No influence recorded: power–interest 0; the fit weighs 0 by default.
        support = {(1, 2): 0.5, (1, 3): 1 / 3, (2, 3): 1 / 3}[pair]
        # Kinds: NGO 2 actors, firm 1, women 1: 2 + 2 + 1 = 5 pairs of different kinds, one
        # tied (NGO 4 – firm 2): rate 1/5. L = (T + 5) / (n_a n_b / 5 + 5), kinds = min(1,
        # 2L / (1 + L)): NGO–firm (1 + 5) / 5.4 > 1 → 1; NGO–women 5 / 5.4 → 10 / 10.4;
        # firm–women 5 / 5.2 → 10 / 10.2.
        kinds = {(1, 2): 1.0, (1, 3): 10 / 10.4, (2, 3): 10 / 10.2}[pair]
        assert result.kind_affinity[i] == pytest.approx(kinds, abs=1e-12)
        likelihood = expected_overlap[pair] * support * kinds
        assert result.likelihood[i] == pytest.approx(likelihood, abs=1e-12)
        assert result.power_interest[i] == 0.0
        # priority = 1 − (1 − likelihood)^(1 + 1 · inclusion)
        priority = 1 - (1 - likelihood) ** (1 + expected_inclusion[pair])
        assert result.score[i] == pytest.approx(priority, abs=1e-12)
    # 0.4 without inclusion; 0.2027 → 0.3643 with a women's group in the pair.
    assert result.score[pairs[(1, 2)]] == pytest.approx(0.4)
    ngo_women = 1 / math.sqrt(2.5) / 3 * 10 / 10.4
    assert result.score[pairs[(1, 3)]] == pytest.approx(1 - (1 - ngo_women) ** 2)

    i = pairs[(1, 2)]
    assert result.needed[i] == FUNDING | FIELD | TECH | TRUST
    assert result.brings_src[i] == FUNDING | FIELD  # what actor 1 brings
    assert result.brings_dst[i] == TECH
    assert result.shared_count[i] == 2
    # o10 weighs 1·0.5 and o20 0.5·1 in the overlap: equal, so the lower id first.
    assert result.shared[i].tolist()[:3] == [10, 20, -1]


def test_same_kind_pairs_are_never_candidates():
    everyone_ngo = compute_all(small_registry(kinds=(NGO, NGO, NGO, NGO), ties=()), Parameters())
    assert len(everyone_ngo) == 0


@pytest.mark.parametrize("tie", [(4, 2), (2, 4)])
def test_tied_pairs_are_never_candidates_whichever_way_the_tie_points(tie):
    untied = as_dict(
        compute_all(small_registry(kinds=(NGO, FIRM, WOMEN, WOMEN), ties=()), Parameters())
    )
    assert (2, 4) in untied
    tied = as_dict(
        compute_all(small_registry(kinds=(NGO, FIRM, WOMEN, WOMEN), ties=(tie,)), Parameters())
    )
    assert (2, 4) not in tied
    assert set(tied) == set(untied) - {(2, 4)}


def test_complementarity_cases():
    needed = np.array([FUNDING | TECH, FUNDING | TECH, FUNDING, FUNDING | TECH | TRUST | LEGAL, 0])
    caps_s = np.array([FUNDING, FUNDING | TECH, FUNDING, FUNDING | TRUST, FUNDING])
    caps_t = np.array([TECH, 0, TECH, TECH | LEGAL, TECH])
    # each brings one of two → 1; s covers all alone → 0; one capability cannot be split → 0;
    # 2 and 2 of 4 → 1; no needs recorded: the toolboxes alone, each lacks the other's → 1.
    assert complementarity(needed, caps_s, caps_t).tolist() == [1.0, 0.0, 0.0, 1.0, 1.0]
    # No needs recorded: only one brings something the other lacks → ½; same or none → 0.
    assert complementarity(
        np.zeros(3, np.uint16), np.array([FUNDING | TECH, TECH, 0]), np.array([TECH, TECH, 0])
    ).tolist() == [0.5, 0.0, 0.0]
    # 3 of 5 needed: only_s = 2, only_t = 1 → 1 / ⌊5/2⌋ = 0.5
    five = FUNDING | FIELD | TECH | LEGAL | TRUST
    assert complementarity(
        np.array([five]), np.array([FUNDING | FIELD]), np.array([TECH])
    ).tolist() == [0.5]


def test_top_k_per_stakeholder_keeps_the_union_of_each_sides_choice():
    result = compute_all(small_registry(), Parameters(top_k=1, top_k_growth=0, shortlist=5))
    # Priorities: (1,2) 0.4, (1,3) 0.377, (2,3) 0.200. 1 picks 2, 2 picks 1 (4 is tied),
    # 3 picks 1, 4 picks nobody.
    assert set(as_dict(result)) == {(1, 2), (1, 3)}


def test_minimum_score_drops_weak_pairs():
    result = compute_all(small_registry(), Parameters(min_score=0.3))
    assert set(as_dict(result)) == {(1, 2), (1, 3)}


def test_k_grows_with_the_outcomes_an_actor_holds():
    params = Parameters(top_k=10, top_k_growth=5)
    # K = 10 + ⌊5 · log2(outcomes)⌋
    assert params.k_of([0, 1, 2, 16, 100, 111]).tolist() == [10, 10, 15, 30, 43, 43]
    assert Parameters(top_k_growth=0).k_of([1, 500]).tolist() == [10, 10]


def star_registry(leaves: int, *, shared_each: int = 1):
    """A hub (id 1, kind NGO) sharing ``shared_each`` outcomes with each of ``leaves`` firms."""
    ids = [1, *range(2, leaves + 2)]
    rows, cols = [], []
    for leaf in range(leaves):
        for k in range(shared_each):
            outcome = 100 + leaf * shared_each + k
            rows += [1, leaf + 2]
            cols += [outcome, outcome]
    outcomes = sorted(set(cols))
    return build_registry(
        stakeholder_ids=ids, kinds=[NGO] + [FIRM] * leaves, capabilities=[0] * len(ids),
        inclusive=[False] * len(ids), outcome_ids=outcomes, needs=[0] * len(outcomes),
        stake_stakeholder_ids=rows, stake_outcome_ids=cols, stake_interest=[1.0] * len(rows),
    )  # fmt: skip


def test_a_hub_keeps_more_partners_than_k():
    # The hub holds 40 outcomes, one with each firm: overlap 1/√40 each; K = 10 + ⌊3·log2 40⌋.
    registry = star_registry(40)
    with_growth = compute_all(registry, Parameters(top_k=10, min_overlap=0.0))
    without = compute_all(registry, Parameters(top_k=10, top_k_growth=0, min_overlap=0.0))
    hub = lambda s: int(np.count_nonzero((s.src == 1) | (s.dst == 1)))  # noqa: E731
    # Each firm holds one outcome (K = 10) and picks the hub, so the hub is in every pair either
    # way; the hub's own choice is what K governs: compare the hub's own choice directly.
    assert hub(with_growth) == hub(without) == 40
    directed = candidates_for_rows(registry, registry.index_of([1]), Parameters(min_overlap=0.0))
    # (Directed selections come once per audience: count the public one's.)
    public = lambda s: int(np.count_nonzero(s.audiences == PUBLIC_SET))  # noqa: E731
    assert public(directed) == 10 + int(3 * math.log2(40))  # 25, not 10
    starved = candidates_for_rows(
        registry, registry.index_of([1]), Parameters(min_overlap=0.0, top_k_growth=0)
    )
    assert public(starved) == 10


def test_more_shared_outcomes_beat_one_perfect_match():
    # Actor 1 (NGO) holds o1; actor 2 (firm) holds o1 only: cosine 1, one shared outcome.
    # Actor 3 (NGO) and 4 (firm) share o2, o3, o4 with different interests: cosine < 1.
    registry = build_registry(
        stakeholder_ids=[1, 2, 3, 4], kinds=[NGO, FIRM, NGO, FIRM], capabilities=[0] * 4,
        inclusive=[False] * 4, outcome_ids=[1, 2, 3, 4], needs=[0] * 4,
        stake_stakeholder_ids=[1, 2, 3, 3, 3, 4, 4, 4],
        stake_outcome_ids=[1, 1, 2, 3, 4, 2, 3, 4],
        stake_interest=[1, 1, 1.0, 0.5, 0.5, 0.5, 1.0, 0.5],
    )  # fmt: skip
    result = as_dict(compute_all(registry, Parameters()))
    scored = compute_all(registry, Parameters())
    one, three = result[(1, 2)], result[(3, 4)]
    assert scored.overlap[one] == pytest.approx(1.0)
    assert scored.overlap[three] < scored.overlap[one]  # the cosine prefers the one-outcome pair
    assert scored.likelihood[three] > scored.likelihood[one]  # the evidence does not


def test_rarity_weights_outcomes_by_their_public_holders_only():
    # Five actors hold o1 (common), only actors 1 and 2 hold o2 (rare). N = 5 public holders.
    def registry(public):
        return build_registry(
            stakeholder_ids=[1, 2, 3, 4, 5], kinds=[NGO, FIRM, WOMEN, NGO, FIRM],
            capabilities=[0] * 5, inclusive=[False] * 5, outcome_ids=[1, 2], needs=[0, 0],
            stake_stakeholder_ids=[1, 2, 3, 4, 5, 1, 2], stake_outcome_ids=[1, 1, 1, 1, 1, 2, 2],
            stake_interest=[1.0] * 7, public=public,
        )  # fmt: skip

    everyone = registry([True] * 5)
    # rarity = ln(N / n) / ln(N / 2): o1 held by 5 of 5 → 0; o2 held by 2 → 1.
    assert everyone.rarity.tolist() == pytest.approx([0.0, 1.0])
    params = Parameters(weight_rarity=1.0)
    pairs = as_dict(compute_all(everyone, params))
    result = compute_all(everyone, params)
    # (1,2) share o1 and o2: evidence 0 + 1 = 1, support 1/3, overlap 1 → 1/3.
    assert result.likelihood[pairs[(1, 2)]] == pytest.approx(1 / 3)
    # (1,3) share o1 only: evidence 0 → likelihood 0.
    assert result.likelihood[pairs[(1, 3)]] == 0.0
    # Actor 5 restricted: the public holders of o1 are 4 of N = 4, of o2 2 of 4; a hidden
    # holder changes nothing the uncleared see (their pairs never had it), and is not counted.
    hidden = registry([True, True, True, True, False])
    assert hidden.holders.tolist() == [4, 2]
    assert hidden.public_size == 4


def test_power_interest_is_the_mean_influence_gap_on_shared_outcomes():
    registry = build_registry(
        stakeholder_ids=[1, 2], kinds=[NGO, FIRM], capabilities=[FUNDING, FIELD],
        inclusive=[False, False], outcome_ids=[1, 2, 3], needs=[0, 0, 0],
        stake_stakeholder_ids=[1, 1, 1, 2, 2], stake_outcome_ids=[1, 2, 3, 1, 2],
        stake_interest=[1.0, 1.0, 1.0, 1.0, 1.0], stake_influence=[1.0, 0.8, 0.1, 0.5, 0.8],
    )  # fmt: skip
    params = Parameters(weight_fit=0.5)
    result = compute_all(registry, params)
    # Shared o1 (gap 0.5) and o2 (gap 0): mean 0.25. No needs recorded: toolboxes funding vs
    # field presence, each lacks the other's → complementarity 1. fit = (1 + 0.25) / 2.
    assert result.power_interest[0] == pytest.approx(0.25)
    assert result.complementarity[0] == 1.0
    overlap = 2 / (math.sqrt(3) * math.sqrt(2))
    fit = 0.625
    assert result.likelihood[0] == pytest.approx(overlap * 0.5 * (0.5 + 0.5 * fit))


def test_ties_in_priority_go_to_evidence_then_to_the_name_order_not_to_ids():
    # A hub (NGO) and three firms each holding the hub's one outcome: equal figures for all.
    def registry(order_keys):
        return build_registry(
            stakeholder_ids=[1, 2, 3, 4], kinds=[NGO, FIRM, FIRM, FIRM], capabilities=[0] * 4,
            inclusive=[False] * 4, outcome_ids=[1], needs=[0],
            stake_stakeholder_ids=[1, 2, 3, 4], stake_outcome_ids=[1, 1, 1, 1],
            stake_interest=[1.0] * 4, order_keys=order_keys,
        )  # fmt: skip

    params = Parameters(top_k=1, top_k_growth=0, shortlist=3)
    hub = np.array([0])
    first = merge_pairs(candidates_for_rows(registry([0, 3, 2, 1]), hub, params))
    assert first.dst.tolist() == [4]  # id 4 comes first by name
    second = merge_pairs(candidates_for_rows(registry([0, 1, 3, 2]), hub, params))
    assert second.dst.tolist() == [2]


def test_rows_without_interest_and_an_empty_registry_give_no_candidates():
    zero = build_registry(
        stakeholder_ids=[1, 2], kinds=[NGO, FIRM], capabilities=[1, 2], inclusive=[False, True],
        outcome_ids=[10], needs=[3], stake_stakeholder_ids=[1, 2], stake_outcome_ids=[10, 10],
        stake_interest=[0.0, 0.0],
    )  # fmt: skip
    assert len(zero.row_order()) == 0
    assert len(compute_all(zero, Parameters())) == 0
    empty = build_registry(
        stakeholder_ids=[], kinds=[], capabilities=[], inclusive=[], outcome_ids=[], needs=[],
        stake_stakeholder_ids=[], stake_outcome_ids=[], stake_interest=[],
    )  # fmt: skip
    assert len(compute_all(empty, Parameters(), chunks=3)) == 0


def random_registry(
    n=600, m=80, seed=1, stakes_per_actor=6, hub=True, hidden_share=0.0, drop_hidden=False
):
    """A skewed random registry; ``hidden_share`` of the actors restricted. ``drop_hidden`` gives
    the same registry as if those actors (and their stakes and ties) had never existed."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, m + 1)
    popularity /= popularity.sum()
    actors = np.repeat(np.arange(1, n + 1), stakes_per_actor)
    outcomes = rng.choice(m, size=actors.size, p=popularity) + 1
    if hub:  # one outcome that everyone holds
        actors = np.r_[actors, np.arange(1, n + 1)]
        outcomes = np.r_[outcomes, np.full(n, m + 1)]
    keys = np.unique(actors * 10_000 + outcomes)
    ids = np.arange(1, n + 1) * 3  # ids are not row numbers
    kinds = rng.integers(0, 6, n)
    capabilities = rng.integers(0, 1024, n)
    inclusive = rng.random(n) < 0.2
    needs = rng.integers(1, 1024, m + 1)
    interest = np.round(rng.random(keys.size), 2)
    tie_from, tie_to = rng.integers(1, n + 1, n) * 3, rng.integers(1, n + 1, n) * 3
    public = rng.random(n) >= hidden_share
    stake_ids = (keys // 10_000) * 3
    if drop_hidden:
        kept = set(ids[public].tolist())
        stakes = np.isin(stake_ids, list(kept))
        ties = np.isin(tie_from, list(kept)) & np.isin(tie_to, list(kept))
        return build_registry(
            stakeholder_ids=ids[public], kinds=kinds[public],
            capabilities=capabilities[public], inclusive=inclusive[public],
            outcome_ids=np.arange(1, m + 2), needs=needs, stake_stakeholder_ids=stake_ids[stakes],
            stake_outcome_ids=(keys % 10_000)[stakes], stake_interest=interest[stakes],
            tie_from_ids=tie_from[ties], tie_to_ids=tie_to[ties],
        )  # fmt: skip
    return build_registry(
        stakeholder_ids=ids,
        kinds=kinds,
        capabilities=capabilities,
        inclusive=inclusive,
        outcome_ids=np.arange(1, m + 2),
        needs=needs,
        stake_stakeholder_ids=stake_ids,
        stake_outcome_ids=keys % 10_000,
        stake_interest=interest,
        tie_from_ids=tie_from,
        tie_to_ids=tie_to,
        public=public,
    )


FIELDS = ("src", "dst", "overlap", "complementarity", "inclusion", "score", "likelihood",
          "kind_affinity", "needed", "brings_src", "brings_dst", "shared_count",
          "shared")  # fmt: skip


def test_the_kind_factor_counts_public_ties_between_kinds_once_and_nothing_else():
    # Actors 1–2 NGO, 3 firm, 4 women's group, 5 firm without an outcome, 6 restricted firm.
    registry = build_registry(
        stakeholder_ids=[1, 2, 3, 4, 5, 6],
        kinds=[NGO, NGO, FIRM, WOMEN, FIRM, FIRM],
        capabilities=[0] * 6, inclusive=[False] * 6, outcome_ids=[10], needs=[0],
        stake_stakeholder_ids=[1, 2, 3, 4, 6], stake_outcome_ids=[10] * 5,
        stake_interest=[1.0] * 5,
        # 1–3 twice (both ways), 1–2 same kind, 3–5 no outcome, 2–6 and 4–6 restricted.
        tie_from_ids=[1, 3, 1, 3, 2, 4], tie_to_ids=[3, 1, 2, 5, 6, 6],
        public=[True, True, True, True, True, False],
    )  # fmt: skip
    assert registry.kind_sizes.tolist() == [2, 1, 1]
    assert registry.kind_ties[NGO, FIRM] == registry.kind_ties[FIRM, NGO] == 1
    assert registry.kind_ties.sum() == 2
    # 2 + 2 + 1 = 5 pairs of different kinds, one tied: r = 1/5. NGO–firm (1 + 5) / (2/5 + 5)
    # > 1 → 1; NGO–women 5 / 5.4 → 10 / 10.4; firm–women 5 / 5.2 → 10 / 10.2.
    affinity = registry.kind_affinity
    assert affinity[NGO, FIRM] == 1.0
    assert affinity[NGO, WOMEN] == pytest.approx(10 / 10.4, abs=1e-12)
    assert affinity[FIRM, WOMEN] == pytest.approx(10 / 10.2, abs=1e-12)
    # The restricted actor and its ties change nothing: the same registry without it.
    without = build_registry(
        stakeholder_ids=[1, 2, 3, 4, 5], kinds=[NGO, NGO, FIRM, WOMEN, FIRM],
        capabilities=[0] * 5, inclusive=[False] * 5, outcome_ids=[10], needs=[0],
        stake_stakeholder_ids=[1, 2, 3, 4], stake_outcome_ids=[10] * 4,
        stake_interest=[1.0] * 4, tie_from_ids=[1, 3, 1, 3], tie_to_ids=[3, 1, 2, 5],
    )  # fmt: skip
    assert np.array_equal(without.kind_affinity, affinity)
    # No ties at all: every pair of kinds gets 1, and the likelihood is the one without kinds.
    untied = small_registry(ties=())
    assert np.all(untied.kind_affinity == 1.0)
    plain = compute_all(untied, Parameters(weight_kinds=0.0))
    weighted = compute_all(untied, Parameters())
    assert np.array_equal(plain.likelihood, weighted.likelihood)


def test_chunked_equals_single():
    registry = random_registry()
    single = compute_all(registry, Parameters(), chunks=1)
    assert len(single) > 500
    for chunks in (2, 7):
        chunked = compute_all(registry, Parameters(), chunks=chunks, threads=2)
        for name in (*FIELDS, "audiences"):
            assert np.array_equal(getattr(single, name), getattr(chunked, name)), name


@pytest.mark.parametrize("seed", [1, 2])
def test_the_public_audience_gets_exactly_the_candidates_of_a_registry_without_hidden_actors(
    seed,
):
    """Do no harm, counterfactually: the pairs chosen for people not cleared are those the
    registry would give if the restricted actors had never existed, to the last digit."""
    params = Parameters()
    woven = compute_all(random_registry(seed=seed, hidden_share=0.15), params, chunks=3)
    without = compute_all(random_registry(seed=seed, hidden_share=0.15, drop_hidden=True), params)
    public = woven.take(np.flatnonzero(woven.audiences & PUBLIC_SET))
    assert len(public) > 300
    for name in FIELDS:
        assert np.array_equal(getattr(public, name), getattr(without, name)), name
    # Cleared people see more: the pairs with restricted actors, which push some public pairs out.
    cleared = woven.take(np.flatnonzero(woven.audiences & CLEARED_SET))
    hidden_ids = set(random_registry(seed=seed, hidden_share=0.15).ids.tolist()) - set(
        random_registry(seed=seed, hidden_share=0.15, drop_hidden=True).ids.tolist()
    )
    with_hidden = np.isin(cleared.src, list(hidden_ids)) | np.isin(cleared.dst, list(hidden_ids))
    assert with_hidden.sum() > 50
    assert not np.any(np.isin(public.src, list(hidden_ids)) | np.isin(public.dst, list(hidden_ids)))
    # Without hidden actors both audiences get the same pairs.
    assert np.all(without.audiences == BOTH_SETS)


def test_a_refresh_of_one_public_row_matches_the_public_choice():
    registry = random_registry(hidden_share=0.2)
    params = Parameters()
    whole = merge_pairs(candidates_for_rows(registry, registry.row_order(), params))
    row = registry.row_order()[:1]
    one = merge_pairs(candidates_for_rows(registry, row, params))
    assert len(one) and np.all(np.isin(one.audiences, [PUBLIC_SET, CLEARED_SET, BOTH_SETS]))
    index = {
        (int(a), int(b)): int(f)
        for a, b, f in zip(whole.src, whole.dst, whole.audiences, strict=True)
    }
    for a, b, flags in zip(one.src, one.dst, one.audiences, strict=True):
        assert index[(int(a), int(b))] & flags == flags


def test_stored_overlap_is_the_exact_cosine():
    registry = random_registry(n=200, m=30)
    result = compute_all(registry, Parameters())
    dense = registry.interest.toarray()
    rows_a, rows_b = registry.index_of(result.src), registry.index_of(result.dst)
    a, b = dense[rows_a], dense[rows_b]
    exact = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert np.allclose(result.overlap, exact, atol=1e-12, rtol=0)


def test_a_hub_outcome_does_not_grow_the_shortlist():
    registry = random_registry(n=1_000, m=20)
    rows = registry.row_order()
    src, dst, _ = shortlist(registry, rows, 7)
    assert np.bincount(src).max() <= 7
    # Nobody is shortlisted with an actor of its own kind.
    assert not np.any(registry.kinds[src] == registry.kinds[dst])


def test_each_unordered_pair_is_stored_once_with_what_each_side_brings():
    registry = small_registry()
    directed = candidates_for_rows(registry, registry.row_order(), Parameters())
    merged = merge_pairs(directed)
    assert len(directed) > len(merged)
    assert np.all(merged.src < merged.dst)
    i = as_dict(merged)[(1, 3)]
    assert merged.brings_src[i] == FUNDING and merged.brings_dst[i] == TRUST


def test_registry_round_trips_through_bytes():
    registry = random_registry(n=50, m=10)
    again = type(registry).from_bytes(registry.to_bytes())
    assert (again.interest != registry.interest).nnz == 0
    assert np.array_equal(again.tie_keys, registry.tie_keys)
    selection = compute_all(registry, Parameters())
    assert np.array_equal(Selection.from_bytes(selection.to_bytes()).score, selection.score)


def test_a_selection_travels_narrowed_and_comes_back_exactly():
    # Ids that fit in 32 bits and the 0/1 inclusion travel narrowed; what does not fit, as is.
    selection = compute_all(random_registry(n=50, m=10), Parameters())
    selection.inclusion[:] = np.arange(len(selection)) % 2
    selection.dst = selection.dst + 2**40  # ids beyond int32: kept 64-bit
    again = Selection.from_bytes(selection.to_bytes())
    for name in selection.__dataclass_fields__:
        before, after = getattr(selection, name), getattr(again, name)
        assert after.dtype == before.dtype and np.array_equal(after, before), name
    narrowed = np.load(io.BytesIO(zlib.decompress(selection.to_bytes())))
    assert narrowed["src"].dtype == np.int32 and narrowed["dst"].dtype == np.int64
    assert narrowed["inclusion"].dtype == np.uint8 and narrowed["score"].dtype == np.float64


def test_a_selection_travels_compressed_and_an_uncompressed_one_still_reads():
    # Chunks' results are compressed (zlib, level 1) to cost the database less (issue 22); a
    # result stored before, a bare .npz, is read as it was.
    selection = compute_all(random_registry(n=200, m=12), Parameters())
    payload = selection.to_bytes()
    npz = zlib.decompress(payload)
    assert len(payload) < 0.8 * len(npz)
    for stored in (payload, npz, memoryview(payload)):
        again = Selection.from_bytes(stored)
        for name in selection.__dataclass_fields__:
            before, after = getattr(selection, name), getattr(again, name)
            assert after.dtype == before.dtype and np.array_equal(after, before), name


def test_each_source_keeps_its_best_in_the_five_key_order_even_among_many_ties():
    # Few distinct priorities, likelihoods and counts: most pairs tie on one key or more.
    rng = np.random.default_rng(7)
    pairs = 5_000
    selection = Selection.empty()
    selection.src = rng.integers(0, 200, pairs)
    selection.dst = rng.permutation(pairs)
    selection.score = rng.integers(0, 4, pairs) / 4
    selection.likelihood = rng.integers(0, 3, pairs) / 3
    selection.shared_count = rng.integers(1, 3, pairs).astype(np.int32)
    keys = rng.permutation(pairs)
    limits = rng.integers(1, 40, pairs)
    params = Parameters(min_score=0.25)
    eligible = np.flatnonzero(selection.score >= 0.25)
    reference = eligible[
        np.lexsort(
            (
                keys[eligible],
                -selection.shared_count[eligible],
                -selection.likelihood[eligible],
                -selection.score[eligible],
                selection.src[eligible],
            )
        )
    ]
    first = np.r_[True, selection.src[reference][1:] != selection.src[reference][:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(reference)), 0))
    expected = reference[np.arange(len(reference)) - start < limits[reference]]
    chosen = select_top(selection, params, keys=keys, limits=limits)
    assert np.array_equal(chosen, expected)


def test_chunk_bounds_cover_every_row_once():
    assert chunk_bounds(10, 3) == [(0, 3), (3, 7), (7, 10)]
    assert chunk_bounds(2, 5) == [(0, 1), (1, 2)]
    assert chunk_bounds(0, 4) == [(0, 0)]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"top_k": 0}, "top_k"),
        ({"top_k": 2.5}, "top_k"),
        ({"min_score": 1.5}, "min_score"),
        ({"evidence_halfway": -1.0}, "evidence_halfway"),
        ({"inclusion_preference": 11.0}, "inclusion_preference"),
        ({"weight_fit": 1.5}, "weight_fit"),
        ({"shortlist": 5, "top_k": 10}, "shortlist"),
    ],
)
def test_parameter_errors_name_the_field_and_the_range(values, field):
    errors = Parameters.from_dict(values).errors()
    assert field in errors
    assert Parameters().errors() == {}


def test_a_shared_public_partner_counts_as_half_a_second_chance_and_a_hidden_one_not_at_all():
    # Actors 1 (NGO) and 2 (firm) share o1 (cosine 1, support 1/3). Actor 3 (women) is tied to
    # both; actor 4 (women, restricted) too; actor 5 (NGO) only to 1.
    def registry(*, partner_public: bool):
        return build_registry(
            stakeholder_ids=[1, 2, 3, 4, 5], kinds=[NGO, FIRM, WOMEN, WOMEN, NGO],
            capabilities=[0] * 5, inclusive=[False] * 5, outcome_ids=[1, 2], needs=[0, 0],
            stake_stakeholder_ids=[1, 2, 3, 4, 5], stake_outcome_ids=[1, 1, 2, 2, 2],
            stake_interest=[1.0] * 5,
            tie_from_ids=[3, 2, 4, 4, 5], tie_to_ids=[1, 3, 1, 2, 1],
            public=[True, True, partner_public, False, True],
        )  # fmt: skip

    params = Parameters(weight_kinds=0.0)
    one = registry(partner_public=True)
    assert one.shared_partners(one.index_of([1]), one.index_of([2])).tolist() == [1]
    result = score_given_pairs(one, one.index_of([1]), one.index_of([2]), params, flag=CLEARED_SET)
    # base = 1 × 1/3; one shared partner: 1 − (2/3)^(1 + 1/2).
    assert result.shared_partners.tolist() == [1]
    assert result.likelihood[0] == pytest.approx(1 - (2 / 3) ** 1.5, abs=1e-12)
    # Restricted, actor 3 is no shared partner either (nor is actor 4, for anyone): base alone.
    none = registry(partner_public=False)
    result = score_given_pairs(
        none, none.index_of([1]), none.index_of([2]), params, flag=CLEARED_SET
    )
    assert result.shared_partners.tolist() == [0]
    assert result.likelihood[0] == pytest.approx(1 / 3, abs=1e-12)


@pytest.mark.parametrize("batch", [1, 7, 64])
def test_rows_scored_in_batches_give_exactly_the_one_batch_result(monkeypatch, batch):
    """``candidates_for_rows`` scores ``ROW_BATCH`` rows at a time to bound a chunk's memory
    (issue 22): same pairs, same values, same order as all the rows at once, hidden actors and
    a hub outcome included."""
    from partnerships.overlap import compute

    registry = random_registry(n=600, m=25, hidden_share=0.2)
    rows = registry.row_order()[:300]
    # A shortlist as short as it may be, so that its length follows the rows' degrees (K_s).
    params = Parameters(top_k=4, shortlist=4)
    monkeypatch.setattr(compute, "ROW_BATCH", 10**9)
    whole = candidates_for_rows(registry, rows, params)
    monkeypatch.setattr(compute, "ROW_BATCH", batch)
    batched = candidates_for_rows(registry, rows, params)
    assert len(whole) > 300 and np.any(whole.audiences == CLEARED_SET)
    for name in FIELDS:
        assert np.array_equal(getattr(batched, name), getattr(whole, name)), name
