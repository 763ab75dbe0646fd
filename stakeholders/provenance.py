"""Where a stakeholder came from, in words, as one reader may read it.

One rule for every place that shows a stakeholder's provenance (its page, the list's Source
column, the API's ``source``): curated records say "curated"; a CSV/XLSX import says "CSV import
#n"; a 3W import names its source and row; an IATI-made actor says "IATI activity X of publisher
Y". The publisher is a stakeholder (``Stakeholder.source_publisher``), and may be restricted: a
reader not cleared for it reads "IATI import" — exactly what they read where the import recorded
no publisher, since the activity's identifier starts with its publisher's ref and would name it
too. Rows written before the publisher was a link show their ``source`` text as stored (the
importer left a hidden publisher out of it when it wrote it): judging that text now by who holds
its ref would itself tell that a hidden actor holds it (the harness caught it).

Computed per reader in bulk: one query for the publishers of a page of rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from .choices import Origin
from .models import Stakeholder
from .selectors import stakeholder_visible_to

PUBLISHER_MARK = " of publisher "
IATI_UNNAMED = "IATI import"
_CSV_JOB = re.compile(r"^Import #(\d+)\b")


@dataclass(frozen=True)
class Provenance:
    """What the reader reads, and the publisher to link to when they may see it."""

    text: str
    publisher_id: int | None = None
    # Set when the reader may see the publisher: the page links "of publisher <name>".
    activity: str = ""
    publisher_name: str = ""

    def __str__(self) -> str:
        return self.text


def provenance_text(
    *,
    origin: str,
    source: str,
    activity: str = "",
    publisher: str | None = None,
    publisher_hidden: bool = False,
) -> str:
    """The words for one record (pure). ``publisher``: the publisher's name when the reader may
    see it (None when the record links none); ``publisher_hidden``: the record names a publisher
    the reader may not see, as a link or in its text."""
    if origin == Origin.CURATED:
        return "curated"
    if origin == Origin.CSV:
        job = _CSV_JOB.match(source)
        return f"CSV import #{job.group(1)}" if job else (source or Origin.CSV.label)
    if origin == Origin.IATI:
        if publisher_hidden:
            return IATI_UNNAMED
        if activity:
            return (
                f"IATI activity {activity}{PUBLISHER_MARK}{publisher}"
                if publisher
                else (IATI_UNNAMED)
            )
        return source or IATI_UNNAMED
    return source or Origin(origin).label


def stakeholders_provenance(stakeholders: Sequence[Stakeholder], *, user) -> dict[int, Provenance]:
    """Each stakeholder's provenance by id, as ``user`` may read it."""
    publisher_ids = {s.source_publisher_id for s in stakeholders if s.source_publisher_id}
    visible: dict[int, str] = {}
    if publisher_ids:
        visible = {
            pk: f"{name} ({acronym})" if acronym else name
            for pk, name, acronym in stakeholder_visible_to(user)
            .filter(pk__in=publisher_ids)
            .values_list("pk", "name", "acronym")
        }
    result: dict[int, Provenance] = {}
    for stakeholder in stakeholders:
        publisher_id = stakeholder.source_publisher_id
        shown = visible.get(publisher_id) if publisher_id else None
        hidden = publisher_id is not None and shown is None
        result[stakeholder.pk] = Provenance(
            text=provenance_text(
                origin=stakeholder.origin,
                source=stakeholder.source,
                activity=stakeholder.source_activity,
                publisher=shown,
                publisher_hidden=hidden,
            ),
            publisher_id=publisher_id if shown is not None else None,
            activity=stakeholder.source_activity if shown is not None else "",
            publisher_name=shown or "",
        )
    return result


def stakeholder_provenance(stakeholder: Stakeholder, *, user) -> Provenance:
    return stakeholders_provenance([stakeholder], user=user)[stakeholder.pk]


def provenance_attach(stakeholders: Iterable[Stakeholder], *, user) -> list[Stakeholder]:
    """``stakeholders`` as a list, each with ``provenance`` set for ``user``."""
    rows = list(stakeholders)
    by_id = stakeholders_provenance(rows, user=user)
    for row in rows:
        row.provenance = by_id[row.pk]
    return rows


@dataclass(frozen=True)
class PublisherCount:
    publisher_id: int
    label: str
    count: int


def publisher_counts(queryset: QuerySet[Stakeholder], *, user) -> list[PublisherCount]:
    """How many of ``queryset``'s stakeholders each publisher ``user`` may see published, most
    first (one query). ``queryset`` must already be what ``user`` may see. A record whose
    publisher is hidden counts under no publisher, as it would had the import linked none."""
    rows = (
        queryset.order_by()
        .filter(source_publisher__in=stakeholder_visible_to(user).values("pk"))
        .values_list("source_publisher", "source_publisher__name", "source_publisher__acronym")
        .annotate(n=Count("id"))
    )
    counts = [
        PublisherCount(pk, f"{name} ({acronym})" if acronym else name, n)
        for pk, name, acronym, n in rows
    ]
    return sorted(counts, key=lambda row: (-row.count, row.label.casefold(), row.publisher_id))
