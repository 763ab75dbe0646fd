"""Planning a stakeholders file: matching rows to the registry by id, IATI reference or name and
country, and reading every stakeholder column.
"""

from stakeholders.choices import (
    DigitalPresence,
    IdentifierScheme,
    Kind,
    Scope,
    Sensitivity,
)
from stakeholders.imports.planning.base import Column, Planner, _columns_with
from stakeholders.imports.validation import (
    CellError,
    ChoiceReader,
    FieldChecker,
    RowError,
    model_errors,
    parse_boolean,
    parse_capabilities,
    parse_integer,
    parse_number,
    split_list,
)
from stakeholders.models import ExternalIdentifier, Sector, Stakeholder


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
        self._check_countries(row, values, errors)
        sector_ids = self._sector_ids(row, errors)
        ref = row.values.get("iati_org_ref", "")
        self._check_sensitivity(row, values, errors)
        target = self._find_target(row, values, ref, errors)
        self._check_repeats(row, target, ref, errors)

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

    def _check_countries(self, row, values, errors) -> None:
        """A country not in ISO 3166-1 is an error naming the code expected (and left out)."""
        for column, checker in self.country_checks.items():
            if column in values and (message := checker.message(values[column])):
                if "valid choice" in message:
                    message = (
                        f"{values[column]!r} is not an ISO 3166-1 alpha-2 country code "
                        "(two letters, e.g. YE, SD, BD)."
                    )
                errors.append(RowError(row.number, column, message, values[column]))
                del values[column]

    def _sector_ids(self, row, errors) -> frozenset | None:
        """The row's sectors by id, or None when it names none or an unknown code (an error)."""
        if not row.values.get("sectors"):
            return None
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
            return None
        return frozenset(self.sector_by_code[code] for code in codes)

    def _check_sensitivity(self, row, values, errors) -> None:
        """Only a cleared importer may write a restricted or confidential stakeholder."""
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

    def _check_repeats(self, row, target, ref, errors) -> None:
        """One row per stakeholder and per IATI identifier, which no other actor may hold."""
        if target is not None and (first := self.seen_targets.get(target.pk)):
            errors.append(
                RowError(row.number, "id" if row.values.get("id") else "name",
                         f"row {first} already updates this stakeholder (id {target.pk}).",
                         row.values.get("id") or row.values.get("name", ""))
            )  # fmt: skip
        if not ref:
            return
        owner = self.ref_owner.get(ref)
        if (first := self.seen_refs.get(ref)) is not None:
            errors.append(
                RowError(
                    row.number, "iati_org_ref", f"row {first} has the same IATI identifier.", ref
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
