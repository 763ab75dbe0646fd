"""The compiled half of :func:`.writing._binary_copy_rows` (Numba, compiled on first use and
cached on disk): each candidate row's fixed-width fields followed by its shared outcome ids as
JSON text, written straight into one buffer. Imported only by :mod:`.writing`, when a run's
candidates are first written."""

import numba
import numpy as np

COMMA, OPEN, CLOSE, ZERO = 44, 91, 93, 48


@numba.njit(nogil=True, cache=True, inline="always")
def _digits(value):
    count = 1
    while value >= 10:
        value //= 10
        count += 1
    return count


@numba.njit(nogil=True, cache=True)
def json_lengths(shared):
    """Bytes of each row's JSON list of its ids ≥ 0 (``[1,22]``: no spaces)."""
    rows, kept = shared.shape
    lengths = np.empty(rows, dtype=np.int64)
    for i in range(rows):
        length = 2
        present = 0
        for j in range(kept):
            if shared[i, j] >= 0:
                length += _digits(shared[i, j])
                present += 1
        lengths[i] = length + max(present - 1, 0)
    return lengths


@numba.njit(nogil=True, cache=True)
def pack(fixed, shared, out):
    """Each row of ``fixed`` (bytes) then its JSON text into ``out``; returns the bytes written."""
    rows, width = fixed.shape
    kept = shared.shape[1]
    position = 0
    for i in range(rows):
        out[position : position + width] = fixed[i]
        position += width
        out[position] = OPEN
        position += 1
        first = True
        for j in range(kept):
            value = shared[i, j]
            if value < 0:
                continue
            if not first:
                out[position] = COMMA
                position += 1
            first = False
            count = _digits(value)
            for k in range(count - 1, -1, -1):
                out[position + k] = ZERO + value % 10
                value //= 10
            position += count
        out[position] = CLOSE
        position += 1
    return position
