"""Writes to the registry. Each validates fully (model fields, rules, constraints) and is atomic,
so bad input raises a ValidationError naming the field and leaves the database as it was."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smartdiplomacy.services import UNSET, given_fields, model_update

from .choices import MACHINE_ORIGINS, Origin
from .models import (
    ExternalIdentifier,
    Outcome,
    Sector,
    Stake,
    Stakeholder,
    Tag,
    Tie,
    tag_name_clean,
)


def tags_for_names(*, names: Iterable[str]) -> list[Tag]:
    """The tags named (folded: lower case, single spaces), created when missing; blank names and
    repeats are dropped. A name longer than 60 characters is refused, naming the field."""
    wanted: list[str] = []
    for raw in names:
        name = " ".join((raw or "").lower().split())
        if len(name) > 60:
            raise ValidationError({"tags": f"A tag has at most 60 characters: “{name[:60]}…”."})
        if name and name not in wanted:
            wanted.append(tag_name_clean(name))
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    return [existing.get(name) or Tag.objects.get_or_create(name=name)[0] for name in wanted]


def _validated_save(instance):
    instance.full_clean()
    instance.save()
    return instance


# What a page, the API or an import may set through the services below, besides the arguments
# they name. Everything else on the models is the application's own (ids, timestamps, archiving,
# merging, normalised names); provenance (origin, source, the name as recorded) is set only when a
# record is made.
STAKEHOLDER_FIELDS = (
    "name",
    "kind",
    "acronym",
    "country",
    "country_of_origin",
    "scope",
    "parent",
    "capabilities",
    "digital_presence",
    "women_led",
    "women_leadership_share",
    "sensitivity",
    "description",
    "website",
    "subnational_area",
    "latitude",
    "longitude",
)
STAKEHOLDER_PROVENANCE = (
    "origin",
    "source",
    "recorded_name",
    "source_activity",
    "source_publisher",
)
OUTCOME_FIELDS = (
    "title",
    "theme",
    "description",
    "geography",
    "countries",
    "needed_capabilities",
    "sector",
)
OUTCOME_PROVENANCE = ("origin", "source")
TIE_FIELDS = (
    "from_stakeholder",
    "to_stakeholder",
    "kind",
    "strength",
    "start_date",
    "end_date",
    "source",
    "notes",
)
TIE_PROVENANCE = ("origin",)


Coordinate = float | Decimal | None


@transaction.atomic
def stakeholder_create(
    *,
    name: str,
    kind: str,
    sectors: Iterable[Sector] = (),
    external_ids: dict[str, str] | None = None,
    tags: Iterable[str] = (),
    user=None,
    acronym: str = UNSET,
    country: str = UNSET,
    country_of_origin: str = UNSET,
    scope: str = UNSET,
    parent: Stakeholder | None = UNSET,
    capabilities: int = UNSET,
    digital_presence: int = UNSET,
    women_led: bool = UNSET,
    women_leadership_share: float | None = UNSET,
    sensitivity: str = UNSET,
    description: str = UNSET,
    website: str = UNSET,
    subnational_area: str = UNSET,
    latitude: Coordinate = UNSET,
    longitude: Coordinate = UNSET,
    origin: str = UNSET,
    source: str = UNSET,
    recorded_name: str = UNSET,
    source_activity: str = UNSET,
    source_publisher: Stakeholder | None = UNSET,
) -> Stakeholder:
    """Record a stakeholder; its identifiers must be free among what ``user`` may see. Fields
    not given keep the model's defaults; provenance (origin, source, …) only here, never later."""
    fields = given_fields(locals(), STAKEHOLDER_FIELDS[2:] + STAKEHOLDER_PROVENANCE)
    stakeholder = _validated_save(Stakeholder(name=name, kind=kind, **fields))
    if sectors:
        stakeholder.sectors.set(sectors)
    if tags:
        stakeholder.tags.set(tags_for_names(names=tags))
    if external_ids:
        stakeholder_external_ids_set(stakeholder=stakeholder, external_ids=external_ids, user=user)
    return stakeholder


@transaction.atomic
def stakeholder_update(
    *,
    stakeholder: Stakeholder,
    sectors: Iterable[Sector] | None = None,
    tags: Iterable[str] | None = None,
    name: str = UNSET,
    kind: str = UNSET,
    acronym: str = UNSET,
    country: str = UNSET,
    country_of_origin: str = UNSET,
    scope: str = UNSET,
    parent: Stakeholder | None = UNSET,
    capabilities: int = UNSET,
    digital_presence: int = UNSET,
    women_led: bool = UNSET,
    women_leadership_share: float | None = UNSET,
    sensitivity: str = UNSET,
    description: str = UNSET,
    website: str = UNSET,
    subnational_area: str = UNSET,
    latitude: Coordinate = UNSET,
    longitude: Coordinate = UNSET,
) -> Stakeholder:
    """Change the given fields. A name changed by hand is marked edited (``name_edited``), so
    that re-imports of the record keep it."""
    fields = given_fields(locals(), STAKEHOLDER_FIELDS)
    if "name" in fields and fields["name"] != stakeholder.name:
        stakeholder.name_edited = True
    model_update(instance=stakeholder, fields=STAKEHOLDER_FIELDS, data=fields, what="a stakeholder")
    if sectors is not None:
        stakeholder.sectors.set(sectors)
    if tags is not None:
        stakeholder.tags.set(tags_for_names(names=tags))
    return stakeholder


@transaction.atomic
def outcome_create(
    *,
    title: str,
    theme: str,
    tags: Iterable[str] = (),
    description: str = UNSET,
    geography: str = UNSET,
    countries: Iterable[str] = UNSET,
    needed_capabilities: int = UNSET,
    sector: Sector | None = UNSET,
    origin: str = UNSET,
    source: str = UNSET,
) -> Outcome:
    """Record an outcome; fields not given keep the model's defaults."""
    fields = given_fields(locals(), OUTCOME_FIELDS[2:] + OUTCOME_PROVENANCE)
    outcome = _validated_save(Outcome(title=title, theme=theme, **fields))
    if tags:
        outcome.tags.set(tags_for_names(names=tags))
    return outcome


def _assessed_on_checked(value) -> datetime.date:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise ValidationError({"assessed_on": "Give the day of the assessment as YYYY-MM-DD."})
    today = timezone.localdate()
    if value > today:
        raise ValidationError(
            {"assessed_on": f"The assessment cannot be dated in the future (today is {today})."}
        )
    return value


@transaction.atomic
def stake_create(
    *,
    stakeholder: Stakeholder,
    outcome: Outcome,
    interest: float,
    influence: float,
    position: str = Stake.Position.SUPPORTS,
    notes: str = "",
    source: str = "",
    assessed_on: datetime.date | None = None,
    origin: str = Origin.CURATED,
) -> Stake:
    """Record a stake: the first assessment of ``stakeholder``'s interest, influence and
    position in ``outcome``, dated ``assessed_on`` (today by default, never in the future)."""
    return _validated_save(
        Stake(
            stakeholder=stakeholder,
            outcome=outcome,
            interest=interest,
            influence=influence,
            position=position,
            notes=notes or "",
            source=source or "",
            assessed_on=_assessed_on_checked(assessed_on or timezone.localdate()),
            origin=origin,
        )
    )


ASSESSED = ("interest", "influence", "position")


@transaction.atomic
def stake_update(
    *,
    stake: Stake,
    interest: float = UNSET,
    influence: float = UNSET,
    position: str = UNSET,
    notes: str = UNSET,
    source: str = UNSET,
    assessed_on: datetime.date | None = UNSET,
    stakeholder: Stakeholder = UNSET,
    outcome: Outcome = UNSET,
) -> Stake:
    """Change the given fields of a stake; the history keeps each version as one dated
    assessment. A new interest, influence or position without ``assessed_on`` is dated today
    (re-assessed now); a date in the future is refused."""
    given = {
        name: value
        for name, value in {
            "interest": interest,
            "influence": influence,
            "position": position,
            "notes": notes,
            "source": source,
            "stakeholder": stakeholder,
            "outcome": outcome,
        }.items()
        if value is not UNSET
    }
    # Against the stored row: a model form has already set the new values on ``stake``.
    stored = Stake.objects.filter(pk=stake.pk).values(*ASSESSED).first() or {}
    reassessed = any(name in given and given[name] != stored.get(name) for name in ASSESSED)
    for name, value in given.items():
        setattr(stake, name, value)
    if assessed_on is not UNSET and assessed_on is not None:
        stake.assessed_on = _assessed_on_checked(assessed_on)
    elif reassessed:
        stake.assessed_on = timezone.localdate()
    return _validated_save(stake)


@transaction.atomic
def tie_create(
    *,
    from_stakeholder: Stakeholder,
    to_stakeholder: Stakeholder,
    kind: str,
    strength: float = UNSET,
    start_date: datetime.date | None = UNSET,
    end_date: datetime.date | None = UNSET,
    source: str = UNSET,
    notes: str = UNSET,
    origin: str = UNSET,
) -> Tie:
    """Record a tie; fields not given keep the model's defaults."""
    fields = given_fields(locals(), TIE_FIELDS[3:] + TIE_PROVENANCE)
    return _validated_save(
        Tie(from_stakeholder=from_stakeholder, to_stakeholder=to_stakeholder, kind=kind, **fields)
    )


# --- page edits: updates and deletions ------------------------------------------------------------


@transaction.atomic
def stakeholder_external_ids_set(
    *, stakeholder: Stakeholder, external_ids: dict[str, str], user=None
) -> None:
    """Make the stakeholder's identifier in each given scheme the given value (empty removes it).

    Schemes not in ``external_ids`` are left alone. An identifier already held by another
    stakeholder ``user`` may see raises a ValidationError keyed by the scheme, without naming it.
    One held only by a stakeholder ``user`` may not see is accepted, as if that one did not exist
    (refusing would reveal it); the two are then offered for merging to cleared people.
    ``user`` None (the system) sees everyone.
    """
    from .selectors import stakeholder_visible_to

    others = ExternalIdentifier.objects.exclude(stakeholder=stakeholder)
    if user is not None:
        others = others.filter(stakeholder__in=stakeholder_visible_to(user))
    errors = {}
    for scheme, raw_value in external_ids.items():
        value = (raw_value or "").strip()
        current = stakeholder.external_ids.filter(scheme=scheme)
        if not value:
            current.delete()
            continue
        taken = others.filter(scheme=scheme, value=value).exists()
        if taken:
            errors[scheme] = f"{value!r} is already recorded for another stakeholder."
            continue
        identifier = current.first() or ExternalIdentifier(stakeholder=stakeholder, scheme=scheme)
        if identifier.value != value:
            identifier.value = value
            _validated_save(identifier)
    if errors:
        raise ValidationError(errors)


def stakeholder_delete(*, stakeholder: Stakeholder, user) -> str:
    """Delete a stakeholder with its stakes, ties and identifiers as ``user`` sees it (children
    lose their parent); what ``user`` may not see is kept (``stakeholders.deletion``)."""
    from .deletion import stakeholder_delete as delete

    return delete(stakeholder=stakeholder, user=user)


@transaction.atomic
def outcome_update(
    *,
    outcome: Outcome,
    tags: Iterable[str] | None = None,
    title: str = UNSET,
    theme: str = UNSET,
    description: str = UNSET,
    geography: str = UNSET,
    countries: Iterable[str] = UNSET,
    needed_capabilities: int = UNSET,
    sector: Sector | None = UNSET,
) -> Outcome:
    """Change the given fields of an outcome (its provenance stays as recorded)."""
    fields = given_fields(locals(), OUTCOME_FIELDS)
    model_update(instance=outcome, fields=OUTCOME_FIELDS, data=fields, what="an outcome")
    if tags is not None:
        outcome.tags.set(tags_for_names(names=tags))
    return outcome


@transaction.atomic
def outcome_promote(*, outcome: Outcome, user) -> Outcome:
    """Bring a machine-made outcome (an import's "<sector> in <country>") into the default lists,
    recording who did and when; its origin stays as it was (provenance). Promoting a curated or
    already promoted outcome is refused, naming the outcome."""
    if outcome.origin not in MACHINE_ORIGINS:
        raise ValidationError({"outcome": f"“{outcome.title}” was not made by an import."})
    if outcome.promoted_at is not None:
        raise ValidationError({"outcome": f"“{outcome.title}” is already promoted."})
    outcome.promoted_at = timezone.now()
    outcome.promoted_by = user if getattr(user, "pk", None) else None
    outcome.save(update_fields=["promoted_at", "promoted_by", "updated_at"])
    return outcome


@transaction.atomic
def outcome_demote(*, outcome: Outcome) -> Outcome:
    """Undo a promotion: the machine-made outcome leaves the default lists again."""
    if outcome.promoted_at is None:
        raise ValidationError({"outcome": f"“{outcome.title}” is not promoted."})
    outcome.promoted_at, outcome.promoted_by = None, None
    outcome.save(update_fields=["promoted_at", "promoted_by", "updated_at"])
    return outcome


def outcome_delete(*, outcome: Outcome, user) -> str:
    """Delete an outcome and every stake in it ``user`` may see; what ``user`` may not see is
    kept (``stakeholders.deletion``)."""
    from .deletion import outcome_delete as delete

    return delete(outcome=outcome, user=user)


@transaction.atomic
def stake_delete(*, stake: Stake) -> None:
    stake.delete()


@transaction.atomic
def tie_update(
    *,
    tie: Tie,
    from_stakeholder: Stakeholder = UNSET,
    to_stakeholder: Stakeholder = UNSET,
    kind: str = UNSET,
    strength: float = UNSET,
    start_date: datetime.date | None = UNSET,
    end_date: datetime.date | None = UNSET,
    source: str = UNSET,
    notes: str = UNSET,
) -> Tie:
    """Change the given fields of a tie (its origin stays as recorded)."""
    fields = given_fields(locals(), TIE_FIELDS)
    return model_update(instance=tie, fields=TIE_FIELDS, data=fields, what="a tie")


@transaction.atomic
def tie_delete(*, tie: Tie) -> None:
    tie.delete()


# Fields an officer may set on many stakeholders at once from the list.
BULK_FIELDS = ("kind", "scope", "sensitivity")


@transaction.atomic
def stakeholder_bulk_update(*, stakeholders: Iterable[Stakeholder], field: str, value) -> int:
    """Set ``field`` to ``value`` on every stakeholder, each validated and saved as one edit
    would be (history, derived data refreshed); if any is refused, none is changed and the error
    names each refused stakeholder. Returns how many changed. Who may set what is the caller's
    to check (the bulk form offers a reader only the sensitivities they may see)."""
    if field not in BULK_FIELDS:
        raise ValidationError({"field": f"Choose one of: {', '.join(BULK_FIELDS)}."})
    refused, changed = [], 0
    for stakeholder in stakeholders:
        if getattr(stakeholder, field) == value:
            continue
        try:
            stakeholder_update(stakeholder=stakeholder, **{field: value})
        except ValidationError as error:
            refused.append(f"{stakeholder.name}: {' '.join(error.messages)}")
        else:
            changed += 1
    if refused:
        raise ValidationError({"stakeholders": refused})
    return changed


@transaction.atomic
def stakeholder_bulk_tag(
    *, stakeholders: Iterable[Stakeholder], add: Iterable[str] = (), remove: Iterable[str] = ()
) -> int:
    """Add and remove tags on every stakeholder, each change kept in its history as one edit
    would (``stakeholder_update``); returns how many stakeholders changed. Naming no tag is
    refused, naming the field."""
    to_add, to_remove = tags_for_names(names=add), {tag_name_clean(name) for name in remove}
    if not to_add and not any(to_remove):
        raise ValidationError({"tags": "Name at least one tag to add or remove."})
    changed = 0
    for stakeholder in stakeholders:
        current = [tag.name for tag in stakeholder.tags.all()]
        wanted = [name for name in current if name not in to_remove]
        wanted += [tag.name for tag in to_add if tag.name not in wanted]
        if sorted(wanted) != sorted(current):
            stakeholder_update(stakeholder=stakeholder, tags=wanted)
            changed += 1
    return changed


@transaction.atomic
def stakeholder_bulk_delete(*, stakeholders: Iterable[Stakeholder], user) -> int:
    """Delete every stakeholder as one deletion each would (what ``user`` may not see is kept),
    all or none. Returns how many were deleted."""
    count = 0
    for stakeholder in stakeholders:
        stakeholder_delete(stakeholder=stakeholder, user=user)
        count += 1
    return count
