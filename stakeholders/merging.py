"""Merging duplicate stakeholders into one, and undoing it.

Every reference to a merged record is found through the model graph (every foreign key to
``Stakeholder``, hidden ones included, history tables left out), so that a model added tomorrow
is moved tomorrow without this module knowing it. A reference is moved row by row (``save``, so
the history records it); where moving it would make a row link a stakeholder to itself it is
dropped, and where it would duplicate a row the survivor already has the two are combined (the
model's unique constraints, and the keys a policy adds, say what a duplicate is).

Higher layers say how their rows take part through :func:`merge_policy_register` (candidates are
derived: dropped, and recomputed when the merge announces a registry change; a dismissed pair is
kept in its order), so that this module imports none of them.

Every write is recorded in the :class:`MergeRecord` (``changes``): an update with the fields'
values before and after, a deletion with the deleted row. Undo (``merge_undo``) replays them
backwards, and refuses, changing nothing, when a row it would restore was changed since.
Outcomes are merged by the same machinery (``outcome_merging``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError

from .choices import SYMMETRIC_TIE_KINDS, Sensitivity
from .models import DuplicateDismissal, ExternalIdentifier, MergeRecord, Stake, Stakeholder, Tie
from .selectors import stakeholder_visible_to, user_is_cleared
from .signals import registry_bulk_changed

# Fields a person chooses, one record's value each, on the merge page.
MERGE_FIELDS = (
    "name",
    "acronym",
    "kind",
    "country",
    "country_of_origin",
    "scope",
    "parent",
    "capabilities",
    "digital_presence",
    "women_led",
    "women_leadership_share",
    "description",
    "website",
)
SENSITIVITY_ORDER = [Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.CONFIDENTIAL]


@dataclass(frozen=True)
class MergePolicy:
    """How the rows of one model take part in a merge.

    * ``derived``: the rows are computed from the registry: the merge deletes those of the merged
      records (``drop`` if given, else a plain delete) and the recompute that follows the merge
      writes them again; undo leaves them to the next recompute too.
    * ``normalise(values)``: adjust the row's new stakeholder ids (e.g. keep a pair ordered).
    * ``duplicate_keys``: sets of fields that identify a duplicate beyond the unique constraints.
    * ``find_duplicate(row, values)``: another way to find the row a moved one would duplicate.
    * ``combine(kept, moving)``: the fields of ``kept`` to change, taking what is better in
      ``moving``, and a sentence saying which was kept; default: the survivor's row as it is.
    """

    derived: bool = False
    drop: Callable[[models.QuerySet], int] | None = None
    normalise: Callable[[dict[str, int | None]], dict[str, int | None]] | None = None
    duplicate_keys: tuple[tuple[str, ...], ...] = ()
    find_duplicate: Callable[[models.Model, dict[str, Any]], models.Model | None] | None = None
    combine: Callable[[models.Model, models.Model], tuple[dict[str, Any], str]] | None = None
    # The rows ``user`` may see (an outcome merge moves only those: the hidden ones stay where
    # they are, so a merge by someone not cleared neither moves nor reveals them).
    visible: Callable[[models.QuerySet, Any], models.QuerySet] | None = None


_policies: dict[str, MergePolicy] = {}


def merge_policy_register(model: type[models.Model], policy: MergePolicy) -> None:
    """Called by an app's ``AppConfig.ready`` for its models; registering again replaces."""
    _policies[model._meta.label_lower] = policy


def _is_history_model(model) -> bool:
    return hasattr(model, "instance_type") and model.__name__.startswith("Historical")


def stakeholder_references() -> list[tuple[type[models.Model], list[models.ForeignKey]]]:
    """Every model with foreign keys to ``Stakeholder`` and those keys (hidden ones included,
    history tables left out: they keep what was). The merge moves each; a test checks all are."""
    return model_references(Stakeholder)


def model_references(
    target: type[models.Model], *, through_tables: bool = True
) -> list[tuple[type[models.Model], list[models.ForeignKey]]]:
    """Every model with foreign keys to ``target``, and those keys (see above); without the
    link tables of many-to-many fields when ``through_tables`` is false (the caller moves those
    through the fields, so that the owners' history records it)."""
    by_model: dict[type, list] = {}
    for relation in target._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and relation.is_relation):
            continue
        if relation.many_to_many:
            continue
        model, fk = relation.related_model, relation.field
        if _is_history_model(model) or model is MergeRecord:
            continue
        if not through_tables and model._meta.auto_created:
            continue
        by_model.setdefault(model, []).append(fk)
    return sorted(
        ((m, sorted(fks, key=lambda f: f.name)) for m, fks in by_model.items()),
        key=lambda item: item[0]._meta.label_lower,
    )


# --- the record of changes ------------------------------------------------------------------------


def _plain(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _stored(field_: models.Field, value) -> Any:
    """``value`` as the record keeps it (what the database stores, through JSON)."""
    return _plain(field_.get_prep_value(value))


def _fields_of(model, names: Iterable[str]) -> dict[str, models.Field]:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return {name: by_attname[name] for name in names}


class _Changes:
    """The merge's writes, in order, and its summary in words: ``summary`` says what everyone
    who may read the record may know; ``restricted_summary`` the rows of actors hidden from
    people not cleared (an entry for such a row is marked ``restricted``)."""

    def __init__(self) -> None:
        self.entries: list[dict] = []
        self.summary: list[str] = []
        self.restricted_summary: list[str] = []

    def say(self, line: str, *, restricted: bool = False) -> None:
        (self.restricted_summary if restricted else self.summary).append(line)

    def update(
        self, obj: models.Model, after: dict[str, Any], reason: str = "", restricted: bool = False
    ) -> None:
        """Set ``after`` (attnames → values) on ``obj``, save it (history), and record it."""
        fields = _fields_of(type(obj), after)
        before = {name: _stored(fields[name], getattr(obj, name)) for name in after}
        if before == {name: _stored(fields[name], value) for name, value in after.items()}:
            return
        for name, value in after.items():
            setattr(obj, name, value)
        if reason:
            obj._change_reason = reason
        obj.save()
        entry = {
            "op": "update",
            "model": obj._meta.label_lower,
            "pk": obj.pk,
            "before": before,
            "after": {name: _stored(fields[name], getattr(obj, name)) for name in after},
        }
        self.entries.append({**entry, "restricted": True} if restricted else entry)

    def delete(self, obj: models.Model, reason: str = "", restricted: bool = False) -> None:
        row = serializers.serialize("python", [obj])[0]
        if reason:
            obj._change_reason = reason
        obj.delete()
        entry = {
            "op": "delete",
            "model": obj._meta.label_lower,
            "pk": row["pk"],
            "row": _plain(row),
        }
        self.entries.append({**entry, "restricted": True} if restricted else entry)


# --- merging --------------------------------------------------------------------------------------


def _label(obj) -> str:
    return f"{obj._meta.verbose_name} #{obj.pk}"


def _unique_keys(model, policy: MergePolicy) -> list[tuple[str, ...]]:
    keys = [tuple(u) for u in model._meta.unique_together]
    for constraint in model._meta.constraints:
        unique = isinstance(constraint, models.UniqueConstraint)
        if unique and constraint.condition is None and constraint.fields:
            keys.append(tuple(constraint.fields))
    keys.extend(policy.duplicate_keys)
    return keys


def _duplicate_of(row, values: dict[str, Any], fks, policy: MergePolicy):
    model = type(row)
    moved = {fk.name for fk in fks}
    for key in _unique_keys(model, policy):
        if not moved & set(key):
            continue
        lookup = {}
        for name in key:
            attname = model._meta.get_field(name).attname
            lookup[attname] = values.get(attname, getattr(row, attname))
        other = model._base_manager.filter(**lookup).exclude(pk=row.pk).first()
        if other is not None:
            return other
    if policy.find_duplicate is not None:
        return policy.find_duplicate(row, values)
    return None


def _move_references(
    *,
    survivor,
    other_ids: set[int],
    changes: _Changes,
    target: type[models.Model] = Stakeholder,
    references=None,
    policies: dict[str, MergePolicy] | None = None,
    user=None,
    hidden_from_public: Callable[[Any, models.QuerySet], set[int]] | None = None,
) -> None:
    """Move every reference to ``other_ids`` to ``survivor`` (see the module's docstring).

    For an outcome merge (``target``, its ``references`` and ``policies``): a policy's
    ``visible(rows, user)`` limits the rows moved to those ``user`` may see, and
    ``hidden_from_public(model, rows)`` names the rows moved that people not cleared may not see,
    whose entries and summary lines are marked restricted."""
    policies = _policies if policies is None else policies
    reason = f"Merged into {getattr(survivor, 'name', None) or survivor} (#{survivor.pk})."
    for model, fks in stakeholder_references() if references is None else references:
        policy = policies.get(model._meta.label_lower, MergePolicy())
        condition = models.Q()
        for fk in fks:
            condition |= models.Q(**{f"{fk.attname}__in": other_ids})
        rows = model._base_manager.filter(condition)
        if model is target:
            rows = rows.exclude(pk__in=other_ids)  # the merged records keep their own links
        if policy.derived:
            dropped = policy.drop(rows) if policy.drop else rows.delete()[0]
            # An outcome's computed rows are of both audiences: whether any were dropped could
            # tell people not cleared what exists for cleared eyes only (the merge page says
            # that its coalitions are recomputed).
            if dropped and hidden_from_public is None:
                changes.say(
                    f"{dropped} {model._meta.verbose_name_plural} (computed) dropped; "
                    "they are recomputed."
                )
            continue
        if policy.visible is not None and user is not None:
            rows = policy.visible(rows, user)
        hidden: set[int] = set()
        if hidden_from_public is not None and policy.visible is not None:
            hidden = hidden_from_public(model, rows)
        moved = {False: 0, True: 0}
        for row in rows.order_by("pk").select_for_update(of=("self",)):
            restricted = row.pk in hidden
            if _move_row(
                row,
                survivor=survivor,
                other_ids=other_ids,
                fks=fks,
                policy=policy,
                is_target=model is target,
                changes=changes,
                reason=reason,
                restricted=restricted,
            ):
                moved[restricted] += 1
        for restricted, count in moved.items():
            if count:
                names = model._meta.verbose_name_plural if count > 1 else model._meta.verbose_name
                changes.say(
                    f"{count} {names} ({', '.join(fk.name for fk in fks)}) moved to the survivor.",
                    restricted=restricted,
                )


def _move_row(
    row, *, survivor, other_ids, fks, policy, is_target, changes, reason, restricted
) -> bool:
    """Point one row's references to ``other_ids`` at the survivor; a row that would then link
    the survivor to itself is deleted, one that duplicates a row of the survivor is combined with
    it. True when the row was moved (rather than deleted or combined)."""
    values = {
        fk.attname: survivor.pk if getattr(row, fk.attname) in other_ids else None for fk in fks
    }
    values = {name: new if new is not None else getattr(row, name) for name, new in values.items()}
    if policy.normalise is not None:
        values = policy.normalise(values)
    ids = [v for v in values.values() if v is not None]
    if is_target:
        # A reference of the survivor to itself (its parent was merged into it) goes.
        values = {n: (None if v == row.pk else v) for n, v in values.items()}
    elif len(ids) != len(set(ids)):
        changes.delete(row, reason, restricted)
        changes.say(f"{row} dropped: it would link the survivor to itself.", restricted=restricted)
        return False
    duplicate = _duplicate_of(row, values, fks, policy)
    if duplicate is not None:
        if policy.combine is not None:
            better, sentence = policy.combine(duplicate, row)
        else:
            better, sentence = {}, f"{_label(duplicate)} of the survivor kept"
        label = _label(row)  # before the deletion clears its id
        changes.update(duplicate, better, reason, restricted)
        changes.delete(row, reason, restricted)
        changes.say(f"Combined duplicate {label}: {sentence}.", restricted=restricted)
        return False
    changes.update(row, values, reason, restricted)
    return True


def _check_merge(*, survivor, others, user) -> list[Stakeholder]:
    if not others:
        raise ApplicationError("Choose at least one other stakeholder to merge.", "others")
    ids = [o.pk for o in others]
    if survivor.pk in ids:
        raise ApplicationError(
            "The survivor cannot also be one of the records merged into it.", "survivor"
        )
    if len(set(ids)) != len(ids):
        raise ApplicationError("A record is listed twice.", "others")
    visible = stakeholder_visible_to(user)
    locked = {
        s.pk: s
        for s in Stakeholder._base_manager.select_for_update().filter(pk__in=[survivor.pk, *ids])
    }
    seen = set(visible.filter(pk__in=list(locked)).values_list("pk", flat=True))
    for pk, field_name in [(survivor.pk, "survivor"), *((pk, "others") for pk in ids)]:
        record = locked.get(pk)
        # A record the person may not see answers as a missing one (do no harm).
        if record is None or pk not in seen:
            raise ApplicationError("No such stakeholder.", field_name)
        if record.archived_at is not None or record.merged_into_id is not None:
            raise ApplicationError(
                f"{record.name} is archived (deleted or merged): restore it first.", field_name
            )
    return [locked[pk] for pk in ids]


def chosen_values(
    *, model, fields, noun: str, survivor, others, values: dict[str, Any]
) -> dict[str, Any]:
    """The survivor's new field values: each named field's value taken from the chosen record
    (``values[field]`` is a record id); the others keep the survivor's. ``fields`` are those a
    person may choose; ``noun`` names the records in the errors ("record", "outcome")."""
    records = {survivor.pk: survivor, **{o.pk: o for o in others}}
    unknown = set(values) - set(fields)
    if unknown:
        raise ApplicationError(
            f"Fields that cannot be chosen: {', '.join(sorted(unknown))}.", sorted(unknown)[0]
        )
    chosen = {}
    for name, source in values.items():
        try:
            source = int(source)
        except (TypeError, ValueError):
            raise ApplicationError(
                f"Choose the {noun} whose {name.replace('_', ' ')} survives.", name
            ) from None
        if source not in records:
            raise ApplicationError(
                f"The {name.replace('_', ' ')} must come from one of the merged {noun}s.", name
            )
        attname = model._meta.get_field(name).attname
        chosen[attname] = getattr(records[source], attname)
    return chosen


@transaction.atomic
def stakeholder_merge(
    *, survivor: Stakeholder, others: Iterable[Stakeholder], values: dict[str, Any], user
) -> MergeRecord:
    """Merge ``others`` into ``survivor`` and record it (see the module's docstring).

    ``values`` maps fields of ``MERGE_FIELDS`` to the id of the record whose value survives.
    The survivor becomes as restricted as the most restricted record merged (its stakes and ties
    now include theirs), keeps the union of their sectors and identifiers. The merged records are
    archived (``merged_into``). Refused with an ApplicationError naming the field for a record the
    person may not see, one that is archived, the survivor among the others, or no others.
    """
    others = _check_merge(survivor=survivor, others=list(others), user=user)
    survivor = Stakeholder._base_manager.get(pk=survivor.pk)
    other_ids = {o.pk for o in others}
    chosen = chosen_values(
        model=Stakeholder, fields=MERGE_FIELDS, noun="record",
        survivor=survivor, others=others, values=values or {},
    )  # fmt: skip
    records = [survivor, *others]
    involves_restricted = any(r.sensitivity != Sensitivity.PUBLIC for r in records)
    if involves_restricted and not user_is_cleared(user):  # unreachable: hidden ones refused
        raise ApplicationError("No such stakeholder.", "others")
    chosen["sensitivity"] = max(
        (r.sensitivity for r in records), key=lambda s: SENSITIVITY_ORDER.index(s)
    )
    if chosen.get("parent_id") in {*other_ids, survivor.pk}:
        chosen["parent_id"] = None
    changes = _Changes()
    reason = "Merged: " + ", ".join(f"{o.name} (#{o.pk})" for o in others) + "."
    for other in others:
        changes.update(
            other,
            {
                "merged_into_id": survivor.pk,
                "archived_at": timezone.now(),
                "archived_by_id": user.pk if getattr(user, "pk", None) else None,
            },
            f"Merged into {survivor.name} (#{survivor.pk}).",
        )
    _move_references(survivor=survivor, other_ids=other_ids, changes=changes)
    survivor.refresh_from_db()
    sectors_before = sorted(survivor.sectors.values_list("pk", flat=True))
    for name, value in chosen.items():
        setattr(survivor, name, value)
    try:
        survivor.full_clean()
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    survivor.refresh_from_db()
    changes.update(survivor, chosen, reason)
    sectors = {pk for r in records for pk in r.sectors.values_list("pk", flat=True)}
    if set(sectors_before) != sectors:
        survivor.sectors.set(sectors)
        changes.entries.append(
            {"op": "sectors", "pk": survivor.pk, "before": sectors_before, "after": sorted(sectors)}
        )
    record = MergeRecord.objects.create(
        survivor=survivor,
        merged_ids=sorted(other_ids),
        merged_names=[o.name for o in others],
        values={k: _plain(v) for k, v in (values or {}).items()},
        changes=changes.entries,
        summary=changes.summary,
        involves_restricted=involves_restricted,
        merged_by=user if getattr(user, "pk", None) else None,
    )
    _announce(1 + len(others), involves_restricted=involves_restricted)
    return record


def _announce(count: int, *, involves_restricted: bool) -> None:
    """Candidates, coalitions, scores and the graph read the registry. Each moved stake, tie and
    archived record already queues its own refresh (their signals); a merge of public records
    also announces one bulk change, so everything derived is recomputed in one run. A merge that
    involves hidden records does not: a full run that people not cleared can see start would
    tell them something changed among records they may not see."""
    if involves_restricted:
        return
    transaction.on_commit(
        lambda: registry_bulk_changed.send(sender=Stakeholder, kind="stakeholders", count=count)
    )


# --- the registry's own rows ----------------------------------------------------------------------


def _stake_combine(kept: Stake, moving: Stake) -> tuple[dict[str, Any], str]:
    """Two stakes in one outcome: keep the stronger (interest + influence), the newer if equal."""
    strength = lambda s: (s.interest + s.influence, s.updated_at)  # noqa: E731
    if strength(moving) > strength(kept):
        fields = ("interest", "influence", "position", "notes", "source", "origin")
        return (
            {name: getattr(moving, name) for name in fields},
            f"in “{moving.outcome}” the merged record's stake was stronger "
            f"(interest {moving.interest:g}, influence {moving.influence:g}) and is kept",
        )
    return {}, (
        f"in “{kept.outcome}” the survivor's stake was as strong or stronger "
        f"(interest {kept.interest:g}, influence {kept.influence:g}) and is kept"
    )


def _tie_duplicate(row: Tie, values: dict[str, Any]) -> Tie | None:
    if row.kind not in SYMMETRIC_TIE_KINDS:
        return None
    return (
        Tie.objects.filter(
            from_stakeholder_id=values["to_stakeholder_id"],
            to_stakeholder_id=values["from_stakeholder_id"],
            kind=row.kind,
        )
        .exclude(pk=row.pk)
        .first()
    )


def _tie_combine(kept: Tie, moving: Tie) -> tuple[dict[str, Any], str]:
    if moving.strength > kept.strength:
        return {"strength": moving.strength}, (
            f"one “{kept.get_kind_display().lower()}” tie kept, with the stronger strength "
            f"{moving.strength:g}"
        )
    return {}, f"one “{kept.get_kind_display().lower()}” tie kept (strength {kept.strength:g})"


def ordered_pair(first: str, second: str) -> Callable[[dict], dict]:
    """A ``normalise`` for models that keep a pair's lower id first."""

    def normalise(values: dict) -> dict:
        a, b = values[first], values[second]
        if a is not None and b is not None and a > b:
            return {**values, first: b, second: a}
        return values

    return normalise


merge_policy_register(Stake, MergePolicy(combine=_stake_combine))
merge_policy_register(Tie, MergePolicy(find_duplicate=_tie_duplicate, combine=_tie_combine))
merge_policy_register(
    DuplicateDismissal, MergePolicy(normalise=ordered_pair("stakeholder_a_id", "stakeholder_b_id"))
)
merge_policy_register(
    ExternalIdentifier, MergePolicy(duplicate_keys=(("stakeholder", "scheme", "value"),))
)


__all__ = [
    "MERGE_FIELDS",
    "MergePolicy",
    "merge_policy_register",
    "ordered_pair",
    "stakeholder_merge",
    "model_references",
    "stakeholder_references",
]
