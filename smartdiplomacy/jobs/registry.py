"""What the apps above the core tell it about their jobs, filled in their ``AppConfig.ready``.

For each kind: its label, its detail page, and who may see its jobs (a ``Q`` over ``Job`` rows,
or ``None`` for nobody). Who is cleared for restricted actors is the registry's (stakeholders')
rule, registered once. Nothing registered means nothing shown: the rules fail closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from .models import JobKind

Audience = Callable[[Any], Q | None]
DetailUrl = Callable[[str], str | None]
# Told that a job was cancelled — its detail key, and " by <username>" (``cancelled_by``: who
# cancelled it, "" when no one signed in did) — the domain row stops and says so.
OnCancel = Callable[[str, str], None]


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str
    detail_url: DetailUrl
    audience: Audience
    on_cancel: OnCancel | None = None


_kinds: dict[str, KindSpec] = {}
_clearance: list[Callable[[Any], bool]] = []
_administrator: list[Callable[[Any], bool]] = []


def job_kind_register(
    *,
    kind: str,
    detail_url: DetailUrl,
    audience: Audience,
    label: str = "",
    on_cancel: OnCancel | None = None,
) -> None:
    """Say how jobs of ``kind`` are shown: ``detail_url(detail_key)`` is their domain page (or
    None), ``audience(user)`` the ``Q`` of their rows ``user`` may see (or None for none).
    ``on_cancel(detail_key, by)``, once a cancel has committed, stops the domain row, saying
    ``f"Cancelled{by}"`` (its code also checks between batches); a kind without it cannot be
    cancelled."""
    if kind not in JobKind.values:
        raise ValueError(f"Unknown job kind {kind!r}; the kinds are {', '.join(JobKind.values)}.")
    _kinds[kind] = KindSpec(
        kind=kind,
        label=label or JobKind(kind).label,
        detail_url=detail_url,
        audience=audience,
        on_cancel=on_cancel,
    )


def clearance_register(check: Callable[[Any], bool]) -> None:
    """The one rule for "may see restricted actors" (``stakeholders.selectors.user_is_cleared``)."""
    _clearance[:] = [check]


def user_is_cleared(user: Any) -> bool:
    return bool(_clearance) and _clearance[0](user)


def administrator_register(check: Callable[[Any], bool]) -> None:
    """The one rule for "is an administrator" (``accounts``): who may cancel anyone's job."""
    _administrator[:] = [check]


def user_is_administrator(user: Any) -> bool:
    return bool(_administrator) and _administrator[0](user)


def kind_spec(kind: str) -> KindSpec | None:
    return _kinds.get(kind)


def kind_specs() -> list[KindSpec]:
    return [_kinds[kind] for kind in JobKind.values if kind in _kinds]
