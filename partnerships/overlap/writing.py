"""Writing a run's candidates in bulk: one binary COPY built with NumPy on PostgreSQL (no Python
loop over rows), executemany elsewhere."""

from __future__ import annotations

import json
import logging
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from django.db import connection, transaction

from smartdiplomacy.bulk import copy_in, copy_out_binary_value

from ..models import Candidate, OverlapChunk
from .kernels import compiled
from .loading import name_ranks, table_name
from .parameters import PUBLIC_SET
from .selection import Selection

logger = logging.getLogger(__name__)

# --- writing candidates -------------------------------------------------------------------------

CANDIDATE_COLUMNS = (
    "run_id", "stakeholder_a_id", "stakeholder_b_id", "overlap", "complementarity", "inclusion",
    "score", "likelihood", "power_interest", "kind_affinity", "shared_partners",
    "needed_capabilities", "brings_a", "brings_b", "shared_count", "audiences",
    "shared_outcome_ids",
)  # fmt: skip


def _shared_json(shared: np.ndarray) -> list[str]:
    return [json.dumps([v for v in row if v >= 0]) for row in shared.tolist()]


# PostgreSQL's binary COPY format: a fixed header, then per row a field count and each field as a
# 4-byte length and its bytes (big-endian), then a trailer.
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
PGCOPY_TRAILER = b"\xff\xff"
_FIXED_FIELDS = (
    ("run_id", ">i8"), ("stakeholder_a_id", ">i8"), ("stakeholder_b_id", ">i8"),
    ("overlap", ">f8"), ("complementarity", ">f8"), ("inclusion", ">f8"), ("score", ">f8"),
    ("likelihood", ">f8"), ("power_interest", ">f8"), ("kind_affinity", ">f8"),
    ("shared_partners", ">i4"), ("needed_capabilities", ">i4"),
    ("brings_a", ">i4"), ("brings_b", ">i4"),
    ("shared_count", ">i4"), ("audiences", ">i2"),
)  # fmt: skip


def _row_dtype(fields: tuple) -> np.dtype:
    return np.dtype(
        [("fields", ">i2")]
        + [part for name, kind in fields for part in ((f"{name}_len", ">i4"), (name, kind))]
        + [("json_len", ">i4"), ("json_version", "u1")]
    )


_ROW_DTYPE = _row_dtype(_FIXED_FIELDS)
# With the row's id first: streams written side by side give each row the id it would have had
# from the table's sequence in one stream (see :func:`candidates_insert`).
_ROW_DTYPE_WITH_ID = _row_dtype((("id", ">i8"), *_FIXED_FIELDS))
# Streams written side by side when the run's table is committed before it is attached: two
# PostgreSQL backends parse the rows at once (the COPY was one backend's work, 6 s of the
# finaliser's 12 at 100,000 actors; 3.7-3.9 s in two streams, issue 22).
COPY_STREAMS = 2


def _binary_copy_rows(run_id: int, part: Selection, *, first_id: int | None = None) -> bytes:
    """Rows of ``part`` in PostgreSQL's binary COPY format (no header or trailer); with
    ``first_id``, each row starts with its id (``first_id``, ``first_id + 1``, …)."""
    rows = len(part)
    dtype = _ROW_DTYPE if first_id is None else _ROW_DTYPE_WITH_ID
    fixed = np.zeros(rows, dtype=dtype)
    fixed["fields"] = len(CANDIDATE_COLUMNS) + (first_id is not None)
    if first_id is not None:
        fixed["id_len"] = 8
        fixed["id"] = np.arange(first_id, first_id + rows, dtype=np.int64)
    values = {
        "run_id": run_id, "stakeholder_a_id": part.src, "stakeholder_b_id": part.dst,
        "overlap": part.overlap, "complementarity": part.complementarity,
        "inclusion": part.inclusion, "score": part.score, "likelihood": part.likelihood,
        "power_interest": part.power_interest, "kind_affinity": part.kind_affinity,
        "shared_partners": part.shared_partners,
        "needed_capabilities": part.needed,
        "brings_a": part.brings_src, "brings_b": part.brings_dst,
        "shared_count": part.shared_count, "audiences": part.audiences,
    }  # fmt: skip
    for name, kind in _FIXED_FIELDS:
        fixed[f"{name}_len"] = np.dtype(kind).itemsize
        fixed[name] = values[name]
    # The shared outcome ids as JSON text, written with each row by a compiled loop: built with
    # NumPy masks over a bytes matrix it was half of the write phase's CPU in this process.
    kernel = compiled("_copy_kernel")
    shared = np.ascontiguousarray(part.shared, dtype=np.int64)
    lengths = kernel.json_lengths(shared)
    fixed["json_len"] = lengths + 1  # + the jsonb version byte
    fixed["json_version"] = 1
    out = np.empty(rows * dtype.itemsize + int(lengths.sum()), dtype=np.uint8)
    written = kernel.pack(fixed.view(np.uint8).reshape(rows, -1), shared, out)
    return out[:written].tobytes()


class _PiecesReader:
    """A file-like ``read()`` over byte strings made one at a time, so that COPY streams the
    rows batch by batch instead of holding them all in memory."""

    def __init__(self, *iterables):
        self._pieces = (piece for iterable in iterables for piece in iterable)
        self._current = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        while not len(self._current):
            piece = next(self._pieces, None)
            if piece is None:
                return b""
            self._current = memoryview(piece)
        if size is None or size < 0:
            size = len(self._current)
        out, self._current = self._current[:size], self._current[size:]
        return out.tobytes()


def chunk_result_store(chunk_id: int, payload: bytes) -> None:
    """Store a chunk's result (bytes) for the finaliser.

    On PostgreSQL the bytes stream in as one binary COPY row into a session table and are moved
    into the chunk's row by the server: a bytea parameter would travel as a hex literal twice
    the payload's size, built in this process's memory (at 20,000 actors: 10 s and the run's
    peak memory, issue 22). Elsewhere an ordinary update.
    """
    with transaction.atomic(), connection.cursor() as cursor:  # the session table's lifetime
        if connection.vendor != "postgresql":
            OverlapChunk.objects.filter(pk=chunk_id).update(result=payload)
            return
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS overlap_chunk_result (result bytea) "
            "ON COMMIT DROP"
        )
        cursor.execute("DELETE FROM overlap_chunk_result")
        row = PGCOPY_HEADER + struct.pack(">hi", 1, len(payload))
        copy_in(
            cursor,
            table="overlap_chunk_result",
            columns=["result"],
            data=_PiecesReader([row], [payload], [PGCOPY_TRAILER]),
            binary=True,
        )
        cursor.execute(
            f"UPDATE {table_name(OverlapChunk)} SET result = "
            "(SELECT result FROM overlap_chunk_result) WHERE id = %s",
            [chunk_id],
        )
        cursor.execute("DELETE FROM overlap_chunk_result")


def chunk_result_read(chunk_id: int) -> bytes | None:
    """A chunk's stored result (bytes), or None. On PostgreSQL through one binary COPY out: a
    bytea read as a value arrives as hex text twice its size and is decoded into a third copy in
    this process (issue 22: the finaliser's peak memory); elsewhere an ordinary read."""
    if connection.vendor != "postgresql":
        return OverlapChunk.objects.filter(pk=chunk_id).values_list("result", flat=True).first()
    with connection.cursor() as cursor:
        return copy_out_binary_value(
            cursor,
            f"SELECT result FROM {table_name(OverlapChunk)} WHERE id = {int(chunk_id)}",
        )


def candidates_insert(
    run_id: int,
    selection: Selection,
    *,
    batch: int = 25_000,
    table: str | None = None,
    streams: int = 1,
) -> None:
    """Insert the pairs of ``selection`` (``src < dst``) as candidates of ``run_id``, into the
    candidates' table or ``table`` (a run's own partition before it is attached).

    Rows are built ``batch`` at a time per stream: 25,000 rather than 100,000 took the
    finaliser's peak at 100,000 actors from 958-978 to 816-827 MiB, the write no slower (issue
    22: two streams each held a 100,000-row batch in three forms at once).

    With ``streams`` > 1 (PostgreSQL, ``table`` committed and not yet attached, outside any
    transaction) the rows go in that many COPY streams side by side, each on a connection of its
    own that commits it: ids are reserved from the table's sequence first, so that each row gets
    the id one stream would have given it.

    The pairs people not cleared may see go first and the cleared audience's own after them, so
    that nothing in the public pairs' rows (their ids included) depends on the restricted ones;
    within each, best first in the lists' own order (priority, likelihood, shared outcomes, the
    two actors' rank by name), so that even row ids follow the registry, not its import order.
    On PostgreSQL one binary COPY built with NumPy (no Python loop over rows: formatting a
    million rows as text would cost more than the database's own work), with either driver;
    elsewhere executemany.
    """
    ranks = name_ranks(np.concatenate([selection.src, selection.dst]))
    rank_a, rank_b = ranks[: len(selection)], ranks[len(selection) :]
    public_first = np.lexsort(
        (
            np.maximum(rank_a, rank_b),
            np.minimum(rank_a, rank_b),
            -selection.shared_count,
            -selection.likelihood,
            -selection.score,
            (selection.audiences & PUBLIC_SET) == 0,
        )
    )
    del ranks, rank_a, rank_b
    if streams > 1 and connection.vendor == "postgresql" and len(selection):
        if table is None or connection.in_atomic_block:
            raise ValueError("Streams write a committed, unattached table, outside transactions.")
        _copy_streams(run_id, selection, public_first, table, streams=streams, batch=batch)
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_ordered(
                cursor, run_id, selection, public_first, 0, len(selection),
                table=table or Candidate._meta.db_table, batch=batch,
            )  # fmt: skip
            return
        columns = ", ".join(connection.ops.quote_name(c) for c in CANDIDATE_COLUMNS)
        quoted = connection.ops.quote_name(table) if table else table_name(Candidate)
        marks = ", ".join(["%s"] * len(CANDIDATE_COLUMNS))
        for start in range(0, len(selection), batch):
            part = selection.take(public_first[start : start + batch])
            rows = zip(
                [run_id] * len(part), part.src.tolist(), part.dst.tolist(),
                part.overlap.tolist(), part.complementarity.tolist(), part.inclusion.tolist(),
                part.score.tolist(), part.likelihood.tolist(), part.power_interest.tolist(),
                part.kind_affinity.tolist(), part.shared_partners.tolist(),
                part.needed.tolist(), part.brings_src.tolist(),
                part.brings_dst.tolist(), part.shared_count.tolist(), part.audiences.tolist(),
                _shared_json(part.shared), strict=True,
            )  # fmt: skip
            cursor.executemany(f"INSERT INTO {quoted} ({columns}) VALUES ({marks})", list(rows))


def _copy_ordered(
    cursor,
    run_id: int,
    selection: Selection,
    order: np.ndarray,
    low: int,
    high: int,
    *,
    table: str,
    batch: int,
    first_id: int | None = None,
) -> None:
    """One binary COPY of the rows ``order[low:high]`` of ``selection`` into ``table``, built
    ``batch`` rows at a time (never the whole selection reordered at once); with ``first_id``,
    row ``order[i]`` gets the id ``first_id + i``."""
    pieces = (
        _binary_copy_rows(
            run_id,
            selection.take(order[start : min(start + batch, high)]),
            first_id=None if first_id is None else first_id + start,
        )
        for start in range(low, high, batch)
    )
    copy_in(
        cursor,
        table=table,
        columns=CANDIDATE_COLUMNS if first_id is None else ("id", *CANDIDATE_COLUMNS),
        data=_PiecesReader([PGCOPY_HEADER], pieces, [PGCOPY_TRAILER]),
        binary=True,
    )


def _ids_reserved(count: int) -> int:
    """The first of ``count`` consecutive ids taken from the candidates' sequence at once.

    Under a lock that every insert through the candidates' table conflicts with (a refresh
    writing rows meanwhile takes its ids from the same sequence: it waits the moment this takes,
    or this waits for it to commit), so that no other id falls inside the range."""
    quoted = table_name(Candidate)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Candidate._meta.db_table])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s)", [sequence])
        (first,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return int(first)


def _copy_streams(
    run_id: int, selection: Selection, order: np.ndarray, table: str, *, streams: int, batch: int
) -> None:
    """``selection``'s rows in ``order`` into ``table``: ``streams`` contiguous parts, each one
    COPY on a connection of its own (a thread each: the rows are built by compiled code without
    the GIL, the backends parse them side by side), each committed; the first failure is raised
    once the others have ended."""
    first_id = _ids_reserved(len(selection))
    bounds = np.linspace(0, len(selection), streams + 1).astype(np.int64)

    def stream(low: int, high: int) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _copy_ordered(
                    cursor, run_id, selection, order, low, high,
                    table=table, batch=batch, first_id=first_id,
                )  # fmt: skip
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=streams) as pool:
        futures = [
            pool.submit(stream, int(low), int(high))
            for low, high in zip(bounds[:-1], bounds[1:], strict=True)
            if high > low
        ]
    for future in futures:
        future.result()
