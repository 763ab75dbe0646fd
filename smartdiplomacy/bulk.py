"""Bulk database I/O in one place: COPY in and out, and upserts staged in a temporary table.

PostgreSQL only (callers keep their portable path for SQLite), with either driver Django can use:
psycopg2 streams COPY through ``cursor.copy_expert(sql, file)``, psycopg 3 through
``with cursor.copy(sql) as copy: copy.write(...)``. Every function takes Django's cursor (or a
driver's own) and finds the driver's method itself, so no caller branches on the driver again.
"""

import datetime
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, Protocol

from django.db import connection


class Readable(Protocol):
    """Anything with a file's ``read(size)``: COPY's data streamed in pieces."""

    def read(self, size: int = ..., /) -> str | bytes: ...


# Written to psycopg 3's copy in pieces of this size (psycopg2 reads the file itself).
CHUNK_BYTES = 1 << 20

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    """One value in COPY's text format: NULL as ``\\N``, booleans as t/f, dates in ISO 8601,
    strings with backslash, tab and line breaks escaped (JSON must be encoded by the caller)."""
    if value is None:
        return r"\N"
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):  # NumPy's too
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return str(value)


def copy_rows_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as COPY text: values separated by tabs, one row per line."""
    return "".join("\t".join(map(copy_text, row)) + "\n" for row in rows)


def _raw(cursor):
    """The driver's cursor under Django's wrapper (or the driver's cursor itself)."""
    return getattr(cursor, "cursor", cursor)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def copy_in(
    cursor,
    *,
    table: str,
    columns: Sequence[str],
    data: str | bytes | IO | Readable,
    binary: bool = False,
) -> None:
    """``COPY table (columns) FROM STDIN``: ``data`` in text format (str) or PostgreSQL's binary
    format (bytes, or a file-like object with ``read()`` returning bytes, streamed in pieces)."""
    sql = f"COPY {connection.ops.quote_name(table)} ({_quoted(columns)}) FROM STDIN"
    if binary:
        sql += " WITH (FORMAT binary)"
    raw = _raw(cursor)
    if hasattr(raw, "copy_expert"):  # psycopg2
        stream = data if hasattr(data, "read") else _as_file(data)
        raw.copy_expert(sql, stream, size=CHUNK_BYTES)
        return
    with raw.copy(sql) as copy:  # psycopg 3
        for piece in _pieces(data):
            copy.write(piece)


def _as_file(data: str | bytes) -> IO:
    return io.StringIO(data) if isinstance(data, str) else io.BytesIO(data)


def _pieces(data: str | bytes | IO | Readable) -> Iterator[str | bytes]:
    if not hasattr(data, "read"):
        yield data
        return
    while piece := data.read(CHUNK_BYTES):
        yield piece


def copy_out_csv(cursor, query: str) -> str:
    """The rows of ``query`` (SQL with its values already bound: no parameters) as CSV text,
    through ``COPY (query) TO STDOUT``: for large numeric reads, far cheaper than fetching rows."""
    sql = f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"
    raw = _raw(cursor)
    if hasattr(raw, "copy_expert"):  # psycopg2
        buffer = io.StringIO()
        raw.copy_expert(sql, buffer)
        return buffer.getvalue()
    parts = []
    with raw.copy(sql) as copy:  # psycopg 3
        for piece in copy:
            parts.append(bytes(piece))
    return b"".join(parts).decode()


class _BytesSink:
    """A file-like ``write()`` into one growing bytearray (psycopg2's COPY TO writes here)."""

    def __init__(self):
        self.data = bytearray()

    def write(self, piece) -> int:
        self.data += piece
        return len(piece)


_PGCOPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def copy_out_binary_value(cursor, query: str) -> bytes | None:
    """The single value of a one-column ``query`` (values already bound) as raw bytes, through
    ``COPY (query) TO STDOUT WITH (FORMAT binary)``: a bytea arrives as itself instead of hex
    text twice its size. None when the query has no row or the value is NULL."""
    sql = f"COPY ({query}) TO STDOUT WITH (FORMAT binary)"
    raw = _raw(cursor)
    sink = _BytesSink()
    if hasattr(raw, "copy_expert"):  # psycopg2
        raw.copy_expert(sql, sink, size=CHUNK_BYTES)
    else:  # psycopg 3
        with raw.copy(sql) as copy:
            for piece in copy:
                sink.write(piece)
    data = memoryview(sink.data)
    if data[: len(_PGCOPY_SIGNATURE)] != _PGCOPY_SIGNATURE:
        raise ValueError("not PostgreSQL's binary COPY format")
    position = len(_PGCOPY_SIGNATURE) + 4  # the flags
    extension = int.from_bytes(data[position : position + 4], "big")
    position += 4 + extension
    fields = int.from_bytes(data[position : position + 2], "big", signed=True)
    if fields == -1:  # the trailer: no row
        return None
    if fields != 1:
        raise ValueError(f"expected one column, got {fields}")
    length = int.from_bytes(data[position + 2 : position + 6], "big", signed=True)
    if length < 0:
        return None
    start = position + 6
    value = bytes(data[start : start + length])
    data.release()
    return value


@contextmanager
def staging_table(cursor, *, name: str, like: str, columns: Sequence[str]) -> Iterator[str]:
    """A temporary table ``name`` with the types of ``like``'s ``columns`` and no rows, dropped
    at commit; yields its quoted name. Dropped first in case an outer transaction still holds the
    previous batch's table. Use inside a transaction (an upsert: COPY in, then one
    ``INSERT … SELECT … ON CONFLICT`` from it)."""
    quote = connection.ops.quote_name
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{quote(name)}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {quote(name)} ON COMMIT DROP AS "
        f"SELECT {_quoted(columns)} FROM {quote(like)} WITH NO DATA"
    )
    yield quote(name)
