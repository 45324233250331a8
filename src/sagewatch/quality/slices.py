"""Metrics per slice and low-confidence prediction counts (sagewatch's report, beyond SageMaker's files).

A slice column is either categorical (one slice per value, the :data:`MAX_SLICES` largest kept and the rest
pooled in ``(other)``) or numeric with more distinct values than the bucket count, then cut into quantile
buckets ``[lo, hi)`` (the last one closed). Rows without a value form the ``(missing)`` slice, so every row
belongs to exactly one slice and the slice row counts add up to the rows evaluated.

Each slice gets its row count and the headline metrics of the problem type (:data:`HEADLINE_METRICS`), computed
with the same functions as ``statistics.json``; a metric undefined in a slice (one class, one row) is ``None``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.classification import binary_scalars, multiclass_scalars
from sagewatch.quality.labels import BINARY, MULTICLASS, REGRESSION, as_numbers, label_text
from sagewatch.quality.regression import regression_scalars

__all__ = ["HEADLINE_METRICS", "MAX_SLICES", "DEFAULT_BUCKETS", "MISSING", "OTHER", "SliceKeys", "slice_keys",
           "binary_confidence", "low_confidence", "slice_report"]

#: problem type -> the metrics reported per slice
HEADLINE_METRICS = {BINARY: ("accuracy", "precision", "recall", "f1", "auc"),
                    MULTICLASS: ("accuracy", "weighted_precision", "weighted_recall", "weighted_f1"),
                    REGRESSION: ("mae", "rmse", "r2")}
MAX_SLICES = 50
DEFAULT_BUCKETS = 5
MISSING = "(missing)"
OTHER = "(other)"


@dataclass(frozen=True)
class SliceKeys:
    """``codes[i]`` is the slice of row ``i`` (an index into ``labels``); ``kind`` is ``categorical`` or
    ``quantile``; ``pooled`` counts the distinct values pooled in ``(other)``."""

    codes: np.ndarray
    labels: list[str]
    kind: str
    pooled: int = 0


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _quantile_keys(numbers: np.ndarray, present: np.ndarray, buckets: int) -> SliceKeys:
    edges = np.unique(np.quantile(numbers[present], np.linspace(0.0, 1.0, buckets + 1)))
    inner = edges[1:-1]
    codes = np.searchsorted(inner, numbers, side="right").astype(np.int64)
    labels = [f"[{_fmt(edges[i])}, {_fmt(edges[i + 1])}{']' if i == len(edges) - 2 else ')'}"
              for i in range(len(edges) - 1)]
    codes = np.where(present, codes, len(labels))
    return SliceKeys(codes, labels + [MISSING], "quantile")


def _categorical_keys(text: pa.Array) -> SliceKeys:
    encoded = pc.dictionary_encode(text)
    values = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    missing = np.asarray(encoded.indices.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    codes = np.where(missing, len(values), np.nan_to_num(codes, nan=0)).astype(np.int64)
    counts = np.bincount(codes, minlength=len(values) + 1)[:len(values)]
    order = sorted(range(len(values)), key=lambda i: (-int(counts[i]), values[i]))  # one entry per value
    kept, pooled = order[:MAX_SLICES], order[MAX_SLICES:]
    remap = np.full(len(values) + 1, -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    labels = [str(values[i]) for i in kept]
    if pooled:
        remap[pooled] = len(labels)
        labels.append(OTHER)
    remap[len(values)] = len(labels)
    labels.append(MISSING)
    return SliceKeys(remap[codes], labels, "categorical", len(pooled))


def slice_keys(values: pa.Array | pa.ChunkedArray, *, buckets: int = DEFAULT_BUCKETS) -> SliceKeys:
    """Assign every row to a slice: quantile buckets for a numeric column with more than ``buckets`` distinct
    values, else one slice per value.

    >>> k = slice_keys(pa.array(["b", "a", None, "b"]))
    >>> k.labels, k.codes.tolist()
    (['b', 'a', '(missing)'], [0, 1, 2, 0])
    >>> k = slice_keys(pa.array([float(i) for i in range(10)]), buckets=2)
    >>> k.labels, k.codes.tolist()
    (['[0, 4.5)', '[4.5, 9]', '(missing)'], [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """
    if buckets < 2:
        raise InvalidParameterError(f"slice_buckets must be at least 2, got {buckets}")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    numbers, missing, non_numeric = as_numbers(values)
    present = ~missing & ~non_numeric
    if present.any() and not non_numeric.any() and len(np.unique(numbers[present])) > buckets:
        return _quantile_keys(numbers, present, buckets)
    return _categorical_keys(label_text(values))


def binary_confidence(probability: np.ndarray) -> np.ndarray:
    """The confidence of a binary prediction, max(p, 1 - p).

    >>> binary_confidence(np.array([0.9, 0.45])).tolist()
    [0.9, 0.55]
    """
    return np.maximum(probability, 1.0 - probability)


def low_confidence(confidence: np.ndarray, threshold: float) -> dict[str, Any]:
    """Rows whose confidence is below ``threshold``: ``{"threshold", "count", "fraction"}``.

    >>> low_confidence(np.array([0.9, 0.55, 0.6]), 0.6)
    {'threshold': 0.6, 'count': 1, 'fraction': 0.3333333333333333}
    """
    count = int((confidence < threshold).sum())
    return {"threshold": threshold, "count": count, "fraction": count / len(confidence) if len(confidence) else 0.0}


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _headline(problem_type: str, *, positive_label: str, classes: list[str], constant: str
              ) -> Callable[[np.ndarray, np.ndarray, np.ndarray | None], dict[str, float]]:
    if problem_type == BINARY:
        def compute(t: np.ndarray, p: np.ndarray, s: np.ndarray | None) -> dict[str, float]:
            return binary_scalars(t == positive_label, p == positive_label, s)
    elif problem_type == MULTICLASS:
        def compute(t: np.ndarray, p: np.ndarray, s: np.ndarray | None) -> dict[str, float]:
            return multiclass_scalars(t, p, classes, constant)
    else:
        def compute(t: np.ndarray, p: np.ndarray, s: np.ndarray | None) -> dict[str, float]:
            return regression_scalars(t, p)  # r2 of one row is NaN (scikit-learn), reported as None
    return compute


def slice_report(keys: SliceKeys, problem_type: str, *, y_true: np.ndarray | None, y_pred: np.ndarray,
                 y_score: np.ndarray | None = None, positive_label: str = "1", classes: list[str] | None = None,
                 constant: str = "", confidence: np.ndarray | None = None, threshold: float | None = None,
                 estimate: Callable[[np.ndarray], dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One entry per non-empty slice: ``{"slice", "rows", "metrics", "low_confidence", "estimated"}``.

    ``y_true`` is ``None`` for captures without labels (no realised metrics); ``estimate(rows)`` gives the
    label-free estimate of the rows at those indexes; ``confidence`` and ``threshold`` the low-confidence counts.
    """
    compute = _headline(problem_type, positive_label=positive_label, classes=classes or [], constant=constant)
    names = HEADLINE_METRICS[problem_type]
    order = np.argsort(keys.codes, kind="stable")
    bounds = np.searchsorted(keys.codes[order], np.arange(len(keys.labels) + 1))
    out = []
    for code, label in enumerate(keys.labels):  # a handful of slices, each vectorised
        rows = order[bounds[code]:bounds[code + 1]]
        if len(rows) == 0:
            continue
        entry: dict[str, Any] = {"slice": label, "rows": int(len(rows))}
        if y_true is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = compute(y_true[rows], y_pred[rows], None if y_score is None else y_score[rows])
            entry["metrics"] = {name: _finite_or_none(values[name]) for name in names}
        if confidence is not None and threshold is not None:
            entry["low_confidence"] = low_confidence(confidence[rows], threshold)
        if estimate is not None:
            entry["estimated"] = estimate(rows)
        out.append(entry)
    return out
