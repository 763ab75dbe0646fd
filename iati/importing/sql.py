"""Set-based writes the importer shares: UPDATE from arrays, ANALYZE, history in chunks."""

import json

from django.db import connection

from index.models import Engagement, EngagementParticipant
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import ExternalIdentifier, Outcome, Stake, Stakeholder

from ..models import (
    IatiActivity,
)

BATCH_SIZE = 500

ANALYZE_AFTER_ROWS = (
    5000  # rows written by an import past which the planner's statistics are renewed
)


def _rows_update(model, fields: list[str], rows: list[tuple]) -> None:
    """UPDATE rows (pk, *values of ``fields``) in one statement per ``BATCH_SIZE`` rows: Django's
    ``bulk_update`` builds a CASE per field and row, which cost more than the whole import."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    columns = [model._meta.get_field(name) for name in fields]
    json_fields = {i for i, field in enumerate(columns) if field.get_internal_type() == "JSONField"}
    rows = [
        tuple(json.dumps(value) if i - 1 in json_fields else value for i, value in enumerate(row))
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            chunk = rows[start : start + BATCH_SIZE]
            if connection.vendor == "postgresql":
                names = ["pk", *(f"v{i}" for i in range(len(columns)))]
                types = [pk.db_type(connection), *(field.db_type(connection) for field in columns)]
                sets = ", ".join(
                    f"{quote(field.column)} = v.v{i}" for i, field in enumerate(columns)
                )
                arrays = ", ".join(
                    f"%s::text[]::{kind}[]" if kind == "jsonb" else f"%s::{kind}[]"
                    for kind in types
                )
                cursor.execute(
                    f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) "
                    f"WHERE {table}.{quote(pk.column)} = v.pk",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
            else:
                sets = ", ".join(f"{quote(field.column)} = %s" for field in columns)
                cursor.executemany(
                    f"UPDATE {table} SET {sets} WHERE {quote(pk.column)} = %s",
                    [(*row[1:], row[0]) for row in chunk],
                )


def _filled_models():
    return (
        IatiActivity,
        Stakeholder,
        ExternalIdentifier,
        Outcome,
        Stake,
        Engagement,
        EngagementParticipant,
        Engagement.outcomes.through,
    )


FILLED_MODELS = _filled_models()


def _tables_analyze(models) -> None:
    """``ANALYZE`` (PostgreSQL): a large import changes the tables' sizes by orders of magnitude,
    and where autovacuum is off or late the planner would go on planning them as they were."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _record_in_chunks(history: HistoryWriter, model, pks: list[int], *, history_type: str):
    for start in range(0, len(pks), BATCH_SIZE):
        history.record(model, pks[start : start + BATCH_SIZE], history_type=history_type)
