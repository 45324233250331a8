"""Entry-point checks shared by the drift measures (private).

Policy for empty inputs, used by every measure: an empty sketch or a count mapping whose total is 0
raises :class:`~sagewatch.errors.InvalidParameterError`. Drift between "no data" and anything is not a
number; the caller (constraint checker, report) decides whether to skip the column.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from sagewatch.errors import InvalidParameterError


def check_threshold(threshold: float | None, *, default: float, p_value: bool = False) -> float:
    """Return ``default`` when ``threshold`` is None, else check it: finite, >= 0 (in (0, 1] for p-values)."""
    if threshold is None:
        return float(default)
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise InvalidParameterError(f"threshold must be a real number, got {threshold!r}")
    value = float(threshold)
    if not math.isfinite(value) or value < 0:
        raise InvalidParameterError(f"threshold must be finite and >= 0, got {threshold!r}")
    if p_value and not 0 < value <= 1:
        raise InvalidParameterError(f"a p-value threshold must be in (0, 1], got {threshold!r}")
    return value


def check_alpha(alpha: float) -> float:
    """Check a significance level: a real number in (0, 1)."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < float(alpha) < 1:
        raise InvalidParameterError(f"alpha must be a real number in (0, 1), got {alpha!r}")
    return float(alpha)


def check_int(value: int, *, name: str, minimum: int) -> int:
    """Check an integer parameter (booleans refused) against a lower bound."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_counts(counts: Any, *, name: str) -> dict[str, float]:
    """Check a value -> count mapping: finite, non-negative counts with a positive total."""
    if not isinstance(counts, Mapping):
        raise InvalidParameterError(
            f"{name} must be a mapping of value -> count, got {type(counts).__name__}")
    checked: dict[str, float] = {}
    for value, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, numbers.Real):
            raise InvalidParameterError(f"{name}[{value!r}] must be a number, got {count!r}")
        c = float(count)
        if not math.isfinite(c) or c < 0:
            raise InvalidParameterError(f"{name}[{value!r}] must be finite and >= 0, got {count!r}")
        checked[value] = c
    if sum(checked.values()) <= 0:
        raise InvalidParameterError(f"{name} is empty (total count 0)")
    return checked


def align_counts(baseline: Any, current: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Check both count mappings and put them on the union of their values.

    Values are ordered baseline first (in its order), then values seen only in ``current``.
    Values with a zero count on both sides are dropped.

    Returns
    -------
    values : list
    baseline_counts, current_counts : ndarray of float64, same length as ``values``
    """
    b = check_counts(baseline, name="baseline")
    c = check_counts(current, name="current")
    values = list(b) + [v for v in c if v not in b]
    counts_b = np.fromiter((b.get(v, 0.0) for v in values), dtype=np.float64, count=len(values))
    counts_c = np.fromiter((c.get(v, 0.0) for v in values), dtype=np.float64, count=len(values))
    keep = (counts_b + counts_c) > 0
    if not keep.all():
        values = [v for v, k in zip(values, keep, strict=True) if k]
        counts_b, counts_c = counts_b[keep], counts_c[keep]
    return values, counts_b, counts_c
