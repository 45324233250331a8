"""Immutable, mergeable per-column profiles (a monoid: ``zero()``, ``merge()``, ``+``)."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

import numpy as np

from sagewatch.defaults import MAX_TRACKED_VALUES
from sagewatch.profile.infer import TypedChunk, column_type
from sagewatch.profile.moments import Moments, sorted_moments, merge_moments
from sagewatch.sketches.distinct import DistinctCount
from sagewatch.sketches.kll import KllDistribution

__all__ = ["ColumnProfile"]


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
    """Summary of one column: typed counts, moments, a KLL sketch, string value counts and a
    distinct-count sketch.

    ``merge`` is pure, associative (exactly for counts, up to rounding for moments, within sketch
    error for quantiles and distinct counts) and has ``zero`` as identity. Every field is a pure
    function of the data and the order of the chunks: the same input gives the same profile.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from sagewatch.profile.infer import classify
    >>> a = ColumnProfile.from_chunk("x", classify(pa.array([1.0, 2.0, None])))
    >>> b = ColumnProfile.from_chunk("x", classify(pa.array([3.0, 4.0])))
    >>> both = a + b
    >>> both.n_numeric, both.n_missing, both.total, both.mean, both.std_dev, both.distribution().n
    (4, 1, 10.0, 2.5, 1.118033988749895, 4)
    >>> (ColumnProfile.zero("x") + a).mean == a.mean
    True
    """

    name: str
    n_missing: int = 0
    n_integral: int = 0
    n_fractional: int = 0
    n_string: int = 0
    n_numeric: int = 0
    total: float = 0.0  # ±inf only when the sum is beyond the range of a double
    mean: float = 0.0
    std_dev: float = 0.0  # population standard deviation, as Deequ's StandardDeviation
    minimum: float = math.inf
    maximum: float = -math.inf
    sketch: KllDistribution | None = None
    counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    counts_truncated: bool = False
    distinct: DistinctCount | None = None

    # -- construction -------------------------------------------------------------------
    @classmethod
    def zero(cls, name: str) -> ColumnProfile:
        return cls(name)

    @classmethod
    def from_chunk(cls, name: str, chunk: TypedChunk) -> ColumnProfile:
        numbers = chunk.numbers
        sketch = None
        moments = Moments(0, 0.0, 0.0, 0.0)
        lo, hi = math.inf, -math.inf
        if numbers.size:
            # sorted once: the sketch compacts sorted runs; min and max for free. numpy's default sort may order
            # -0.0 and 0.0 differently on different CPUs (SIMD kernels): zeros are made positive first
            ordered = np.sort(numbers + 0.0)
            sketch = KllDistribution.from_sorted(ordered)
            moments = sorted_moments(ordered)
            lo, hi = float(ordered[0]), float(ordered[-1])
        counts: dict[str, int] = {}
        truncated = chunk.counts_truncated
        if chunk.value_counts:
            counts, dropped = _merge_counts({}, chunk.value_counts)
            truncated = truncated or dropped
        distinct = chunk.distinct
        if distinct is None and counts:
            distinct = DistinctCount.from_values(counts)
        return cls(name, chunk.n_missing, chunk.n_integral, chunk.n_fractional, chunk.n_string, moments.n,
                   moments.total, moments.mean, moments.std_dev, lo, hi, sketch, MappingProxyType(counts),
                   truncated, distinct)

    # -- monoid -------------------------------------------------------------------------
    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """A new profile of both inputs' data; the inputs are unchanged."""
        moments = merge_moments(self.moments, other.moments)
        counts, truncated = _merge_counts(self.counts, other.counts)
        return replace(
            self,
            n_missing=self.n_missing + other.n_missing,
            n_integral=self.n_integral + other.n_integral,
            n_fractional=self.n_fractional + other.n_fractional,
            n_string=self.n_string + other.n_string,
            n_numeric=moments.n, total=moments.total, mean=moments.mean, std_dev=moments.std_dev,
            minimum=min(self.minimum, other.minimum), maximum=max(self.maximum, other.maximum),
            sketch=_merge_optional(self.sketch, other.sketch),
            counts=MappingProxyType(counts),
            counts_truncated=truncated or self.counts_truncated or other.counts_truncated,
            distinct=_merge_optional(self.distinct, other.distinct),
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
    def moments(self) -> Moments:
        return Moments(self.n_numeric, self.total, self.mean, self.std_dev)

    @property
    def distinct_count(self) -> int:
        """Distinct present values: exact while every value is counted, else the HyperLogLog estimate."""
        if not self.counts_truncated or self.distinct is None:
            return len(self.counts)
        return max(len(self.counts), self.distinct.estimate())

    @property
    def completeness(self) -> float:
        return self.n_present / self.n_rows if self.n_rows else 0.0

    def distribution(self) -> KllDistribution | None:
        """The column's KLL sketch (``None`` without numeric values)."""
        return self.sketch

    def category_counts(self) -> dict[str, int]:
        """Counts of all present values as text (numeric values included for String columns)."""
        return dict(self.counts)


def _merge_optional(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a.merge(b)
