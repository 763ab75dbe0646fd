"""The overlap job's compiled kernels (Numba): where their compiled code is cached, and warming
them. :mod:`._topn_kernel` (the shortlist's top-n product, :mod:`.topn`) and :mod:`._copy_kernel`
(the candidates' COPY rows, :mod:`.writing`) are imported only when first used: Numba costs half
a second to import, which pages and commands that never compute candidates should not pay.
Each is compiled once per machine (a few seconds) and then loaded from the disk cache."""

from __future__ import annotations

import functools
import importlib
import os
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np


def numba_cache_dir_default() -> None:
    """Where compiled kernels are cached unless ``NUMBA_CACHE_DIR`` says: a folder in the
    temporary directory (the code's own folder may be read-only). Call before importing Numba."""
    os.environ.setdefault(
        "NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "smartdiplomacy-numba")
    )


@functools.cache
def compiled(name: str) -> ModuleType:
    """The kernels' module ``name`` (``"_topn_kernel"``, ``"_copy_kernel"``), imported on first
    use with the disk cache set."""
    numba_cache_dir_default()
    return importlib.import_module(f"{__package__}.{name}")


def kernels_warm() -> float:
    """Compile (or load from the disk cache) every kernel now; returns the seconds it took: about
    ten the first time on a machine, well under one after."""
    started = time.perf_counter()
    _copy_kernel, _topn_kernel = compiled("_copy_kernel"), compiled("_topn_kernel")
    one = np.ones(1, dtype=np.float32)
    index = np.zeros(2, dtype=np.int64)
    _topn_kernel.rows_top_n(
        0, 1, np.array([0, 1]), index[:1].astype(np.int32), one,
        np.array([0, 1]), index[:1].astype(np.int32), one, index[:1], 1, 0.0,
        np.zeros((1, 1), np.int32), np.zeros((1, 1), np.float32), np.zeros(1, np.int64),
    )  # fmt: skip
    shared = np.zeros((1, 1), dtype=np.int64)
    _copy_kernel.pack(np.zeros((1, 1), np.uint8), shared, np.zeros(4, np.uint8))
    _copy_kernel.json_lengths(shared)
    return round(time.perf_counter() - started, 3)
