"""Each row's best partners from a sparse product, without building the product: a compiled
(Numba) kernel. Pure core: arrays in, arrays out.

``top_n_product(A, Bt, n, keys=…)`` gives, for every row ``i`` of ``A``, the ``n`` columns ``j`` of
``A · Bt`` with the largest values above ``threshold`` — ties in value going to the column with
the lower ``keys[j]`` (the partners' rank by name, as everywhere else in the choice), so the
result is a function of the registry, not of the order of its rows. It replaced
``sparse_dot_topn.sp_matmul_topn`` (issue 22), which computes the same sums (the same single
precision products added in the same order: identical values) but was 75 % of the overlap job's
CPU on registries with hub outcomes, and chose arbitrarily among equal values at the n-th place.

Why it is faster there. A row holding an outcome that a third of the registry also holds touches
about half of all columns. ``sp_matmul_topn`` links every touched column into a list, walks it
(one dependent memory read per column) and pushes every value into a vector before a partial
sort. Here a row whose work is at least an eighth of the columns is accumulated into a dense
array and read back in blocks of 64: the n-th largest block maximum is a floor that at least n
values reach, so only blocks whose maximum reaches it are read value by value, into a heap of n.
Rows with little work keep a list of the columns they touch, as the library does.

The kernel is compiled on first use (a few seconds) and cached on disk (:mod:`.kernels`), so
each machine compiles it once. It releases
the GIL: ``threads`` Python threads each take ranges of rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from .kernels import compiled

# Rows per task handed to a thread: small enough to balance rows of very different work.
ROWS_PER_TASK = 512


def _canonical(matrix) -> sp.csr_matrix:
    """``matrix`` as single-precision CSR with sorted, unique indices, copied only when it must
    change (never changing the caller's)."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sum_duplicates()
    return matrix


def top_n_product(
    a: sp.csr_matrix,
    b: sp.csr_matrix,
    top_n: int,
    *,
    keys: np.ndarray,
    threshold: float = 0.0,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``top_n`` largest entries of ``a @ b`` above ``threshold`` as (rows, columns,
    values), rows ascending; among equal values the columns with lower ``keys`` first.

    ``a`` (rows × k) and ``b`` (k × columns) are CSR matrices of positive single-precision values
    (interest is positive: a sum of products is 0 only where nothing was added).
    """
    a, b = (_canonical(m) for m in (a, b))
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"Shapes {a.shape} and {b.shape} cannot be multiplied.")
    if len(keys) != b.shape[1]:
        raise ValueError(f"{len(keys)} keys for {b.shape[1]} columns.")
    if np.any(a.data < 0) or np.any(b.data < 0):
        raise ValueError("The matrices' values must not be negative.")
    rows, top_n = a.shape[0], max(0, min(int(top_n), b.shape[1]))
    if not rows or not top_n or not a.nnz or not b.nnz:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    out_cols = np.zeros((rows, top_n), dtype=np.int32)
    out_vals = np.zeros((rows, top_n), dtype=np.float32)
    out_counts = np.zeros(rows, dtype=np.int64)
    # Imported on first use: Numba costs half a second to import (:mod:`.kernels`).
    kernel = compiled("_topn_kernel").rows_top_n
    arguments = (
        a.indptr.astype(np.int64), a.indices.astype(np.int32), a.data,
        b.indptr.astype(np.int64), b.indices.astype(np.int32), b.data,
        np.ascontiguousarray(keys, dtype=np.int64), top_n, float(threshold),
        out_cols, out_vals, out_counts,
    )  # fmt: skip

    def run(start: int) -> None:
        kernel(start, min(start + ROWS_PER_TASK, rows), *arguments)

    starts = range(0, rows, ROWS_PER_TASK)
    if threads and threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(run, starts))
    else:
        for start in starts:
            run(start)
    kept = np.arange(top_n)[None, :] < out_counts[:, None]
    # Within a row, best first (value descending, key ascending): the heap holds them unordered.
    row_of = np.repeat(np.arange(rows, dtype=np.int64), out_counts)
    columns = out_cols[kept].astype(np.int64)
    values = out_vals[kept]
    order = np.lexsort((keys[columns], -values, row_of))
    return row_of[order], columns[order], values[order]
