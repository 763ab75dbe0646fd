"""Undoing a merge of stakeholders or of outcomes (``merging``, ``outcome_merging``): the
record's writes replayed backwards, refused, changing nothing, when a row it would restore was
changed since."""

from __future__ import annotations

from django.apps import apps
from django.core import serializers
from django.db import IntegrityError, transaction
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError

from .merging import _announce, _fields_of, _stored
from .models import MergeRecord, Outcome
from .selectors import user_is_cleared
from .signals import registry_bulk_changed


def _changed_since(model, obj, entry) -> list[str]:
    fields = _fields_of(model, entry["after"])
    changed = []
    for name, expected in entry["after"].items():
        if _stored(fields[name], getattr(obj, name)) != expected:
            changed.append(fields[name].verbose_name)
    return changed


@transaction.atomic
def stakeholder_merge_undo(*, record: MergeRecord, user) -> None:
    """Restore the merged records and move back exactly what the merge moved.

    Refused with an ApplicationError, changing nothing, when the merge was undone already, when
    the person may not see a record of it, or when a row the undo would restore was changed since
    (it would overwrite that change): the message names the record and the fields.

    An outcome merge's rows of actors hidden from the person (entries marked ``restricted``) never
    refuse it: each goes back where it can and stays where it cannot (changed, or its place taken
    since), so that the undo neither reveals nor destroys them.
    """
    record = MergeRecord.objects.select_for_update().get(pk=record.pk)
    if record.undone_at is not None:
        raise ApplicationError("This merge was undone already.", "record")
    if record.involves_restricted and not user_is_cleared(user):
        raise ApplicationError("No such merge.", "record")
    lenient = not user_is_cleared(user)
    for entry in reversed(record.changes):
        try:
            with transaction.atomic():
                _undo_entry(entry, record=record)
        except ApplicationError:
            if not (lenient and entry.get("restricted")):
                raise
    record.undone_at = timezone.now()
    record.undone_by = user if getattr(user, "pk", None) else None
    record.save(update_fields=["undone_at", "undone_by"])
    if record.outcome_survivor_id is not None:
        _announce_outcomes(1 + len(record.merged_ids))
    else:
        _announce(1 + len(record.merged_ids), involves_restricted=record.involves_restricted)


def _announce_outcomes(count: int) -> None:
    """Outcomes are public: a merge of them is the same change for every reader, announced
    once (stakes moved, coalitions dropped: everything derived is recomputed)."""
    transaction.on_commit(
        lambda: registry_bulk_changed.send(sender=Outcome, kind="outcomes", count=count)
    )


def _undo_entry(entry: dict, *, record: MergeRecord) -> None:
    """Replay one recorded write backwards, or refuse (ApplicationError) naming what changed."""
    if entry["op"] in ("sectors", "m2m"):
        model = apps.get_model(entry.get("model", "stakeholders.stakeholder"))
        field = entry.get("field", "sectors")
        owner = model._base_manager.get(pk=entry["pk"])
        related = getattr(owner, field)
        if sorted(related.values_list("pk", flat=True)) != entry["after"]:
            raise ApplicationError(
                f"The {model._meta.get_field(field).verbose_name} of {owner} changed since the "
                "merge: undo would overwrite them.",
                "record",
            )
        related.set(entry["before"])
        return
    model = apps.get_model(entry["model"])
    if entry["op"] == "update":
        obj = model._base_manager.filter(pk=entry["pk"]).first()
        if obj is None:
            raise ApplicationError(
                f"{model._meta.verbose_name.capitalize()} #{entry['pk']} was deleted since "
                "the merge: undo cannot restore it.",
                "record",
            )
        changed = _changed_since(model, obj, entry)
        if changed:
            raise ApplicationError(
                f"{model._meta.verbose_name.capitalize()} “{obj}” changed since the merge "
                f"({', '.join(map(str, changed))}): undo would overwrite it.",
                "record",
            )
        fields = _fields_of(model, entry["before"])
        for name, value in entry["before"].items():
            setattr(obj, name, fields[name].to_python(value))
        obj._change_reason = f"Merge #{record.pk} undone."
        obj.save()
    elif entry["op"] == "delete":
        if model._base_manager.filter(pk=entry["pk"]).exists():
            raise ApplicationError(
                f"{model._meta.verbose_name.capitalize()} #{entry['pk']} exists again: "
                "undo cannot restore it.",
                "record",
            )
        obj = next(serializers.deserialize("python", [entry["row"]])).object
        obj._change_reason = f"Merge #{record.pk} undone."
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
        except IntegrityError:
            raise ApplicationError(
                f"{model._meta.verbose_name.capitalize()} “{obj}” cannot be restored: "
                "an equal one was recorded since the merge.",
                "record",
            ) from None


merge_undo = stakeholder_merge_undo
