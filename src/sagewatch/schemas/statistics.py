"""``statistics.json``: the one home of its format (contract §3.1).

Writing follows real analyzer output exactly (key order, ``version`` 0.0, float
``distinct_count``, KLL parameters as doubles, 10 equal-width buckets); reading is liberal
(ints or floats, missing optional blocks).
"""

from __future__ import annotations

import math
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from sagewatch.defaults import KLL_C, KLL_K, NUM_BUCKETS
from sagewatch.errors import DatasetError, SchemaError
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.dataset import DatasetProfile
from sagewatch.profile.infer import FRACTIONAL, INTEGRAL, STRING, UNKNOWN
from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.serialize import dumps_jackson
from sagewatch.sketches.kll import KllDistribution, SketchInvariantError

__all__ = ["statistics_document", "dumps_statistics", "profile_from_statistics", "load_statistics",
           "equal_width_buckets"]

STATISTICS_FILE = "statistics.json"


def equal_width_buckets(dist: KllDistribution, minimum: float, maximum: float, n: int,
                        num_buckets: int = NUM_BUCKETS) -> list[dict[str, Any]]:
    """SageMaker's 10 equal-width buckets from ``min`` to ``max`` with counts from the sketch.

    The last bucket includes ``max``; counts are whole numbers that add up to ``n`` (exact
    while the sketch still holds every value). Bounds stay finite for any finite ``min`` and
    ``max``, even when ``max - min`` is beyond the range of a double.
    """
    if dist.n != n:
        raise SketchInvariantError(f"the KLL sketch summarises {dist.n} values but the column has {n}")
    if math.isfinite(maximum - minimum):
        edges = np.linspace(minimum, maximum, num_buckets + 1)
    else:  # halving is exact and keeps the width finite
        edges = np.linspace(minimum / 2, maximum / 2, num_buckets + 1) * 2
    if maximum > minimum:
        edges[-1] = maximum
        below = dist.get_cdf(edges[1:-1], inclusive=False)
        cumulative = np.concatenate([[0], np.rint(below * n), [n]]).astype(np.int64)
        counts = np.diff(np.maximum.accumulate(cumulative))
    else:
        counts = np.zeros(num_buckets, dtype=np.int64)
        counts[0] = n
    return [{"lower_bound": float(lo), "upper_bound": float(hi), "count": int(c)}
            for lo, hi, c in zip(edges[:-1], edges[1:], counts)]


def _feature(column: ColumnProfile) -> dict[str, Any]:
    kind = column.inferred_type
    common = {"num_present": column.n_present, "num_missing": column.n_missing}
    feature: dict[str, Any] = {"name": column.name, "inferred_type": kind}
    if kind in (INTEGRAL, FRACTIONAL):
        if not math.isfinite(column.total):
            raise DatasetError(
                f"column {column.name!r}: the sum of its values is beyond the range of a double (±1.8e308), "
                "so statistics.json cannot record it (its mean and std_dev would be finite); "
                "check the column for sentinel or corrupt values")
        dist = column.distribution()
        stats: dict[str, Any] = {
            "common": common,
            "mean": float(column.mean), "sum": float(column.total), "std_dev": float(column.std_dev),
            "min": float(column.minimum), "max": float(column.maximum),
        }
        if dist is not None and not dist.is_empty():
            stats["distribution"] = {"kll": {
                "buckets": equal_width_buckets(dist, column.minimum, column.maximum, column.n_numeric),
                "sketch": {"parameters": {"c": KLL_C, "k": float(dist.k)}, "data": dist.levels()},
            }}
        feature["numerical_statistics"] = stats
    else:
        counts = column.category_counts()
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        stats = {"common": common, "distinct_count": float(column.distinct_count)}
        if ordered:
            stats["distribution"] = {"categorical": {"buckets": [{"value": v, "count": int(c)} for v, c in ordered]}}
        feature["string_statistics"] = stats
    return feature


def statistics_document(profile: DatasetProfile) -> dict[str, Any]:
    """The ``statistics.json`` document of a profile, keys in the analyzer's order."""
    return {
        "version": 0.0,
        "dataset": {"item_count": int(profile.item_count)},
        "features": [_feature(c) for c in profile.columns.values()],
    }


def dumps_statistics(profile: DatasetProfile) -> str:
    return dumps_jackson(statistics_document(profile))


# ---------------------------------------------------------------------------------- reading
def _number(block: dict, key: str, where: str, default: float | None = None) -> float:
    value = block.get(key, default)
    if value is None:
        raise SchemaError("missing number", source=where, field=key)
    if isinstance(value, str):  # Jackson writes non-finite doubles as strings
        try:
            return float(value)
        except ValueError as e:
            raise SchemaError(f"not a number: {value!r}", source=where, field=key) from e
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise SchemaError(f"not a number: {value!r}", source=where, field=key)
    return float(value)


def _column_from_feature(feature: dict, where: str) -> ColumnProfile:
    if not isinstance(feature, dict) or "name" not in feature:
        raise SchemaError("feature without a name", source=where, field="features")
    name = str(feature["name"])
    kind = feature.get("inferred_type", UNKNOWN)
    if kind not in (INTEGRAL, FRACTIONAL, STRING, UNKNOWN):
        raise SchemaError(f"unknown inferred_type {kind!r}", source=where, field=f"{name}.inferred_type")
    block = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
    common = block.get("common", {})
    present = int(_number(common, "num_present", where, 0))
    missing = int(_number(common, "num_missing", where, 0))
    if "numerical_statistics" in feature:
        stats = feature["numerical_statistics"]
        std = _number(stats, "std_dev", where, 0.0)
        mean = _number(stats, "mean", where, 0.0)
        kll = stats.get("distribution", {}).get("kll", {})
        sketch = None
        if kll.get("sketch", {}).get("data"):
            k = int(_number(kll["sketch"].get("parameters", {}), "k", where, KLL_K))
            sketch = KllDistribution.from_levels(kll["sketch"]["data"], k)
        return ColumnProfile(
            name, n_missing=missing,
            n_integral=present if kind == INTEGRAL else 0,
            n_fractional=present if kind == FRACTIONAL else 0,
            n_numeric=present, total=_number(stats, "sum", where, mean * present), mean=mean,
            std_dev=std,
            minimum=_number(stats, "min", where, math.inf), maximum=_number(stats, "max", where, -math.inf),
            sketch=sketch)
    buckets = block.get("distribution", {}).get("categorical", {}).get("buckets", [])
    counts = {str(b["value"]): int(_number(b, "count", where)) for b in buckets if "value" in b}
    return ColumnProfile(name, n_missing=missing, n_string=present if kind == STRING else 0,
                         counts=MappingProxyType(counts))


def profile_from_statistics(document: dict[str, Any], *, source: str = STATISTICS_FILE) -> DatasetProfile:
    """Rebuild a profile from a ``statistics.json`` document (ours or SageMaker's)."""
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise SchemaError("expected an object with a 'features' list", source=source, field="features")
    columns = {}
    for feature in document["features"]:
        column = _column_from_feature(feature, source)
        columns[column.name] = column
    item_count = document.get("dataset", {}).get("item_count")
    if item_count is None:
        item_count = max((c.n_rows for c in columns.values()), default=0)
    return DatasetProfile(MappingProxyType(columns), int(item_count))


def load_statistics(path: str | Path) -> DatasetProfile:
    """Read a ``statistics.json`` file; errors name the file."""
    return profile_from_statistics(read_json_file(path, "baseline statistics"), source=str(path))
