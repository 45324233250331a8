"""Run several drift measures on one column (or one row sample) and collect their results.

This is what the data-quality report calls; the constraint checker calls
:func:`sagewatch.drift.linf.linf_distance` / :func:`~sagewatch.drift.linf.linf_categorical_distance`
directly. Sketches are read once (into a :class:`~sagewatch.drift.sketch_cdf.SketchDistribution`) and
shared by every measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sagewatch.drift.registry import DriftResult, Kind, available_measures, get_measure, infer_kind
from sagewatch.drift.sketch_cdf import as_distribution
from sagewatch.errors import InvalidParameterError

__all__ = ["compare_columns", "default_measures"]


def default_measures(kind: Kind) -> tuple[str, ...]:
    """The measures :func:`compare_columns` runs when ``measures`` is None: every one accepting ``kind``,
    ``linf`` (SageMaker's) first.

    Examples
    --------
    >>> default_measures("numeric")
    ('linf', 'chi2', 'hellinger', 'js', 'ks', 'psi', 'wasserstein')
    """
    keys = available_measures(kind)
    return tuple(sorted(keys, key=lambda k: (k != "linf", k)))


def compare_columns(baseline: Any, current: Any, *, measures: Sequence[str] | None = None,
                    thresholds: Mapping[str, float] | None = None,
                    options: Mapping[str, Mapping[str, Any]] | None = None) -> list[DriftResult]:
    """Run drift measures on one pair of summaries.

    Parameters
    ----------
    baseline, current : kll_doubles_sketch, SketchDistribution, Mapping[str, int] or ndarray (n, d)
        Two summaries of the same kind: sketches (numeric), value counts (categorical) or row samples
        (multivariate).
    measures : sequence of str, optional
        Registry keys to run, in this order; default :func:`default_measures` for the kind.
    thresholds : Mapping[str, float], optional
        Threshold per measure key; measures not named use their default.
    options : Mapping[str, Mapping[str, Any]], optional
        Extra keyword arguments per measure key, e.g.
        ``{"linf": {"comparison_method": "Simple"}, "psi": {"n_bins": 20}}``.

    Returns
    -------
    list of DriftResult
        One per measure, in the order of ``measures``.

    Raises
    ------
    InvalidParameterError
        Unknown keys, a measure that does not accept the summaries' kind, summaries of two kinds, or
        ``thresholds``/``options`` naming a measure that is not run.

    Examples
    --------
    >>> results = compare_columns({"a": 80, "b": 20}, {"a": 50, "b": 50}, measures=["linf", "chi2"])
    >>> [(r.name, round(r.drift_score, 4), r.drifted) for r in results]
    [('linf', 0.3, True), ('chi2', 0.0, True)]
    """
    kind = infer_kind(baseline)
    if infer_kind(current) != kind:
        raise InvalidParameterError(
            f"baseline is a {kind} summary but current is a {infer_kind(current)} one")
    if measures is None:
        keys = list(default_measures(kind))
    else:
        if isinstance(measures, str):
            measures = [measures]
        keys = [get_measure(k).key for k in measures]
    thresholds = dict(thresholds or {})
    options = dict(options or {})
    for name, given in (("thresholds", thresholds), ("options", options)):
        extra = sorted(set(map(str.lower, given)) - set(keys))
        if extra:
            raise InvalidParameterError(f"{name} names measures that are not run: {', '.join(extra)}")
    thresholds = {k.lower(): v for k, v in thresholds.items()}
    options = {k.lower(): v for k, v in options.items()}
    if kind == "numeric":
        baseline = as_distribution(baseline, name="baseline")
        current = as_distribution(current, name="current")
    results = []
    for key in keys:
        measure = get_measure(key)
        results.append(measure(baseline, current, threshold=thresholds.get(key), **dict(options.get(key, {}))))
    return results
