"""The compiled kernel behind :func:`.topn.top_n_product` (Numba, compiled on first use and
cached on disk). Imported only by :mod:`.topn`, when candidates are first computed."""

import numba
import numpy as np

# Read values one by one only in blocks whose maximum reaches the floor.
BLOCK = 64
# A row is accumulated densely when its work (products to add) reaches this share of the columns.
DENSE_SHARE = 8


@numba.njit(nogil=True, cache=True, inline="always")
def better(value_1, key_1, value_2, key_2):
    return value_1 > value_2 or (value_1 == value_2 and key_1 < key_2)


@numba.njit(nogil=True, cache=True, inline="always")
def offer(heap_v, heap_c, heap_k, size, top_n, value, column, key):
    """Keep the ``top_n`` best (value descending, key ascending) in a heap whose root is the
    worst kept; returns the heap's new size."""
    if size < top_n:
        i = size
        size += 1
        while i > 0:
            parent = (i - 1) >> 1
            if better(heap_v[parent], heap_k[parent], value, key):
                heap_v[i], heap_c[i], heap_k[i] = heap_v[parent], heap_c[parent], heap_k[parent]
                i = parent
            else:
                break
        heap_v[i], heap_c[i], heap_k[i] = value, column, key
        return size
    if not better(value, key, heap_v[0], heap_k[0]):
        return size
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        worse = left
        right = left + 1
        if right < size and better(heap_v[left], heap_k[left], heap_v[right], heap_k[right]):
            worse = right
        if better(value, key, heap_v[worse], heap_k[worse]):
            heap_v[i], heap_c[i], heap_k[i] = heap_v[worse], heap_c[worse], heap_k[worse]
            i = worse
        else:
            break
    heap_v[i], heap_c[i], heap_k[i] = value, column, key
    return size


@numba.njit(nogil=True, cache=True)
def rows_top_n(
    start, stop, a_indptr, a_indices, a_data, b_indptr, b_indices, b_data,
    keys, top_n, threshold, out_cols, out_vals, out_counts,
):  # fmt: skip
    ncols = keys.shape[0]
    sums = np.zeros(ncols, dtype=np.float32)
    touched = np.empty(ncols, dtype=np.int32)
    blocks = (ncols + BLOCK - 1) // BLOCK
    maxima = np.empty(blocks, dtype=np.float32)
    heap_v = np.empty(top_n, dtype=np.float32)
    heap_c = np.empty(top_n, dtype=np.int32)
    heap_k = np.empty(top_n, dtype=np.int64)
    dense_from = max(ncols // DENSE_SHARE, 1)
    for i in range(start, stop):
        work = 0
        for jj in range(a_indptr[i], a_indptr[i + 1]):
            outcome = a_indices[jj]
            work += b_indptr[outcome + 1] - b_indptr[outcome]
        size = 0
        if work >= dense_from:
            for jj in range(a_indptr[i], a_indptr[i + 1]):
                outcome = a_indices[jj]
                value = a_data[jj]
                for kk in range(b_indptr[outcome], b_indptr[outcome + 1]):
                    sums[b_indices[kk]] += value * b_data[kk]
            for block in range(blocks):
                low = block * BLOCK
                high = min(low + BLOCK, ncols)
                most = sums[low]
                for k in range(low + 1, high):
                    most = sums[k] if sums[k] > most else most
                maxima[block] = most
            # At least top_n values reach the top_n-th largest block maximum.
            if blocks > top_n:
                floor = np.partition(maxima, blocks - top_n)[blocks - top_n]
            else:
                floor = -np.inf
            for block in range(blocks):
                if maxima[block] >= floor and maxima[block] > threshold:
                    low = block * BLOCK
                    for k in range(low, min(low + BLOCK, ncols)):
                        value = sums[k]
                        if value >= floor and value > threshold:
                            size = offer(heap_v, heap_c, heap_k, size, top_n, value, k, keys[k])
            sums[:] = 0.0
        else:
            count = 0
            for jj in range(a_indptr[i], a_indptr[i + 1]):
                outcome = a_indices[jj]
                value = a_data[jj]
                for kk in range(b_indptr[outcome], b_indptr[outcome + 1]):
                    k = b_indices[kk]
                    if sums[k] == 0.0:  # products are positive: 0 means untouched
                        touched[count] = k
                        count += 1
                    sums[k] += value * b_data[kk]
            for q in range(count):
                k = touched[q]
                value = sums[k]
                sums[k] = 0.0
                if value > threshold:
                    size = offer(heap_v, heap_c, heap_k, size, top_n, value, k, keys[k])
        for q in range(size):
            out_cols[i, q] = heap_c[q]
            out_vals[i, q] = heap_v[q]
        out_counts[i] = size
