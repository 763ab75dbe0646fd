"""Reading the registry from the database into arrays (:class:`~.registry.Registry`), and the
stakeholders' rank by name that ties break on."""

from __future__ import annotations

import io
import logging

import numpy as np
from django.db import connection

from stakeholders.choices import Kind, Scope, Sensitivity
from stakeholders.models import Outcome, Stake, Stakeholder, Tie

from .registry import Registry, build_registry

logger = logging.getLogger(__name__)

# The kinds that count towards inclusion (with any women-led actor and any actor working at
# local scope): see the methodology page.
INCLUSIVE_KINDS = (Kind.WOMENS_GROUP, Kind.DIASPORA, Kind.GRASSROOTS)
INCLUSIVE_SCOPES = (Scope.LOCAL,)
KIND_CODES = {kind: code for code, kind in enumerate(Kind.values)}

# --- reading the registry -------------------------------------------------------------------------


def table_name(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def fetch_numeric(sql: str, params=(), *, columns: int) -> np.ndarray:
    """Rows of a numeric query as a float64 array (rows × columns): COPY on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy_expert"):
            query = cursor.cursor.mogrify(sql, params).decode()
            buffer = io.BytesIO()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
            if not buffer.tell():
                return np.zeros((0, columns))
            buffer.seek(0)
            return np.loadtxt(buffer, delimiter=",", dtype=np.float64, ndmin=2)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return np.array(rows, dtype=np.float64).reshape(-1, columns)


def _stakeholder_columns(rows) -> dict:
    """Columns of the registry from ``(id, kind, capabilities, women_led, scope, sensitivity)``
    rows given in name order (their position is the tie-breaking ``order_keys``)."""
    ids, kinds, caps, inclusive, public = [], [], [], [], []
    for stakeholder_id, kind, capabilities, women_led, scope, sensitivity in rows:
        ids.append(stakeholder_id)
        kinds.append(KIND_CODES.get(kind, -1))
        caps.append(int(capabilities))
        inclusive.append(bool(women_led) or kind in INCLUSIVE_KINDS or scope in INCLUSIVE_SCOPES)
        public.append(sensitivity == Sensitivity.PUBLIC)
    return {
        "stakeholder_ids": ids, "kinds": kinds, "capabilities": caps, "inclusive": inclusive,
        "public": public, "order_keys": np.arange(len(ids), dtype=np.int64),
    }  # fmt: skip


# The stable order candidates tie-break on: by name, then by id only between equal names.
NAME_ORDER = ("name", "id")


def registry_load() -> tuple[Registry, dict]:
    """The whole registry as arrays, and its counts (stakeholders, stakes with interest), for
    everyone and for the public audience (``public_stakeholders``, ``public_stakes``)."""
    stakeholders = _stakeholder_columns(
        Stakeholder.objects.order_by(*NAME_ORDER).values_list(
            "id", "kind", "capabilities", "women_led", "scope", "sensitivity"
        )
    )
    outcomes = list(Outcome.objects.order_by().values_list("id", "needed_capabilities"))
    stakes = fetch_numeric(
        f"SELECT stakeholder_id, outcome_id, interest, influence FROM {table_name(Stake)} "
        "WHERE interest > 0",
        columns=4,
    )
    ties = np.array(
        Tie.objects.order_by().values_list("from_stakeholder_id", "to_stakeholder_id"),
        dtype=np.int64,
    ).reshape(-1, 2)
    registry = build_registry(
        **stakeholders,
        outcome_ids=[o[0] for o in outcomes],
        needs=[int(o[1]) for o in outcomes],
        stake_stakeholder_ids=stakes[:, 0].astype(np.int64),
        stake_outcome_ids=stakes[:, 1].astype(np.int64),
        stake_interest=stakes[:, 2],
        stake_influence=stakes[:, 3],
        tie_from_ids=ties[:, 0],
        tie_to_ids=ties[:, 1],
    )
    public_rows = np.flatnonzero(registry.public)
    counts = {
        "stakeholders": registry.size,
        "stakes": int(registry.interest.nnz),
        "public_stakeholders": len(public_rows),
        "public_stakes": int(registry.interest[public_rows].nnz),
    }
    return registry, counts


def name_ranks(stakeholder_ids: np.ndarray) -> np.ndarray:
    """Each stakeholder's rank by name (:data:`NAME_ORDER`) among those given, for ties: ranks
    compare only within one call."""
    wanted = np.unique(np.asarray(stakeholder_ids, dtype=np.int64))
    if not len(wanted):
        return np.zeros(0, dtype=np.int64)
    query = Stakeholder.objects.order_by(*NAME_ORDER).values_list("id", flat=True)
    if len(wanted) <= 5_000:  # a refresh: its few actors; a full run reads the ordered ids
        query = query.filter(pk__in=wanted.tolist())
    named = np.fromiter(query.iterator(chunk_size=20_000), dtype=np.int64)
    named = named[np.isin(named, wanted)]
    # A stakeholder deleted meanwhile sorts last; its row is never shown (see Candidate).
    ranks = np.full(len(wanted), len(named), dtype=np.int64)
    ranks[np.searchsorted(wanted, named)] = np.arange(len(named))
    return ranks[np.searchsorted(wanted, stakeholder_ids)]
