"""Planning an outcomes file."""

from stakeholders.choices import (
    Theme,
)
from stakeholders.imports.planning.base import Column, Planner, _columns_with
from stakeholders.imports.validation import (
    ChoiceReader,
    FieldChecker,
    RowError,
    model_errors,
    parse_capabilities,
    split_list,
)
from stakeholders.models import Outcome


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
