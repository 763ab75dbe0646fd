"""Planning a stakes file."""

import contextlib

from django.db import models

from stakeholders.choices import (
    Position,
    Sensitivity,
)
from stakeholders.imports.planning.base import ERROR, Column, PlannedRow, Planner, _columns_with
from stakeholders.imports.planning.references import (
    ReferenceProblem,
    StakeholderReferences,
    reference_columns,
)
from stakeholders.imports.validation import (
    CellError,
    ChoiceReader,
    RowError,
    model_errors,
    parse_integer,
    parse_number,
)
from stakeholders.models import Outcome, Stake


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
