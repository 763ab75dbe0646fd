"""Writes to the registry. Each validates fully (model fields, rules, constraints) and is atomic,
so bad input raises a ValidationError naming the field and leaves the database as it was."""

from collections.abc import Iterable

from django.db import transaction

from .models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder, Tie


def _validated_save(instance):
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def stakeholder_create(
    *,
    name: str,
    kind: str,
    sectors: Iterable[Sector] = (),
    external_ids: dict[str, str] | None = None,
    **fields,
) -> Stakeholder:
    stakeholder = _validated_save(Stakeholder(name=name, kind=kind, **fields))
    if sectors:
        stakeholder.sectors.set(sectors)
    for scheme, value in (external_ids or {}).items():
        _validated_save(ExternalIdentifier(stakeholder=stakeholder, scheme=scheme, value=value))
    return stakeholder


@transaction.atomic
def stakeholder_update(*, stakeholder: Stakeholder, sectors=None, **fields) -> Stakeholder:
    for name, value in fields.items():
        setattr(stakeholder, name, value)
    _validated_save(stakeholder)
    if sectors is not None:
        stakeholder.sectors.set(sectors)
    return stakeholder


@transaction.atomic
def outcome_create(*, title: str, theme: str, **fields) -> Outcome:
    return _validated_save(Outcome(title=title, theme=theme, **fields))


@transaction.atomic
def stake_create(
    *, stakeholder: Stakeholder, outcome: Outcome, interest: float, influence: float, **fields
) -> Stake:
    return _validated_save(
        Stake(
            stakeholder=stakeholder,
            outcome=outcome,
            interest=interest,
            influence=influence,
            **fields,
        )
    )


@transaction.atomic
def stake_update(*, stake: Stake, **fields) -> Stake:
    for name, value in fields.items():
        setattr(stake, name, value)
    return _validated_save(stake)


@transaction.atomic
def tie_create(
    *, from_stakeholder: Stakeholder, to_stakeholder: Stakeholder, kind: str, **fields
) -> Tie:
    return _validated_save(
        Tie(from_stakeholder=from_stakeholder, to_stakeholder=to_stakeholder, kind=kind, **fields)
    )
