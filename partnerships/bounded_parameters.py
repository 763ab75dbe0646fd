"""Parameters with bounded values, shared by the overlap job's and the coalitions' parameters.

Pure: no Django, no database (the overlap job's pure modules build on it). A parameters class is a
frozen dataclass that also derives from :class:`BoundedParameters` and names each bounded field's
``(low, high)`` range in ``LIMITS``; an integer ``low`` asks for a whole number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, ClassVar, Self


def range_errors(
    values: Mapping[str, object], limits: Mapping[str, tuple[float, float]]
) -> dict[str, str]:
    """Each value outside its range, by name, with a message naming the allowed range."""
    problems = {}
    for name, (low, high) in limits.items():
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems[name] = f"Must be a number between {low} and {high}."
        elif isinstance(low, int) and not isinstance(value, int):
            problems[name] = f"Must be a whole number between {low} and {high}."
        elif not low <= value <= high:
            problems[name] = f"Must be between {low} and {high}."
    return problems


class BoundedParameters:
    """``from_dict`` / ``as_dict`` and the range checks of a frozen dataclass of parameters."""

    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> Self:
        """The parameters named in ``values`` (others keep their defaults; unknown names are
        left out: the services refuse them by name before they get here)."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in (values or {}).items() if k in known})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    def range_errors(self) -> dict[str, str]:
        """Problems with the bounded values, by field name, each naming the allowed range."""
        return range_errors({name: getattr(self, name) for name in self.LIMITS}, self.LIMITS)
