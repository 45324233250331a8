"""Label-free performance estimation of a binary classifier (confidence-based, as NannyML's CBPE).

When the model's probabilities are calibrated, a row predicted with probability ``p`` is a positive with
probability ``p``. The confusion matrix of rows whose labels have not arrived is then expected to be::

    TP = Σ p over predicted positives     FP = Σ (1 - p) over predicted positives
    FN = Σ p over predicted negatives     TN = Σ (1 - p) over predicted negatives

and accuracy, precision, recall and f1 follow from it. ``auc`` is the area under the expected ROC curve: each row
counts as a positive with weight ``p`` and as a negative with weight ``1 - p`` (NannyML's ``estimate_roc_auc``,
the same area as scikit-learn's ``roc_auc_score`` with those sample weights).

The stated error of each estimate (``standard_deviation``) is the spread of the realised metric when the labels
are drawn as independent Bernoulli(p), the calibration assumption: the label count of a set of rows is then
Poisson-binomial with variance Σ p(1 - p). Accuracy and precision are linear in it; recall and f1 are ratios, whose
variance is taken by the delta method; ``auc``'s comes from :data:`AUC_ROUNDS` seeded label draws. The error says
nothing about miscalibration: :func:`calibration_error` measures that on data with labels (the baseline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sklearn.isotonic import IsotonicRegression

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.resample import data_seed

__all__ = ["ESTIMATED_METRICS", "AUC_ROUNDS", "CALIBRATION_BINS", "CALIBRATION_KNOTS", "PerformanceEstimate",
           "estimate_binary_performance", "calibration_error", "fit_calibration", "apply_calibration"]

#: the metrics CBPE estimates, named as in ``binary_classification_metrics``
ESTIMATED_METRICS = ("accuracy", "precision", "recall", "f1", "auc")
#: label draws behind the standard deviation of the estimated ``auc``
AUC_ROUNDS = 30
#: equal-width probability bins of :func:`calibration_error`
CALIBRATION_BINS = 10
#: at most this many knots of the calibration map :func:`fit_calibration` keeps
CALIBRATION_KNOTS = 200


def _sum(values: np.ndarray) -> float:
    # a correctly rounded sum, not np.sum: the same bytes on every CPU
    return math.fsum(values.tolist())


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


@dataclass(frozen=True)
class PerformanceEstimate:
    """Estimated metrics with their standard deviations, and the expected confusion matrix."""

    rows: int
    metrics: dict[str, float]
    standard_deviation: dict[str, float]
    expected_confusion: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """``{"rows", "expected_confusion_matrix", "metrics": {name: {"value", "standard_deviation"}}}``."""
        return {"rows": self.rows, "expected_confusion_matrix": dict(self.expected_confusion),
                "metrics": {name: {"value": self.metrics[name], "standard_deviation": self.standard_deviation[name]}
                            for name in ESTIMATED_METRICS}}


def _check(probability: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probability, dtype=np.float64)
    positive = np.asarray(predicted, dtype=bool)
    if p.ndim != 1 or positive.shape != p.shape:
        raise InvalidParameterError(f"probability and predicted must be 1-D arrays of one length, got shapes "
                                    f"{p.shape} and {positive.shape}")
    if len(p) == 0:
        raise InvalidParameterError("no rows to estimate performance from")
    if not np.all((p >= 0.0) & (p <= 1.0)):  # NaN fails too
        raise InvalidParameterError("probabilities must be numbers from 0 to 1")
    return p, positive


def _expected_auc(p: np.ndarray, seed_values: dict[str, float]) -> tuple[float, float]:
    """NannyML's expected ROC AUC and its standard deviation over label draws y ~ Bernoulli(p).

    One sort serves both (scikit-learn's ``roc_auc_score`` with the weights gives the same area but sorts twice as
    many rows, and the draws need the midranks anyway): per distinct probability v, W+ = Σ p and W- = Σ (1 - p)
    of its rows; AUC = Σ_v W+(v) · (W- below v + W-(v) / 2) / (Σ W+ · Σ W-), ties counted half.
    """
    values, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    w_pos = np.bincount(inverse, weights=p, minlength=len(values))
    w_neg = counts - w_pos
    below = np.cumsum(w_neg) - w_neg
    auc = _sum(w_pos * (below + 0.5 * w_neg)) / (_sum(w_pos) * _sum(w_neg))
    # the draws: the rank form of the realised AUC, with the midranks of the rows
    start = np.cumsum(counts) - counts
    ranks = (start + (counts + 1) / 2.0)[inverse]
    rng = np.random.default_rng(data_seed({**seed_values, "auc": auc}, len(p)))
    draws = []
    for _ in range(AUC_ROUNDS):  # a few draws, each vectorised over the rows
        y = rng.random(len(p)) < p
        n1 = int(y.sum())
        n0 = len(p) - n1
        if n1 and n0:
            # midranks are multiples of 1/2: their float sum is exact in any order (below 2**52)
            draws.append((float(ranks[y].sum()) - n1 * (n1 + 1) / 2) / (n1 * n0))
    std = float(np.std(np.asarray(draws), ddof=1)) if len(draws) > 1 else math.nan
    return auc, std


def estimate_binary_performance(probability: np.ndarray, predicted: np.ndarray) -> PerformanceEstimate:
    """Estimate accuracy, precision, recall, f1 and ROC AUC from calibrated probabilities alone.

    Parameters
    ----------
    probability : array of float
        The model's probability of the positive class, one per row, in [0, 1].
    predicted : array of bool
        Whether the row was predicted positive.

    Examples
    --------
    >>> e = estimate_binary_performance(np.array([0.9, 0.8, 0.3, 0.1]), np.array([True, True, False, False]))
    >>> e.expected_confusion
    {'true_positive': 1.7000000000000002, 'false_positive': 0.2999999999999998, 'false_negative': 0.4, 'true_negative': 1.6}
    >>> round(e.metrics["accuracy"], 6), round(e.metrics["precision"], 6)
    (0.825, 0.85)
    """
    p, positive = _check(probability, predicted)
    n = len(p)
    n_pos = int(positive.sum())
    n_neg = n - n_pos
    tp, fn = _sum(p[positive]), _sum(p[~positive])
    fp, tn = n_pos - tp, n_neg - fn
    var_pos, var_neg = _sum((p * (1.0 - p))[positive]), _sum((p * (1.0 - p))[~positive])
    metrics = {"accuracy": (tp + tn) / n, "precision": _ratio(tp, n_pos), "recall": _ratio(tp, tp + fn),
               "f1": _ratio(2 * tp, tp + n_pos + fn)}
    d = tp + n_pos + fn
    std = {"accuracy": math.sqrt(var_pos + var_neg) / n,
           "precision": _ratio(math.sqrt(var_pos), n_pos),
           # delta method: R = A / (A + B) and F1 = 2A / (A + n_pos + B), A = TP and B = FN independent
           "recall": _ratio(math.sqrt(fn * fn * var_pos + tp * tp * var_neg), (tp + fn) ** 2),
           "f1": _ratio(math.sqrt((2 * (n_pos + fn)) ** 2 * var_pos + (2 * tp) ** 2 * var_neg), d * d)}
    total_pos, total_neg = tp + fn, n - tp - fn
    if total_pos > 0 and total_neg > 0 and p.min() < p.max():
        metrics["auc"], std["auc"] = _expected_auc(p, metrics)
    else:  # one expected class or one probability: the ROC curve is undefined
        metrics["auc"] = std["auc"] = math.nan
    confusion = {"true_positive": tp, "false_positive": fp, "false_negative": fn, "true_negative": tn}
    return PerformanceEstimate(n, {k: float(metrics[k]) for k in ESTIMATED_METRICS},
                               {k: float(std[k]) for k in ESTIMATED_METRICS}, confusion)


def calibration_error(truth: np.ndarray, probability: np.ndarray, *, bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """The expected calibration error (ECE) over equal-width probability bins, the Brier score, and the bins.

    ECE = Σ (rows in bin / rows) · |positive rate in bin - mean probability in bin|: 0 for a calibrated model;
    the label-free estimate is only as good as the calibration. (Counted with ``np.bincount`` rather than
    scikit-learn's ``calibration_curve``, which leaves out empty bins and reports no counts.)

    >>> c = calibration_error(np.array([True, False, True, False]), np.array([0.9, 0.1, 0.6, 0.4]), bins=2)
    >>> round(c["expected_calibration_error"], 6), [b["rows"] for b in c["bins"]]
    (0.25, [2, 2])
    """
    y = np.asarray(truth, dtype=bool)
    p = np.asarray(probability, dtype=np.float64)
    if y.shape != p.shape or len(p) == 0:
        raise InvalidParameterError("truth and probability must be non-empty arrays of one length")
    if bins < 1:
        raise InvalidParameterError(f"bins must be at least 1, got {bins}")
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    rows = np.bincount(index, minlength=bins)
    positives = np.bincount(index, weights=y.astype(np.float64), minlength=bins)
    sums = np.bincount(index, weights=p, minlength=bins)
    table, gaps = [], []
    for b in range(bins):  # one entry per bin
        count = int(rows[b])
        mean_p = float(sums[b] / count) if count else None
        rate = float(positives[b] / count) if count else None
        if count:
            gaps.append(count * abs(rate - mean_p))
        table.append({"lower": b / bins, "upper": (b + 1) / bins, "rows": count, "mean_probability": mean_p,
                      "positive_rate": rate})
    return {"expected_calibration_error": math.fsum(gaps) / len(p),
            "brier_score": _sum((p - y) ** 2) / len(p), "bins": table}


def fit_calibration(truth: np.ndarray, probability: np.ndarray, *, knots: int = CALIBRATION_KNOTS
                    ) -> dict[str, list[float]]:
    """The calibration map of a model on labelled (baseline) data, as NannyML calibrates on reference data:
    scikit-learn's isotonic regression of the label on the probability, kept as at most ``knots`` points
    ``{"x": [...], "y": [...]}`` (x ascending) of a piecewise-linear map, read by :func:`apply_calibration`.

    >>> m = fit_calibration(np.array([False, False, True, True]), np.array([0.1, 0.4, 0.6, 0.9]))
    >>> m, apply_calibration(np.array([0.2, 0.95]), m).tolist()
    ({'x': [0.1, 0.4, 0.6, 0.9], 'y': [0.0, 0.0, 1.0, 1.0]}, [0.0, 1.0])
    """
    y = np.asarray(truth, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    if y.shape != p.shape or len(p) == 0:
        raise InvalidParameterError("truth and probability must be non-empty arrays of one length")
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
    x = np.asarray(model.X_thresholds_, dtype=np.float64)
    if len(x) > knots:  # thinned at quantiles of the data: the map stays monotone
        x = np.unique(np.quantile(p, np.linspace(0.0, 1.0, knots)))
    return {"x": x.tolist(), "y": np.clip(model.predict(x), 0.0, 1.0).tolist()}


def apply_calibration(probability: np.ndarray, mapping: dict[str, list[float]]) -> np.ndarray:
    """Probabilities through a calibration map of :func:`fit_calibration` (clipped at its ends)."""
    x = np.asarray(mapping["x"], dtype=np.float64)
    y = np.asarray(mapping["y"], dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or len(x) == 0 or np.any(np.diff(x) < 0) or np.any((y < 0) | (y > 1)):
        raise InvalidParameterError("a calibration map is two lists of one length, x ascending, y from 0 to 1")
    return np.interp(np.asarray(probability, dtype=np.float64), x, y)
