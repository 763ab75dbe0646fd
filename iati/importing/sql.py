"""Set-based writes the importer shares: UPDATE from arrays, ANALYZE, history in chunks."""

import datetime
import enum
import json

from django.db import connection
from django.utils import timezone

from index.models import Engagement, EngagementParticipant
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder

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
                    [array_literal(column) for column in zip(*chunk, strict=True)],
                )
            else:
                sets = ", ".join(f"{quote(field.column)} = %s" for field in columns)
                cursor.executemany(
                    f"UPDATE {table} SET {sets} WHERE {quote(pk.column)} = %s",
                    [(*row[1:], row[0]) for row in chunk],
                )


def array_literal(values) -> str:
    """A PostgreSQL array literal (``{"1","2"}``) of ``values``, each quoted (NULL for None),
    for a parameter cast to an array type: psycopg2 sends a list as ``ARRAY[v1, v2, …]``, one
    expression per value that the server parses and plans — a 10,000-row ``unnest`` INSERT cost
    4–5× as much on the server (and 3.5× in psycopg2) as the same rows as one literal."""
    return "{" + ",".join(_array_element(value) for value in values) + "}"


def _array_element(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return repr(int(value) if isinstance(value, int) else value)  # IntEnum: its number
    if isinstance(value, datetime.date):  # datetime too
        return '"' + value.isoformat() + '"'
    if isinstance(value, enum.Enum):
        value = value.value
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _filled_models():
    """The tables an import fills, with their change history (the bulk history writes grow
    those as fast as the tables themselves: hundreds of thousands of rows for a large run)."""
    filled = (
        IatiActivity,
        Stakeholder,
        ExternalIdentifier,
        Sector,
        Outcome,
        Stake,
        Engagement,
        EngagementParticipant,
        Engagement.outcomes.through,
    )
    histories = [
        Stakeholder.history.model,
        Stakeholder.history.model.sectors.model,
        ExternalIdentifier.history.model,
        Sector.history.model,
        Outcome.history.model,
        Stake.history.model,
        Engagement.history.model,
        Engagement.history.model.outcomes.model,
        EngagementParticipant.history.model,
    ]
    return (*filled, *histories)


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


INSERT_CHUNK = 5000  # rows per INSERT … SELECT FROM unnest(…): one array per column


def _rows_insert(model, fields: list[str], rows: list[tuple]) -> list[int]:
    """INSERT rows (values of ``fields``, in order) and return their ids, in order.

    On PostgreSQL one ``INSERT … SELECT FROM unnest(%s::type[], …) RETURNING id`` per
    ``INSERT_CHUNK`` rows, each column passed as one array: Django's ``bulk_create`` builds a
    model instance and a parameter per value, the importer's largest cost in Python. The other
    columns get the model's defaults (``auto_now`` / ``auto_now_add``: now), as ``save`` would
    give them — the database holds no Django default. JSON values are given as Python objects.
    """
    if not rows:
        return []
    quote = connection.ops.quote_name
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    now = timezone.now()
    rest = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and field.name not in fields and field.attname not in fields
    ]
    defaults = [
        now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_default()
        for field in rest
    ]  # fmt: skip
    columns = [*given, *rest]
    json_columns = {
        i for i, field in enumerate(columns) if field.get_internal_type() == "JSONField"
    }
    names = ", ".join(quote(field.column) for field in columns)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = [(*row, *defaults) for row in rows[start : start + INSERT_CHUNK]]
            values = [
                [json.dumps(v) if i in json_columns else v for v in column]
                for i, column in enumerate(zip(*chunk, strict=True))
            ]
            if connection.vendor == "postgresql":
                types = [field.db_type(connection) for field in columns]
                arrays = ", ".join(
                    f"%s::text[]::{kind}[]" if kind == "jsonb" else f"%s::{_array_type(kind)}[]"
                    for kind in types
                )
                cursor.execute(
                    f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) RETURNING {pk}",
                    [array_literal(column) for column in values],
                )
                ids.extend(row[0] for row in cursor.fetchall())
                continue
            marks = ", ".join(["%s"] * len(columns))
            for row in zip(*values, strict=True):
                cursor.execute(
                    f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING {pk}", row
                )
                ids.append(cursor.fetchone()[0])
    return ids


def _array_type(kind: str) -> str:
    """The element type of an array of a column's type: ``varchar(300)`` → ``varchar`` (a
    length in an array cast is allowed, but a CHECK such as ``integer CHECK (…)`` is not)."""
    return kind.split(" CHECK", 1)[0]
