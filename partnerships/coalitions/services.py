"""Writes of coalitions: computing an outcome's coalitions for both audiences, replacing them
atomically and queueing recomputes when the registry changes (proposing a coalition as a draft
partnership is :mod:`partnerships.coalitions.proposing`). The arithmetic lives in
:mod:`partnerships.coalitions.core`.

**Restriction.** The registry is read once per outcome; the *public* pool is then cut down to
public stakeholders, and :func:`partnerships.coalitions.core.pool.build_pool` drops every tie
with an end outside the pool — so the public coalitions are computed from exactly what they would be
computed from if the hidden actors had never existed. Their digest covers only that, and they are
rewritten only when it changes: a change to a hidden actor leaves them, and their "computed at",
as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.choices import Audience, Capability, Kind, Position, Scope, Sensitivity, TieKind
from stakeholders.models import Outcome, Stake, Tie

from .core.objective import Coalition as SolvedCoalition
from .core.objective import Solution
from .core.pool import SOLVER_NONE, Parameters, Pool, build_pool
from .core.solver import solve
from .models import Coalition, CoalitionComputation, CoalitionMember

logger = logging.getLogger(__name__)

KIND_CODES = {kind: code for code, kind in enumerate(Kind.values)}
INCLUSIVE_KINDS = (Kind.WOMENS_GROUP, Kind.GRASSROOTS)
# More outcomes than this touched in one transaction: recompute every outcome instead.
QUEUE_LIMIT = 100


def coalition_parameters() -> Parameters:
    """The parameters every computation uses (the methodology page documents them)."""
    return Parameters(exact_limit=settings.COALITIONS_EXACT_LIMIT)


def is_inclusive(*, kind: str, scope: str) -> bool:
    """A women's group, a grassroots movement, or an actor working at local scope."""
    return kind in INCLUSIVE_KINDS or scope == Scope.LOCAL


# --- reading an outcome's pool ------------------------------------------------------------------


@dataclass
class OutcomeInputs:
    """Everything an outcome's coalitions are computed from, for every audience."""

    outcome_id: int
    needed: int
    # (stakeholder id, kind, scope, capabilities, sensitivity, interest, influence)
    holders: list[tuple] = field(default_factory=list)
    # (from id, to id, kind, strength) between holders, current today
    ties: list[tuple] = field(default_factory=list)

    def pool(self, audience: str) -> Pool:
        """The pool this audience's coalitions come from; the public one as if hidden actors
        had never existed (their ties go with them: build_pool drops ties leaving the pool)."""
        rows = [
            row
            for row in self.holders
            if audience == Audience.CLEARED or row[4] == Sensitivity.PUBLIC
        ]
        trust = [t for t in self.ties if t[2] != TieKind.OPPOSES]
        against = [t for t in self.ties if t[2] == TieKind.OPPOSES]
        return build_pool(
            stakeholder_ids=[r[0] for r in rows],
            kinds=[KIND_CODES[r[1]] for r in rows],
            capabilities=[int(r[3]) for r in rows],
            inclusive=[is_inclusive(kind=r[1], scope=r[2]) for r in rows],
            interest=[r[5] for r in rows],
            influence=[r[6] for r in rows],
            needed=self.needed,
            tie_from_ids=[t[0] for t in trust],
            tie_to_ids=[t[1] for t in trust],
            tie_strengths=[t[3] for t in trust],
            conflict_from_ids=[t[0] for t in against],
            conflict_to_ids=[t[1] for t in against],
        )

    def tie_kinds(self) -> dict[tuple[int, int], tuple[float, str]]:
        """The strongest trust tie of each pair of holders: (strength, kind), by (low, high)."""
        strongest: dict[tuple[int, int], tuple[float, str]] = {}
        for source, target, kind, strength in self.ties:
            if kind == TieKind.OPPOSES or source == target:
                continue
            pair = (min(source, target), max(source, target))
            if pair not in strongest or strength > strongest[pair][0]:
                strongest[pair] = (strength, kind)
        return strongest


def current_ties(today) -> Q:
    """Ties in force today: started (or no start recorded) and not ended."""
    return (Q(start_date__isnull=True) | Q(start_date__lte=today)) & (
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


def outcome_inputs_load(outcome: Outcome) -> OutcomeInputs:
    """The outcome's holders — a stake with interest above 0, not opposing it — and the
    current ties between them, in two queries."""
    stakes = Stake.objects.filter(outcome=outcome, interest__gt=0).exclude(
        position=Position.OPPOSES
    )
    holders = list(
        stakes.order_by("stakeholder_id").values_list(
            "stakeholder_id",
            "stakeholder__kind",
            "stakeholder__scope",
            "stakeholder__capabilities",
            "stakeholder__sensitivity",
            "interest",
            "influence",
        )
    )
    holder_ids = stakes.values("stakeholder_id")
    ties = list(
        Tie.objects.filter(
            current_ties(timezone.localdate()),
            from_stakeholder_id__in=holder_ids,
            to_stakeholder_id__in=holder_ids,
        )
        .order_by("id")
        .values_list("from_stakeholder_id", "to_stakeholder_id", "kind", "strength")
    )
    return OutcomeInputs(
        outcome_id=outcome.pk, needed=int(outcome.needed_capabilities), holders=holders, ties=ties
    )


# --- computing and storing ----------------------------------------------------------------------


def coalition_key(*, audience: str, outcome_id: int, members) -> str:
    """A coalition's stable key: the same members for the same outcome and audience always get
    the same key, and a key tells nothing about the other audience."""
    text = f"{audience}:{outcome_id}:{','.join(str(m) for m in sorted(members))}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class ComputeResult:
    """What one audience's computation did: ``written``, ``unchanged``, ``stale`` or ``failed``."""

    audience: str
    status: str
    coalitions: int = 0
    error: str = ""


def coalitions_compute(*, outcome_id: int, params: Parameters | None = None) -> list:
    """Compute (and store) the coalitions of one outcome for both audiences.

    Safe to repeat: an audience whose inputs did not change since its coalitions were computed
    is left as it is. One audience failing (it is recorded on its computation, which keeps its
    last good coalitions) does not stop the other. Returns one :class:`ComputeResult` per
    audience; nothing if the outcome is gone.
    """
    outcome = Outcome.objects.filter(pk=outcome_id).first()
    if outcome is None:
        return []
    params = params or coalition_parameters()
    read_at = timezone.now()
    inputs = outcome_inputs_load(outcome)
    existing = {
        c.audience: c for c in CoalitionComputation.objects.filter(outcome=outcome).only(
            "audience", "digest", "error"
        )
    }  # fmt: skip
    results = []
    for audience in (Audience.PUBLIC, Audience.CLEARED):
        pool = inputs.pool(audience)
        digest = pool.digest(params)
        previous = existing.get(audience)
        if previous is not None and previous.digest == digest and not previous.error:
            results.append(ComputeResult(audience, "unchanged"))
            continue
        try:
            solution = solve(pool, params)
            written = _coalitions_replace(
                outcome=outcome,
                audience=audience,
                solution=solution,
                pool=pool,
                inputs=inputs,
                digest=digest,
                read_at=read_at,
                params=params,
            )
        except Exception as error:  # the last good coalitions stay; the failure is on record
            logger.exception("Coalitions of outcome %s (%s) failed", outcome_id, audience)
            _computation_failed(outcome=outcome, audience=audience, error=error)
            results.append(ComputeResult(audience, "failed", error=type(error).__name__))
            continue
        status = "written" if written else "stale"
        results.append(ComputeResult(audience, status, coalitions=len(solution.coalitions)))
    return results


def _member_rows(coalition: SolvedCoalition, pool: Pool, inputs, strongest) -> list[dict]:
    at = pool.index_of(coalition.members)
    members = set(coalition.members)
    tied = {m: 0 for m in members}
    for a, b in strongest:
        if a in members and b in members:
            tied[a] += 1
            tied[b] += 1
    rows = []
    for stakeholder_id, i in zip(coalition.members, at, strict=True):
        rows.append(
            {
                "stakeholder_id": stakeholder_id,
                "brings": int(pool.capabilities[i]) & pool.needed,
                "interest": float(pool.interest[i]),
                "influence": float(pool.influence[i]),
                "is_broker": stakeholder_id == coalition.broker,
                "is_inclusive": bool(pool.inclusive[i]),
                "tied_to": tied[stakeholder_id],
                "stake": float(pool.stake[i]),
            }
        )
    # The broker first, then whoever brings most of what is needed, the larger stake first.
    rows.sort(
        key=lambda r: (
            not r["is_broker"],
            -bin(r["brings"]).count("1"),
            -r["stake"],
            r["stakeholder_id"],
        )
    )
    return rows


@contextlib.contextmanager
def _locked_computation(*, outcome: Outcome, audience: str, defaults: dict):
    """The outcome's computation row for ``audience``, locked for this transaction (created if
    missing; two creators at once: the loser reads the winner's row)."""
    try:
        with transaction.atomic():
            computation, created = CoalitionComputation.objects.get_or_create(
                outcome=outcome, audience=audience, defaults=defaults
            )
    except IntegrityError:
        created = False
    computation = CoalitionComputation.objects.select_for_update().get(
        outcome=outcome, audience=audience
    )
    yield computation, created


def _coalitions_replace(
    *, outcome, audience, solution: Solution, pool, inputs, digest, read_at, params
) -> bool:
    """Replace the audience's coalitions of ``outcome`` by ``solution`` in one transaction.

    Returns False (writing nothing) when coalitions read from a later registry are stored
    already. A partnership proposed from a coalition stays linked to it when it comes back.
    """
    fields = {
        "computed_at": timezone.now(),
        "read_at": read_at,
        "digest": digest,
        "parameters": params.as_dict(),
        "solver": solution.solver,
        "pool_size": solution.pool_size,
        "seconds": round(solution.seconds, 4),
        "upper_bound": solution.upper_bound,
        "guarantee": solution.guarantee,
        "reason": solution.reason,
        "error": "",
        "failed_at": None,
    }
    strongest = inputs.tie_kinds()
    with (
        transaction.atomic(),
        _locked_computation(outcome=outcome, audience=audience, defaults=fields) as (
            computation,
            created,
        ),
    ):
        if not created and computation.read_at > read_at:
            return False
        if not created and _same_result(
            computation, fields, solution, audience, outcome, strongest, pool.needed
        ):
            # Nothing anyone reads changed (say, an actor left the pool who was in no
            # coalition): the coalitions and their "computed at" stay, so that what the public
            # audience reads never moves because of what happened out of its sight.
            CoalitionComputation.objects.filter(pk=computation.pk).update(
                read_at=read_at, digest=digest, parameters=fields["parameters"]
            )
            return True
        proposed = dict(
            computation.coalitions.filter(partnership__isnull=False).values_list(
                "key", "partnership_id"
            )
        )
        computation.coalitions.all().delete()
        for name, value in fields.items():
            setattr(computation, name, value)
        computation.save()
        _coalitions_write(
            computation=computation,
            outcome=outcome,
            audience=audience,
            solution=solution,
            pool=pool,
            inputs=inputs,
            strongest=strongest,
            proposed=proposed,
        )
    return True


def _coalitions_write(
    *, computation, outcome, audience, solution: Solution, pool, inputs, strongest, proposed
) -> None:
    """Store the solution's coalitions and their members under ``computation`` (two bulk
    inserts); a coalition proposed before keeps its partnership (``proposed``: key → id)."""
    coalitions, members = [], []
    for rank, found in enumerate(solution.coalitions, start=1):
        key = coalition_key(audience=audience, outcome_id=outcome.pk, members=found.members)
        ids = set(found.members)
        coalition = Coalition(
            computation=computation,
            outcome=outcome,
            audience=audience,
            key=key,
            rank=rank,
            value=found.value,
            coverage=found.coverage,
            stake=found.stake,
            trust=found.trust,
            needed_capabilities=Capability(pool.needed),
            covered_capabilities=Capability(found.covered),
            bound=found.bound,
            ties=[
                [a, b, strength, kind]
                for (a, b), (strength, kind) in sorted(strongest.items())
                if a in ids and b in ids
            ],
            partnership_id=proposed.get(key),
        )
        coalitions.append(coalition)
        for position, row in enumerate(_member_rows(found, pool, inputs, strongest)):
            row.pop("stake")
            members.append((coalition, CoalitionMember(position=position, **row)))
    Coalition.objects.bulk_create(coalitions)
    for coalition, member in members:
        member.coalition = coalition
    CoalitionMember.objects.bulk_create([member for _, member in members])


RESULT_FIELDS = ("solver", "pool_size", "upper_bound", "guarantee", "reason")


def _same_result(computation, fields, solution, audience, outcome, strongest, needed) -> bool:
    """Would writing ``solution`` change anything shown (coalitions, their figures and ties,
    the solver's account)?"""
    solution_needed = needed
    if computation.error or any(getattr(computation, f) != fields[f] for f in RESULT_FIELDS):
        return False
    stored = [
        (*row[:7], int(row[7]), int(row[8]))
        for row in computation.coalitions.order_by("rank").values_list(
            "key", "value", "coverage", "stake", "trust", "bound", "ties",
            "needed_capabilities", "covered_capabilities",
        )
    ]  # fmt: skip
    fresh = []
    for found in solution.coalitions:
        ids = set(found.members)
        ties = [
            [a, b, strength, kind]
            for (a, b), (strength, kind) in sorted(strongest.items())
            if a in ids and b in ids
        ]
        key = coalition_key(audience=audience, outcome_id=outcome.pk, members=found.members)
        fresh.append((key, found.value, found.coverage, found.stake, found.trust, found.bound,
                      ties, int(solution_needed), int(found.covered)))  # fmt: skip
    return stored == fresh


def _computation_failed(*, outcome: Outcome, audience: str, error: Exception) -> None:
    """Record a failed attempt; the coalitions of the last good one are left as they are."""
    message = f"{type(error).__name__}: {error}"[:2000]
    updated = CoalitionComputation.objects.filter(outcome=outcome, audience=audience).update(
        error=message, failed_at=timezone.now()
    )
    if not updated:
        now = timezone.now()
        with contextlib.suppress(IntegrityError), transaction.atomic():
            CoalitionComputation.objects.create(
                outcome=outcome,
                audience=audience,
                computed_at=now,
                read_at=now.replace(year=1970),
                digest="",
                solver=SOLVER_NONE,
                error=message,
                failed_at=now,
            )


def coalitions_compute_all() -> int:
    """Queue the coalitions of every outcome (one task each, so that workers share them).
    Returns how many were queued."""
    from .tasks import coalitions_compute_outcome

    outcome_ids = list(Outcome.objects.order_by("id").values_list("id", flat=True))
    for outcome_id in outcome_ids:
        enqueue_on_commit(coalitions_compute_outcome, outcome_id)
    return len(outcome_ids)


def coalitions_compute_request(*, outcome: Outcome | None = None) -> int:
    """On demand (a person asked): one outcome, or every outcome. Returns how many are queued."""
    from .tasks import coalitions_compute_outcome

    if outcome is None:
        return coalitions_compute_all()
    enqueue_on_commit(coalitions_compute_outcome, outcome.pk)
    return 1


# --- recomputing when the registry changes ------------------------------------------------------


class _QueueBatch:
    """Outcomes (and stakeholders, whose outcomes are looked up at commit) changed in one
    transaction; sent once, when it commits."""

    def __init__(self):
        self.outcome_ids: set[int] = set()
        self.stakeholder_ids: set[int] = set()
        self.sent = False

    def __call__(self):
        from .tasks import coalitions_compute_outcome

        self.sent = True
        outcome_ids = set(self.outcome_ids)
        if self.stakeholder_ids:
            outcome_ids |= set(
                Stake.objects.filter(stakeholder_id__in=self.stakeholder_ids)
                .values_list("outcome_id", flat=True)
                .distinct()
            )
        if len(outcome_ids) > QUEUE_LIMIT:
            coalitions_compute_all()
            return
        for outcome_id in sorted(outcome_ids):
            coalitions_compute_outcome.delay(outcome_id)


_local = threading.local()


def coalitions_queue(*, outcome_ids=(), stakeholder_ids=()) -> None:
    """Recompute the coalitions of these outcomes, and of every outcome these stakeholders hold
    a stake in, once the current transaction commits (each outcome once per transaction)."""
    conn = transaction.get_connection()
    batch = getattr(_local, "batch", None)
    # A rolled-back transaction drops its on-commit callbacks: then start a new batch.
    if (
        batch is None
        or batch.sent
        or not conn.in_atomic_block
        or not any(callback is batch for _, callback, _ in conn.run_on_commit)
    ):
        batch = _QueueBatch()
        _local.batch = batch
        batch.outcome_ids.update(outcome_ids)
        batch.stakeholder_ids.update(stakeholder_ids)
        transaction.on_commit(batch)
        return
    batch.outcome_ids.update(outcome_ids)
    batch.stakeholder_ids.update(stakeholder_ids)


def coalitions_drop_stakeholder(*, stakeholder_id: int) -> int:
    """Remove every coalition with this stakeholder now (it is being deleted): a coalition
    missing a member must not be shown until its outcome is recomputed."""
    outcome_ids = set(
        Stake.objects.filter(stakeholder_id=stakeholder_id).values_list("outcome_id", flat=True)
    )
    deleted, _ = Coalition.objects.filter(members__stakeholder_id=stakeholder_id).delete()
    coalitions_queue(outcome_ids=outcome_ids)
    return deleted
