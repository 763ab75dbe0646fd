"""Writing a synthetic registry in bulk (COPY on PostgreSQL, ``executemany`` elsewhere), finding
its rows again and deleting them without touching any other row.
"""

import contextlib
import time
from collections.abc import Iterable, Sequence

import numpy as np
from django.db import connection, models, transaction
from django.utils import timezone

from smartdiplomacy.bulk import copy_in, copy_rows_text
from stakeholders.models import Outcome, Stake, Stakeholder, Tie
from stakeholders.names import name_normalise
from stakeholders.synthetic.generation import (
    ACTOR_PREFIX,
    OUTCOME_PREFIX,
    SYNTHETIC_MARKER,
    SYNTHETIC_SOURCE,
    SyntheticRegistry,
    synthetic_registry_generate,
    synthetic_sizes_check,
)


def synthetic_stakeholders():
    return Stakeholder.objects.filter(name__startswith=ACTOR_PREFIX, description=SYNTHETIC_MARKER)


def synthetic_outcomes():
    return Outcome.objects.filter(title__startswith=OUTCOME_PREFIX, description=SYNTHETIC_MARKER)


def _raw_delete(model, queryset, tables: frozenset[str] | None = None) -> int:
    """Delete ``queryset`` and what cascades from it in SQL, without loading rows or sending
    signals: fast for a million rows, and no change history (synthetic rows have none).

    Follows every relation pointing at ``model`` (those of other apps too): CASCADE deletes,
    SET_NULL clears, DO_NOTHING (the history tables) is left alone, anything else refuses."""
    if tables is None:
        tables = frozenset(connection.introspection.table_names())
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete):
            continue
        if not (relation.one_to_many or relation.one_to_one):
            continue
        if relation.related_model._meta.db_table not in tables:
            continue  # a model whose migration is not applied yet has no rows to delete
        on_delete = relation.on_delete
        if on_delete is models.DO_NOTHING:
            continue
        related = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": queryset.values("pk")}
        )
        if on_delete is models.CASCADE:
            _raw_delete(relation.related_model, related, tables)
        elif on_delete is models.SET_NULL:
            related.update(**{relation.field.name: None})
        elif related.exists():
            raise RuntimeError(
                f"{relation.related_model._meta.label} rows refer to synthetic "
                f"{model._meta.verbose_name_plural}; delete them first."
            )
    # QuerySet._raw_delete: one DELETE statement, no collector, no signals.
    return queryset._raw_delete(queryset.db)


def synthetic_registry_delete() -> dict[str, int]:
    """Delete every synthetic stakeholder and outcome, and what hangs off them. Other rows stay."""
    with transaction.atomic():
        actors = _raw_delete(Stakeholder, synthetic_stakeholders())
        outcomes = _raw_delete(Outcome, synthetic_outcomes())
    return {"stakeholders": actors, "outcomes": outcomes}


def _columns(model, names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def _insert(model, names: Sequence[str], rows: Iterable[tuple], *, batch: int = 100_000) -> None:
    """Insert plain tuples into ``model``'s table: COPY on PostgreSQL, executemany elsewhere."""
    table = model._meta.db_table
    # Every other column that may not be NULL gets the model's default, so that a field added to
    # the model later (the database has no defaults of Django's) never breaks the synthetic load.
    filled = _defaults_for_unnamed(model, names)
    columns = _columns(model, names) + [field.column for field, _ in filled]
    extra = tuple(value for _, value in filled)
    with connection.cursor() as cursor:
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(row + extra if extra else row)
            if len(chunk) >= batch:
                _insert_chunk(cursor, table, columns, chunk)
                chunk = []
        if chunk:
            _insert_chunk(cursor, table, columns, chunk)


def _defaults_for_unnamed(model, names: Sequence[str]) -> list[tuple[models.Field, object]]:
    named = {model._meta.get_field(name).column for name in names}
    filled = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.column in named:
            continue
        default = field.get_default()
        if default is None:
            continue  # no default: the insert fails, naming the column, as it should
        filled.append((field, field.get_db_prep_save(default, connection)))
    return filled


def _insert_chunk(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        copy_in(cursor, table=table, columns=columns, data=copy_rows_text(rows))
    else:
        quote = connection.ops.quote_name
        listed = ", ".join(quote(column) for column in columns)
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {quote(table)} ({listed}) VALUES ({placeholders})", rows)


def _db_datetime(value):
    if connection.vendor == "postgresql":
        return value.isoformat()
    return connection.ops.adapt_datetimefield_value(value)


def _db_date(year: int, month: int = 1, day: int = 1):
    if not year:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _ids_in_insert_order(queryset, expected: int) -> np.ndarray:
    # Rows inserted in one statement take increasing ids from the sequence, in row order.
    ids = np.fromiter(queryset.order_by("id").values_list("id", flat=True), dtype=np.int64)
    if ids.size != expected:
        raise RuntimeError(f"expected {expected} synthetic rows, found {ids.size}")
    return ids


class _Timer:
    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str):
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 3)


def synthetic_registry_create(
    *,
    stakeholders: int,
    stakes: int = 0,
    ties: int = 0,
    outcomes: int | None = None,
    seed: int = 0,
) -> dict:
    """Replace the synthetic registry with a new one of the given sizes, in one transaction.

    ``outcomes`` defaults to ``outcomes_default(stakes)``. Raises SyntheticSizeError (nothing
    written) for sizes that cannot be generated. Returns the counts and the seconds per phase.
    No change history is written for synthetic rows.
    """
    timer = _Timer()
    started = time.perf_counter()
    sizes = synthetic_sizes_check(
        stakeholders=stakeholders, stakes=stakes, ties=ties, outcomes=outcomes
    )
    with timer.phase("generate"):
        registry = synthetic_registry_generate(sizes, seed=seed)
    now = _db_datetime(timezone.now())
    with transaction.atomic():
        with timer.phase("delete_previous"):
            deleted = synthetic_registry_delete()
        with timer.phase("insert_stakeholders"):
            _stakeholders_insert(registry, now)
            actor_ids = _ids_in_insert_order(synthetic_stakeholders(), sizes.stakeholders)
        with timer.phase("insert_outcomes"):
            _outcomes_insert(registry, now)
            outcome_ids = _ids_in_insert_order(synthetic_outcomes(), sizes.outcomes)
        with timer.phase("insert_stakes"):
            _stakes_insert(registry, actor_ids, outcome_ids, now)
        with timer.phase("insert_ties"):
            _ties_insert(registry, actor_ids, now)
        commit_started = time.perf_counter()
    # Deferred foreign-key checks run at commit on PostgreSQL: part of the price of the load.
    timer.seconds["commit"] = round(time.perf_counter() - commit_started, 3)
    if connection.vendor == "postgresql":
        with timer.phase("analyze"), connection.cursor() as cursor:
            tables = (Stakeholder, Outcome, Stake, Tie)
            cursor.execute(
                "ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
            )
    return {
        "stakeholders": sizes.stakeholders,
        "outcomes": sizes.outcomes,
        "stakes": int(registry.stake_actor.size),
        "ties": int(registry.tie_from.size),
        "seed": seed,
        "deleted_previous": deleted,
        "database": connection.vendor,
        "seconds": timer.seconds,
        "total_seconds": round(time.perf_counter() - started, 3),
    }


def _stakeholders_insert(registry: SyntheticRegistry, now) -> None:
    c = registry.stakeholders
    share = [None if np.isnan(v) else float(v) for v in c["women_leadership_share"]]
    rows = zip(
        c["name"],
        c["kind"],
        c["country"],
        c["country_of_origin"],
        c["scope"],
        c["capabilities"].tolist(),
        c["digital_presence"].tolist(),
        c["women_led"].tolist(),
        share,
        c["sensitivity"],
        strict=True,
    )
    _insert(
        Stakeholder,
        (
            "name", "acronym", "kind", "country", "country_of_origin", "scope", "capabilities",
            "digital_presence", "women_led", "women_leadership_share", "sensitivity",
            "description", "website", "normalised_name", "created_at", "updated_at",
        ),
        (
            (name, "", kind, country, origin, scope, caps, digital, led, share_, sensitivity,
             SYNTHETIC_MARKER, "", name_normalise(name)[:300], now, now)
            for name, kind, country, origin, scope, caps, digital, led, share_, sensitivity in rows
        ),
    )  # fmt: skip


def _outcomes_insert(registry: SyntheticRegistry, now) -> None:
    c = registry.outcomes
    rows = zip(
        c["title"], c["theme"], c["geography"], c["countries"],
        c["needed_capabilities"].tolist(), strict=True,
    )  # fmt: skip
    _insert(
        Outcome,
        ("title", "theme", "description", "geography", "countries", "needed_capabilities",
         "created_at", "updated_at"),
        ((title, theme, SYNTHETIC_MARKER, geo, codes, needs, now, now)
         for title, theme, geo, codes, needs in rows),
    )  # fmt: skip


def _stakes_insert(registry: SyntheticRegistry, actor_ids, outcome_ids, now) -> None:
    c = registry.stakes
    rows = zip(
        actor_ids[registry.stake_actor].tolist(),
        outcome_ids[registry.stake_outcome].tolist(),
        c["interest"].tolist(),
        c["influence"].tolist(),
        c["position"],
        strict=True,
    )
    _insert(
        Stake,
        ("stakeholder", "outcome", "interest", "influence", "position", "notes", "source",
         "updated_at"),
        ((s, o, i, f, p, "", SYNTHETIC_SOURCE, now) for s, o, i, f, p in rows),
    )  # fmt: skip


def _ties_insert(registry: SyntheticRegistry, actor_ids, now) -> None:
    c = registry.ties
    rows = zip(
        actor_ids[registry.tie_from].tolist(),
        actor_ids[registry.tie_to].tolist(),
        c["kind"],
        c["strength"].tolist(),
        c["start_year"].tolist(),
        c["end_year"].tolist(),
        strict=True,
    )
    _insert(
        Tie,
        ("from_stakeholder", "to_stakeholder", "kind", "strength", "start_date", "end_date",
         "source", "notes", "updated_at"),
        ((a, b, kind, strength, _db_date(start), _db_date(end, 12, 31), SYNTHETIC_SOURCE, "", now)
         for a, b, kind, strength, start, end in rows),
    )  # fmt: skip
