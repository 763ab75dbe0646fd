"""Sectors and outcomes (one per DAC sector × recipient country)."""

from stakeholders.choices import Origin
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import Outcome, Sector

from .. import mapping
from ..codelists import country_name, sector_name
from .report import ImportReport
from .sql import BATCH_SIZE


def _sectors_write(codes: set[str], *, report: ImportReport, history: HistoryWriter) -> None:
    counts = report.counts["sectors"]
    existing = set(Sector.objects.filter(code__in=codes).values_list("code", flat=True))
    created = Sector.objects.bulk_create(
        [Sector(code=code, name=sector_name(code)[:200]) for code in sorted(codes - existing)]
    )
    history.record(Sector, [row.pk for row in created], history_type="+")
    counts.created += len(created)
    counts.unchanged += len(existing)


def outcome_title(sector: str, country: str) -> str:
    """The outcome's title for a DAC sector × recipient country: "<sector> in <country>"."""
    return f"{sector_name(sector)} in {country_name(country)}"[:300]


def _outcomes_write(
    keys: set[tuple[str, str]], *, report: ImportReport, history: HistoryWriter
) -> dict[tuple[str, str], int]:
    counts = report.counts["outcomes"]
    sector_ids = dict(
        Sector.objects.filter(code__in={sector for sector, _ in keys}).values_list("code", "id")
    )
    titles = {key: outcome_title(*key) for key in keys}
    existing: dict[str, int] = {}
    all_titles = sorted(set(titles.values()))
    for start in range(0, len(all_titles), BATCH_SIZE):
        existing.update(
            Outcome.objects.filter(title__in=all_titles[start : start + BATCH_SIZE]).values_list(
                "title", "id"
            )
        )
    new = {}
    for key, title in sorted(titles.items()):
        if title not in existing and title not in new:
            sector, country = key
            new[title] = Outcome(
                title=title,
                theme=mapping.theme_for_sector(sector),
                geography=country_name(country)[:200],
                countries=[country],
                origin=Origin.IATI,
                source="IATI import",
                sector_id=sector_ids.get(sector),
                description=(
                    f"Actors working on OECD DAC sector {sector} ({sector_name(sector)}) in "
                    f"{country_name(country)}, as IATI activity data shows."
                ),
            )
    rows = list(new.values())
    for start in range(0, len(rows), BATCH_SIZE):
        batch = Outcome.objects.bulk_create(rows[start : start + BATCH_SIZE])
        history.record(Outcome, [row.pk for row in batch], history_type="+")
    existing.update({row.title: row.pk for row in rows})
    counts.created += len(rows)
    counts.unchanged += len(set(all_titles)) - len(rows)
    return {key: existing[title] for key, title in titles.items()}
