"""Writes of the kind mapping review: an officer corrects the organisation type → kind mapping
for one organisation or for one type in one publisher's activities (``KindOverride``).

Setting an override also corrects the existing stakeholders it speaks about (those the officer
may see, through ``stakeholders.services``, with history); the importer applies it to the
organisations it creates, and never overwrites an existing stakeholder's kind, so a corrected
kind survives every re-import. Deleting an override leaves the stakeholders' kinds as they are.
"""

from django.db import transaction

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Kind
from stakeholders.services import stakeholder_bulk_update

from .codelists import codelist
from .models import KindOverride
from .selectors import kind_override_visible_to, stakeholders_for_override

REF_MAX_LENGTH = KindOverride._meta.get_field("ref").max_length
NOTE_MAX_LENGTH = KindOverride._meta.get_field("note").max_length


@transaction.atomic
def kind_override_set(
    *, scope: str, ref: str, kind: str, user, org_type: str = "", note: str = ""
) -> tuple[KindOverride, int]:
    """Create or change the override for (scope, ref, org_type) and apply it to the existing
    stakeholders it speaks about; returns the override and how many stakeholders changed kind.
    Bad input raises ``ApplicationError`` naming the field, with nothing changed."""
    scope, ref, org_type, note = (
        scope.strip(),
        " ".join(ref.split()),
        org_type.strip(),
        note.strip(),
    )
    if scope not in KindOverride.Scope.values:
        raise ApplicationError(f"Choose one of: {', '.join(KindOverride.Scope.values)}.", "scope")
    if not ref:
        raise ApplicationError("Give the IATI organisation ref (e.g. XM-DAC-41114).", "ref")
    if len(ref) > REF_MAX_LENGTH:
        raise ApplicationError(f"A ref has at most {REF_MAX_LENGTH} characters.", "ref")
    if kind not in Kind.values:
        raise ApplicationError(f"Choose a kind: {', '.join(Kind.values)}.", "kind")
    if len(note) > NOTE_MAX_LENGTH:
        raise ApplicationError(f"A note has at most {NOTE_MAX_LENGTH} characters.", "note")
    if scope == KindOverride.Scope.PUBLISHER:
        if org_type not in codelist("OrganisationType"):
            raise ApplicationError(
                "Give the IATI organisation type code this publisher's activities use (one of "
                f"{', '.join(codelist('OrganisationType'))}).",
                "org_type",
            )
    else:
        org_type = ""
    override = (
        kind_override_visible_to(user)
        .filter(scope=scope, ref=ref, org_type=org_type)
        .order_by("-updated_at", "-id")
        .first()
    )
    if override is None:
        override = KindOverride(scope=scope, ref=ref, org_type=org_type, created_by=user)
    override.kind, override.note = kind, note
    override.full_clean()
    override.save()
    changed = stakeholder_bulk_update(
        stakeholders=stakeholders_for_override(override, user=user), field="kind", value=kind
    )
    return override, changed


@transaction.atomic
def kind_override_delete(*, override_id: int, user) -> None:
    """Delete an override ``user`` may see (another is answered as missing)."""
    override = kind_override_visible_to(user).filter(pk=override_id).first()
    if override is None:
        raise ApplicationError("No such override.", "override")
    override.delete()
