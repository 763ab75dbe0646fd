"""Stakes from the run's staged aggregates: interest and influence, written in chunks."""

from django.db import connection
from django.utils import timezone

from stakeholders.choices import Origin
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import Stake

from .. import mapping
from ..models import IatiImportRun
from .report import ImportReport
from .sql import BATCH_SIZE, _record_in_chunks, _rows_insert, _rows_update

STAKE_SOURCE = "IATI activity data"


PAIRS_SORTED = """
    SELECT so.outcome_id, so.budget, p.org_id, p.sector, p.country, o.stakeholder_id,
           o.activity_count, p.count, p.influence, p.budget
    FROM iati_iatistagedpair p
    JOIN iati_iatistagedorg o ON o.id = p.org_id
    JOIN iati_iatistagedoutcome so
      ON so.run_id = p.run_id AND so.sector = p.sector AND so.country = p.country
    WHERE p.run_id = %s AND so.outcome_id IS NOT NULL
    ORDER BY so.outcome_id, p.sector, p.country, p.org_id, p.id
"""
PAIRS_FETCHED = 5000  # rows per fetch of the server-side cursor


def _stakes_from_staging(
    *, run: IatiImportRun, report: ImportReport, history: HistoryWriter
) -> None:
    """interest = the organisation's activities on the outcome over all its activities in the
    run; influence = its strongest role, averaged with its budget share of the outcome. Two
    organisations that matched one stakeholder keep the larger share and the stronger role.

    One pass over the run's staged pairs (a row per pair and batch), sorted by outcome, then key,
    organisation and batch, read through a server-side cursor: a pair's batches are added up in
    the order they were read (the budget's sum the same, to the last bit, as the running
    upsert's was), and the stakes are written every ``step`` outcomes: memory is bounded by a
    chunk of outcomes, not by the run."""
    step = max(1, BATCH_SIZE // 10)
    wanted: dict[tuple[int, int], tuple[float, float]] = {}
    outcomes, last_outcome = 0, None
    pair: list | None = None  # [org_id, sector, country, outcome_id, outcome budget, ...]
    with connection.chunked_cursor() as cursor:
        cursor.execute(PAIRS_SORTED, [run.pk])
        while rows := cursor.fetchmany(PAIRS_FETCHED):
            for outcome_id, outcome_budget, org_id, sector, country, *values in rows:
                if pair is not None and pair[:3] == [org_id, sector, country]:
                    pair[7] += values[2]  # count
                    pair[8] = max(pair[8], values[3])  # strongest role
                    pair[9] += values[4]  # budget
                    continue
                if pair is not None:
                    _stake_wanted(wanted, pair)
                if outcome_id != last_outcome:
                    if outcomes >= step:  # a chunk of outcomes, each whole
                        _stakes_write(wanted, report=report, history=history)
                        wanted, outcomes = {}, 0
                    outcomes, last_outcome = outcomes + 1, outcome_id
                pair = [org_id, sector, country, outcome_id, outcome_budget, *values]
    if pair is not None:
        _stake_wanted(wanted, pair)
    _stakes_write(wanted, report=report, history=history)


def _stake_wanted(wanted: dict[tuple[int, int], tuple[float, float]], pair: list) -> None:
    """Add one organisation × outcome key (its batches added up) to the stakes wanted."""
    _, _, _, outcome_id, outcome_budget, stakeholder_id, activity_count, count, role, budget = pair
    interest = round(count / activity_count, 4)
    influence = mapping.influence_with_budget(role, budget, outcome_budget)
    key = (stakeholder_id, outcome_id)
    old = wanted.get(key)
    wanted[key] = (
        (interest, influence) if old is None else (max(old[0], interest), max(old[1], influence))
    )


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
