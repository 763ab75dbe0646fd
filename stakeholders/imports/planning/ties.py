"""Planning a ties file."""

from stakeholders.choices import (
    SYMMETRIC_TIE_KINDS,
    Sensitivity,
    TieKind,
)
from stakeholders.imports.planning.base import ERROR, Column, PlannedRow, Planner, _columns_with
from stakeholders.imports.planning.references import (
    REFERENCE_SUFFIXES,
    ReferenceProblem,
    StakeholderReferences,
    reference_columns,
)
from stakeholders.imports.validation import (
    ChoiceReader,
    RowError,
    model_errors,
    parse_date,
    parse_number,
)
from stakeholders.models import Tie


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
