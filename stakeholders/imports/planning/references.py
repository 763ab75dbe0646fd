"""Columns that name a stakeholder or an outcome (by id, reference or name), as stakes and ties
files do, resolved in bulk and only among what the user may see.
"""

import contextlib
from collections.abc import Iterable

from stakeholders.choices import (
    IdentifierScheme,
)
from stakeholders.imports.parsing import SourceRow
from stakeholders.imports.planning.base import Column
from stakeholders.imports.validation import (
    CellError,
    parse_integer,
)
from stakeholders.models import ExternalIdentifier

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
