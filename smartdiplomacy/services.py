"""What every app's services share: a save that validates first, and updates through an allow-list.

A service names the fields it lets a caller set as explicit keyword-only parameters (HackSoft's
``model_update``): anything else — a misspelt name, a field the application keeps for itself such
as ``created_at`` or ``origin`` — is a ``TypeError`` at the call, before anything is written. A
parameter left out defaults to ``UNSET`` (``None`` is a value for some fields), and
``given_fields`` collects the ones given.
"""

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from django.db import models

from smartdiplomacy.exceptions import ApplicationError

M = TypeVar("M", bound=models.Model)


class _Unset:
    """A keyword argument not given (``None`` is a value for some fields)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def given_fields(values: Mapping[str, Any], names: Collection[str]) -> dict[str, Any]:
    """The ``names`` among ``values`` (a service's ``locals()``) that were given: not ``UNSET``."""
    return {name: values[name] for name in names if values[name] is not UNSET}


def validated_save(instance: M) -> M:
    """``full_clean`` then ``save``: a service never stores a row its model would refuse."""
    instance.full_clean()
    instance.save()
    return instance


def fields_check(*, data: Mapping[str, Any], allowed: Collection[str], what: str) -> None:
    """Refuse the first name in ``data`` that is not in ``allowed``, naming it and what may be set
    on ``what`` (e.g. "a stakeholder")."""
    for name in data:
        if name not in allowed:
            raise ApplicationError(
                f"“{name}” cannot be set on {what}; the fields that can are: "
                f"{', '.join(sorted(allowed))}.",
                name,
                code="unknown_field",
            )


def model_update(*, instance: M, fields: Collection[str], data: Mapping[str, Any], what: str) -> M:
    """Set the given ``data`` on ``instance`` — each name must be in ``fields`` — then validate and
    save it."""
    fields_check(data=data, allowed=fields, what=what)
    for name, value in data.items():
        setattr(instance, name, value)
    return validated_save(instance)
