"""Binary and multiclass classification metrics in SageMaker's keys and order (contract §6.2).

The arithmetic is scikit-learn's; this module only chooses the inputs and the key order. F-scores are taken
from precision P and recall R as (1 + β²)·P·R / (β²·P + R), the form that reproduces SageMaker's documented
example to the last digit (scikit-learn's count form differs in the last bit: 0.38461538461538464 for
0.3846153846153846); weighted scores average the per-class scores by support. Undefined ratios
(no predicted positives, no negatives, ...) are 0.0, scikit-learn's ``zero_division=0.0`` policy, and an
``auc`` with one class in the labels is NaN (written as ``"NaN"``), with its curves empty.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import math

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.ranking import ScoreOrder, sorted_precision_recall_curve, sorted_roc_auc, sorted_roc_curve

__all__ = ["BINARY_SCALARS", "MULTICLASS_SCALARS", "MAX_CURVE_POINTS", "class_order", "confusion_document",
           "binary_counts", "binary_confusion_document", "binary_scalars", "binary_curves", "multiclass_scalars",
           "check_binary_labels", "f_beta"]

#: the scalar metrics of ``binary_classification_metrics``, in SageMaker's order (the curves sit between
#: ``false_negative_rate`` and ``auc``, see :data:`BINARY_LAYOUT` in :mod:`sagewatch.quality.metrics`)
BINARY_SCALARS = ("recall", "precision", "accuracy", "recall_best_constant_classifier",
                  "precision_best_constant_classifier", "accuracy_best_constant_classifier", "true_positive_rate",
                  "true_negative_rate", "false_positive_rate", "false_negative_rate", "auc", "f0_5", "f1", "f2",
                  "f0_5_best_constant_classifier", "f1_best_constant_classifier", "f2_best_constant_classifier")
MULTICLASS_SCALARS = ("accuracy", "weighted_recall", "weighted_precision", "weighted_f0_5", "weighted_f1",
                      "weighted_f2", "accuracy_best_constant_classifier", "weighted_recall_best_constant_classifier",
                      "weighted_precision_best_constant_classifier", "weighted_f0_5_best_constant_classifier",
                      "weighted_f1_best_constant_classifier", "weighted_f2_best_constant_classifier")
#: curves longer than this are thinned to this many evenly spaced points, ends kept (sagewatch's choice:
#: the threshold grid of SageMaker's curves is unconfirmed, contract §6.2)
MAX_CURVE_POINTS = 1001
_BETAS = (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0))


def class_order(labels: Sequence[str]) -> list[str]:
    """Classes sorted numerically when every label is a number, else as text.

    >>> class_order(["10", "2", "1"]), class_order(["b", "a"])
    (['1', '2', '10'], ['a', 'b'])
    """
    unique = sorted(set(labels))
    try:
        return sorted(unique, key=float)
    except ValueError:
        return unique


def confusion_document(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict[str, dict[str, int]]:
    """``{actual: {predicted: count}}`` over every pair of classes (contract §6.2).

    >>> confusion_document(np.array(["1", "0", "0", "0"]), np.array(["1", "1", "1", "0"]), ["0", "1"])
    {'0': {'0': 1, '1': 2}, '1': {'0': 0, '1': 1}}
    """
    matrix = confusion_matrix(y_true, y_pred, labels=classes)
    return {actual: {predicted: int(matrix[i, j]) for j, predicted in enumerate(classes)}
            for i, actual in enumerate(classes)}


def check_binary_labels(y_true: np.ndarray, y_pred: np.ndarray, positive_label: str) -> str:
    """The negative class of a binary problem; :class:`InvalidParameterError` when the data has other classes.

    >>> check_binary_labels(np.array(["1", "0"]), np.array(["0", "0"]), "1")
    '0'
    """
    others = [y_true[y_true != positive_label], y_pred[y_pred != positive_label]]
    first = next((o[0] for o in others if len(o)), None)
    if first is None:
        return "0" if positive_label != "0" else "1"
    if all(bool((o == first).all()) for o in others):  # one other class: no sort of the labels needed
        return str(first)
    seen = class_order(np.unique(np.concatenate([y_true, y_pred])).tolist())
    raise InvalidParameterError(
        f"problem_type BinaryClassification needs two classes, the labels and predictions hold {len(seen)}: "
        f"{', '.join(seen[:10])}{' ...' if len(seen) > 10 else ''} (positive label {positive_label!r}); "
        "use MulticlassClassification or set positive_label")


def binary_counts(truth: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int, int]:
    """``(tn, fp, fn, tp)`` of boolean arrays (``True`` = positive), as ``confusion_matrix(...).ravel()``.

    >>> binary_counts(np.array([True, False, False, False]), np.array([True, True, True, False]))
    (1, 2, 0, 1)
    """
    tn, fp, fn, tp = np.bincount(2 * np.asarray(truth, dtype=np.int64) + np.asarray(predicted, dtype=bool),
                                 minlength=4).tolist()
    return tn, fp, fn, tp


def binary_confusion_document(counts: tuple[int, int, int, int], negative: str,
                              positive: str) -> dict[str, dict[str, int]]:
    """:func:`confusion_document` of a binary problem from its :func:`binary_counts` (classes in
    :func:`class_order`).

    >>> binary_confusion_document((1, 2, 0, 1), "0", "1")
    {'0': {'0': 1, '1': 2}, '1': {'0': 0, '1': 1}}
    """
    tn, fp, fn, tp = counts
    cell = {(False, False): tn, (False, True): fp, (True, False): fn, (True, True): tp}
    classes = class_order([negative, positive])
    return {actual: {predicted: cell[(actual == positive, predicted == positive)] for predicted in classes}
            for actual in classes}


def _quiet(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return function(*args, **kwargs)


def _ratio(numerator: int, denominator: int) -> float:
    # scikit-learn's zero_division=0.0: an undefined ratio is 0.0; else the correctly rounded quotient, as its
    # float division of the integer counts gives
    return numerator / denominator if denominator else 0.0


def binary_scalars(truth: np.ndarray, predicted: np.ndarray, score: np.ndarray | None = None, *,
                   ranked: ScoreOrder | None = None) -> dict[str, float]:
    """The scalar binary metrics from boolean arrays (``True`` = positive class) and optional scores.

    ``auc`` ranks ``score`` (the predicted labels when there is no probability); pass ``ranked`` (the rows
    already sorted by score, :class:`~sagewatch.quality.ranking.ScoreOrder`) to skip the sort. The best constant
    classifier always predicts the positive class (contract §6.2). False-positive rate is FP / (FP + TN); the
    true-negative and false-negative rates are its and recall's complements, as SageMaker's example prints them.
    The ratios are scikit-learn's ``recall_score``, ``precision_score`` and ``accuracy_score`` (zero_division 0.0)
    computed from one count of the four cells (``tests/unit/quality/test_metrics.py`` compares them).

    >>> binary_scalars(np.array([True, False, False, False]), np.array([True, True, True, False]))["f2"]
    0.7142857142857143
    """
    tn, fp, fn, tp = binary_counts(truth, predicted)
    n, positives = tn + fp + fn + tp, tp + fn
    if ranked is None:
        ranked = ScoreOrder.of(truth, np.asarray(predicted if score is None else score, dtype=np.float64))
    recall = _ratio(tp, tp + fn)
    fpr = _ratio(fp, fp + tn)
    out = {"recall": recall,
           "precision": _ratio(tp, tp + fp),
           "accuracy": _ratio(tp + tn, n),
           "recall_best_constant_classifier": _ratio(positives, positives),
           "precision_best_constant_classifier": _ratio(positives, n),
           "accuracy_best_constant_classifier": _ratio(positives, n),
           "true_positive_rate": recall,
           "true_negative_rate": 1.0 - fpr,
           "false_positive_rate": fpr,
           "false_negative_rate": 1.0 - recall,
           "auc": sorted_roc_auc(ranked)}
    for name, beta in _BETAS:
        out[name] = f_beta(out["precision"], recall, beta)
    for name, beta in _BETAS:
        out[f"{name}_best_constant_classifier"] = f_beta(out["precision_best_constant_classifier"],
                                                         out["recall_best_constant_classifier"], beta)
    return out


def f_beta(precision: float, recall: float, beta: float) -> float:
    """(1 + β²)·P·R / (β²·P + R), 0.0 when P and R are 0.

    >>> f_beta(1 / 3, 1.0, 0.5)
    0.3846153846153846
    """
    b2 = beta * beta
    denominator = b2 * precision + recall
    return (1 + b2) * precision * recall / denominator if denominator else 0.0


def _weighted(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict[str, float]:
    precision, recall, _, support = _quiet(precision_recall_fscore_support, y_true, y_pred, labels=classes,
                                           average=None, zero_division=0.0)
    total = float(support.sum())
    out = {"recall": math.fsum(w * r for w, r in zip(support.tolist(), recall.tolist())) / total,
           "precision": math.fsum(w * p for w, p in zip(support.tolist(), precision.tolist())) / total}
    for name, beta in _BETAS:  # one term per class, not per row
        out[name] = math.fsum(w * f_beta(p, r, beta) for w, p, r in
                              zip(support.tolist(), precision.tolist(), recall.tolist())) / total
    return out


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    n = len(arrays[0])
    if n > MAX_CURVE_POINTS:
        index = np.unique(np.linspace(0, n - 1, MAX_CURVE_POINTS).round().astype(np.int64))
        arrays = tuple(a[index] for a in arrays)
    return [np.asarray(a, dtype=np.float64).tolist() for a in arrays]


def binary_curves(truth: np.ndarray | ScoreOrder,
                  score: np.ndarray | None = None) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """ROC and precision-recall curves over every score threshold (scikit-learn's points), recall ascending.

    ``truth`` and ``score`` arrays, or one :class:`~sagewatch.quality.ranking.ScoreOrder` (rows already sorted).
    Empty when the labels hold one class (the curves are undefined).
    """
    ranked = truth if isinstance(truth, ScoreOrder) else ScoreOrder.of(truth, score)
    positives = int(np.count_nonzero(ranked.truth))
    if positives == 0 or positives == len(ranked):
        return ({"false_positive_rates": [], "true_positive_rates": []}, {"precisions": [], "recalls": []})
    fpr, tpr = sorted_roc_curve(ranked)
    precision, recall = sorted_precision_recall_curve(ranked)
    fprs, tprs = _thin(fpr, tpr)
    precisions, recalls = _thin(precision[::-1], recall[::-1])
    return ({"false_positive_rates": fprs, "true_positive_rates": tprs},
            {"precisions": precisions, "recalls": recalls})


def multiclass_scalars(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str], constant: str) -> dict[str, float]:
    """The weighted multiclass metrics; the best constant classifier predicts ``constant`` for every row."""
    const = np.full(len(y_true), constant, dtype=y_true.dtype if y_true.dtype.kind == "U" else object)
    out = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for key, value in _weighted(y_true, y_pred, classes).items():
        out[f"weighted_{key}"] = value
    out["accuracy_best_constant_classifier"] = float(accuracy_score(y_true, const))
    for key, value in _weighted(y_true, const, classes).items():
        out[f"weighted_{key}_best_constant_classifier"] = value
    return {key: out[key] for key in MULTICLASS_SCALARS}


def majority_class(y_true: np.ndarray, classes: list[str]) -> str:
    """The most frequent true class (ties: the first in ``classes``): sagewatch's best constant classifier for
    multiclass problems (SageMaker's rule is unconfirmed, contract §6.2).

    >>> majority_class(np.array(["b", "a", "b", "a"]), ["a", "b"])
    'a'
    """
    values, counts = np.unique(y_true, return_counts=True)
    count = dict(zip(values.tolist(), counts.tolist()))
    return max(classes, key=lambda c: (count.get(c, 0), -classes.index(c)))


__all__.append("majority_class")
