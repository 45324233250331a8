"""nDCG of the current global SHAP ranking against the baseline's (contract §7.6, §12).

As Clarify's feature-attribution drift check defines it (DG "feature attribution drift"), with scikit-learn's
``ndcg_score``: the relevance of each feature is its baseline global SHAP value, the score that ranks the
features is its current global SHAP value, over all features (``k=None``); ties in the current values are
averaged (``ignore_ties=False``). Magnitudes are used for both (sagewatch choice: ``median`` global values may
be negative, and ``ndcg_score`` takes no negative relevance; ``mean_abs`` and ``mean_sq`` are never negative).

Undefined cases (a declared policy with :class:`~sagewatch.errors.UndefinedMetricWarning`): one feature only,
or a baseline whose values are all zero, has no ranking to drift from: the score is 1.0.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.metrics import ndcg_score

from sagewatch.errors import InvalidParameterError, UndefinedMetricWarning

__all__ = ["attribution_ndcg_score"]


def attribution_ndcg_score(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """nDCG of ``current``'s feature ranking, with ``baseline``'s values as relevance.

    Parameters
    ----------
    baseline, current : mapping of feature name to global SHAP value
        The same features in both.

    Examples
    --------
    >>> round(attribution_ndcg_score({"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 0.3, "b": 0.2, "c": 0.1}), 12)
    1.0
    >>> round(attribution_ndcg_score({"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 0.1, "b": 0.2, "c": 0.3}), 6)
    0.789998
    """
    missing = [name for name in baseline if name not in current]
    extra = [name for name in current if name not in baseline]
    if missing or extra:
        parts = ([f"missing from the current values: {', '.join(missing)}"] if missing else []) + \
                ([f"not in the baseline: {', '.join(extra)}"] if extra else [])
        raise InvalidParameterError(f"the baseline and the current explanation explain different features ("
                                    f"{'; '.join(parts)})")
    names = list(baseline)
    relevance = np.abs(np.array([baseline[name] for name in names], dtype=np.float64))
    scores = np.abs(np.array([current[name] for name in names], dtype=np.float64))
    if not (np.isfinite(relevance).all() and np.isfinite(scores).all()):
        raise InvalidParameterError("global SHAP values must be finite numbers")
    if len(names) < 2 or not relevance.any():
        warnings.warn("nDCG is undefined for fewer than two features or an all-zero baseline; "
                      "the ranking cannot drift: 1.0", UndefinedMetricWarning, stacklevel=2)
        return 1.0
    return float(ndcg_score(relevance[None, :], scores[None, :]))
