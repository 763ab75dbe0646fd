"""What an IATI activity says about its index ``Engagement``, as plain data (no database).

``engagement_draft`` turns one parsed ``Activity`` into an ``EngagementDraft``: the engagement's
fields, its participants (stakeholder id → role) and its outcomes. ``services.iati_import``
resolves organisations and outcomes to ids and writes the drafts in bulk. The tables it applies
(roles, gender marker, sectors → facts, regions) live in ``mapping`` with their reasons.
"""

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable

from django.utils import translation
from django_countries import countries

from . import mapping
from .codelists import country_name
from .parser import Activity, Organisation

TITLE_MAX_LENGTH = 300
PLACE_MAX_LENGTH = 200
ELLIPSIS = "…"

# The engagement fields the import owns: set from the activity on create, replaced on update.
# Every other fact (digital facts, counts, results by sex) is left as a person recorded it.
IMPORTED_FIELDS = (
    "title",
    "kind",
    "start_date",
    "end_date",
    "country",
    "place",
    "dac_gender_marker",
    "gbv_safeguards",
    "unscr1325_participation",
    "unscr1325_protection",
    "unscr1325_prevention",
    "unscr1325_relief_recovery",
)


@dataclasses.dataclass(frozen=True)
class EngagementDraft:
    """The engagement an activity gives, or why it gives none (``start_date`` None)."""

    title: str
    kind: str
    start_date: dt.date | None
    end_date: dt.date | None
    country: str
    place: str
    dac_gender_marker: int | None
    gbv_safeguards: bool | None
    unscr1325_participation: bool | None
    unscr1325_protection: bool | None
    unscr1325_prevention: bool | None
    unscr1325_relief_recovery: bool | None
    participants: tuple[tuple[int, str], ...]  # (stakeholder id, role), sorted, one per stakeholder
    outcome_ids: tuple[int, ...]  # sorted, distinct
    notes: tuple[str, ...] = ()  # what was assumed or left out, for the import report

    def fields(self) -> dict:
        """The imported fields, as keyword arguments of ``Engagement``."""
        return {name: getattr(self, name) for name in IMPORTED_FIELDS}


def engagement_draft(
    activity: Activity,
    *,
    stakeholder_of: Callable[[Organisation], int | None],
    outcome_ids: Iterable[int],
) -> EngagementDraft:
    """The engagement ``activity`` gives (see the tables in ``mapping``).

    ``stakeholder_of`` resolves a participating organisation to the stakeholder the import
    matched or created for it; ``outcome_ids`` are the outcomes the import made for the activity.
    """
    notes: list[str] = []
    start = activity.dates.get("2") or activity.dates.get("1")
    end = activity.dates.get("4") or activity.dates.get("3")
    if start is None:
        notes.append("no start date (activity-date type 1 or 2): no engagement")
    elif end is not None and end < start:
        notes.append("end date before the start date: engagement's end date left empty")
        end = None

    marker = activity.gender_marker
    gender_marker = (
        mapping.GENDER_MARKER_BY_SIGNIFICANCE.get(marker) if marker is not None else None
    )
    if marker is not None and gender_marker is None:
        notes.append(
            f"gender-equality marker significance {marker} is not a DAC gender-marker value "
            "(0, 1, 2): left unknown"
        )

    sectors = {code for code, _ in activity.sectors}
    pillars: set[str] = set()
    for code in sectors:
        pillars |= mapping.UNSCR1325_PILLARS_BY_SECTOR.get(code, frozenset())

    roles: dict[int, str] = {}
    for org in activity.participating_orgs:
        stakeholder_id = stakeholder_of(org)
        if stakeholder_id is None:
            continue
        role = mapping.participant_role_for(org.role)
        held = roles.get(stakeholder_id)
        roles[stakeholder_id] = (
            role if held is None else mapping.participant_role_stronger(held, role)
        )

    return EngagementDraft(
        title=_cut(activity.title or activity.identifier, TITLE_MAX_LENGTH),
        kind=mapping.ENGAGEMENT_KIND,
        start_date=start,
        end_date=end,
        country=_first_known_country(code for code, _ in activity.recipient_countries),
        place=_place(activity),
        dac_gender_marker=gender_marker,
        gbv_safeguards=True if sectors & mapping.GBV_SAFEGUARD_SECTORS else None,
        # What the sectors say is addressed is True; IATI never says a pillar is not: unknown.
        unscr1325_participation=True if "participation" in pillars else None,
        unscr1325_protection=True if "protection" in pillars else None,
        unscr1325_prevention=True if "prevention" in pillars else None,
        unscr1325_relief_recovery=True if "relief_recovery" in pillars else None,
        participants=tuple(sorted(roles.items())),
        outcome_ids=tuple(sorted(set(outcome_ids))),
        notes=tuple(notes),
    )


def _cut(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + ELLIPSIS


@functools.cache
def _known_countries() -> dict[str, str]:
    """Code → English name of every country django-countries knows (asked once per process:
    looking names up one by one was a tenth of the engagements' time on large files)."""
    with translation.override("en"):
        return {country.code: str(country.name) for country in countries}


def _first_known_country(codes: Iterable[str]) -> str:
    known = _known_countries()
    for code in codes:
        if code.upper() in known:
            return code.upper()
    return ""


def _place(activity: Activity) -> str:
    """The recipient countries' names, else the DAC regions' names, cut at a whole name."""
    names = [
        name
        for code, _ in activity.recipient_countries
        if (name := _known_countries().get(code.upper()) or country_name(code))
    ]
    if not names:
        names = [
            name
            for vocabulary, code, _ in activity.recipient_regions
            if vocabulary == mapping.REGION_VOCABULARY_DAC
            and (name := mapping.REGION_NAMES.get(code))
        ]
    names = list(dict.fromkeys(names))
    for shown in range(len(names), 0, -1):
        rest = len(names) - shown
        text = "; ".join(names[:shown]) + (f" and {rest} more" if rest else "")
        if len(text) <= PLACE_MAX_LENGTH:
            return text
    return _cut(names[0], PLACE_MAX_LENGTH) if names else ""
