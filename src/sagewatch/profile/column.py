"""Immutable, mergeable per-column profiles (a monoid: ``zero()``, ``merge()``, ``+``)."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

import numpy as np
from datasketches import kll_doubles_sketch

from sagewatch.defaults import MAX_TRACKED_VALUES
from sagewatch.profile.infer import TypedChunk, column_type
from sagewatch.sketches.kll import KllDistribution, copy_sketch, merge_sketches, new_sketch

__all__ = ["ColumnProfile", "merge_moments"]

Sketch = kll_doubles_sketch | KllDistribution
_UNSET = object()


def merge_moments(*, n_a: int, mean_a: float, m2_a: float, n_b: int, mean_b: float, m2_b: float
                  ) -> tuple[int, float, float]:
    """Combine count, mean and sum of squared deviations of two samples.

    Chan, Golub and LeVeque (1979), "Updating formulae and a pairwise algorithm for
    computing sample variances", eq. 2.1b.

    >>> merge_moments(n_a=2, mean_a=1.5, m2_a=0.5, n_b=2, mean_b=3.5, m2_b=0.5)
    (4, 2.5, 5.0)
    """
    n = n_a + n_b
    if n == 0:
        return 0, 0.0, 0.0
    if n_a == 0:
        return n_b, mean_b, m2_b
    if n_b == 0:
        return n_a, mean_a, m2_a
    delta = mean_b - mean_a
    return n, mean_a + delta * n_b / n, m2_a + m2_b + delta * delta * n_a * n_b / n


def _merge_counts(a: Mapping[str, int], b: Mapping[str, int]) -> tuple[dict[str, int], bool]:
    merged = dict(a)
    for key, count in b.items():
        merged[key] = merged.get(key, 0) + count
    if len(merged) <= MAX_TRACKED_VALUES:
        return merged, False
    kept = heapq.nlargest(MAX_TRACKED_VALUES, merged.items(), key=lambda kv: (kv[1], kv[0]))
    return dict(kept), True


@dataclass(frozen=True, eq=False)
class ColumnProfile:
    """Summary of one column: typed counts, moments, a KLL sketch and string value counts.

    ``merge`` is pure, associative (exactly for counts and moments, within sketch error for
    quantiles) and has ``zero`` as identity.
    """

    name: str
    n_missing: int = 0
    n_integral: int = 0
    n_fractional: int = 0
    n_string: int = 0
    n_numeric: int = 0
    total: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    sketch: Sketch | None = None
    counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    counts_truncated: bool = False

    # -- construction -------------------------------------------------------------------
    @classmethod
    def zero(cls, name: str) -> ColumnProfile:
        return cls(name)

    @classmethod
    def from_chunk(cls, name: str, chunk: TypedChunk) -> ColumnProfile:
        numbers = chunk.numbers
        n = int(numbers.size)
        sketch = None
        mean = m2 = total = 0.0
        lo, hi = math.inf, -math.inf
        if n:
            # Sorted input makes DataSketches' KLL update ~5x faster (compaction of sorted runs), and
            # KLL's error guarantee holds for any stream order; np.sort also hands over the writeable
            # float64 copy the binding requires, and gives min and max for free.
            ordered = np.sort(numbers)
            sketch = new_sketch()
            sketch.update(ordered)
            total = float(ordered.sum())
            mean = total / n
            centred = ordered - mean
            m2 = float(np.dot(centred, centred))
            lo, hi = float(ordered[0]), float(ordered[-1])
        counts: dict[str, int] = {}
        truncated = False
        if chunk.value_counts:
            counts, truncated = _merge_counts({}, chunk.value_counts)
        return cls(name, chunk.n_missing, chunk.n_integral, chunk.n_fractional, chunk.n_string, n, total,
                   mean, m2, lo, hi, sketch, MappingProxyType(counts), truncated)

    # -- monoid -------------------------------------------------------------------------
    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """A new profile of both inputs' data; the inputs are unchanged."""
        n, mean, m2 = merge_moments(n_a=self.n_numeric, mean_a=self.mean, m2_a=self.m2,
                                    n_b=other.n_numeric, mean_b=other.mean, m2_b=other.m2)
        counts, truncated = _merge_counts(self.counts, other.counts)
        return replace(
            self,
            n_missing=self.n_missing + other.n_missing,
            n_integral=self.n_integral + other.n_integral,
            n_fractional=self.n_fractional + other.n_fractional,
            n_string=self.n_string + other.n_string,
            n_numeric=n, total=self.total + other.total, mean=mean, m2=m2,
            minimum=min(self.minimum, other.minimum), maximum=max(self.maximum, other.maximum),
            sketch=_merge_sketch(self.sketch, other.sketch),
            counts=MappingProxyType(counts),
            counts_truncated=truncated or self.counts_truncated or other.counts_truncated,
        )

    __add__ = merge

    # -- derived values -----------------------------------------------------------------
    @property
    def n_present(self) -> int:
        return self.n_integral + self.n_fractional + self.n_string

    @property
    def n_rows(self) -> int:
        return self.n_present + self.n_missing

    @property
    def inferred_type(self) -> str:
        return column_type(self.n_integral, self.n_fractional, self.n_string)

    @property
    def std_dev(self) -> float:
        """Population standard deviation, as Deequ's ``StandardDeviation``."""
        return math.sqrt(self.m2 / self.n_numeric) if self.n_numeric else 0.0

    @property
    def completeness(self) -> float:
        return self.n_present / self.n_rows if self.n_rows else 0.0

    def distribution(self) -> KllDistribution | None:
        """The sketch as a :class:`KllDistribution` (computed once per profile)."""
        cached = self.__dict__.get("_distribution", _UNSET)
        if cached is not _UNSET:
            return cached
        result = self._make_distribution()
        object.__setattr__(self, "_distribution", result)  # a cache; the profile's value never changes
        return result

    def _make_distribution(self) -> KllDistribution | None:
        if self.sketch is None:
            return None
        if isinstance(self.sketch, KllDistribution):
            return self.sketch
        return KllDistribution.from_sketch(self.sketch)

    def category_counts(self) -> dict[str, int]:
        """Counts of all present values as text (numeric values included for String columns)."""
        return dict(self.counts)


def _merge_sketch(a: Sketch | None, b: Sketch | None) -> Sketch | None:
    if a is None and b is None:
        return None
    if a is None:
        return b if isinstance(b, KllDistribution) else copy_sketch(b)
    if b is None:
        return a if isinstance(a, KllDistribution) else copy_sketch(a)
    live_a = a.to_sketch() if isinstance(a, KllDistribution) else a
    live_b = b.to_sketch() if isinstance(b, KllDistribution) else b
    return merge_sketches(live_a, live_b)
