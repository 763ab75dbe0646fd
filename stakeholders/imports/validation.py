"""Turning cell text into field values, and running the models' own validation on import rows.

The rules (ranges, country codes, diaspora origin, self-ties, date order, symmetric ties) live on
the models; this module only parses text and calls ``full_clean`` — without the per-row database
queries that would make a 100,000-row file crawl (uniqueness and foreign keys are checked by the
planners against lookups they load in bulk).
"""

import datetime
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

from stakeholders.choices import CAPABILITY_LABELS, Capability

TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})
LIST_SEPARATORS = (";", ",", "|")


class CellError(ValueError):
    """The text of one cell cannot be read as the column's type."""


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong, where: the spreadsheet row, the column (empty for the whole row), why."""

    row: int
    column: str
    message: str
    value: str = ""

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


def split_list(text: str) -> list[str]:
    """'15170; 15180' -> ['15170', '15180']: lists are ';'-separated (',' and '|' also work)."""
    for separator in LIST_SEPARATORS:
        text = text.replace(separator, ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def parse_number(text: str, *, what: str = "a number from 0 to 1") -> float:
    """'0.45', '0,45' and '45%' all read as 0.45; anything else names what was expected."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1]
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        raise CellError(f"'{text}' is not a number (expected {what}).") from None
    if math.isnan(number) or math.isinf(number):
        raise CellError(f"'{text}' is not a number (expected {what}).")
    return number / 100 if percent else number


def parse_integer(text: str, *, what: str = "a whole number") -> int:
    try:
        number = parse_number(text, what=what)
    except CellError:
        raise CellError(f"'{text}' is not {what}.") from None
    if not number.is_integer():
        raise CellError(f"'{text}' is not {what}.")
    return int(number)


def parse_boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"'{text}' is not yes or no (use true/false, yes/no or 1/0).")


def parse_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise CellError(f"'{text}' is not a date in the form YYYY-MM-DD.") from None


class ChoiceReader:
    """Reads a choice by its code or its label, case-blind: 'ngo', 'NGO', "women's group"."""

    def __init__(self, choices: type[models.Choices], *, short_labels: bool = False):
        self.choices = choices
        self.lookup: dict[str, object] = {}
        for value, label in choices.choices:
            self.lookup[str(value).lower()] = value
            self.lookup[str(label).lower()] = value
            if short_labels:
                # "Basic (a website)" is also "basic".
                self.lookup[str(label).split(" (")[0].lower()] = value
        self.allowed = ", ".join(str(value) for value in choices.values)

    def __call__(self, text: str):
        key = " ".join(text.strip().lower().split())
        try:
            return self.lookup[key]
        except KeyError:
            raise CellError(f"'{text}' is not one of: {self.allowed}.") from None


CAPABILITY_LOOKUP = {
    **{member.name.lower(): member for member in Capability},
    **{member.name.lower().replace("_", " "): member for member in Capability},
    **{label.lower(): member for member, label in CAPABILITY_LABELS.items()},
}
CAPABILITY_NAMES = ", ".join(member.name.lower() for member in Capability)


def parse_capabilities(text: str) -> Capability:
    """'funding; field presence' -> Capability.FUNDING | Capability.FIELD_PRESENCE."""
    result = Capability(0)
    unknown = []
    for name in split_list(text):
        member = CAPABILITY_LOOKUP.get(" ".join(name.lower().split()))
        if member is None:
            unknown.append(name)
        else:
            result |= member
    if unknown:
        raise CellError(
            f"unknown capabilit{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(repr(name) for name in unknown)} (known: {CAPABILITY_NAMES})."
        )
    return result


class FieldChecker:
    """Runs one model field's own validation, remembered per distinct value.

    Country fields check a value against 250 choices, which costs a millisecond a row; a file has
    few distinct countries, so each is checked once. The rule is still the field's.
    """

    def __init__(self, model: type[models.Model], field_name: str):
        self.field = model._meta.get_field(field_name)
        self._seen: dict[str, str] = {}

    def message(self, value: str) -> str:
        """'' if the field accepts ``value``, else the field's own message."""
        if value not in self._seen:
            try:
                self.field.clean([value] if self.field.multiple else value, None)
                self._seen[value] = ""
            except ValidationError as error:
                self._seen[value] = " ".join(error.messages)
        return self._seen[value]


def model_errors(
    instance: models.Model, *, row: int, exclude: list[str], columns: dict[str, str]
) -> list[RowError]:
    """``instance.full_clean`` without the database round-trips, as errors on named columns.

    ``exclude`` names fields checked elsewhere (foreign keys resolved from bulk lookups, countries
    checked by ``FieldChecker``); ``columns`` maps a model field to the column a person filled in.
    """
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        found = []
        for field, field_errors in error.error_dict.items():
            column = "" if field == "__all__" else columns.get(field, field)
            value = "" if field == "__all__" else _display(_raw_value(instance, field))
            for field_error in field_errors:
                if field_error.code in ("blank", "null"):
                    message = "required: this cell cannot be empty."
                else:
                    message = " ".join(field_error.messages)
                found.append(RowError(row=row, column=column, message=message, value=value))
        return found
    return []


def _raw_value(instance: models.Model, field_name: str):
    """The stored value, never a related object (reading one would cost a query)."""
    try:
        return getattr(instance, instance._meta.get_field(field_name).attname)
    except Exception:
        return ""


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Capability):
        return "; ".join(member.name.lower() for member in Capability if member in value)
    return str(value)
