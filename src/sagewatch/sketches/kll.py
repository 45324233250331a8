"""Deterministic KLL quantile sketches in the shape SageMaker's ``statistics.json`` stores them.

A :class:`KllDistribution` is an immutable KLL sketch (Karnin, Lang and Liberty, "Optimal Quantile
Approximation in Streams", FOCS 2016): compactor levels of sorted items, level *i* holding items of
weight ``2**i``, exactly the ``sketch.data`` layout of a SageMaker file (contract §3.1), with
SageMaker's parameters ``k = 2048`` and ``c = 0.64`` (level capacities ``ceil(k * c**depth)``).

We write our own instead of using Apache DataSketches' ``kll_doubles_sketch`` because the contract
demands the same bytes for the same input and DataSketches compacts with unseeded random bits (its
Python binding offers no seed); the random bit of each compaction here is a hash of the compacted
items, their level and the sketch's count, so every sketch is a pure function of its input. Its rank
error is checked against DataSketches' bound (``get_normalized_rank_error``) in the tests.

Everything is vectorised: a chunk of values is sorted once and compacted level by level with
strided slices (a loop over levels, never over items).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np
from datasketches import kll_doubles_sketch

from sagewatch.defaults import KLL_C, KLL_K, KLL_MIN_LEVEL_WIDTH
from sagewatch.errors import SagewatchError

__all__ = ["KllDistribution", "SketchInvariantError", "KLL_K", "KLL_C"]

_EMPTY = np.empty(0, dtype=np.float64)
_EMPTY.flags.writeable = False
_PROBES = 16  # items hashed per compaction to draw its random bits


class SketchInvariantError(SagewatchError):
    """A sketch whose weights do not add up to its count: an internal error, never a file to write."""


@lru_cache(maxsize=64)
def _capacities(num_levels: int, k: int) -> tuple[int, ...]:
    """Level capacities ``max(8, ceil(k * c**depth))``, depth counted from the top level.

    Exact rational arithmetic (c = 0.64 = 16/25): no platform's ``pow`` can move a capacity.
    """
    c = Fraction(str(KLL_C))
    caps = []
    for level in range(num_levels):
        depth = num_levels - level - 1
        caps.append(max(KLL_MIN_LEVEL_WIDTH, math.ceil(k * c ** depth)))
    return tuple(caps)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _random_bits(items: np.ndarray, level: int, n: int) -> int:
    """64 pseudo-random bits that depend only on the items being compacted, their level and ``n``."""
    size = items.size
    probes = items[(np.arange(min(size, _PROBES)) * (size - 1)) // max(min(size, _PROBES) - 1, 1)]
    digest = hashlib.blake2b(np.ascontiguousarray(probes, dtype="<f8").tobytes()
                             + f"{level}:{size}:{n}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _compact(items: np.ndarray, level: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Halve a sorted level: every other item (random offset) moves up with double weight.

    With an odd count one item stays behind (the first or the last, also at random). For any
    split point the rank changes by 0 or +-2**level, with mean 0 over the random offset.
    """
    bits = _random_bits(items, level, n)
    stay = _EMPTY
    if items.size % 2:
        if bits & 2:
            stay, items = items[:1].copy(), items[1:]
        else:
            stay, items = items[-1:].copy(), items[:-1]
    return stay, items[bits & 1::2].copy()


def _merge_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not a.size:
        return b
    if not b.size:
        return a
    both = np.concatenate([a, b])
    both.sort(kind="stable")  # timsort: two sorted runs merge in linear time
    return both


def _compress(levels: list[np.ndarray], k: int, n: int) -> list[np.ndarray]:
    """Compact the lowest full level until the sketch fits its total capacity (KLL's lazy compression)."""
    while True:
        caps = _capacities(len(levels), k)
        if sum(level.size for level in levels) <= sum(caps):
            return levels
        h = next(i for i, level in enumerate(levels) if level.size >= caps[i])
        if h + 1 == len(levels):
            levels.append(_EMPTY)
        stay, promoted = _compact(levels[h], h, n)
        levels[h] = stay
        levels[h + 1] = _merge_sorted(levels[h + 1], promoted)


@dataclass(frozen=True, eq=False)
class KllDistribution:
    """An immutable, mergeable KLL sketch: sorted items per level, level *i* of weight ``2**i``.

    ``merge`` is pure and associative within the sketch's rank error; ``zero()`` is its identity.
    ``n`` is the number of values summarised; the level weights always add up to it (checked on
    construction, :class:`SketchInvariantError` otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> dist = KllDistribution.from_values(np.arange(10.0))
    >>> dist.n, dist.levels()[0][:3]
    (10, [0.0, 1.0, 2.0])
    >>> float(dist.get_cdf([4.5])[0])
    0.5
    >>> big = KllDistribution.from_values(np.arange(1e6)).merge(KllDistribution.from_values(np.arange(1e6)))
    >>> big.n, big.num_retained < 7000, abs(float(big.get_cdf([5e5])[0]) - 0.5) < big.normalized_rank_error()
    (2000000, True, True)
    """

    compactors: tuple[np.ndarray, ...]  # level 0 first; each sorted, read-only float64
    n: int
    k: int = KLL_K

    def __post_init__(self) -> None:
        weight = sum(level.size << i for i, level in enumerate(self.compactors))
        if weight != self.n:
            raise SketchInvariantError(
                f"KLL sketch weights add up to {weight} but the sketch summarises {self.n} values")
        if self.compactors:
            items = np.concatenate(self.compactors)
            weights = np.concatenate([np.full(level.size, 1 << i, dtype=np.int64)
                                      for i, level in enumerate(self.compactors)])
            order = np.argsort(items, kind="stable")
            items, weights = items[order], weights[order]
        else:
            items, weights = _EMPTY, np.empty(0, dtype=np.int64)
        object.__setattr__(self, "items", _frozen(items))
        object.__setattr__(self, "weights", _frozen(weights))

    items: np.ndarray = field(init=False, repr=False)  # all retained items, sorted
    weights: np.ndarray = field(init=False, repr=False)  # their weights (int64), same order

    # -- construction -------------------------------------------------------------------
    @classmethod
    def zero(cls, k: int = KLL_K) -> KllDistribution:
        """The empty sketch, identity of :meth:`merge`."""
        return cls((), 0, k)

    @classmethod
    def from_values(cls, values: Sequence[float] | np.ndarray, k: int = KLL_K) -> KllDistribution:
        """Sketch a chunk of values (NaN ignored, ``-0.0`` stored as ``0.0``)."""
        array = np.asarray(values, dtype=np.float64)
        array = array[~np.isnan(array)]
        return cls.from_sorted(np.sort(array), k)

    @classmethod
    def from_sorted(cls, values: np.ndarray, k: int = KLL_K) -> KllDistribution:
        """Sketch values already sorted ascending and free of NaN (not checked)."""
        values = np.asarray(values, dtype=np.float64)
        if not values.size:
            return cls.zero(k)
        level0 = values + 0.0  # a private copy; -0.0 + 0.0 is 0.0, so the bytes do not depend on signs of zero
        levels = _compress([level0], k, int(values.size))
        return cls(tuple(_frozen(level) for level in levels), int(values.size), k)

    @classmethod
    def from_levels(cls, levels: Sequence[Sequence[float]], k: int = KLL_K) -> KllDistribution:
        """Rebuild from ``sketch.data`` of a SageMaker ``statistics.json`` (levels are sorted here)."""
        # + 0.0: a -0.0 in a file becomes 0.0, so the sort's order of zeros cannot depend on the CPU
        arrays = tuple(_frozen(np.sort(np.asarray(level, dtype=np.float64) + 0.0)) for level in levels)
        n = sum(level.size << i for i, level in enumerate(arrays))
        return cls(arrays, n, int(k))

    @classmethod
    def from_datasketches(cls, sketch: kll_doubles_sketch) -> KllDistribution:
        """Read a DataSketches KLL sketch through its CDF, the part of its API that stays right.

        Iterating a DataSketches 5.2 sketch after ``merge`` reports weight 1 for every item, so the
        weights come from ``get_cdf`` at the distinct retained items instead; each weight is split
        into its binary digits to give the levels. The weights must add up to ``sketch.n``.
        """
        if sketch.is_empty():
            return cls.zero(int(sketch.k))
        items = np.unique(np.fromiter((item for item, _ in sketch), dtype=np.float64))
        cumulative = np.rint(np.asarray(sketch.get_cdf(items.tolist(), inclusive=True))[:-1] * sketch.n)
        weights = np.diff(np.concatenate([[0.0], cumulative])).astype(np.int64)
        if weights.sum() != sketch.n or (weights <= 0).any():
            raise SketchInvariantError(
                f"DataSketches KLL sketch: weights from its CDF add up to {int(weights.sum())}, not n = {sketch.n}")
        if not sketch.is_estimation_mode():  # every value is still there, each of weight 1
            levels = [np.repeat(items, weights)]
        else:
            levels = [items[(weights >> i) & 1 == 1] for i in range(int(weights.max()).bit_length())]
        return cls(tuple(_frozen(level) for level in levels), int(sketch.n), int(sketch.k))

    # -- monoid -------------------------------------------------------------------------
    def merge(self, other: KllDistribution) -> KllDistribution:
        """A sketch of both inputs' values; neither input changes."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        k = min(self.k, other.k)
        depth = max(len(self.compactors), len(other.compactors))
        levels = [_merge_sorted(self._level(i), other._level(i)) for i in range(depth)]
        n = self.n + other.n
        levels = _compress(levels, k, n)
        return KllDistribution(tuple(_frozen(level) for level in levels), n, k)

    __add__ = merge

    def _level(self, i: int) -> np.ndarray:
        return self.compactors[i] if i < len(self.compactors) else _EMPTY

    # -- queries ------------------------------------------------------------------------
    @property
    def num_retained(self) -> int:
        return int(self.items.size)

    def is_empty(self) -> bool:
        return self.n == 0

    def is_estimation_mode(self) -> bool:
        """True once values were compacted (the sketch no longer holds every value)."""
        return self.num_retained < self.n

    def __iter__(self) -> Iterator[tuple[float, int]]:
        return zip(self.items.tolist(), self.weights.tolist())

    def levels(self) -> list[list[float]]:
        """``sketch.data`` of ``statistics.json``: the items of each level, level 0 first, ascending."""
        return [level.tolist() for level in self.compactors]

    def get_cdf(self, split_points: Sequence[float] | np.ndarray, inclusive: bool = False) -> np.ndarray:
        """Share of the weight below (or at, when ``inclusive``) each split point; NaN when empty."""
        points = np.asarray(split_points, dtype=np.float64)
        if self.is_empty():
            return np.full(points.shape, np.nan)
        cumulative = np.concatenate([[0], np.cumsum(self.weights)])
        side = "right" if inclusive else "left"
        return cumulative[np.searchsorted(self.items, points, side=side)] / cumulative[-1]

    def get_quantiles(self, ranks: Sequence[float] | np.ndarray) -> np.ndarray:
        """Items at the given normalized ranks (inclusive definition, as DataSketches)."""
        ranks = np.asarray(ranks, dtype=np.float64)
        if self.is_empty():
            return np.full(ranks.shape, np.nan)
        cumulative = np.cumsum(self.weights) / self.n
        idx = np.searchsorted(cumulative, ranks, side="left")
        return self.items[np.clip(idx, 0, self.items.size - 1)]

    def normalized_rank_error(self, pmf: bool = False) -> float:
        """DataSketches' 99%-confidence bound on the rank error for this ``k``."""
        return float(kll_doubles_sketch.get_normalized_rank_error(self.k, pmf))

    def to_datasketches(self) -> kll_doubles_sketch:
        """A DataSketches sketch of the same distribution (items repeated by weight; for comparisons)."""
        sketch = kll_doubles_sketch(self.k)
        if not self.is_empty():
            sketch.update(np.repeat(self.items, self.weights))
        return sketch

    def __repr__(self) -> str:
        return f"KllDistribution(n={self.n}, k={self.k}, levels={[level.size for level in self.compactors]})"
