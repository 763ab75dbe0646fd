"""The planners' shared shape: columns, the plan of one row, header checks, batching and field
readers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone

from stakeholders.imports.parsing import SourceRow
from stakeholders.imports.validation import CellError, RowError
from stakeholders.models import ExternalIdentifier
from stakeholders.selectors import stakeholder_visible_to, user_is_cleared

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
