"""CSV exports of filtered registry lists, streamed in a constant number of queries per chunk.

The querysets come from the restriction selectors (through the list's FilterSet), so an export
holds exactly the rows its reader may see. An export that contains restricted or confidential
stakeholders is recorded in the admin log (DESIGN.md: every export of restricted data is kept in
an audit history).
"""

from collections.abc import Iterator

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from smartdiplomacy.spreadsheets import csv_response

from .choices import Capability, IdentifierScheme, Sensitivity
from .fields import to_capability
from .models import Outcome, Sector, Stakeholder
from .selectors import user_is_cleared

# Rows fetched (with their sectors and identifiers) per round trip while streaming.
CHUNK_SIZE = 1000

STAKEHOLDER_COLUMNS = [
    "id",
    "name",
    "acronym",
    "kind",
    "country",
    "country_of_origin",
    "scope",
    "sectors",
    "capabilities",
    "digital_presence",
    "women_led",
    "women_leadership_share",
    "sensitivity",
    "website",
    *(f"external_id_{scheme}" for scheme in IdentifierScheme.values),
]
OUTCOME_COLUMNS = [
    "id",
    "title",
    "theme",
    "geography",
    "countries",
    "needed_capabilities",
    "stakes",
    "supporters",
    "neutral",
    "opposers",
]


def capability_names(value) -> str:
    """``funding;legal``: the names the importer reads back."""
    capabilities = to_capability(value)
    return ";".join(member.name.lower() for member in Capability if member in capabilities)


def stakeholder_columns(*, include_sensitivity: bool) -> list[str]:
    if include_sensitivity:
        return list(STAKEHOLDER_COLUMNS)
    return [column for column in STAKEHOLDER_COLUMNS if column != "sensitivity"]


def stakeholder_rows(
    queryset: QuerySet[Stakeholder], *, include_sensitivity: bool
) -> Iterator[list[str]]:
    """One CSV row per stakeholder of ``queryset`` (already restricted to what the reader sees);
    the writer (``smartdiplomacy.spreadsheets``) defuses the cells."""
    rows = queryset.prefetch_related(
        Prefetch("sectors", queryset=Sector.objects.order_by("code")), "external_ids"
    ).iterator(chunk_size=CHUNK_SIZE)
    for stakeholder in rows:
        identifiers = {ident.scheme: ident.value for ident in stakeholder.external_ids.all()}
        row = {
            "id": stakeholder.pk,
            "name": stakeholder.name,
            "acronym": stakeholder.acronym,
            "kind": stakeholder.kind,
            "country": stakeholder.country.code or "",
            "country_of_origin": stakeholder.country_of_origin.code or "",
            "scope": stakeholder.scope,
            "sectors": ";".join(sector.code for sector in stakeholder.sectors.all()),
            "capabilities": ";".join(
                member.name.lower()
                for member in type(stakeholder.capabilities)
                if member in stakeholder.capabilities
            ),
            "digital_presence": stakeholder.digital_presence,
            "women_led": stakeholder.women_led,
            "women_leadership_share": stakeholder.women_leadership_share,
            "sensitivity": stakeholder.sensitivity,
            "website": stakeholder.website,
            **{
                f"external_id_{scheme}": identifiers.get(scheme, "")
                for scheme in IdentifierScheme.values
            },
        }
        yield [
            row[column] for column in stakeholder_columns(include_sensitivity=include_sensitivity)
        ]


def outcome_rows(queryset: QuerySet[Outcome]) -> Iterator[list[str]]:
    """One CSV row per outcome; ``queryset`` comes from outcome_list_with_stake_counts."""
    for outcome in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield list(
            (
                outcome.pk,
                outcome.title,
                outcome.theme,
                outcome.geography,
                ";".join(country.code for country in outcome.countries),
                ";".join(
                    member.name.lower()
                    for member in type(outcome.needed_capabilities)
                    if member in outcome.needed_capabilities
                ),
                outcome.stake_count,
                outcome.supporters,
                outcome.neutrals,
                outcome.opposers,
            )
        )


def _dated(name: str) -> str:
    return f"{name}-{timezone.now():%Y%m%d-%H%M}.csv"


def stakeholder_export_response(*, queryset: QuerySet[Stakeholder], user, query: str = ""):
    """A streamed CSV of ``queryset``; exports holding restricted rows are logged first."""
    cleared = user_is_cleared(user)
    if cleared:
        record_restricted_export(queryset=queryset, user=user, query=query)
    return csv_response(
        filename=_dated("stakeholders"),
        header=stakeholder_columns(include_sensitivity=cleared),
        rows=stakeholder_rows(queryset, include_sensitivity=cleared),
    )


def record_restricted_export(*, queryset: QuerySet[Stakeholder], user, query: str = "") -> bool:
    """Write an admin log entry if the export holds restricted or confidential stakeholders.

    Returns whether it did. One aggregate query, plus the insert when there is something to log.
    """
    counts = queryset.order_by().aggregate(
        total=Count("pk", distinct=True),
        restricted=Count("pk", filter=~Q(sensitivity=Sensitivity.PUBLIC), distinct=True),
    )
    if not counts["restricted"]:
        return False
    LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(Stakeholder),
        object_id=None,
        object_repr="Stakeholders CSV export",
        action_flag=CHANGE,
        change_message=(
            f"Exported {counts['total']} stakeholders incl. restricted "
            f"({counts['restricted']} restricted or confidential). Filters: {query or 'none'}"
        ),
    )
    return True


def outcome_export_response(*, queryset: QuerySet[Outcome]):
    return csv_response(
        filename=_dated("outcomes"), header=OUTCOME_COLUMNS, rows=outcome_rows(queryset)
    )
