"""Reductions over many variable-length frame segments at once (no per-segment loop).

A set of segments (reps) is flattened into one index array; every statistic is a
sort or a ``reduceat`` over that array.
"""
from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Segments:
    """Inclusive frame ranges ``[start, end]`` flattened.

    Attributes
    ----------
    frame : ndarray, shape (N,), int
        Frame index of each flattened element.
    group : ndarray, shape (N,), int
        Segment number of each element, ``0 .. n-1``.
    n : int
        Number of segments.
    first : ndarray, shape (n,), int
        Position in the flat arrays where each segment begins.
    """

    frame: np.ndarray
    group: np.ndarray
    n: int
    first: np.ndarray  # position of each segment's first element, for ``ufunc.reduceat``

    @classmethod
    def from_bounds(cls, start: np.ndarray, end: np.ndarray) -> "Segments":
        start, end = np.asarray(start, np.int64), np.asarray(end, np.int64)
        lens = end - start + 1
        if (lens < 1).any():
            raise ValueError("segment end before start")
        first = np.cumsum(lens) - lens
        frame = np.arange(lens.sum()) - np.repeat(first - start, lens)
        return cls(frame, np.repeat(np.arange(len(lens)), lens), len(lens), first)


@dataclasses.dataclass(frozen=True)
class Sorted:
    """Values of each group sorted ascending; NaN groups are empty.

    ``value[offset[g] : offset[g] + count[g]]`` are group ``g``'s values and
    ``item`` their positions in the input.
    """

    value: np.ndarray
    item: np.ndarray
    offset: np.ndarray
    count: np.ndarray

    def quantile(self, q: float) -> np.ndarray:
        """Per-group quantile with linear interpolation (as ``np.percentile``), NaN if empty. Shape (n,)."""
        pos = (self.count - 1).clip(0) * q
        lo, frac = np.floor(pos).astype(np.int64), pos % 1
        hi = np.minimum(lo + 1, (self.count - 1).clip(0))
        v = np.append(self.value, np.nan)  # empty groups index past the end
        at = lambda k: v[np.where(self.count > 0, self.offset + k, len(self.value))]  # noqa: E731
        return at(lo) * (1 - frac) + at(hi) * frac

    def argmax(self) -> np.ndarray:
        """Input position of each group's largest value (the last among ties); -1 if empty."""
        pos = self.offset + self.count - 1
        return np.where(self.count > 0, self.item[pos.clip(0)] if self.item.size else -1, -1)

    def members(self, of: np.ndarray | None = None) -> list[np.ndarray]:
        """Input positions of each group in input order, or ``of[position]`` if ``of`` is given."""
        group = np.repeat(np.arange(len(self.count)), self.count)
        item = self.item[np.lexsort((self.item, group))]
        item = item if of is None else of[item]
        return [item[a:b] for a, b in zip(self.offset.tolist(), (self.offset + self.count).tolist())]


def sort_groups(value: np.ndarray, group: np.ndarray, mask: np.ndarray, n: int) -> Sorted:
    """Sort the masked ``value`` (N,) within ``group`` (N,) labels ``0 .. n-1``."""
    item = np.flatnonzero(mask & ~np.isnan(value))
    item = item[_group_order(value[item], group[item])]
    count = np.bincount(group[item], minlength=n)
    return Sorted(value[item], item, np.cumsum(count) - count, count)


def _group_order(value: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The order that sorts by ``group``, then by ``value``; ties keep their input order.

    One stable sort of ``group + value scaled into [0, 1)`` is ~5x faster than
    ``np.lexsort`` on long tracks. Values closer than ~1e-9 of their range may
    come out in input order: far below any measure's resolution.
    """
    if value.size == 0 or not np.isfinite(value).all():
        return np.lexsort((value, group))
    v = value.astype(np.float64)
    lo, span = v.min(), float(v.max() - v.min())
    return np.argsort(group + (v - lo) / (span * (1 + 1e-9) + 1e-300), kind="stable")
