"""smartdiplomacy.bulk: COPY in and out and staged upserts, through both PostgreSQL drivers.

The database tests run through Django's connection (the driver installed: psycopg2 here); the
psycopg 3 branch is exercised with a cursor shaped like psycopg 3's, which checks that the same
SQL and the same bytes reach it. The whole file also passes with Django on psycopg 3:
``pip install --target /tmp/pg3 "psycopg[binary]==3.3.9"`` then
``PYTHONPATH=/tmp/pg3 python -m pytest tests/test_bulk.py`` (Django prefers psycopg 3 when present).
"""

import datetime
import io
import struct

import numpy as np
import pytest
from django.db import connection, transaction

from smartdiplomacy.bulk import copy_in, copy_out_csv, copy_rows_text, copy_text, staging_table

postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's (DATABASE_URL=postgres://...)"
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, r"\N"),
        (True, "t"),
        (np.False_, "f"),
        ("tab\there, back\\slash\nnew line\r", "tab\\there, back\\\\slash\\nnew line\\r"),
        (datetime.datetime(2026, 12, 3, 16, 5, tzinfo=datetime.UTC), "2026-12-03T16:05:00+00:00"),
        (datetime.date(2026, 12, 3), "2026-12-03"),
        (0.25, "0.25"),
        (np.float64(0.5), "0.5"),
        (7, "7"),
    ],
)
def test_copy_text(value, text):
    assert copy_text(value) == text


def test_copy_rows_text_is_one_line_per_row():
    assert copy_rows_text([(1, "a"), (2, None)]) == "1\ta\n2\t\\N\n"


AWKWARD = [
    (1, "tab\there", True, '{"k": "line\\nbreak"}'),
    (2, "back\\slash", False, None),
    (3, None, None, "[]"),
]


def _scratch(cursor) -> None:
    cursor.execute(
        "CREATE TEMPORARY TABLE bulk_scratch "
        "(id integer PRIMARY KEY, label text, flag boolean, doc jsonb) ON COMMIT DROP"
    )


@postgresql
@pytest.mark.django_db
def test_copy_in_text_round_trips_awkward_values():
    with transaction.atomic(), connection.cursor() as cursor:
        _scratch(cursor)
        copy_in(
            cursor,
            table="bulk_scratch",
            columns=["id", "label", "flag", "doc"],
            data=copy_rows_text(AWKWARD),
        )
        cursor.execute("SELECT id, label, flag, doc::text FROM bulk_scratch ORDER BY id")
        rows = cursor.fetchall()
    assert rows == [
        (1, "tab\there", True, '{"k": "line\\nbreak"}'),
        (2, "back\\slash", False, None),
        (3, None, None, "[]"),
    ]


def _binary_ints(values) -> bytes:
    """PostgreSQL's binary COPY format for one int4 column."""
    out = io.BytesIO()
    out.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0))
    for value in values:
        out.write(struct.pack("!hii", 1, 4, value))
    out.write(struct.pack("!h", -1))
    return out.getvalue()


@postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("as_file", [False, True])
def test_copy_in_binary_from_bytes_or_a_stream(as_file):
    data = _binary_ints([5, 6, 7])
    with transaction.atomic(), connection.cursor() as cursor:
        _scratch(cursor)
        copy_in(
            cursor,
            table="bulk_scratch",
            columns=["id"],
            data=io.BytesIO(data) if as_file else data,
            binary=True,
        )
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM bulk_scratch")
        assert cursor.fetchone()[0] == [5, 6, 7]


@postgresql
@pytest.mark.django_db
def test_copy_out_csv_reads_a_query():
    with transaction.atomic(), connection.cursor() as cursor:
        _scratch(cursor)
        copy_in(cursor, table="bulk_scratch", columns=["id", "label"], data="1\ta,b\n2\t\\N\n")
        text = copy_out_csv(cursor, "SELECT id, label FROM bulk_scratch ORDER BY id")
    assert text == '1,"a,b"\n2,\n'


@postgresql
@pytest.mark.django_db(transaction=True)  # a real commit, which drops the staging table
def test_an_upsert_staged_in_a_temporary_table_that_is_gone_after_commit():
    columns = ["id", "label", "flag", "doc"]
    with transaction.atomic(), connection.cursor() as cursor:
        _scratch(cursor)
        copy_in(cursor, table="bulk_scratch", columns=columns, data=copy_rows_text(AWKWARD[:2]))
        incoming = [(2, "changed", True, None), (4, "new", False, None)]
        with staging_table(cursor, name="bulk_batch", like="bulk_scratch", columns=columns) as t:
            copy_in(cursor, table="bulk_batch", columns=columns, data=copy_rows_text(incoming))
            cursor.execute(
                f"INSERT INTO bulk_scratch SELECT * FROM {t} "
                "ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, flag = EXCLUDED.flag"
            )
        cursor.execute("SELECT id, label, flag FROM bulk_scratch ORDER BY id")
        assert cursor.fetchall() == [
            (1, "tab\there", True),
            (2, "changed", True),
            (4, "new", False),
        ]
        # Staging again in the same transaction starts from an empty table.
        with staging_table(cursor, name="bulk_batch", like="bulk_scratch", columns=columns) as t:
            cursor.execute(f"SELECT count(*) FROM {t}")
            assert cursor.fetchone()[0] == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.bulk_batch')")
        assert cursor.fetchone()[0] is None


class Psycopg3Copy:
    def __init__(self, log, out):
        self.log, self.out = log, out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, data):
        self.log.append(data)

    def __iter__(self):
        return iter(self.out)


class Psycopg3Cursor:
    """What smartdiplomacy.bulk uses of psycopg 3's cursor: ``copy(sql)`` (no copy_expert)."""

    def __init__(self, out=()):
        self.sql, self.written, self.out = [], [], list(out)

    def copy(self, sql):
        self.sql.append(sql)
        return Psycopg3Copy(self.written, self.out)


@pytest.mark.parametrize(
    ("data", "binary", "written"),
    [
        ("1\ta\n", False, ["1\ta\n"]),
        (b"PGCOPY", True, [b"PGCOPY"]),
        (io.BytesIO(b"x" * 5), True, [b"xxxxx"]),
    ],
)
def test_psycopg3_gets_the_same_copy_in(data, binary, written):
    cursor = Psycopg3Cursor()
    copy_in(cursor, table="bulk_scratch", columns=["id", "label"], data=data, binary=binary)
    sql = 'COPY "bulk_scratch" ("id", "label") FROM STDIN'
    assert cursor.sql == [sql + (" WITH (FORMAT binary)" if binary else "")]
    assert cursor.written == written


def test_psycopg3_copy_out_joins_the_pieces():
    cursor = Psycopg3Cursor(out=[memoryview(b"1,a\n"), memoryview(b"2,\xc3\xa9\n")])
    assert copy_out_csv(cursor, "SELECT 1") == "1,a\n2,é\n"
    assert cursor.sql == ["COPY (SELECT 1) TO STDOUT WITH (FORMAT csv)"]
