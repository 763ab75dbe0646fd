"""Stakes from the run's staged aggregates: interest and influence, written in chunks."""

from django.db.models import Q
from django.utils import timezone

from stakeholders.choices import Origin
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import Stake

from .. import mapping
from ..models import (
    IatiImportRun,
    IatiStagedOutcome,
    IatiStagedPair,
)
from .report import ImportReport
from .sql import BATCH_SIZE, _record_in_chunks, _rows_insert, _rows_update

STAKE_SOURCE = "IATI activity data"


def _stakes_from_staging(
    *, run: IatiImportRun, report: ImportReport, history: HistoryWriter
) -> None:
    """interest = the organisation's activities on the outcome over all its activities in the
    run; influence = its strongest role, averaged with its budget share of the outcome. Two
    organisations that matched one stakeholder keep the larger share and the stronger role."""
    outcomes = list(
        IatiStagedOutcome.objects.filter(run=run, outcome_id__isnull=False)
        .order_by("outcome_id", "sector", "country")
        .values_list("sector", "country", "outcome_id", "budget")
    )
    step = max(1, BATCH_SIZE // 10)
    start = 0
    while start < len(outcomes):
        end = min(start + step, len(outcomes))
        # Keys that share an outcome (one title) stay in one chunk: their stakes are merged.
        while end < len(outcomes) and outcomes[end][2] == outcomes[end - 1][2]:
            end += 1
        chunk = outcomes[start:end]
        start = end
        info = {
            (sector, country): (outcome_id, budget) for sector, country, outcome_id, budget in chunk
        }
        keys = Q()
        for sector, country in info:
            keys |= Q(sector=sector, country=country)
        wanted: dict[tuple[int, int], tuple[float, float]] = {}
        for sector, country, stakeholder_id, activity_count, count, role_influence, budget in (
            IatiStagedPair.objects.filter(keys, run=run)
            .values_list(
                "sector",
                "country",
                "org__stakeholder_id",
                "org__activity_count",
                "count",
                "influence",
                "budget",
            )
            .iterator(chunk_size=5000)
        ):
            outcome_id, outcome_budget = info[(sector, country)]
            interest = round(count / activity_count, 4)
            influence = mapping.influence_with_budget(role_influence, budget, outcome_budget)
            key = (stakeholder_id, outcome_id)
            old = wanted.get(key)
            wanted[key] = (
                (interest, influence)
                if old is None
                else (max(old[0], interest), max(old[1], influence))
            )
        _stakes_write(wanted, report=report, history=history)


def _stakes_write(
    wanted: dict[tuple[int, int], tuple[float, float]],
    *,
    report: ImportReport,
    history: HistoryWriter,
) -> None:
    """Create or update the stakes, a batch of outcomes at a time (bounded model instances)."""
    counts = report.counts["stakes"]
    by_outcome: dict[int, list[tuple[int, float, float]]] = {}
    while wanted:
        (stakeholder_id, outcome_id), (interest, influence) = wanted.popitem()
        by_outcome.setdefault(outcome_id, []).append((stakeholder_id, interest, influence))
    outcome_ids = sorted(by_outcome)
    now = timezone.now()
    step = max(1, BATCH_SIZE // 10)
    for start in range(0, len(outcome_ids), step):
        chunk = outcome_ids[start : start + step]
        existing = {
            (stake.stakeholder_id, stake.outcome_id): stake
            for stake in Stake.objects.filter(outcome_id__in=chunk).only(
                "id", "stakeholder_id", "outcome_id", "interest", "influence", "source"
            )
        }
        creates: list[tuple] = []
        updates: list[Stake] = []
        for outcome_id in chunk:
            for stakeholder_id, interest, influence in sorted(by_outcome[outcome_id]):
                stake = existing.get((stakeholder_id, outcome_id))
                if stake is None:
                    creates.append(
                        (stakeholder_id, outcome_id, interest, influence, STAKE_SOURCE, Origin.IATI)
                    )
                elif stake.source != STAKE_SOURCE:
                    counts.skipped += 1
                    report.note("a stake recorded another way already exists: left as it is")
                elif (
                    abs(stake.interest - interest) > 1e-9 or abs(stake.influence - influence) > 1e-9
                ):
                    stake.interest, stake.influence, stake.updated_at = interest, influence, now
                    updates.append(stake)
                else:
                    counts.unchanged += 1
        created = _rows_insert(
            Stake,
            ["stakeholder_id", "outcome_id", "interest", "influence", "source", "origin"],
            creates,
        )
        _record_in_chunks(history, Stake, created, history_type="+")
        _rows_update(
            Stake,
            ["interest", "influence", "updated_at"],
            [(stake.pk, stake.interest, stake.influence, now) for stake in updates],
        )
        _record_in_chunks(history, Stake, [stake.pk for stake in updates], history_type="~")
        counts.created += len(creates)
        counts.updated += len(updates)
