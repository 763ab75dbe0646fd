"""Reads of the IATI app shared by its pages and the importer: kind overrides and the
organisation-type counts of the kind mapping review, restricted like every registry read."""

import dataclasses
from collections import Counter

from django.db.models import Q, QuerySet

from stakeholders.choices import IdentifierScheme
from stakeholders.models import ExternalIdentifier, Stakeholder
from stakeholders.selectors import stakeholder_visible_to, user_is_cleared

from . import mapping
from .models import IatiActivity, KindOverride

PAYLOAD_CHUNK = 1000


def kind_override_visible_to(user) -> QuerySet[KindOverride]:
    """The overrides ``user`` may see. For someone not cleared, an override on a ref that only
    hidden stakeholders hold never existed (it was made about them); ``user=None`` (the command
    line) sees all."""
    overrides = KindOverride.objects.all()
    if user is None or user_is_cleared(user):
        return overrides
    iati_refs = ExternalIdentifier.objects.filter(scheme=IdentifierScheme.IATI_ORG)
    visible = stakeholder_visible_to(user)
    hidden_refs = iati_refs.exclude(stakeholder__in=visible).values("value")
    visible_refs = iati_refs.filter(stakeholder__in=visible).values("value")
    return overrides.exclude(Q(ref__in=hidden_refs) & ~Q(ref__in=visible_refs))


@dataclasses.dataclass
class KindOverrideTable:
    """The overrides an import applies: per organisation ref, and per (publisher ref, type)."""

    by_organisation: dict[str, str] = dataclasses.field(default_factory=dict)
    by_publisher: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)

    def kind_for(self, *, ref: str, org_type: str, publishers) -> tuple[str, str | None]:
        """The kind of a new organisation, and a note when the mapping did not say it plainly:
        its own override first, then its publishers' override for its type, then ``mapping``."""
        if ref and ref in self.by_organisation:
            return self.by_organisation[ref], None
        for publisher in publishers:
            kind = self.by_publisher.get((publisher, org_type))
            if kind:
                return kind, None
        return mapping.kind_for_org_type(org_type)


def kind_override_table(user) -> KindOverrideTable:
    """The overrides ``user`` may see, the latest change winning where two say the same."""
    table = KindOverrideTable()
    for scope, ref, org_type, kind in (
        kind_override_visible_to(user)
        .order_by("updated_at", "id")
        .values_list("scope", "ref", "org_type", "kind")
    ):
        if scope == KindOverride.Scope.ORGANISATION:
            table.by_organisation[ref] = kind
        else:
            table.by_publisher[(ref, org_type)] = kind
    return table


def _payload_orgs(payload: dict):
    if payload.get("reporting_org"):
        yield payload["reporting_org"]
    yield from payload.get("participating_orgs") or []


def organisation_type_counts(user) -> Counter:
    """Stakeholders ``user`` may see per IATI organisation type code, as the imported activities
    name them ("" when none was given). An organisation is matched to a stakeholder the way the
    importer matches it (ref, then normalised name); one no visible stakeholder answers to is not
    counted, so a hidden organisation counts for no one who may not see it. A stakeholder named
    under several types counts once, under the first read."""
    types_by_ref: dict[str, str] = {}
    types_by_name: dict[str, str] = {}
    payloads = IatiActivity.objects.values_list("payload", flat=True).order_by("id")
    for payload in payloads.iterator(chunk_size=PAYLOAD_CHUNK):
        for org in _payload_orgs(payload):
            org_type = org.get("type") or ""
            if org.get("ref"):
                key, table = org["ref"], types_by_ref
            else:
                key, table = mapping.name_normalised(org.get("name") or ""), types_by_name
            if key and not table.get(key):
                table[key] = org_type
    visible = stakeholder_visible_to(user)
    type_of: dict[int, str] = {}
    refs = sorted(types_by_ref)
    for start in range(0, len(refs), 500):
        for value, pk in ExternalIdentifier.objects.filter(
            scheme=IdentifierScheme.IATI_ORG,
            value__in=refs[start : start + 500],
            stakeholder__in=visible,
        ).values_list("value", "stakeholder_id"):
            type_of.setdefault(pk, types_by_ref[value])
    if types_by_name:
        for pk, name in visible.order_by("id").values_list("id", "name").iterator(chunk_size=2000):
            normalised = mapping.name_normalised(name)
            if normalised in types_by_name:
                type_of.setdefault(pk, types_by_name[normalised])
    return Counter(type_of.values())


def stakeholders_for_override(override: KindOverride, *, user) -> QuerySet[Stakeholder]:
    """The existing stakeholders ``user`` may see that an override speaks about: those holding
    the organisation's ref; or, for a publisher, the organisations of the type it corrects in
    that publisher's activities whose kind is still the mapping's (a kind corrected by hand, or
    by an organisation's own override, is left alone)."""
    visible = stakeholder_visible_to(user)
    holders = ExternalIdentifier.objects.filter(scheme=IdentifierScheme.IATI_ORG)
    if override.scope == KindOverride.Scope.ORGANISATION:
        return visible.filter(pk__in=holders.filter(value=override.ref).values("stakeholder_id"))
    refs, names = set(), set()
    activities = IatiActivity.objects.filter(payload__reporting_org__ref=override.ref)
    for payload in activities.values_list("payload", flat=True).iterator(chunk_size=PAYLOAD_CHUNK):
        for org in _payload_orgs(payload):
            if (org.get("type") or "") != override.org_type:
                continue
            if org.get("ref"):
                refs.add(org["ref"])
            elif name := mapping.name_normalised(org.get("name") or ""):
                names.add(name)
    own = KindOverride.objects.filter(scope=KindOverride.Scope.ORGANISATION).values("ref")
    by_ref = holders.filter(value__in=refs).exclude(value__in=own).values("stakeholder_id")
    ids = set(visible.filter(pk__in=by_ref).values_list("pk", flat=True))
    if names:
        ids |= {
            pk
            for pk, name in visible.values_list("id", "name")
            if mapping.name_normalised(name) in names
        }
    default_kind, _ = mapping.kind_for_org_type(override.org_type)
    return visible.filter(pk__in=ids, kind=default_kind)
