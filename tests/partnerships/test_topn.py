"""The top-n product kernel against the plain product, sorted (no database)."""

import os

import numpy as np
import pytest
import scipy.sparse as sp

from partnerships.overlap._topn_kernel import DENSE_SHARE
from partnerships.overlap.kernels import kernels_warm
from partnerships.overlap.topn import top_n_product


def brute_force(a, b, top_n, keys, threshold):
    """Each row's best ``top_n`` entries of the dense product: value descending, key ascending."""
    product = (a @ b).toarray().astype(np.float32)
    rows, columns, values = [], [], []
    for i, row in enumerate(product):
        above = np.flatnonzero(row > threshold)
        order = above[np.lexsort((keys[above], -row[above]))][:top_n]
        rows += [i] * len(order)
        columns += order.tolist()
        values += row[order].tolist()
    return np.array(rows), np.array(columns), np.array(values, dtype=np.float32)


def registry_like(rng, rows, columns, outcomes, hubs):
    """Interest-like matrices: few outcomes per row, ``hubs`` outcomes held by half the columns,
    values on a coarse grid so that equal sums (ties at the n-th place) are common."""
    a = sp.random(rows, outcomes, density=3 / outcomes, random_state=rng, format="csr")
    b = sp.random(outcomes, columns, density=3 / outcomes, random_state=rng, format="lil")
    for hub in range(hubs):
        b[hub, rng.choice(columns, columns // 2, replace=False)] = 1.0
    b = b.tocsr()
    for matrix in (a, b):
        matrix.data = (np.ceil(matrix.data * 4) / 4).astype(np.float32)
    return a.astype(np.float32), b.astype(np.float32)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("hubs", [0, 2])
def test_the_kernel_keeps_exactly_the_best_entries_and_breaks_ties_by_key(seed, hubs):
    rng = np.random.default_rng(seed)
    a, b = registry_like(rng, rows=300, columns=700, outcomes=60, hubs=hubs)
    keys = rng.permutation(700)
    for top_n, threshold in ((5, 0.0), (30, 0.0), (12, 0.6)):
        expected = brute_force(a, b, top_n, keys, threshold)
        for threads in (1, 3):
            got = top_n_product(a, b, top_n, keys=keys, threshold=threshold, threads=threads)
            for want, have in zip(expected, got, strict=True):
                np.testing.assert_array_equal(want, have)


def test_both_paths_of_the_kernel_are_taken_and_agree():
    # Row 0 touches every column (dense path), row 1 a single one (sparse path).
    rng = np.random.default_rng(7)
    columns = 64 * DENSE_SHARE * 2
    b = sp.csr_matrix(
        np.vstack([np.full(columns, 0.5), (np.arange(columns) == 3) * 1.0]), dtype=np.float32
    )
    a = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]), dtype=np.float32)
    keys = rng.permutation(columns)
    rows, cols, values = top_n_product(a, b, 4, keys=keys)
    # Every column ties in row 0: the four lowest keys win.
    np.testing.assert_array_equal(cols[rows == 0], np.argsort(keys)[:4])
    np.testing.assert_array_equal(values[rows == 0], [0.5] * 4)
    np.testing.assert_array_equal(cols[rows == 1], [3])


def test_wrong_shapes_and_negative_values_are_refused():
    a = sp.csr_matrix(np.ones((2, 3)), dtype=np.float32)
    with pytest.raises(ValueError, match="cannot be multiplied"):
        top_n_product(a, sp.csr_matrix(np.ones((2, 3))), 2, keys=np.arange(3))
    with pytest.raises(ValueError, match="keys"):
        top_n_product(a, sp.csr_matrix(np.ones((3, 4))), 2, keys=np.arange(3))
    with pytest.raises(ValueError, match="negative"):
        top_n_product(a, sp.csr_matrix(-np.ones((3, 4))), 2, keys=np.arange(4))


def test_empty_inputs_give_no_entries():
    rows, cols, values = top_n_product(
        sp.csr_matrix((0, 3), dtype=np.float32),
        sp.csr_matrix(np.ones((3, 4)), dtype=np.float32),
        5,
        keys=np.arange(4),
    )
    assert len(rows) == len(cols) == len(values) == 0


def test_the_kernels_warm_up_with_the_types_the_job_calls_them_with():
    # The Docker image and bench_overlap call this before any run: a kernel whose warm-up
    # signature drifted from the job's would fail the image's build here first.
    assert kernels_warm() >= 0
    assert os.environ.get("NUMBA_CACHE_DIR")
