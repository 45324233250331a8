"""The divide rule and the error of a metric that cannot be computed (smclarify ``common.divide``).

A metric that cannot be computed for a facet raises :class:`UndefinedBiasMetric` with smclarify's own
text; the report writes it as ``"value": null`` plus ``"error": "<text>"`` (contract §7.3).
"""

from __future__ import annotations

import math

from sagewatch.errors import SagewatchError

__all__ = ["UndefinedBiasMetric", "divide", "require_groups"]


class UndefinedBiasMetric(SagewatchError, ValueError):
    """A bias metric is undefined for this facet (an empty group, no common label value, ...)."""


def divide(a: float, b: float) -> float:
    """``a / b`` with smclarify's rule: 0/0 is 0.0, x/0 is ±infinity.

    >>> divide(0, 0), divide(1, 0), divide(-1, 0), divide(1, 4)
    (0.0, inf, -inf, 0.25)
    """
    if b == 0:
        if a == 0:
            return 0.0
        return -math.inf if a < 0 else math.inf
    return a / b


def require_groups(n_a: int, n_d: int, *, facet_empty: str, rest_empty: str, facet_first: bool = True) -> None:
    """Raise the metric's own text when group d (``facet_empty``) or group a (``rest_empty``) has no rows,
    checking d first unless ``facet_first`` is false (each smclarify metric has its own order)."""
    checks = [(n_d, facet_empty), (n_a, rest_empty)]
    for count, text in checks if facet_first else reversed(checks):
        if count == 0:
            raise UndefinedBiasMetric(text)
