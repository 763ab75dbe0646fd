"""Organisations → stakeholders: matching by visible ref, new stakeholders, names cut short."""

from index.models import EngagementParticipant
from stakeholders.choices import Capability, IdentifierScheme, Kind, Origin, Scope
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import ExternalIdentifier, Stakeholder
from stakeholders.names import name_display, name_is_truncation, name_normalise, names_fullest
from stakeholders.selectors import stakeholder_visible_to

from .. import mapping
from ..models import (
    IatiImportRun,
    IatiStagedOrg,
)
from .report import ImportReport
from .sql import BATCH_SIZE, _rows_update


def _identifiers_visible(refs: list[str], *, user) -> dict[str, int]:
    """IATI ref → the stakeholder the importer may see that holds it (the lowest id winning: a
    later duplicate is one to merge; matching a hidden one would tell that it exists)."""
    visible = Stakeholder.objects.all() if user is None else stakeholder_visible_to(user)
    by_ref: dict[str, int] = {}
    for start in range(0, len(refs), BATCH_SIZE):
        by_ref.update(
            ExternalIdentifier.objects.filter(
                scheme=IdentifierScheme.IATI_ORG,
                value__in=refs[start : start + BATCH_SIZE],
                stakeholder__in=visible,
            )
            .order_by("-stakeholder_id")
            .values_list("value", "stakeholder_id")
        )
    return by_ref


def _stakeholder_new(org: IatiStagedOrg, kind: str) -> Stakeholder:
    capabilities = Capability(0)
    for role in org.role_set:
        capabilities |= mapping.CAPABILITY_BY_ROLE.get(role, Capability(0))
    display, acronym = name_display(org.name)
    return Stakeholder(
        name=display[:300],
        recorded_name=org.name[:500],
        acronym=acronym[:40],
        origin=Origin.IATI,
        source=(org.source or "IATI import")[:300],
        kind=kind,
        scope=mapping.SCOPE_BY_ORG_TYPE.get(org.type, Scope.NATIONAL),
        capabilities=capabilities,
        description=_org_description(org, kind),
    )


def truncated_aliases(orgs: list[tuple[str, str]]) -> dict[int, int]:
    """For organisations given as ``(ref, name)`` in the order met: each one whose name is
    another's cut short ("…Community, Tanzani"), when their refs do not tell them apart, mapped
    (by position) to the first organisation with the fullest name (``names.names_fullest``)."""
    fullest = names_fullest(name for _, name in orgs)
    if not fullest:
        return {}
    first: dict[str, int] = {}
    for position, (_, name) in enumerate(orgs):
        first.setdefault(name, position)
    result: dict[int, int] = {}
    for position, (ref, name) in enumerate(orgs):
        target = first.get(fullest.get(name, ""))
        if target is None or target == position or (ref and orgs[target][0]):
            continue
        result[position] = target
    return result


def _truncated_aliases_fold(*, run: IatiImportRun, report: ImportReport) -> set[int]:
    """Organisations the run created under a name that another of its organisations gives in
    full are one stakeholder, named in full, as the whole import made them: the cut one's
    stakeholder is folded into the full one's (its participations moved, the stronger role kept
    where both took part) before stakes are written. Returns the folded staged organisations."""
    orgs = list(
        IatiStagedOrg.objects.filter(run=run)
        .order_by("pk")
        .only("pk", "ref", "name", "stakeholder_id", "created_here")
    )
    aliases = truncated_aliases([(org.ref, org.name) for org in orgs])
    folded: dict[int, int] = {}
    for position, target in sorted(aliases.items()):
        if not orgs[position].created_here:
            continue
        while target in folded:
            target = folded[target]
        folded[position] = target
    if not folded:
        return set()
    historical = EngagementParticipant.history.model
    for position, target in folded.items():
        org, full = orgs[position], orgs[target]
        old, new = org.stakeholder_id, full.stakeholder_id
        if org.ref and not full.ref:
            full.ref, org.ref = org.ref, ""
        # The full one's participations by engagement: (row, role).
        kept = {
            engagement_id: (pk, role)
            for pk, engagement_id, role in EngagementParticipant.objects.filter(
                stakeholder_id=new
            ).values_list("pk", "engagement_id", "role")
        }
        moved, dropped = [], []
        for pk, engagement_id, role in EngagementParticipant.objects.filter(
            stakeholder_id=old
        ).values_list("pk", "engagement_id", "role"):
            if engagement_id not in kept:
                moved.append(pk)
                continue
            dropped.append(pk)
            target_pk, target_role = kept[engagement_id]
            stronger = mapping.participant_role_stronger(target_role, role)
            if stronger != target_role:
                EngagementParticipant.objects.filter(pk=target_pk).update(role=stronger)
        EngagementParticipant.objects.filter(pk__in=moved).update(stakeholder_id=new)
        historical.objects.filter(id__in=moved).update(stakeholder_id=new)
        EngagementParticipant.objects.filter(pk__in=dropped).delete()
        historical.objects.filter(id__in=dropped).delete()
        # What the cut one published was published by the full one.
        Stakeholder.objects.filter(source_publisher_id=old).update(source_publisher_id=new)
        Stakeholder.objects.filter(pk=old).delete()
        # Made by this run and folded before its history was written: it never existed.
        Stakeholder.history.model.objects.filter(id=old).delete()
        org.stakeholder_id, org.created_here = new, False
        IatiStagedOrg.objects.filter(pk=org.pk).update(
            ref=org.ref, stakeholder_id=new, created_here=False
        )
        IatiStagedOrg.objects.filter(pk=full.pk).update(ref=full.ref)
    report.counts["stakeholders"].created -= len(folded)
    return {orgs[position].pk for position in folded}


def _org_description(org: IatiStagedOrg, kind: str) -> str:
    roles = ", ".join(
        sorted({ROLE_NAMES.get(role, role) for role in org.role_set if role}) or ["reporting"]
    )
    activities = "activity" if org.activity_count == 1 else "activities"
    text = f"Imported from IATI activity data ({org.activity_count} {activities}; roles: {roles})."
    if org.type not in mapping.KIND_BY_ORG_TYPE or org.type == "90":
        text += f" IATI organisation type {org.type or 'missing'}: recorded as {Kind(kind).label}."
    return text


ROLE_NAMES = {"1": "funding", "2": "accountable", "3": "extending", "4": "implementing"}


def _imported_names_refresh(
    orgs: list[IatiStagedOrg], *, history: HistoryWriter, seen: set[int]
) -> set[int]:
    """Matched stakeholders that an IATI import made and nobody renamed (``name_edited`` false)
    take the publisher's spelling as it now is: the recorded name, and the clean display name
    and acronym made from it, with history. A name edited by hand, a record made another way, a
    name that is the recorded one cut short, or a ref standing in for a missing name is kept.
    The run's first organisation matched to a stakeholder (``orgs`` in order; ``seen`` across
    calls) decides. Returns the stakeholders renamed."""
    spelling: dict[int, str] = {}
    for org in orgs:
        if org.created_here or org.stakeholder_id is None or org.stakeholder_id in seen:
            continue
        seen.add(org.stakeholder_id)
        if org.name and org.name != org.ref:
            spelling[org.stakeholder_id] = org.name[:500]
    rows = []
    for pk, recorded in Stakeholder.objects.filter(
        pk__in=list(spelling), origin=Origin.IATI, name_edited=False
    ).values_list("pk", "recorded_name"):
        name = spelling[pk]
        if name == recorded or (recorded and name_is_truncation(name, recorded)):
            continue
        display, acronym = name_display(name)
        rows.append((pk, display[:300], name, acronym[:40], name_normalise(display)[:300]))
    _rows_update(Stakeholder, ["name", "recorded_name", "acronym", "normalised_name"], rows)
    history.record(Stakeholder, [row[0] for row in rows], history_type="~")
    return {row[0] for row in rows}
