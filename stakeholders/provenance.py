"""Where a stakeholder came from, in words, as one reader may read it.

One rule for every place that shows a stakeholder's provenance (its page, the list's Source
column, the API's ``source``): curated records say "curated"; a CSV/XLSX import says "CSV import
#n"; a 3W import names its source and row; an IATI-made actor says "IATI activity X of publisher
Y". The publisher is a stakeholder (``Stakeholder.source_publisher``), and may be restricted: a
reader not cleared for it reads "IATI import" — exactly what they read where the import recorded
no publisher, since the activity's identifier starts with its publisher's ref and would name it
too. Rows written before the publisher was a link (``source`` text only, "… of publisher REF")
are judged the same way, by the ref: held by a stakeholder hidden from the reader, only "IATI
import" is shown.

Computed per reader in bulk: one query for the publishers of a page of rows, one more when the
page holds older rows that name a publisher only in their text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q

from .choices import IdentifierScheme, Origin
from .models import ExternalIdentifier, Stakeholder
from .selectors import sensitivities_visible_to, stakeholder_visible_to, user_is_cleared

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


def _text_publisher(stakeholder: Stakeholder) -> str:
    """The publisher a row names only in its text (written before the link existed)."""
    if stakeholder.origin != Origin.IATI or stakeholder.source_activity:
        return ""
    if PUBLISHER_MARK not in stakeholder.source:
        return ""
    return stakeholder.source.rsplit(PUBLISHER_MARK, 1)[1]


def _hidden_publisher_refs(refs: set[str], *, user) -> set[str]:
    """Which of ``refs`` (IATI refs, or names for a publisher without one) are held by a
    stakeholder ``user`` may not see."""
    if not refs or user_is_cleared(user):
        return set()
    hidden = Stakeholder.all_objects.exclude(sensitivity__in=sensitivities_visible_to(user))
    found = set(
        ExternalIdentifier.objects.filter(
            scheme=IdentifierScheme.IATI_ORG, value__in=refs, stakeholder__in=hidden
        ).values_list("value", flat=True)
    )
    for name, recorded in hidden.filter(Q(name__in=refs) | Q(recorded_name__in=refs)).values_list(
        "name", "recorded_name"
    ):
        found |= {name, recorded} & refs
    return found


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
    hidden_refs = _hidden_publisher_refs(
        {ref for s in stakeholders if (ref := _text_publisher(s))}, user=user
    )
    result: dict[int, Provenance] = {}
    for stakeholder in stakeholders:
        publisher_id = stakeholder.source_publisher_id
        shown = visible.get(publisher_id) if publisher_id else None
        hidden = (publisher_id is not None and shown is None) or (
            _text_publisher(stakeholder) in hidden_refs
        )
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
