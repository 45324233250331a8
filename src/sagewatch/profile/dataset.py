"""Dataset profiles: ordered column profiles, the row count and a uniform row sample."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.defaults import SAMPLE_ROWS
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.infer import _FRACTIONAL_RE, classify

__all__ = ["DatasetProfile", "profile_table", "profile_tables", "merge_profiles"]

_POOL_WORKERS = 2


def _numeric_or_nan(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Values as float64 aligned with rows: NaN where missing or not a number."""
    kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        # unsafe: integers beyond 2**53 (uint64 2**64-1) round to the nearest float instead of failing
        return pc.cast(array, pa.float64(), safe=False).to_numpy(zero_copy_only=False).astype(np.float64)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.replace_substring(pc.utf8_trim_whitespace(array), " ", "")
        numeric = pc.fill_null(pc.match_substring_regex(text, _FRACTIONAL_RE), False)
        kept = pc.if_else(numeric, text, pa.scalar(None, pa.string()))
        return pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    return np.full(len(array), np.nan)


@dataclass(frozen=True, eq=False)
class DatasetProfile:
    """An immutable, mergeable profile of a tabular dataset.

    Examples
    --------
    >>> import pyarrow as pa
    >>> a = profile_table(pa.table({"x": [1.0, 2.0], "c": ["a", "b"]}))
    >>> b = profile_table(pa.table({"x": [3.0], "c": ["a"]}))
    >>> both = a.merge(b)
    >>> both.item_count, both.columns["x"].mean, dict(both.columns["c"].counts)
    (3, 2.0, {'a': 2, 'b': 1})
    """

    columns: Mapping[str, ColumnProfile] = field(default_factory=lambda: MappingProxyType({}))
    item_count: int = 0
    sample: Mapping[str, np.ndarray] = field(default_factory=lambda: MappingProxyType({}))
    sample_seen: int = 0  # rows the sample was drawn from

    @classmethod
    def zero(cls) -> DatasetProfile:
        return cls()

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        """A new profile of both datasets; columns keep first-seen order; inputs are unchanged."""
        names = list(self.columns) + [n for n in other.columns if n not in self.columns]
        merged = {}
        for name in names:
            left, right = self.columns.get(name), other.columns.get(name)
            if left is None:
                missing = ColumnProfile(name, n_missing=self.item_count)
                merged[name] = missing.merge(right)
            elif right is None:
                merged[name] = left.merge(ColumnProfile(name, n_missing=other.item_count))
            else:
                merged[name] = left.merge(right)
        sample, seen = _merge_samples(self, other, names)
        return DatasetProfile(MappingProxyType(merged), self.item_count + other.item_count,
                              MappingProxyType(sample), seen)

    __add__ = merge

    def sample_matrix(self, names: Iterable[str]) -> np.ndarray:
        """The sampled rows of the given columns as an (n, d) float matrix (NaN = missing)."""
        names = list(names)
        if not names:
            return np.empty((0, 0))
        return np.column_stack([self.sample.get(n, np.full(self.sample_size, np.nan)) for n in names])

    @property
    def sample_size(self) -> int:
        return len(next(iter(self.sample.values()))) if self.sample else 0


def _merge_samples(a: DatasetProfile, b: DatasetProfile, names: list[str]) -> tuple[dict, int]:
    # uniform sample of the union: keep rows from each side in proportion to the rows it stands for
    seen = a.sample_seen + b.sample_seen
    if seen == 0:
        return {}, 0
    size_a, size_b = a.sample_size, b.sample_size
    total = min(SAMPLE_ROWS, size_a + size_b)
    take_a = min(size_a, int(round(total * a.sample_seen / seen)))
    take_b = min(size_b, total - take_a)
    rng = np.random.default_rng(seen)  # deterministic: the same inputs give the same sample
    idx_a = np.sort(rng.choice(size_a, take_a, replace=False)) if take_a < size_a else np.arange(size_a)
    idx_b = np.sort(rng.choice(size_b, take_b, replace=False)) if take_b < size_b else np.arange(size_b)
    sample = {}
    for name in names:
        left = a.sample.get(name, np.full(size_a, np.nan))[idx_a]
        right = b.sample.get(name, np.full(size_b, np.nan))[idx_b]
        sample[name] = np.concatenate([left, right])
    return sample, seen


def profile_table(table: pa.Table, *, parallel: bool = True) -> DatasetProfile:
    """Profile one in-memory table (a chunk of a dataset).

    Columns are profiled on two threads; pyarrow and DataSketches release the GIL in
    their kernels.
    """
    names = table.column_names
    if len(set(names)) != len(names):
        from sagewatch.errors import SchemaError
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise SchemaError(f"duplicate column names {dupes}", field=dupes[0])

    def one(name: str) -> ColumnProfile:
        return ColumnProfile.from_chunk(name, classify(table.column(name)))

    if parallel and len(names) > 1:
        with ThreadPoolExecutor(_POOL_WORKERS) as pool:
            profiles = list(pool.map(one, names))
    else:
        profiles = [one(n) for n in names]
    rows = table.num_rows
    rng = np.random.default_rng(rows)
    idx = np.sort(rng.choice(rows, SAMPLE_ROWS, replace=False)) if rows > SAMPLE_ROWS else np.arange(rows)
    sampled = table.take(pa.array(idx)) if rows > SAMPLE_ROWS else table
    sample = {name: _numeric_or_nan(sampled.column(name)) for name in names}
    return DatasetProfile(MappingProxyType(dict(zip(names, profiles))), rows, MappingProxyType(sample), rows)


def merge_profiles(profiles: Iterable[DatasetProfile]) -> DatasetProfile:
    """Fold profiles with :meth:`DatasetProfile.merge`, starting from ``zero()``."""
    result = DatasetProfile.zero()
    for profile in profiles:
        result = result.merge(profile)
    return result


def profile_tables(tables: Iterable[pa.Table]) -> DatasetProfile:
    """Profile a stream of table chunks (memory stays at one chunk plus the sketches)."""
    return merge_profiles(profile_table(t) for t in tables)
