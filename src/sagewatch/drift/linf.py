"""L-infinity distance: SageMaker Model Monitor's ``baseline_drift_check`` (contract §3.2-3.3).

Numeric columns
    The distance is ``max_x |F_base(x) - F_cur(x)|`` over the union of both sketches' retained items
    (:func:`~sagewatch.drift.sketch_cdf.shared_grid_cdfs`), i.e. the two-sample Kolmogorov-Smirnov
    statistic of the two sketched distributions. ``comparison_method``:

    * ``"Simple"`` (also ``"linf_simple"``): drifted when ``distance > threshold``.
    * ``"Robust"`` (also ``"linf_robust"``; SageMaker's container default): **sagewatch's choice**, as the
      real formula is not public (contract §11.2): drifted only when ``distance > threshold`` **and**
      ``distance > c(alpha) * sqrt((n + m) / (n * m))`` with ``c(alpha) = sqrt(-ln(alpha / 2) / 2)``,
      the two-sample KS critical value at ``alpha = 0.05`` (c = 1.358) for the sketches' counts ``n`` and
      ``m``. Equivalently, the effective threshold is ``max(threshold, critical_value)``, so a small
      sample cannot flag noise: with 20 rows per side the critical value is 0.43.

    Literals are matched case-insensitively; write ``Simple`` / ``Robust`` (contract §12).

Categorical columns
    The distance is ``max_v |p_base(v) - p_cur(v)|`` over the union of values seen on either side
    (a value missing on one side has probability 0 there). ``categorical_drift_method``:

    * ``"LInfinity"``: drifted when ``distance > threshold``.
    * ``"ChiSquared"``: **sagewatch's choice** (the real statistic is not public, contract §11.2):
      ``drift_score`` stays the L-infinity distance, so the ``baseline_drift_check`` metric keeps one
      unit and ``categorical_comparison_threshold`` keeps one meaning, but drift is flagged only when
      ``distance > threshold`` **and** Pearson's chi-square test of homogeneity on the 2 x K table of
      counts (:func:`sagewatch.drift.chi2.chi2_homogeneity_test`) gives ``p_value < alpha`` (0.05).
      This is the categorical twin of ``Robust``: a practically large *and* statistically significant
      change. The p-value, statistic and degrees of freedom are in ``details``.

Exact decisions
    Both distances are ratios of counts (sketch weights, category counts). They are computed exactly
    (:mod:`sagewatch.drift.exact`) and compared with the threshold read as the decimal the user wrote,
    so a distance *equal* to the threshold never "exceeds" it: baseline 0..1999 against 200..2199 is
    exactly 1/10, and a share moving 40 -> 30 % behaves like one moving 50 -> 40 %. ``drift_score``
    is the correctly rounded float of the exact value, which ``details["exact_distance"]`` holds as
    ``"p/q"``.

The registry key ``linf`` serves both kinds: a mapping of counts goes to
:func:`linf_categorical_distance`, anything else to :func:`linf_distance`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Literal

from sagewatch.drift._validation import align_counts, check_alpha, check_int, check_threshold
from sagewatch.drift.chi2 import chi2_homogeneity_test
from sagewatch.drift.exact import decimal_fraction, exact_counts, exceeds, max_ratio_gap, total_count
from sagewatch.drift.registry import DriftMeasure, DriftResult, register_measure
from sagewatch.drift.sketch_cdf import as_distribution, max_cdf_gap
from sagewatch.errors import InvalidParameterError

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_THRESHOLD",
    "ks_critical_value",
    "linf_categorical_distance",
    "linf_distance",
    "normalize_categorical_drift_method",
    "normalize_comparison_method",
]

DEFAULT_THRESHOLD = 0.1  # comparison_threshold and categorical_comparison_threshold (contract §3.2)
DEFAULT_ALPHA = 0.05

_COMPARISON_METHODS: dict[str, Literal["Simple", "Robust"]] = {
    "simple": "Simple", "linf_simple": "Simple", "robust": "Robust", "linf_robust": "Robust"}
_CATEGORICAL_METHODS: dict[str, Literal["LInfinity", "ChiSquared"]] = {
    "linfinity": "LInfinity", "chisquared": "ChiSquared"}


def _numeric_meaning(threshold: float, method: str, critical: float, alpha: float) -> str:
    text = (f"SageMaker's comparison_threshold, an effect size: drift when the CDFs differ by more than "
            f"{threshold!r} (0.1 is the gap of a 0.25-sigma mean shift of a normal column: 0.0995)")
    if method == "Robust":
        text += (f", and by more than the two-sample KS critical value at alpha={alpha!r} for these sample "
                 f"sizes ({critical:.4g}), so that noise in small samples is not flagged")
    return text


def _categorical_meaning(threshold: float, method: str, alpha: float) -> str:
    points = float(decimal_fraction(threshold) * 100)
    text = (f"SageMaker's categorical_comparison_threshold, an effect size: drift when a category's share "
            f"moves by more than {points:g} points")
    if method == "ChiSquared":
        text += (f", and the chi-squared homogeneity test gives p < {alpha!r} at these sample sizes "
                 f"(sample-size gate: noise in small samples is not flagged)")
    return text


def normalize_comparison_method(value: str) -> Literal["Simple", "Robust"]:
    """Map ``Simple``/``Robust``/``linf_simple``/``linf_robust`` (any case) to ``Simple`` or ``Robust``.

    Examples
    --------
    >>> normalize_comparison_method("LINF_ROBUST")
    'Robust'
    """
    if isinstance(value, str) and value.strip().lower() in _COMPARISON_METHODS:
        return _COMPARISON_METHODS[value.strip().lower()]
    raise InvalidParameterError(
        f"comparison_method must be one of Simple, Robust, linf_simple, linf_robust, got {value!r}")


def normalize_categorical_drift_method(value: str) -> Literal["LInfinity", "ChiSquared"]:
    """Map ``LInfinity``/``ChiSquared`` (any case) to their canonical spelling.

    Examples
    --------
    >>> normalize_categorical_drift_method("chisquared")
    'ChiSquared'
    """
    if isinstance(value, str) and value.strip().lower() in _CATEGORICAL_METHODS:
        return _CATEGORICAL_METHODS[value.strip().lower()]
    raise InvalidParameterError(f"categorical_drift_method must be LInfinity or ChiSquared, got {value!r}")


def ks_critical_value(*, n: int, m: int, alpha: float = DEFAULT_ALPHA) -> float:
    """Asymptotic two-sample Kolmogorov-Smirnov critical value ``c(alpha) * sqrt((n + m) / (n * m))``.

    ``c(alpha) = sqrt(-ln(alpha / 2) / 2)``; Smirnov (1948), as tabulated e.g. in Knuth, TAOCP vol. 2,
    §3.3.1, and in the Wikipedia article "Kolmogorov-Smirnov test" (two-sample section).

    Examples
    --------
    >>> round(ks_critical_value(n=100, m=100), 4)
    0.1921
    """
    n = check_int(n, name="n", minimum=1)
    m = check_int(m, name="m", minimum=1)
    alpha = check_alpha(alpha)
    return math.sqrt(-math.log(alpha / 2.0) / 2.0) * math.sqrt((n + m) / (n * m))


def linf_distance(baseline: Any, current: Any, *, threshold: float | None = None,
                  comparison_method: str = "Robust", alpha: float = DEFAULT_ALPHA) -> DriftResult:
    """SageMaker's numeric ``baseline_drift_check``: the largest gap between the two CDFs.

    Parameters
    ----------
    baseline, current : kll_doubles_sketch or SketchDistribution
        Summaries of the column in the baseline and the current data (non-empty).
    threshold : float, default=0.1
        ``comparison_threshold``.
    comparison_method : {"Robust", "Simple", "linf_robust", "linf_simple"}, default="Robust"
        See the module docstring; case-insensitive.
    alpha : float, default=0.05
        Significance level of the ``Robust`` gate.

    Returns
    -------
    DriftResult
        ``drift_score`` is the distance in [0, 1]; ``details`` holds ``comparison_method``,
        ``critical_value``, ``n_baseline``, ``n_current``, ``location`` (where the gap is largest) and
        the sketches' rank errors.

    Examples
    --------
    >>> import numpy as np
    >>> from datasketches import kll_doubles_sketch
    >>> b, c = kll_doubles_sketch(2048), kll_doubles_sketch(2048)
    >>> b.update(np.arange(20.0)); c.update(np.arange(20.0) + 5)
    >>> r = linf_distance(b, c, comparison_method="Simple")
    >>> round(r.drift_score, 12), r.drifted
    (0.25, True)
    >>> linf_distance(b, c).drifted  # Robust: 0.25 is below the critical value 0.43 for 20 vs 20 rows
    False
    """
    thr = check_threshold(threshold, default=DEFAULT_THRESHOLD)
    method = normalize_comparison_method(comparison_method)
    alpha = check_alpha(alpha)
    b = as_distribution(baseline, name="baseline")
    c = as_distribution(current, name="current")
    location, exact = max_cdf_gap(b, c)
    distance = float(exact)
    critical = ks_critical_value(n=b.n, m=c.n, alpha=alpha)
    # decide with the exact distance: equal to the threshold is not "exceeds"; the critical value is
    # irrational, so its float is compared exactly
    drifted = exceeds(exact, thr) and (method == "Simple" or exact > Fraction(critical))
    return DriftResult(
        name="linf", drift_score=distance, drifted=drifted, threshold=thr, score_type="distance",
        statistic="linf_distance", threshold_meaning=_numeric_meaning(thr, method, critical, alpha),
        details={"comparison_method": method, "alpha": alpha, "critical_value": critical,
                 "n_baseline": b.n, "n_current": c.n, "location": location,
                 "exact_distance": str(exact),
                 "rank_error_baseline": b.rank_error, "rank_error_current": c.rank_error})


def linf_categorical_distance(baseline: Mapping[str, int], current: Mapping[str, int], *,
                              threshold: float | None = None, categorical_drift_method: str = "LInfinity",
                              alpha: float = DEFAULT_ALPHA) -> DriftResult:
    """SageMaker's categorical ``baseline_drift_check``: the largest gap between category shares.

    Parameters
    ----------
    baseline, current : Mapping[str, int]
        Exact value counts; values missing on one side count as 0 there. Totals must be positive.
    threshold : float, default=0.1
        ``categorical_comparison_threshold``.
    categorical_drift_method : {"LInfinity", "ChiSquared"}, default="LInfinity"
        See the module docstring; case-insensitive.
    alpha : float, default=0.05
        Significance level of the ``ChiSquared`` gate.

    Returns
    -------
    DriftResult
        ``drift_score`` is the distance in [0, 1]; ``details`` holds the method, ``value`` (where the
        gap is largest), ``unseen_values`` (current values absent from the baseline) and, for
        ``ChiSquared``, ``p_value``, ``chi2_statistic`` and ``dof``.

    Examples
    --------
    >>> r = linf_categorical_distance({"a": 50, "b": 50}, {"a": 30, "b": 50, "c": 20})
    >>> round(r.drift_score, 6), r.drifted, r.details["unseen_values"]
    (0.2, True, ('c',))
    >>> linf_categorical_distance({"a": 5, "b": 5}, {"a": 3, "b": 7},
    ...                           categorical_drift_method="ChiSquared").drifted  # 0.2 but p = 0.36
    False
    """
    thr = check_threshold(threshold, default=DEFAULT_THRESHOLD)
    method = normalize_categorical_drift_method(categorical_drift_method)
    alpha = check_alpha(alpha)
    values, counts_b, counts_c = align_counts(baseline, current)
    exact_b, exact_c = exact_counts(counts_b), exact_counts(counts_c)
    i, exact = max_ratio_gap(exact_b, total_count(exact_b), exact_c, total_count(exact_c))
    distance = float(exact)
    details: dict[str, Any] = {
        "categorical_drift_method": method, "value": values[i], "exact_distance": str(exact),
        "n_baseline": float(counts_b.sum()), "n_current": float(counts_c.sum()),
        "unseen_values": tuple(v for v, cb in zip(values, counts_b, strict=True) if cb == 0)}
    drifted = exceeds(exact, thr)  # exact: a 40 -> 30 % move and a 50 -> 40 % move are both 1/10
    if method == "ChiSquared":
        statistic, p_value, dof = chi2_homogeneity_test(counts_baseline=counts_b, counts_current=counts_c)
        details.update(alpha=alpha, p_value=p_value, chi2_statistic=statistic, dof=dof)
        drifted = drifted and p_value < alpha
    return DriftResult(name="linf", drift_score=distance, drifted=drifted, threshold=thr,
                       score_type="distance", statistic="linf_distance", details=details,
                       threshold_meaning=_categorical_meaning(thr, method, alpha))


def _linf(baseline: Any, current: Any, *, threshold: float | None = None, **options: Any) -> DriftResult:
    if isinstance(baseline, Mapping):
        return linf_categorical_distance(baseline, current, threshold=threshold, **options)
    return linf_distance(baseline, current, threshold=threshold, **options)


register_measure(DriftMeasure(
    key="linf", kinds=frozenset({"numeric", "categorical"}), default_threshold=DEFAULT_THRESHOLD,
    higher_is_drift=True, score_type="distance", func=_linf,
    description="SageMaker baseline_drift_check: max |F_base - F_cur| (CDFs or category shares)"))
