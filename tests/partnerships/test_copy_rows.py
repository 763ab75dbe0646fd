"""The candidates' binary COPY rows, decoded field by field (no database)."""

import json
import struct

import numpy as np

from partnerships.overlap.selection import Selection
from partnerships.overlap.writing import CANDIDATE_COLUMNS, _binary_copy_rows


def selection_of(shared: list[list[int]]) -> Selection:
    rows = len(shared)
    part = Selection.empty(kept=len(shared[0]))
    values = {field: getattr(part, field) for field in part.__dataclass_fields__}
    columns = {
        name: np.arange(1, rows + 1, dtype=array.dtype) * (3 if name == "dst" else 1)
        if array.ndim == 1
        else array
        for name, array in values.items()
    }
    columns["src"] = np.arange(1, rows + 1, dtype=np.int64)
    columns["overlap"] = np.linspace(0.1, 0.9, rows)
    columns["shared"] = np.array(shared, dtype=np.int64)
    return Selection(**columns)


def decode(payload: bytes) -> list[list[bytes]]:
    rows, at = [], 0
    while at < len(payload):
        (fields,) = struct.unpack_from(">h", payload, at)
        at += 2
        row = []
        for _ in range(fields):
            (length,) = struct.unpack_from(">i", payload, at)
            row.append(payload[at + 4 : at + 4 + length])
            at += 4 + length
        rows.append(row)
    return rows


def test_each_row_carries_its_fields_and_its_shared_outcomes_as_json():
    shared = [[7, 1200345, -1], [-1, -1, -1], [0, -1, 99], [5, 5, 5]]
    part = selection_of(shared)
    rows = decode(_binary_copy_rows(42, part))
    assert len(rows) == 4
    for i, row in enumerate(rows):
        assert len(row) == len(CANDIDATE_COLUMNS)
        assert struct.unpack(">q", row[0])[0] == 42  # run_id
        assert struct.unpack(">q", row[1])[0] == part.src[i]
        assert struct.unpack(">q", row[2])[0] == part.dst[i]
        assert struct.unpack(">d", row[3])[0] == part.overlap[i]
        version, text = row[-1][0], row[-1][1:].decode()
        assert version == 1  # jsonb's binary format: a version byte, then the text
        ids = [v for v in shared[i] if v >= 0]
        assert json.loads(text) == ids
        assert text == json.dumps(ids, separators=(",", ":"))
