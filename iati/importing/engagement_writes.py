"""Engagements written in batches from drafts: created, updated or left, with history."""

from django.db import connection
from django.utils import timezone

from index.models import Engagement, EngagementParticipant
from stakeholders.imports.services import HistoryWriter

from ..engagements import IMPORTED_FIELDS, EngagementDraft
from .report import Counts
from .sql import BATCH_SIZE, _record_in_chunks, _rows_insert

RESCORE_TASK_SIZE = 2000  # engagements scored by one engagements_rescore task


def _engagements_stored(drafts: dict[int, EngagementDraft]):
    """The engagements the drafts' activities already have (activity id → imported fields),
    with their participants ((stakeholder, role) and row ids) and outcomes, by engagement."""
    existing = {
        row["iati_activity_id"]: row
        for row in Engagement.objects.filter(iati_activity_id__in=list(drafts)).values(
            "id", "iati_activity_id", *IMPORTED_FIELDS
        )
    }
    engagement_ids = [row["id"] for row in existing.values()]
    participants: dict[int, set[tuple[int, str]]] = {pk: set() for pk in engagement_ids}
    participant_ids: dict[int, list[int]] = {pk: [] for pk in engagement_ids}
    for pk, engagement_id, stakeholder_id, role in EngagementParticipant.objects.filter(
        engagement_id__in=engagement_ids
    ).values_list("pk", "engagement_id", "stakeholder_id", "role"):
        participants[engagement_id].add((stakeholder_id, role))
        participant_ids[engagement_id].append(pk)
    through = Engagement.outcomes.through
    outcomes: dict[int, set[int]] = {pk: set() for pk in engagement_ids}
    for engagement_id, outcome_id in through.objects.filter(
        engagement_id__in=engagement_ids
    ).values_list("engagement_id", "outcome_id"):
        outcomes[engagement_id].add(outcome_id)
    return existing, participants, participant_ids, outcomes


def _engagement_batch_write(
    drafts: dict[int, EngagementDraft], *, counts: Counts, history: HistoryWriter
) -> list[int]:
    """Write one batch of drafts (activity id → draft); returns the engagements created or
    changed. A few queries per batch, whatever its size."""
    if not drafts:
        return []
    existing, participants, participant_ids, outcomes = _engagements_stored(drafts)
    through = Engagement.outcomes.through
    now = timezone.now()
    creates: list[tuple[int, EngagementDraft]] = []  # (activity id, draft)
    updates: list[tuple[Engagement, EngagementDraft]] = []
    for activity_id, draft in drafts.items():
        row = existing.get(activity_id)
        if row is None:
            creates.append((activity_id, draft))
            continue
        fields = draft.fields()
        if (
            all(row[name] == value for name, value in fields.items())
            and participants[row["id"]] == set(draft.participants)
            and outcomes[row["id"]] == set(draft.outcome_ids)
        ):
            counts.unchanged += 1
            continue
        updates.append((Engagement(pk=row["id"], updated_at=now, **fields), draft))

    if creates or updates:
        # Bulk writes send no signal: retire the scores API's remembered answers.
        from index.generation import scores_changed

        scores_changed()
    created = _rows_insert(
        Engagement,
        ["iati_activity_id", *IMPORTED_FIELDS],
        [(activity_id, *draft.fields().values()) for activity_id, draft in creates],
    )
    Engagement.objects.bulk_update(
        [engagement for engagement, _ in updates], [*IMPORTED_FIELDS, "updated_at"]
    )
    # Participants and outcomes of changed engagements are replaced as a whole.
    replaced = [engagement.pk for engagement, _ in updates]
    gone = [pk for engagement_id in replaced for pk in participant_ids[engagement_id]]
    _record_in_chunks(history, EngagementParticipant, gone, history_type="-")
    _participants_delete(gone)
    through.objects.filter(engagement_id__in=replaced).delete()
    written = [
        *zip(created, (draft for _, draft in creates), strict=True),
        *((engagement.pk, draft) for engagement, draft in updates),
    ]
    new_participants = _rows_insert(
        EngagementParticipant,
        ["engagement_id", "stakeholder_id", "role"],
        [
            (pk, stakeholder_id, role)
            for pk, draft in written
            for stakeholder_id, role in draft.participants
        ],
    )
    _rows_insert(
        through,
        ["engagement_id", "outcome_id"],
        [(pk, outcome_id) for pk, draft in written for outcome_id in draft.outcome_ids],
    )
    history_ids = history.record(Engagement, created, history_type="+")
    history_ids += history.record(Engagement, replaced, history_type="~")
    _engagement_outcomes_history(history_ids)
    _record_in_chunks(history, EngagementParticipant, new_participants, history_type="+")
    counts.created += len(created)
    counts.updated += len(updates)
    return [pk for pk, _ in written]


def _participants_delete(pks: list[int]) -> None:
    """Delete participants in bulk: their history is written in bulk just before, so the
    per-row delete signals (one history INSERT per row) are bypassed on purpose."""
    quote = connection.ops.quote_name
    table, pk = quote(EngagementParticipant._meta.db_table), quote("id")
    for start in range(0, len(pks), BATCH_SIZE):
        chunk = pks[start : start + BATCH_SIZE]
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})", chunk
            )


def _engagement_outcomes_history(history_ids: list[int]) -> None:
    """The outcomes each engagement record had, as simple_history keeps m2m fields."""
    if not history_ids:
        return
    quote = connection.ops.quote_name
    through = Engagement.outcomes.through
    history = Engagement.history.model
    outcome_history = history.outcomes.model
    columns = ", ".join(
        quote(outcome_history._meta.get_field(name).column)
        for name in ("id", "engagement", "outcome", "history")
    )
    t_id, t_engagement, t_outcome = (
        quote(through._meta.get_field(name).column) for name in ("id", "engagement", "outcome")
    )
    h_pk, h_id = quote(history._meta.pk.column), quote(history._meta.get_field("id").column)
    for start in range(0, len(history_ids), BATCH_SIZE):
        chunk = history_ids[start : start + BATCH_SIZE]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(outcome_history._meta.db_table)} ({columns}) "
                f"SELECT t.{t_id}, t.{t_engagement}, t.{t_outcome}, h.{h_pk} "
                f"FROM {quote(through._meta.db_table)} t "
                f"JOIN {quote(history._meta.db_table)} h ON h.{h_id} = t.{t_engagement} "
                f"WHERE h.{h_pk} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
