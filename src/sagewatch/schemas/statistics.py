"""``statistics.json``: the one home of its format (contract §3.1).

Writing follows real analyzer output exactly (key order, ``version`` 0.0, float
``distinct_count``, KLL parameters as doubles, 10 equal-width buckets); reading checks the
document against the declared schema in :mod:`sagewatch.schemas.statistics_model` (liberal where
SageMaker's files vary: ints or floats, missing optional blocks, unknown keys).
"""

from __future__ import annotations

import math
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from sagewatch.defaults import KLL_C, KLL_K, NUM_BUCKETS
from sagewatch.errors import DatasetError
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.dataset import DatasetProfile
from sagewatch.profile.infer import FRACTIONAL, INTEGRAL, STRING
from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.serialize import dumps_jackson
from sagewatch.schemas.statistics_model import FeatureStatistics, StatisticsFile
from sagewatch.schemas.validation import validate_document
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
def _column_from_feature(feature: FeatureStatistics) -> ColumnProfile:
    name, kind = feature.name, feature.inferred_type
    present, missing = feature.common.num_present, feature.common.num_missing
    stats = feature.numerical_statistics
    if stats is not None:
        mean = stats.mean if stats.mean is not None else 0.0
        std = stats.std_dev if stats.std_dev is not None else 0.0
        kll = stats.distribution.kll if stats.distribution is not None else None
        sketch = None
        if kll is not None and kll.sketch is not None and kll.sketch.data:
            parameters = kll.sketch.parameters
            sketch = KllDistribution.from_levels(kll.sketch.data, parameters.k if parameters else KLL_K)
        return ColumnProfile(
            name, n_missing=missing,
            n_integral=present if kind == INTEGRAL else 0,
            n_fractional=present if kind == FRACTIONAL else 0,
            n_numeric=present, total=stats.sum if stats.sum is not None else mean * present, mean=mean,
            std_dev=std,
            minimum=stats.min if stats.min is not None else math.inf,
            maximum=stats.max if stats.max is not None else -math.inf,
            sketch=sketch)
    strings = feature.string_statistics
    distribution = strings.distribution if strings is not None else None
    categorical = distribution.categorical if distribution is not None else None
    counts = {b.value: b.count for b in categorical.buckets} if categorical is not None else {}
    return ColumnProfile(name, n_missing=missing, n_string=present if kind == STRING else 0,
                         counts=MappingProxyType(counts))


def profile_from_statistics(document: Any, *, source: str = STATISTICS_FILE) -> DatasetProfile:
    """Rebuild a profile from a ``statistics.json`` document (ours or SageMaker's).

    The document is first checked against :class:`~sagewatch.schemas.statistics_model.StatisticsFile`;
    any wrong type or impossible value raises :class:`~sagewatch.errors.SchemaError` naming ``source``
    and the field path.
    """
    parsed = validate_document(StatisticsFile, document, source=source)
    columns = {feature.name: _column_from_feature(feature) for feature in parsed.features}
    item_count = parsed.dataset.item_count if parsed.dataset is not None else None
    if item_count is None:
        item_count = max((c.n_rows for c in columns.values()), default=0)
    return DatasetProfile(MappingProxyType(columns), int(item_count))


def load_statistics(path: str | Path) -> DatasetProfile:
    """Read a ``statistics.json`` file; errors name the file."""
    return profile_from_statistics(read_json_file(path, "baseline statistics"), source=str(path))
