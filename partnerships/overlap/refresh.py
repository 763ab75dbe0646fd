"""One stakeholder's candidates recomputed without a full run, and the queue that sends those
refreshes when stakes change (a full run instead when too many changed at once)."""

from __future__ import annotations

import contextlib
import logging
import threading

import numpy as np
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from stakeholders.choices import Audience, Sensitivity
from stakeholders.models import Outcome, Stake, Stakeholder, Tie

from ..choices import AUDIENCE_FLAGS, RunTrigger
from ..models import (
    Candidate,
    OverlapRun,
)
from .compute import candidates_for_rows, merge_pairs, score_given_pairs
from .loading import (
    INCLUSIVE_KINDS,
    INCLUSIVE_SCOPES,
    KIND_CODES,
    fetch_numeric,
    name_ranks,
    table_name,
)
from .parameters import CLEARED_SET, PUBLIC_SET, Parameters
from .registry import Registry, build_registry
from .runs import overlap_run_request
from .selection import Selection
from .writing import candidates_insert

logger = logging.getLogger(__name__)

# More stakeholders than this changed in one transaction: a full run instead of refreshes.
REFRESH_BATCH_LIMIT = 200

# --- one stakeholder's refresh ------------------------------------------------------------------


def _kind_code_sql() -> tuple[str, list]:
    whens = " ".join("WHEN %s THEN %s" for _ in KIND_CODES)
    params = [value for kind, code in KIND_CODES.items() for value in (kind, code)]
    return f"CASE kind {whens} ELSE -1 END", params


def _kind_counts_everywhere() -> tuple[np.ndarray, np.ndarray]:
    """The whole registry's public tied pairs by pair of kind codes and public actors holding
    an outcome by kind code (``overlap.kind_counts``, in two aggregate queries), for a refresh
    whose registry holds only one stakeholder's ties."""
    stake, people = table_name(Stake), table_name(Stakeholder)
    kind_code, kind_params = _kind_code_sql()
    code_a = kind_code.replace("CASE kind", "CASE a.kind")
    code_b = kind_code.replace("CASE kind", "CASE b.kind")
    holds = "EXISTS (SELECT 1 FROM {0} s WHERE s.stakeholder_id = {1}.id AND s.interest > 0)"
    sizes = fetch_numeric(
        f"SELECT {code_a}, COUNT(*) FROM {people} a "
        f"WHERE a.sensitivity = %s AND {holds.format(stake, 'a')} GROUP BY 1",
        [*kind_params, Sensitivity.PUBLIC],
        columns=2,
    )
    # Each tied pair once, whichever way and however many ties it has.
    low = "CASE WHEN from_stakeholder_id < to_stakeholder_id THEN from_stakeholder_id"
    high = "CASE WHEN from_stakeholder_id < to_stakeholder_id THEN to_stakeholder_id"
    pairs = (
        f"SELECT DISTINCT {low} ELSE to_stakeholder_id END AS x, "
        f"{high} ELSE from_stakeholder_id END AS y FROM {table_name(Tie)}"
    )
    ties = fetch_numeric(
        f"SELECT {code_a}, {code_b}, COUNT(*) FROM ({pairs}) p "
        f"JOIN {people} a ON a.id = p.x JOIN {people} b ON b.id = p.y "
        "WHERE a.sensitivity = %s AND b.sensitivity = %s AND a.kind <> b.kind AND "
        f"{holds.format(stake, 'a')} AND {holds.format(stake, 'b')} GROUP BY 1, 2",
        [*kind_params, *kind_params, Sensitivity.PUBLIC, Sensitivity.PUBLIC],
        columns=3,
    )
    width = len(KIND_CODES)
    kind_sizes = np.zeros(width)
    known = (sizes[:, 0] >= 0) & (sizes[:, 0] < width)
    kind_sizes[sizes[known, 0].astype(np.int64)] = sizes[known, 1]
    kind_ties = np.zeros((width, width))
    known = (ties[:, 0] >= 0) & (ties[:, 1] >= 0) & (ties[:, 0] < width) & (ties[:, 1] < width)
    a, b = ties[known, 0].astype(np.int64), ties[known, 1].astype(np.int64)
    np.add.at(kind_ties, (a, b), ties[known, 2])
    return kind_ties + kind_ties.T, kind_sizes


def _partner_ties_around(stakeholder: Stakeholder) -> np.ndarray:
    """``(stakeholder id, partner id)`` rows for every tie to one of this stakeholder's *public*
    partners (its own ties to them included): all that its pairs' shared partners read. One
    query."""
    tie, people = table_name(Tie), table_name(Stakeholder)
    partners = (
        f"SELECT p.id FROM {people} p WHERE p.sensitivity = %s AND p.id IN ("
        f"SELECT to_stakeholder_id FROM {tie} WHERE from_stakeholder_id = %s UNION "
        f"SELECT from_stakeholder_id FROM {tie} WHERE to_stakeholder_id = %s)"
    )
    rows = fetch_numeric(
        f"SELECT from_stakeholder_id, to_stakeholder_id FROM {tie} "
        f"WHERE to_stakeholder_id IN ({partners}) UNION "
        f"SELECT to_stakeholder_id, from_stakeholder_id FROM {tie} "
        f"WHERE from_stakeholder_id IN ({partners})",
        [Sensitivity.PUBLIC, stakeholder.pk, stakeholder.pk] * 2,
        columns=2,
    ).astype(np.int64)
    return rows[rows[:, 0] != rows[:, 1]]


def _people_around(stakeholder: Stakeholder) -> np.ndarray:
    """``(id, kind code, capabilities, inclusive, squared norm, public, outcomes held)`` of the
    stakeholder and everyone sharing an outcome with it, over *all* their stakes. One query."""
    stake = table_name(Stake)
    sharing = (
        f"SELECT DISTINCT stakeholder_id FROM {stake} WHERE interest > 0 AND outcome_id IN "
        f"(SELECT outcome_id FROM {stake} WHERE stakeholder_id = %s AND interest > 0)"
    )
    kind_code, kind_params = _kind_code_sql()
    inclusive = ", ".join(["%s"] * len(INCLUSIVE_KINDS))
    scopes = ", ".join(["%s"] * len(INCLUSIVE_SCOPES))
    return fetch_numeric(
        f"SELECT a.id, {kind_code}, a.capabilities, "
        f"CASE WHEN a.women_led OR a.kind IN ({inclusive}) OR a.scope IN ({scopes}) "
        "THEN 1 ELSE 0 END, n.norm2, CASE WHEN a.sensitivity = %s THEN 1 ELSE 0 END, n.held "
        f"FROM {table_name(Stakeholder)} a JOIN (SELECT stakeholder_id, SUM(interest * interest) "
        f"AS norm2, COUNT(*) AS held FROM {stake} WHERE interest > 0 AND stakeholder_id IN "
        f"({sharing}) GROUP BY stakeholder_id) n ON n.stakeholder_id = a.id",
        [*kind_params, *INCLUSIVE_KINDS, *INCLUSIVE_SCOPES, Sensitivity.PUBLIC, stakeholder.pk],
        columns=7,
    )


def _registry_around(
    stakeholder: Stakeholder,
    *,
    with_rarity: bool = False,
    with_kinds: bool = False,
    statistics: dict | None = None,
) -> Registry:
    """The part of the registry that one stakeholder's candidates depend on: the stakeholder and
    everyone sharing an outcome with it, the interest and influence columns of its outcomes
    only, and their *full* norms and numbers of outcomes held (so cosines and K are exact); each
    outcome's public holders are all in these columns, and ``with_rarity`` counts the public
    actors holding anything (one more query), ``with_kinds`` the whole registry's public ties
    and actors by kind (two more: the kind factor reads them). Two COPY queries; no id list
    travels to the database but the partners' names' ranks.

    ``statistics`` (the current run's, see ``registry_statistics``) replaces those registry-wide
    counts (holders per outcome, public size, kind counts) and the queries for them."""
    own = list(
        Stake.objects.filter(stakeholder=stakeholder, interest__gt=0).values_list(
            "outcome_id", flat=True
        )
    )
    holders = fetch_numeric(
        f"SELECT stakeholder_id, outcome_id, interest, influence FROM {table_name(Stake)} "
        f"WHERE interest > 0 AND outcome_id IN (SELECT outcome_id FROM {table_name(Stake)} "
        "WHERE stakeholder_id = %s AND interest > 0)",
        [stakeholder.pk],
        columns=4,
    )
    people = _people_around(stakeholder)
    ids = people[:, 0].astype(np.int64)
    public = people[:, 5] > 0
    columns = {
        "stakeholder_ids": ids,
        "kinds": people[:, 1].astype(np.int64),
        "capabilities": people[:, 2].astype(np.int64),
        "inclusive": people[:, 3] > 0,
        "public": public,
        "degrees": people[:, 6].astype(np.int64),
        "order_keys": name_ranks(ids),
    }
    # Rarity reads how many public actors hold each outcome, among how many hold any.
    holder_public = np.isin(holders[:, 0].astype(np.int64), ids[public])
    ties = np.array(
        Tie.objects.filter(Q(from_stakeholder=stakeholder) | Q(to_stakeholder=stakeholder))
        .order_by()
        .values_list("from_stakeholder_id", "to_stakeholder_id"),
        dtype=np.int64,
    ).reshape(-1, 2)
    outcomes = list(
        Outcome.objects.filter(pk__in=own).order_by("id").values_list("id", "needed_capabilities")
    )
    outcome_ids = np.array([o[0] for o in outcomes], dtype=np.int64)
    held_by_public = holders[holder_public, 1].astype(np.int64)
    partner_ties = _partner_ties_around(stakeholder)
    held, public_size, kinds = _registry_wide(
        outcome_ids,
        held_by_public,
        public,
        statistics=statistics,
        with_rarity=with_rarity,
        with_kinds=with_kinds,
    )
    return build_registry(
        **columns,
        outcome_ids=outcome_ids,
        needs=[int(o[1]) for o in outcomes],
        stake_stakeholder_ids=holders[:, 0].astype(np.int64),
        stake_outcome_ids=holders[:, 1].astype(np.int64),
        stake_interest=holders[:, 2],
        stake_influence=holders[:, 3],
        tie_from_ids=ties[:, 0],
        tie_to_ids=ties[:, 1],
        norms=np.sqrt(people[:, 4]),
        holders=held,
        public_size=public_size,
        partner_tie_ids=partner_ties,
        **kinds,
    )


def _registry_wide(outcome_ids, held_by_public, public, *, statistics, with_rarity, with_kinds):
    """Each outcome's public holders, how many public actors hold anything and the kind counts:
    the run's (``statistics``) when it kept them, else read today."""
    if statistics:
        held = np.array(
            [statistics["holders"].get(str(int(o)), 0) for o in outcome_ids], dtype=np.int64
        )
        kinds = {
            "kind_ties": np.array(statistics["kind_ties"], dtype=np.float64),
            "kind_sizes": np.array(statistics["kind_sizes"], dtype=np.float64),
        }
        return held, int(statistics["public_size"]), kinds
    held = np.bincount(np.searchsorted(outcome_ids, held_by_public), minlength=len(outcome_ids))
    if with_rarity:  # a count over the whole stake table
        public_size = (
            Stake.objects.filter(interest__gt=0, stakeholder__sensitivity=Sensitivity.PUBLIC)
            .values("stakeholder_id")
            .distinct()
            .count()
        )
    else:
        public_size = int(np.count_nonzero(public))
    kinds = {}
    if with_kinds:
        kinds["kind_ties"], kinds["kind_sizes"] = _kind_counts_everywhere()
    return held[: len(outcome_ids)], public_size, kinds


def candidates_refresh_stakeholder(*, stakeholder_id: int) -> int | None:
    """Recompute one stakeholder's candidates in the current run, without a full run.

    Its row is multiplied against everyone sharing an outcome with it (one sparse row × matrix
    product); its candidates in the current run are replaced, in one transaction, by its new top
    K plus those of its old pairs that still qualify (they were there because the *other* actor
    chose it; the next full run re-ranks the other actors' lists), for each audience: among
    public actors for people not cleared (none if it is not public itself), among everyone for
    cleared people. Returns how many candidates involve it now, or None when there is no current
    run or no such stakeholder.
    """
    current = OverlapRun.objects.filter(is_current=True).first()
    stakeholder = Stakeholder.objects.filter(pk=stakeholder_id).first()
    if current is None or stakeholder is None:
        return None
    params = Parameters.from_dict(current.parameters)
    previous = list(
        Candidate.objects.filter(run=current)
        .filter(Q(stakeholder_a=stakeholder) | Q(stakeholder_b=stakeholder))
        .values_list("stakeholder_a_id", "stakeholder_b_id", "audiences")
    )
    registry = _registry_around(
        stakeholder,
        with_rarity=params.weight_rarity > 0,
        with_kinds=params.weight_kinds > 0,
        statistics=current.statistics,
    )
    if stakeholder.pk in registry.ids:
        row = registry.index_of([stakeholder.pk])
        parts = [candidates_for_rows(registry, row, params, threads=1)]
        for flag in (PUBLIC_SET, CLEARED_SET):
            partners = sorted(
                {b if a == stakeholder.pk else a for a, b, chosen in previous if chosen & flag}
            )
            # Old partners that no longer share an outcome are not in the registry: overlap 0.
            present = np.intersect1d(np.array(partners, dtype=np.int64), registry.ids)
            parts.append(
                score_given_pairs(
                    registry,
                    np.repeat(row, len(present)),
                    registry.index_of(present),
                    params,
                    flag=flag,
                )
            )
        merged = merge_pairs(Selection.concatenate(parts, params.shared_outcomes_kept))
    else:  # no stake with interest left: no candidates
        merged = Selection.empty(params.shared_outcomes_kept)
    with transaction.atomic():
        locked = OverlapRun.objects.select_for_update().filter(pk=current.pk).first()
        if locked is None or not locked.is_current:
            return None  # a new run took over meanwhile; it refreshes changed stakeholders itself
        involving = Candidate.objects.filter(run=current).filter(
            Q(stakeholder_a=stakeholder) | Q(stakeholder_b=stakeholder)
        )
        public_before = involving.filter(audiences__in=AUDIENCE_FLAGS[Audience.PUBLIC]).count()
        deleted, _ = involving.delete()
        candidates_insert(current.pk, merged)
        public_now = int(np.count_nonzero(merged.audiences & PUBLIC_SET))
        counts = dict(locked.public_counts)
        if "candidates" in counts:
            counts["candidates"] = counts["candidates"] - public_before + public_now
        OverlapRun.objects.filter(pk=current.pk).update(
            candidate_count=Coalesce(F("candidate_count"), 0) - deleted + len(merged),
            public_counts=counts,
        )
    return len(merged)


def refresh_changed_since(moment) -> None:
    """Refresh the stakeholders whose stakes changed while the run was computing."""
    if moment is None:
        return
    changed = set(
        Stake.history.filter(history_date__gte=moment)
        .values_list("stakeholder_id", flat=True)
        .distinct()[: REFRESH_BATCH_LIMIT + 1]
    )
    refreshes_send(changed)


def refreshes_send(stakeholder_ids) -> None:
    from ..tasks import candidates_refresh_stakeholder_task

    stakeholder_ids = sorted(set(stakeholder_ids))
    if len(stakeholder_ids) > REFRESH_BATCH_LIMIT:
        overlap_run_request(trigger=RunTrigger.CHANGES)
        return
    for stakeholder_id in stakeholder_ids:
        candidates_refresh_stakeholder_task.delay(stakeholder_id)


# --- queueing refreshes when stakes change ------------------------------------------------------

_suspended = threading.local()


@contextlib.contextmanager
def overlap_refresh_suspended():
    """Within this block, stake changes queue no refresh (bulk imports: run a full run after)."""
    _suspended.depth = getattr(_suspended, "depth", 0) + 1
    try:
        yield
    finally:
        _suspended.depth -= 1


class _RefreshBatch:
    """The stakeholders whose stakes changed in one transaction; sent once, when it commits."""

    def __init__(self):
        self.ids: set[int] = set()
        self.sent = False

    def __call__(self):
        self.sent = True
        refreshes_send(self.ids)


def overlap_refresh_queue(stakeholder_id: int) -> None:
    """Queue a refresh of this stakeholder's candidates for when the transaction commits.

    All the stakeholders changed in one transaction are sent together, each once; more than
    REFRESH_BATCH_LIMIT of them start a full run instead.
    """
    if getattr(_suspended, "depth", 0):
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        refreshes_send([stakeholder_id])
        return
    batch = getattr(conn, "_overlap_refresh_batch", None)
    # A rolled-back transaction drops its on-commit callbacks: then start a new batch.
    if (
        batch is None
        or batch.sent
        or not any(callback is batch for _, callback, _ in conn.run_on_commit)
    ):
        batch = _RefreshBatch()
        conn._overlap_refresh_batch = batch
        transaction.on_commit(batch)
    batch.ids.add(stakeholder_id)
