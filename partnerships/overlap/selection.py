"""Scored pairs held column-wise (:class:`Selection`): what the computation returns, what chunks
keep between steps and what the write phase stores. Pure: no Django, no database."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, fields
from typing import Any

import numpy as np


@dataclass
class Selection:
    """Scored pairs, column-wise. Directed (``src`` chose ``dst``) until :func:`merge_pairs`,
    after which ``src < dst`` and each unordered pair appears once."""

    src: np.ndarray  # int64 stakeholder ids
    dst: np.ndarray
    overlap: np.ndarray  # float64
    complementarity: np.ndarray
    inclusion: np.ndarray
    score: np.ndarray  # the priority
    likelihood: np.ndarray
    power_interest: np.ndarray
    kind_affinity: np.ndarray  # float64: the kind factor (how often their kinds work together)
    shared_partners: np.ndarray  # int32: public actors tied to both
    needed: np.ndarray  # uint16 bit sets
    brings_src: np.ndarray
    brings_dst: np.ndarray
    shared_count: np.ndarray  # int32
    shared: np.ndarray  # int64 (pairs, kept), outcome ids by weight in the overlap, -1 padded
    audiences: np.ndarray  # uint8 bit flags: PUBLIC_SET, CLEARED_SET (see the module docstring)

    def __len__(self) -> int:
        return len(self.src)

    def release(self, name: str) -> None:
        """Replace a column by an empty one of its type, so that its memory is freed (a slice
        such as ``values[:0]`` would keep the whole buffer alive as its base)."""
        values = getattr(self, name)
        setattr(self, name, np.empty((0, *values.shape[1:]), dtype=values.dtype))

    def take(self, index) -> Selection:
        return Selection(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def empty(cls, kept: int = 1) -> Selection:
        return cls(
            src=np.zeros(0, np.int64), dst=np.zeros(0, np.int64),
            overlap=np.zeros(0), complementarity=np.zeros(0), inclusion=np.zeros(0),
            score=np.zeros(0), likelihood=np.zeros(0), power_interest=np.zeros(0),
            kind_affinity=np.zeros(0), shared_partners=np.zeros(0, np.int32),
            needed=np.zeros(0, np.uint16),
            brings_src=np.zeros(0, np.uint16),
            brings_dst=np.zeros(0, np.uint16), shared_count=np.zeros(0, np.int32),
            shared=np.zeros((0, kept), np.int64), audiences=np.zeros(0, np.uint8),
        )  # fmt: skip

    @classmethod
    def concatenate(
        cls, parts: list[Selection], kept: int = 1, *, consume: bool = False
    ) -> Selection:
        """The parts one after the other. With ``consume`` each part's column is released once
        it is copied, so that the parts and the whole are never all in memory at once."""
        parts = [part for part in parts if len(part)]
        if not parts:
            return cls.empty(kept)
        columns = {}
        for f in fields(cls):
            columns[f.name] = np.concatenate([getattr(p, f.name) for p in parts])
            if consume:
                for part in parts:
                    part.release(f.name)
        return cls(**columns)

    def to_bytes(self) -> bytes:
        """The columns as one ``.npz`` payload, each in the narrowest type that holds its values
        exactly (ids and outcome ids as int32 when they fit, the 0/1 inclusion as uint8),
        compressed with zlib at level 1: :meth:`from_bytes` restores the usual types. A chunk's
        result travels through the database to the finaliser, where every byte costs (issue 22:
        85 MB at 20,000 actors took 10–18 s to store); narrowed, it is about 40 % smaller, and
        compressed 60 % smaller again (64.7 → 25.6 MB at 20,000 actors, 0.7 s of CPU to compress,
        0.2 s to decompress; the run-length id columns and the few-valued ones shrink the most)."""
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {f.name: _narrowed(getattr(self, f.name)) for f in fields(self)}
        np.savez(buffer, **arrays)
        return zlib.compress(buffer.getbuffer(), COMPRESSION_LEVEL)

    @classmethod
    def from_bytes(cls, payload: bytes) -> Selection:
        # A bare .npz (a zip file: "PK") is what this wrote before it compressed.
        if bytes(payload[:2]) != b"PK":
            payload = zlib.decompress(payload)
        arrays = np.load(io.BytesIO(payload))
        usual = cls.empty()
        return cls(
            **{
                f.name: arrays[f.name].astype(getattr(usual, f.name).dtype, copy=False)
                for f in fields(cls)
            }
        )


# zlib's fastest level: the higher ones cost several times the CPU for a few per cent less.
COMPRESSION_LEVEL = 1


_INT32 = np.iinfo(np.int32)


def _narrowed(values: np.ndarray) -> np.ndarray:
    """``values`` as int32 (64-bit integers that fit) or uint8 (floats that are all 0 or 1),
    else unchanged: lossless either way."""
    if not values.size:
        return values
    if values.dtype.kind in "iu" and values.dtype.itemsize > 4:
        if _INT32.min <= values.min() and values.max() <= _INT32.max:
            return values.astype(np.int32)
    elif values.dtype.kind == "f" and np.all((values == 0) | (values == 1)):
        return values.astype(np.uint8)
    return values
