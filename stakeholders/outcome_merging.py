"""Merging outcomes into one, typically the machine-made "<sector> in <country>" outcomes of an
import into a curated one, with the stakeholder merge's machinery (``merging``): surviving values
chosen field by field, every reference found through the model graph and moved row by row with
history, duplicates combined (two stakes of one actor: the stronger kept, and the record says
which), computed rows dropped for recomputation, a :class:`MergeRecord`, undo (``merge_undo``).

Many-to-many links to outcomes (engagements', interactions', partnerships' outcomes) are moved
through their fields, so that their owners' history records it; the survivor takes every merged
outcome's tags.

Do no harm. Outcomes are public, so the merge and its record are the same for every reader; what
hangs off them need not be. Each model says which of its rows a person may see (the policy's
``visible``): a merge moves only those, so someone not cleared leaves a restricted actor's stake
(an interaction they may not see…) where it was, with the archived outcome — neither moved nor
revealed, exactly as if it had never existed. When a cleared person merges, the rows people not
cleared may not see are moved too, and their entries and summary lines are marked restricted:
the record shows them to cleared readers only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError

from .merge_undo import _announce_outcomes
from .merging import (
    MergePolicy,
    _Changes,
    _move_references,
    _plain,
    chosen_values,
    model_references,
)
from .models import MergeRecord, Outcome, Stake
from .selectors import sensitivities_visible_to

# Fields a person chooses, one record's value each, on the merge page.
OUTCOME_MERGE_FIELDS = (
    "title",
    "theme",
    "description",
    "geography",
    "countries",
    "needed_capabilities",
    "sector",
)

_policies: dict[str, MergePolicy] = {}


def outcome_merge_policy_register(model: type[models.Model], policy: MergePolicy) -> None:
    """How ``model``'s rows take part in an outcome merge (``MergePolicy``; ``visible`` also for
    the owners of a many-to-many field to outcomes). Called by an app's ``AppConfig.ready``."""
    _policies[model._meta.label_lower] = policy


def outcome_references() -> list[tuple[type[models.Model], list[models.ForeignKey]]]:
    """Every model with a foreign key to ``Outcome`` (link tables of many-to-many fields aside:
    see :func:`outcome_links`). The merge moves each; a test checks all are."""
    return model_references(Outcome, through_tables=False)


def outcome_links() -> list[tuple[type[models.Model], str]]:
    """Every many-to-many field of another model to ``Outcome``: (model, field name)."""
    links = []
    for relation in Outcome._meta.get_fields(include_hidden=True):
        if relation.many_to_many and relation.auto_created and not relation.concrete:
            model = relation.related_model
            if not (hasattr(model, "instance_type") and model.__name__.startswith("Historical")):
                links.append((model, relation.field.name))
    return sorted(links, key=lambda link: (link[0]._meta.label_lower, link[1]))


def _public_reader():
    return AnonymousUser()


def _hidden_from_public(model, rows: models.QuerySet) -> set[int]:
    policy = _policies.get(model._meta.label_lower)
    if policy is None or policy.visible is None:
        return set()
    public = policy.visible(rows, _public_reader()).values("pk")
    return set(rows.exclude(pk__in=public).values_list("pk", flat=True))


def _check(*, survivor: Outcome, others: list[Outcome]) -> list[Outcome]:
    if not others:
        raise ApplicationError("Choose at least one other outcome to merge.", "others")
    ids = [o.pk for o in others]
    if survivor.pk in ids:
        raise ApplicationError(
            "The survivor cannot also be one of the outcomes merged into it.", "survivor"
        )
    if len(set(ids)) != len(ids):
        raise ApplicationError("An outcome is listed twice.", "others")
    locked = {
        o.pk: o
        for o in Outcome._base_manager.select_for_update().filter(pk__in=[survivor.pk, *ids])
    }
    for pk, field_name in [(survivor.pk, "survivor"), *((pk, "others") for pk in ids)]:
        record = locked.get(pk)
        # An archived (deleted or merged) outcome is out of every read: it answers as missing.
        if record is None or record.archived_at is not None:
            raise ApplicationError("No such outcome.", field_name)
    return [locked[pk] for pk in ids]


def _move_links(*, survivor: Outcome, others: list[Outcome], user, changes: _Changes) -> None:
    """Each owner's set of outcomes: the merged ones replaced by the survivor (through the field,
    so the owner's history records it), owners ``user`` may not see left as they are."""
    other_ids = {o.pk for o in others}
    for model, field in outcome_links():
        policy = _policies.get(model._meta.label_lower, MergePolicy())
        owners = model._base_manager.filter(**{f"{field}__in": other_ids}).distinct()
        if policy.visible is not None:
            owners = policy.visible(owners, user)
        hidden = _hidden_from_public(model, owners)
        moved = {False: 0, True: 0}
        for owner in model._base_manager.filter(pk__in=owners.values("pk")).order_by("pk"):
            related = getattr(owner, field)
            before = sorted(related.values_list("pk", flat=True))
            after = sorted((set(before) - other_ids) | {survivor.pk})
            related.remove(*[pk for pk in before if pk in other_ids])
            related.add(survivor)
            restricted = owner.pk in hidden
            entry = {
                "op": "m2m",
                "model": model._meta.label_lower,
                "pk": owner.pk,
                "field": field,
                "before": before,
                "after": after,
            }
            changes.entries.append({**entry, "restricted": True} if restricted else entry)
            moved[restricted] += 1
        for restricted, count in moved.items():
            if count:
                names = model._meta.verbose_name_plural if count > 1 else model._meta.verbose_name
                changes.say(
                    f"The outcomes of {count} {names} now name the survivor.",
                    restricted=restricted,
                )


@transaction.atomic
def outcome_merge(
    *, survivor: Outcome, others: Iterable[Outcome], values: dict[str, Any], user
) -> MergeRecord:
    """Merge ``others`` into ``survivor`` and record it (see the module's docstring).

    ``values`` maps fields of ``OUTCOME_MERGE_FIELDS`` to the id of the outcome whose value
    survives. The survivor keeps the union of their tags; the others are archived
    (``merged_into``). Refused with an ApplicationError naming the field for an outcome that is
    missing or archived, the survivor among the others, or no others.
    """
    others = _check(survivor=survivor, others=list(others))
    survivor = Outcome._base_manager.get(pk=survivor.pk)
    other_ids = {o.pk for o in others}
    chosen = chosen_values(
        model=Outcome, fields=OUTCOME_MERGE_FIELDS, noun="outcome",
        survivor=survivor, others=others, values=values or {},
    )  # fmt: skip
    changes = _Changes()
    # Links first, while the others are still in use (a field's manager reads outcomes in use);
    # undo, replaying backwards, restores them once the others are back.
    _move_links(survivor=survivor, others=others, user=user, changes=changes)
    for other in others:
        changes.update(
            other,
            {
                "merged_into_id": survivor.pk,
                "archived_at": timezone.now(),
                "archived_by_id": user.pk if getattr(user, "pk", None) else None,
            },
            f"Merged into {survivor.title} (#{survivor.pk}).",
        )
    _move_references(
        survivor=survivor,
        other_ids=other_ids,
        changes=changes,
        target=Outcome,
        references=outcome_references(),
        policies=_policies,
        user=user,
        hidden_from_public=_hidden_from_public,
    )
    survivor.refresh_from_db()
    for name, value in chosen.items():
        setattr(survivor, name, value)
    try:
        survivor.full_clean()
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    survivor.refresh_from_db()
    changes.update(survivor, chosen, "Merged: " + ", ".join(f"{o.title} (#{o.pk})" for o in others))
    tags_before = sorted(survivor.tags.values_list("pk", flat=True))
    tags = set(tags_before) | {pk for o in others for pk in o.tags.values_list("pk", flat=True)}
    if set(tags_before) != tags:
        survivor.tags.set(tags)
        changes.entries.append(
            {
                "op": "m2m",
                "model": "stakeholders.outcome",
                "pk": survivor.pk,
                "field": "tags",
                "before": tags_before,
                "after": sorted(tags),
            }
        )
    record = MergeRecord.objects.create(
        outcome_survivor=survivor,
        merged_ids=sorted(other_ids),
        merged_names=[o.title for o in others],
        values={k: _plain(v) for k, v in (values or {}).items()},
        changes=changes.entries,
        summary=changes.summary,
        restricted_summary=changes.restricted_summary,
        merged_by=user if getattr(user, "pk", None) else None,
    )
    _announce_outcomes(1 + len(others))
    return record


# --- the registry's own rows ----------------------------------------------------------------------


def _stake_combine(kept: Stake, moving: Stake) -> tuple[dict[str, Any], str]:
    """One actor's stakes in two merged outcomes: keep the stronger (interest + influence), the
    newer if equal."""
    strength = lambda s: (s.interest + s.influence, s.updated_at)  # noqa: E731
    actor = kept.stakeholder.name
    if strength(moving) > strength(kept):
        fields = ("interest", "influence", "position", "notes", "source", "origin")
        return (
            {name: getattr(moving, name) for name in fields},
            f"{actor}'s stake in the merged outcome “{moving.outcome}” was stronger "
            f"(interest {moving.interest:g}, influence {moving.influence:g}) and is kept",
        )
    return {}, (
        f"{actor}'s stake in “{kept.outcome}” was as strong or stronger "
        f"(interest {kept.interest:g}, influence {kept.influence:g}) and is kept"
    )


def _stakes_visible(rows: models.QuerySet, user) -> models.QuerySet:
    return rows.filter(stakeholder__sensitivity__in=sensitivities_visible_to(user))


outcome_merge_policy_register(Stake, MergePolicy(combine=_stake_combine, visible=_stakes_visible))


__all__ = [
    "OUTCOME_MERGE_FIELDS",
    "outcome_links",
    "outcome_merge",
    "outcome_merge_policy_register",
    "outcome_references",
]
