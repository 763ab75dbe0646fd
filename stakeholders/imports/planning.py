"""From rows of text to a plan: which rows create, update or leave a registry record as it is, and
every error with its row, column and reason.

A planner runs as the uploading user: it sees stakeholders only through ``stakeholder_visible_to``,
so a hidden stakeholder is reported exactly like one that does not exist. It loads what a batch
of rows refers to in a handful of queries (never one per row) and validates each row with the
model's own ``full_clean``. Planning writes nothing; ``services`` writes a plan that has no error.
"""

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import models
from django.utils import timezone

from stakeholders.choices import (
    SYMMETRIC_TIE_KINDS,
    DigitalPresence,
    IdentifierScheme,
    Kind,
    Position,
    Scope,
    Sensitivity,
    Theme,
    TieKind,
)
from stakeholders.models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder, Tie
from stakeholders.selectors import stakeholder_visible_to, user_is_cleared

from .parsing import FileProblem, SourceRow, open_table
from .validation import (
    CellError,
    ChoiceReader,
    FieldChecker,
    RowError,
    model_errors,
    parse_boolean,
    parse_capabilities,
    parse_date,
    parse_integer,
    parse_number,
    split_list,
)

BATCH_SIZE = 1000
MAX_REPORTED_ERRORS = 500
SAMPLE_SIZE = 20
PROGRESS_INTERVAL = 0.5  # seconds between two progress reports

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"


@dataclass(frozen=True)
class Column:
    """A column of an import file, documented on the upload page and in the template CSV."""

    name: str
    help: str
    example: str = ""
    required: bool = False


@dataclass
class PlannedRow:
    """What one data row would do. ``instance`` is ready to save for creates and updates."""

    row: int
    action: str
    label: str = ""
    instance: models.Model | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    restricted: bool = False
    # Stakeholders only: the sectors to store (None: leave them), and the IATI identifier.
    sector_ids: frozenset[int] | None = None
    sectors_changed: bool = False
    iati_ref: str = ""
    identifier: ExternalIdentifier | None = None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Choices):
        return str(value.value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _comparable(model_field: models.Field, value):
    """A field value in the form the database stores, so that 'KE' equals Country('KE')."""
    if value is None:
        return None
    prepared = model_field.get_prep_value(value)
    if isinstance(prepared, str) and getattr(model_field, "multiple", False):
        return ",".join(sorted(part for part in prepared.split(",") if part))
    return prepared


def _display(model_field: models.Field, value) -> str:
    if value is None:
        return ""
    if model_field.name in ("capabilities", "needed_capabilities"):
        return "; ".join(value.labels()) if value else ""
    if model_field.choices and not getattr(model_field, "multiple", False):
        return str(dict(model_field.flatchoices).get(_comparable(model_field, value), value))
    if getattr(model_field, "multiple", False):
        return _comparable(model_field, value) or ""
    return _text(value)


class Planner:
    """The shared shape of the four planners: columns, header checks, batching, field readers."""

    kind = ""
    model: type[models.Model]
    columns: list[Column] = []
    # Groups of columns of which the header must have at least one.
    one_of: list[tuple[str, ...]] = []
    # column -> reader(text) for the plain field columns; empty cells are "not given".
    readers: dict[str, Callable] = {}
    # column -> model field, where the names differ.
    fields: dict[str, str] = {}
    # Columns set on the model that are not read by ``readers`` (lists, resolved references).
    extra_fields: list[str] = []

    def __init__(self, *, user, headers: list[str]):
        self.user = user
        self.cleared = user_is_cleared(user)
        self.visible = stakeholder_visible_to(user)
        self.headers = headers
        self.now = timezone.now()
        self.model_fields = {
            column: self.model._meta.get_field(self.fields.get(column, column))
            for column in [*self.readers, *self.extra_fields]
        }

    @classmethod
    def column_names(cls) -> list[str]:
        return [column.name for column in cls.columns]

    def header_errors(self) -> list[RowError]:
        known = set(self.column_names())
        errors = [
            RowError(
                row=1,
                column=name,
                message=(
                    f"unknown column '{name}'. The columns of a {self.kind} file are: "
                    f"{', '.join(self.column_names())}."
                ),
            )
            for name in self.headers
            if name not in known
        ]
        for column in self.columns:
            if column.required and column.name not in self.headers:
                errors.append(
                    RowError(
                        row=1,
                        column=column.name,
                        message=f"missing column '{column.name}': it is required.",
                    )
                )
        for group in self.one_of:
            if not set(group) & set(self.headers):
                errors.append(
                    RowError(
                        row=1,
                        column=group[0],
                        message=f"missing column: give one of {', '.join(group)}.",
                    )
                )
        return errors

    def plan_batch(self, rows: list[SourceRow]) -> list[PlannedRow]:
        readable = [row for row in rows if not row.problem]
        self.load(readable)
        plans = []
        for row in rows:
            if row.problem:
                plans.append(
                    PlannedRow(
                        row.number,
                        ERROR,
                        errors=[
                            RowError(row=row.number, column="", message=f"This row {row.problem}")
                        ],
                    )
                )
            else:
                plans.append(self.plan_row(row))
        return plans

    def load(self, rows: list[SourceRow]) -> None:
        """Load in bulk whatever ``rows`` refer to."""

    def plan_row(self, row: SourceRow) -> PlannedRow:
        raise NotImplementedError

    def read_cells(self, row: SourceRow, errors: list[RowError]) -> dict[str, object]:
        """Field values of the non-empty cells; unreadable cells become errors on their column."""
        values = {}
        for column, reader in self.readers.items():
            text = row.values.get(column, "")
            if not text:
                continue
            try:
                values[column] = reader(text)
            except CellError as error:
                errors.append(
                    RowError(row=row.number, column=column, message=str(error), value=text)
                )
        return values

    def apply_values(
        self, instance: models.Model, values: dict[str, object], *, track: bool
    ) -> list[tuple[str, str, str]]:
        """Set the given values on ``instance``; return (column, old, new) for each real change."""
        changes = []
        for column, value in values.items():
            model_field = self.model_fields[column]
            if track:
                old = getattr(instance, model_field.attname)
                if _comparable(model_field, old) == _comparable(model_field, value):
                    continue
                changes.append((column, _display(model_field, old), _display(model_field, value)))
            setattr(instance, model_field.attname, value)
        return changes

    def outcome_of(
        self,
        row: SourceRow,
        *,
        instance: models.Model,
        existing: bool,
        changes: list[tuple[str, str, str]],
        errors: list[RowError],
        label: str,
        restricted: bool = False,
        **extra,
    ) -> PlannedRow:
        if errors:
            return PlannedRow(row.number, ERROR, label=label, errors=errors, restricted=restricted)
        if existing and not changes:
            return PlannedRow(row.number, UNCHANGED, label=label, restricted=restricted)
        if hasattr(instance, "updated_at"):
            instance.updated_at = self.now
        if not existing and hasattr(instance, "created_at"):
            instance.created_at = self.now
        return PlannedRow(
            row.number,
            UPDATE if existing else CREATE,
            label=label,
            instance=instance,
            changes=changes,
            restricted=restricted,
            **extra,
        )


def _columns_with(errors: list[RowError]) -> set[str]:
    """Columns already reported: the model is not asked about them again."""
    return {error.column for error in errors if error.column}


# --- stakeholders ---------------------------------------------------------------------------


def _country(text: str) -> str:
    return text.strip().upper()


class StakeholderPlanner(Planner):
    kind = "stakeholders"
    model = Stakeholder
    columns = [
        Column(
            "id",
            "The registry id of a stakeholder to update. Leave it empty to create one, or to find "
            "the stakeholder by iati_org_ref and then by exact name and country.",
        ),
        Column("name", "Full name.", "Women's Peace Network", required=True),
        Column(
            "kind",
            "Code or label: " + ", ".join(Kind.values) + ".",
            "womens_group",
            required=True,
        ),
        Column("country", "Where the actor is based: ISO 3166-1 alpha-2 code.", "YE"),
        Column(
            "country_of_origin",
            "Diaspora groups only (and required for them): ISO alpha-2 code of the homeland.",
        ),
        Column("scope", "One of " + ", ".join(Scope.values) + " (default national).", "local"),
        Column("acronym", "Short name.", "WPN"),
        Column(
            "sectors",
            "OECD DAC 5-digit sector codes separated by ';'. Each must exist in the registry.",
            "15170;15220",
        ),
        Column(
            "capabilities",
            "The toolbox, names separated by ';': funding, field_presence, technology, "
            "convening, legal, security, media_reach, research_data, logistics, community_trust.",
            "field_presence;community_trust",
        ),
        Column(
            "digital_presence",
            "0–3 or none, basic, active, strong (default none).",
            "active",
        ),
        Column("women_led", "true/false, yes/no or 1/0 (default false).", "yes"),
        Column(
            "women_leadership_share",
            "Share of women in the leadership, 0–1 (0.6 or 60%). Empty means unknown.",
            "0.8",
        ),
        Column(
            "sensitivity",
            "public, restricted or confidential (default public). Only users cleared for "
            "restricted actors may give anything but public.",
            "public",
        ),
        Column("description", "Free text.", "Network of women mediators in Taiz and Aden."),
        Column("website", "A full URL.", "https://example.org"),
        Column("iati_org_ref", "IATI organisation identifier, unique in the registry.", ""),
    ]
    readers = {
        "name": str,
        "kind": ChoiceReader(Kind),
        "country": _country,
        "country_of_origin": _country,
        "scope": ChoiceReader(Scope),
        "acronym": str,
        "capabilities": parse_capabilities,
        "digital_presence": ChoiceReader(DigitalPresence, short_labels=True),
        "women_led": parse_boolean,
        "women_leadership_share": parse_number,
        "sensitivity": ChoiceReader(Sensitivity),
        "description": str,
        "website": str,
    }

    def __init__(self, *, user, headers):
        super().__init__(user=user, headers=headers)
        self.country_checks = {
            name: FieldChecker(Stakeholder, name) for name in ("country", "country_of_origin")
        }
        self.sector_by_code = dict(Sector.objects.values_list("code", "id"))
        self.seen_targets: dict[int, int] = {}
        self.seen_names: dict[tuple[str, str], int] = {}
        self.seen_refs: dict[str, int] = {}

    def load(self, rows):
        ids, refs, names = set(), set(), set()
        for row in rows:
            try:
                if row.values.get("id"):
                    ids.add(parse_integer(row.values["id"]))
            except CellError:
                pass
            if row.values.get("iati_org_ref"):
                refs.add(row.values["iati_org_ref"])
            if row.values.get("name"):
                names.add(row.values["name"])
        # The owners of these identifiers that the importer may see: an identifier is unique
        # among those (one held by a hidden actor must not be refused, which would reveal it).
        self.ref_owner = dict(
            ExternalIdentifier.objects.filter(
                scheme=IdentifierScheme.IATI_ORG, value__in=refs, stakeholder__in=self.visible
            )
            .order_by("-stakeholder_id")
            .values_list("value", "stakeholder_id")
        )
        self.by_name_country: dict[tuple[str, str], list[int]] = {}
        for pk, name, country in self.visible.filter(name__in=names).values_list(
            "id", "name", "country"
        ):
            self.by_name_country.setdefault((name, country), []).append(pk)
        wanted = ids | set(self.ref_owner.values())
        wanted |= {pk for pks in self.by_name_country.values() for pk in pks}
        self.existing = self.visible.in_bulk(wanted) if wanted else {}
        self.current_sectors: dict[int, set[int]] = {pk: set() for pk in self.existing}
        through = Stakeholder.sectors.through
        for stakeholder_id, sector_id in through.objects.filter(
            stakeholder_id__in=self.existing
        ).values_list("stakeholder_id", "sector_id"):
            self.current_sectors[stakeholder_id].add(sector_id)
        self.identifiers = {
            identifier.stakeholder_id: identifier
            for identifier in ExternalIdentifier.objects.filter(
                scheme=IdentifierScheme.IATI_ORG, stakeholder_id__in=self.existing
            )
        }

    def plan_row(self, row):
        errors: list[RowError] = []
        values = self.read_cells(row, errors)
        for column, checker in self.country_checks.items():
            if column in values and (message := checker.message(values[column])):
                if "valid choice" in message:
                    message = (
                        f"{values[column]!r} is not an ISO 3166-1 alpha-2 country code "
                        "(two letters, e.g. YE, SD, BD)."
                    )
                errors.append(RowError(row.number, column, message, values[column]))
                del values[column]
        sector_ids = None
        if "sectors" in row.values and row.values["sectors"]:
            codes = split_list(row.values["sectors"])
            unknown = [code for code in codes if code not in self.sector_by_code]
            if unknown:
                errors.append(
                    RowError(
                        row.number,
                        "sectors",
                        f"unknown sector code{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(unknown)}: use DAC 5-digit codes that exist in the registry.",
                        row.values["sectors"],
                    )
                )
            else:
                sector_ids = frozenset(self.sector_by_code[code] for code in codes)
        ref = row.values.get("iati_org_ref", "")
        if values.get("sensitivity", Sensitivity.PUBLIC) != Sensitivity.PUBLIC and not self.cleared:
            errors.append(
                RowError(
                    row.number,
                    "sensitivity",
                    "you are not cleared for restricted or confidential stakeholders: leave it "
                    "empty or write 'public'.",
                    row.values["sensitivity"],
                )
            )

        target = self._find_target(row, values, ref, errors)
        if target is not None and (first := self.seen_targets.get(target.pk)):
            errors.append(
                RowError(row.number, "id" if row.values.get("id") else "name",
                         f"row {first} already updates this stakeholder (id {target.pk}).",
                         row.values.get("id") or row.values.get("name", ""))
            )  # fmt: skip
        if ref:
            owner = self.ref_owner.get(ref)
            if (first := self.seen_refs.get(ref)) is not None:
                errors.append(
                    RowError(
                        row.number,
                        "iati_org_ref",
                        f"row {first} has the same IATI identifier.",
                        ref,
                    )
                )
            elif owner is not None and (target is None or owner != target.pk):
                errors.append(
                    RowError(
                        row.number,
                        "iati_org_ref",
                        "another stakeholder already has this IATI identifier.",
                        ref,
                    )
                )

        existing = target is not None
        # A new stakeholder takes the model's defaults for whatever the row leaves empty.
        instance = target if existing else Stakeholder()
        was_restricted = existing and instance.sensitivity != Sensitivity.PUBLIC
        changes = self.apply_values(instance, values, track=existing)
        # The country as text without reading ``instance.country``: django-countries builds a
        # Country object on every read, which costs more than validating the row.
        country = values.get("country", "") if not existing else str(instance.country or "")
        name_key = (instance.name, country)
        if instance.name and (first := self.seen_names.get(name_key)) is not None:
            errors.append(
                RowError(
                    row.number,
                    "name",
                    f"row {first} has the same name and country: each stakeholder once per file.",
                    instance.name,
                )
            )
        exclude = ["country", "country_of_origin", "parent", *_columns_with(errors)]
        errors.extend(model_errors(instance, row=row.number, exclude=exclude, columns={}))

        sectors_changed = False
        if sector_ids is not None:
            current = self.current_sectors.get(instance.pk, set()) if existing else set()
            sectors_changed = set(sector_ids) != current
            if existing and sectors_changed:
                changes.append(("sectors", self._codes(current), self._codes(sector_ids)))
        elif existing:
            sector_ids = frozenset(self.current_sectors.get(instance.pk, set()))
        identifier = self.identifiers.get(instance.pk) if existing else None
        if existing and ref and (identifier is None or identifier.value != ref):
            changes.append(("iati_org_ref", identifier.value if identifier else "", ref))
        elif existing:
            ref = ""  # nothing to write

        if not errors:
            if existing:
                self.seen_targets[instance.pk] = row.number
            self.seen_names[name_key] = row.number
            if row.values.get("iati_org_ref"):
                self.seen_refs[row.values["iati_org_ref"]] = row.number
        label = f"{instance.name} ({country})" if country else instance.name
        return self.outcome_of(
            row,
            instance=instance,
            existing=existing,
            changes=changes,
            errors=errors,
            label=label,
            restricted=was_restricted or instance.sensitivity != Sensitivity.PUBLIC,
            sector_ids=sector_ids,
            sectors_changed=sectors_changed,
            iati_ref=ref,
            identifier=identifier,
        )

    def _find_target(self, row, values, ref, errors) -> Stakeholder | None:
        """The visible stakeholder this row updates: by id, else IATI identifier, else name."""
        id_text = row.values.get("id", "")
        if id_text:
            try:
                pk = parse_integer(id_text, what="a stakeholder id (a whole number)")
            except CellError as error:
                errors.append(RowError(row.number, "id", str(error), id_text))
                return None
            target = self.existing.get(pk)
            if target is None:
                errors.append(
                    RowError(row.number, "id", f"no visible stakeholder with id {pk}.", id_text)
                )
            return target
        if ref and (owner := self.ref_owner.get(ref)) in self.existing:
            return self.existing[owner]
        name = values.get("name") or row.values.get("name", "")
        country = values.get("country", row.values.get("country", "").upper())
        matches = self.by_name_country.get((name, country), [])
        if len(matches) > 1:
            errors.append(
                RowError(
                    row.number,
                    "name",
                    f"{len(matches)} stakeholders are named '{name}' in "
                    f"{country or 'no country'}: add an id column to say which one to update.",
                    name,
                )
            )
            return None
        return self.existing.get(matches[0]) if matches else None

    def _codes(self, sector_ids) -> str:
        by_id = {pk: code for code, pk in self.sector_by_code.items()}
        return ";".join(sorted(by_id[pk] for pk in sector_ids))


# --- outcomes -------------------------------------------------------------------------------


class OutcomePlanner(Planner):
    kind = "outcomes"
    model = Outcome
    extra_fields = ["countries"]
    columns = [
        Column(
            "title",
            "The outcome's title: unique, and how a row finds an outcome to update.",
            "Protection of displaced Rohingya women",
            required=True,
        ),
        Column(
            "theme",
            "Code or label: " + ", ".join(Theme.values) + ".",
            "displacement",
            required=True,
        ),
        Column("geography", "Where, in words.", "Cox's Bazar, Bangladesh"),
        Column("countries", "ISO alpha-2 codes separated by ';'.", "BD;MM"),
        Column(
            "needed_capabilities",
            "Capabilities the outcome needs, names separated by ';' (as for stakeholders).",
            "field_presence;legal;community_trust",
        ),
        Column("description", "Free text.", ""),
    ]
    readers = {
        "title": str,
        "theme": ChoiceReader(Theme),
        "geography": str,
        "needed_capabilities": parse_capabilities,
        "description": str,
    }

    def __init__(self, *, user, headers):
        super().__init__(user=user, headers=headers)
        self.country_check = FieldChecker(Outcome, "countries")
        self.seen_titles: dict[str, int] = {}

    def load(self, rows):
        titles = {row.values.get("title", "") for row in rows} - {""}
        self.existing = {
            outcome.title: outcome for outcome in Outcome.objects.filter(title__in=titles)
        }

    def plan_row(self, row):
        errors: list[RowError] = []
        values = self.read_cells(row, errors)
        if row.values.get("countries"):
            codes = [code.upper() for code in split_list(row.values["countries"])]
            bad = [code for code in codes if self.country_check.message(code)]
            if bad:
                errors.append(
                    RowError(
                        row.number,
                        "countries",
                        f"not ISO 3166-1 alpha-2 country codes: {', '.join(bad)}.",
                        row.values["countries"],
                    )
                )
            else:
                values["countries"] = sorted(set(codes))
        title = row.values.get("title", "")
        if title and (first := self.seen_titles.get(title)) is not None:
            errors.append(RowError(row.number, "title", f"row {first} has the same title.", title))
        existing = title in self.existing
        instance = self.existing[title] if existing else Outcome()
        changes = self.apply_values(instance, values, track=existing)
        exclude = ["countries", *_columns_with(errors)]
        errors.extend(model_errors(instance, row=row.number, exclude=exclude, columns={}))
        if not errors:
            self.seen_titles[title] = row.number
        return self.outcome_of(
            row, instance=instance, existing=existing, changes=changes, errors=errors, label=title
        )


# --- references to stakeholders and outcomes (stakes and ties) --------------------------------


REFERENCE_SUFFIXES = ("id", "ref", "name")


class StakeholderReferences:
    """Finds the visible stakeholders that rows name by id, IATI identifier or exact name.

    A hidden stakeholder is not found, and the message is the same as for one that does not
    exist, so that an import never tells an uncleared user that a hidden actor is there.
    """

    def __init__(self, visible):
        self.visible = visible
        self.by_id: dict[int, tuple[int, str, str]] = {}
        self.by_ref: dict[str, tuple[int, str, str]] = {}
        self.by_name: dict[str, list[tuple[int, str, str]]] = {}

    def load(self, rows: list[SourceRow], prefixes: Iterable[str]) -> None:
        ids, refs, names = set(), set(), set()
        for row in rows:
            for prefix in prefixes:
                if text := row.values.get(f"{prefix}_id"):
                    with contextlib.suppress(CellError):
                        ids.add(parse_integer(text))
                if text := row.values.get(f"{prefix}_ref"):
                    refs.add(text)
                if text := row.values.get(f"{prefix}_name"):
                    names.add(text)
        fields = ("id", "name", "sensitivity")
        self.by_id = {
            found[0]: found for found in self.visible.filter(id__in=ids).values_list(*fields)
        }
        self.by_ref = {
            value: (pk, name, sensitivity)
            for value, pk, name, sensitivity in ExternalIdentifier.objects.filter(
                scheme=IdentifierScheme.IATI_ORG,
                value__in=refs,
                stakeholder__in=self.visible,
            ).values_list(
                "value", "stakeholder_id", "stakeholder__name", "stakeholder__sensitivity"
            )
        }
        self.by_name = {}
        for found in self.visible.filter(name__in=names).values_list(*fields):
            self.by_name.setdefault(found[1], []).append(found)

    def resolve(self, row: SourceRow, prefix: str) -> tuple[int, str, str]:
        """(id, name, sensitivity) of the stakeholder named in the row's ``prefix_*`` columns."""
        if text := row.values.get(f"{prefix}_id"):
            try:
                pk = parse_integer(text, what="a stakeholder id (a whole number)")
            except CellError as error:
                raise ReferenceProblem(f"{prefix}_id", str(error), text) from None
            if pk not in self.by_id:
                raise ReferenceProblem(
                    f"{prefix}_id", f"no visible stakeholder with id {pk}.", text
                )
            return self.by_id[pk]
        if text := row.values.get(f"{prefix}_ref"):
            if text not in self.by_ref:
                raise ReferenceProblem(
                    f"{prefix}_ref", f"no visible stakeholder with IATI identifier '{text}'.", text
                )
            return self.by_ref[text]
        if text := row.values.get(f"{prefix}_name"):
            found = self.by_name.get(text, [])
            if not found:
                raise ReferenceProblem(
                    f"{prefix}_name", f"no visible stakeholder named '{text}'.", text
                )
            if len(found) > 1:
                raise ReferenceProblem(
                    f"{prefix}_name",
                    f"{len(found)} stakeholders are named '{text}': use {prefix}_id or "
                    f"{prefix}_ref to say which.",
                    text,
                )
            return found[0]
        raise ReferenceProblem(
            f"{prefix}_id",
            f"no stakeholder given: fill in {prefix}_id, {prefix}_ref or {prefix}_name.",
            "",
        )


class ReferenceProblem(Exception):
    def __init__(self, column: str, message: str, value: str):
        super().__init__(message)
        self.column, self.message, self.value = column, message, value


def reference_columns(prefix: str, who: str) -> list[Column]:
    return [
        Column(f"{prefix}_id", f"{who}: its registry id …", "12"),
        Column(f"{prefix}_ref", "… or its IATI organisation identifier …", ""),
        Column(
            f"{prefix}_name",
            "… or its exact name (one of the three columns is enough; id wins, then ref).",
            "",
        ),
    ]


# --- stakes ---------------------------------------------------------------------------------


class StakePlanner(Planner):
    kind = "stakes"
    model = Stake
    columns = [
        *reference_columns("stakeholder", "The stakeholder (it must already exist)"),
        Column("outcome", "The outcome's exact title (it must already exist) …", "Outcome title"),
        Column("outcome_id", "… or its registry id.", ""),
        Column("interest", "0 (none) to 1 (vital).", "0.8", required=True),
        Column("influence", "0 (none) to 1 (decisive).", "0.4", required=True),
        Column("position", "supports, neutral or opposes (default supports).", "supports"),
        Column("source", "Where this comes from.", "Field interviews 2024"),
        Column("notes", "Free text.", ""),
    ]
    one_of = [("stakeholder_id", "stakeholder_ref", "stakeholder_name"), ("outcome", "outcome_id")]
    readers = {
        "interest": parse_number,
        "influence": parse_number,
        "position": ChoiceReader(Position),
        "source": str,
        "notes": str,
    }

    def __init__(self, *, user, headers):
        super().__init__(user=user, headers=headers)
        self.references = StakeholderReferences(self.visible)
        self.seen: dict[tuple[int, int], int] = {}

    def load(self, rows):
        self.references.load(rows, ["stakeholder"])
        titles, ids = set(), set()
        for row in rows:
            if text := row.values.get("outcome"):
                titles.add(text)
            if text := row.values.get("outcome_id"):
                with contextlib.suppress(CellError):
                    ids.add(parse_integer(text))
        found = Outcome.objects.filter(models.Q(title__in=titles) | models.Q(id__in=ids))
        pairs = list(found.values_list("id", "title"))
        self.outcome_by_title = {title: (pk, title) for pk, title in pairs}
        self.outcome_by_id = {pk: (pk, title) for pk, title in pairs}
        stakeholder_ids = {found[0] for found in self.references.by_id.values()}
        stakeholder_ids |= {found[0] for found in self.references.by_ref.values()}
        stakeholder_ids |= {found[0] for many in self.references.by_name.values() for found in many}
        self.existing = {
            (stake.stakeholder_id, stake.outcome_id): stake
            for stake in Stake.objects.filter(
                stakeholder_id__in=stakeholder_ids, outcome_id__in=self.outcome_by_id
            )
        }

    def _outcome(self, row) -> tuple[int, str]:
        if text := row.values.get("outcome_id"):
            try:
                pk = parse_integer(text, what="an outcome id (a whole number)")
            except CellError as error:
                raise ReferenceProblem("outcome_id", str(error), text) from None
            if pk not in self.outcome_by_id:
                raise ReferenceProblem("outcome_id", f"no outcome with id {pk}.", text)
            return self.outcome_by_id[pk]
        if text := row.values.get("outcome"):
            if text not in self.outcome_by_title:
                raise ReferenceProblem("outcome", f"no outcome titled '{text}'.", text)
            return self.outcome_by_title[text]
        raise ReferenceProblem("outcome", "no outcome given: fill in outcome or outcome_id.", "")

    def plan_row(self, row):
        errors: list[RowError] = []
        values = self.read_cells(row, errors)
        stakeholder = outcome = None
        try:
            stakeholder = self.references.resolve(row, "stakeholder")
        except ReferenceProblem as problem:
            errors.append(RowError(row.number, problem.column, problem.message, problem.value))
        try:
            outcome = self._outcome(row)
        except ReferenceProblem as problem:
            errors.append(RowError(row.number, problem.column, problem.message, problem.value))
        if stakeholder is None or outcome is None:
            return PlannedRow(row.number, ERROR, errors=errors)
        key = (stakeholder[0], outcome[0])
        label = f"{stakeholder[1]} → {outcome[1]}"
        if (first := self.seen.get(key)) is not None:
            errors.append(
                RowError(row.number, "", f"row {first} is about the same stakeholder and outcome.")
            )
        existing = key in self.existing
        instance = self.existing[key] if existing else Stake(
            stakeholder_id=key[0], outcome_id=key[1], interest=None, influence=None
        )  # fmt: skip
        changes = self.apply_values(instance, values, track=existing)
        exclude = ["stakeholder", "outcome", *_columns_with(errors)]
        errors.extend(model_errors(instance, row=row.number, exclude=exclude, columns={}))
        if not errors:
            self.seen[key] = row.number
        return self.outcome_of(
            row,
            instance=instance,
            existing=existing,
            changes=changes,
            errors=errors,
            label=label,
            restricted=stakeholder[2] != Sensitivity.PUBLIC,
        )


# --- ties -----------------------------------------------------------------------------------


class TiePlanner(Planner):
    kind = "ties"
    model = Tie
    columns = [
        *reference_columns("from_stakeholder", "The stakeholder the tie goes from"),
        *reference_columns("to_stakeholder", "The stakeholder the tie goes to"),
        Column(
            "kind",
            "Code or label: " + ", ".join(TieKind.values) + ". partners_with, "
            "communicates_with and opposes read both ways: give them once.",
            "funds",
            required=True,
        ),
        Column("strength", "0 (nominal) to 1 (very strong), default 0.5.", "0.7"),
        Column("start_date", "YYYY-MM-DD.", "2022-01-01"),
        Column("end_date", "YYYY-MM-DD, not before the start date.", ""),
        Column("source", "Where this comes from.", "Annual report 2023"),
        Column("notes", "Free text.", ""),
    ]
    one_of = [
        ("from_stakeholder_id", "from_stakeholder_ref", "from_stakeholder_name"),
        ("to_stakeholder_id", "to_stakeholder_ref", "to_stakeholder_name"),
    ]
    readers = {
        "kind": ChoiceReader(TieKind),
        "strength": parse_number,
        "start_date": parse_date,
        "end_date": parse_date,
        "source": str,
        "notes": str,
    }

    def __init__(self, *, user, headers):
        super().__init__(user=user, headers=headers)
        self.references = StakeholderReferences(self.visible)
        self.seen: dict[tuple[int, int, str], int] = {}

    def load(self, rows):
        self.references.load(rows, ["from_stakeholder", "to_stakeholder"])
        found = {found[0] for found in self.references.by_id.values()}
        found |= {found[0] for found in self.references.by_ref.values()}
        found |= {item[0] for many in self.references.by_name.values() for item in many}
        self.existing = {
            (tie.from_stakeholder_id, tie.to_stakeholder_id, tie.kind): tie
            for tie in Tie.objects.filter(
                from_stakeholder_id__in=found, to_stakeholder_id__in=found
            )
        }

    def plan_row(self, row):
        errors: list[RowError] = []
        values = self.read_cells(row, errors)
        ends = {}
        for prefix in ("from_stakeholder", "to_stakeholder"):
            try:
                ends[prefix] = self.references.resolve(row, prefix)
            except ReferenceProblem as problem:
                errors.append(RowError(row.number, problem.column, problem.message, problem.value))
        if len(ends) < 2 or "kind" not in values:
            if "kind" not in values and not any(error.column == "kind" for error in errors):
                errors.append(RowError(row.number, "kind", "required: the kind of tie.", ""))
            return PlannedRow(row.number, ERROR, errors=errors)
        source, target = ends["from_stakeholder"], ends["to_stakeholder"]
        kind = values["kind"]
        key = (source[0], target[0], str(kind))
        label = f"{source[1]} {TieKind(kind).label.lower()} {target[1]}"
        if (first := self.seen.get(key)) is not None:
            errors.append(RowError(row.number, "", f"row {first} records the same tie."))
        elif kind in SYMMETRIC_TIE_KINDS and (
            first := self.seen.get((target[0], source[0], str(kind)))
        ):
            errors.append(
                RowError(
                    row.number,
                    "kind",
                    f"row {first} records this tie the other way round, and "
                    f"'{TieKind(kind).label}' reads both ways: give it once.",
                    str(kind),
                )
            )
        existing = key in self.existing
        instance = self.existing[key] if existing else Tie(
            from_stakeholder_id=source[0], to_stakeholder_id=target[0]
        )  # fmt: skip
        changes = self.apply_values(instance, values, track=existing)
        columns = {
            prefix: next(
                (f"{prefix}_{suffix}" for suffix in REFERENCE_SUFFIXES
                 if row.values.get(f"{prefix}_{suffix}")),
                f"{prefix}_id",
            )
            for prefix in ("from_stakeholder", "to_stakeholder")
        }  # fmt: skip
        errors.extend(
            model_errors(
                instance,
                row=row.number,
                exclude=["from_stakeholder", "to_stakeholder", *_columns_with(errors)],
                columns=columns,
            )
        )
        if not errors:
            self.seen[key] = row.number
        return self.outcome_of(
            row,
            instance=instance,
            existing=existing,
            changes=changes,
            errors=errors,
            label=label,
            restricted=source[2] != Sensitivity.PUBLIC or target[2] != Sensitivity.PUBLIC,
        )


PLANNERS: dict[str, type[Planner]] = {
    planner.kind: planner
    for planner in (StakeholderPlanner, OutcomePlanner, StakePlanner, TiePlanner)
}


# --- running a plan over a file --------------------------------------------------------------


@dataclass
class PlanResult:
    """What a whole file would do: counts, the first errors, samples, and (if kept) the plans."""

    format: str = ""
    delimiter: str = ""
    columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    counts: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    error_columns: Counter = field(default_factory=Counter)
    samples: dict[str, list[dict]] = field(default_factory=lambda: {CREATE: [], UPDATE: []})
    involves_restricted: bool = False
    file_problem: str = ""
    plans: list[PlannedRow] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return self.counts[ERROR] + (1 if self.file_problem else 0)

    def add_error(self, error: RowError) -> None:
        self.error_columns[error.column or "(whole row)"] += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def report(self) -> dict:
        return {
            "format": self.format,
            "delimiter": self.delimiter,
            "columns": self.columns,
            "rows_read": self.rows_read,
            "file_problem": self.file_problem,
            "errors": [error.as_dict() for error in self.errors],
            "errors_shown": len(self.errors),
            "errors_total": sum(self.error_columns.values()),
            "rows_with_errors": self.counts[ERROR],
            "error_columns": dict(self.error_columns.most_common()),
            "samples": self.samples,
        }


def _batches(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def plan_file(
    *,
    path,
    kind: str,
    user,
    keep_plans: bool = False,
    on_progress: Callable[[int, int | None], None] | None = None,
    progress_every: float | None = None,
) -> PlanResult:
    """Read and check a whole file as ``user``; nothing is written.

    ``keep_plans`` keeps the creates and updates for ``services`` to write. ``on_progress(rows,
    total)`` is called at most every ``progress_every`` seconds (default PROGRESS_INTERVAL).
    """
    if progress_every is None:
        progress_every = PROGRESS_INTERVAL
    result = PlanResult()
    last_progress = time.monotonic()
    try:
        with open_table(path) as table:
            result.format, result.delimiter = table.format, table.delimiter
            result.columns = list(table.headers)
            planner = PLANNERS[kind](user=user, headers=table.headers)
            header_errors = planner.header_errors()
            if header_errors:
                for error in header_errors:
                    result.add_error(error)
                result.file_problem = "The header row does not fit a " + kind + " file."
                return result
            for batch in _batches(table.rows(), BATCH_SIZE):
                for plan in planner.plan_batch(batch):
                    result.rows_read += 1
                    result.counts[plan.action] += 1
                    result.involves_restricted |= plan.restricted
                    for error in plan.errors:
                        result.add_error(error)
                    _sample(result, plan)
                    if keep_plans and plan.action in (CREATE, UPDATE):
                        result.plans.append(plan)
                if on_progress and time.monotonic() - last_progress >= progress_every:
                    on_progress(result.rows_read, table.total_rows)
                    last_progress = time.monotonic()
    except FileProblem as problem:
        result.file_problem = problem.message
        result.add_error(RowError(row=problem.row or 0, column="", message=problem.message))
        return result
    if result.rows_read == 0:
        result.file_problem = "The file has a header row but no data rows."
        result.add_error(RowError(row=0, column="", message=result.file_problem))
    return result


def _sample(result: PlanResult, plan: PlannedRow) -> None:
    sample = result.samples.get(plan.action)
    if sample is None or len(sample) >= SAMPLE_SIZE:
        return
    entry = {"row": plan.row, "label": plan.label}
    if plan.action == UPDATE:
        entry["changes"] = [
            {"column": column, "old": old, "new": new} for column, old, new in plan.changes
        ]
    sample.append(entry)
