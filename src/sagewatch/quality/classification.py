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

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
import math

from sklearn.metrics import (accuracy_score, confusion_matrix, precision_recall_curve, precision_recall_fscore_support,
                             precision_score, recall_score, roc_auc_score, roc_curve)

from sagewatch.errors import InvalidParameterError

__all__ = ["BINARY_SCALARS", "MULTICLASS_SCALARS", "MAX_CURVE_POINTS", "class_order", "confusion_document",
           "binary_scalars", "binary_curves", "multiclass_scalars", "check_binary_labels", "f_beta"]

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
    """The negative class of a binary problem; :class:`InvalidParameterError` when the data has other classes."""
    seen = class_order(np.unique(np.concatenate([y_true, y_pred])).tolist())
    others = [c for c in seen if c != positive_label]
    if len(others) > 1:
        raise InvalidParameterError(
            f"problem_type BinaryClassification needs two classes, the labels and predictions hold {len(seen)}: "
            f"{', '.join(seen[:10])}{' ...' if len(seen) > 10 else ''} (positive label {positive_label!r}); "
            "use MulticlassClassification or set positive_label")
    return others[0] if others else ("0" if positive_label != "0" else "1")


def _quiet(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return function(*args, **kwargs)


def binary_scalars(truth: np.ndarray, predicted: np.ndarray, score: np.ndarray | None) -> dict[str, float]:
    """The scalar binary metrics from boolean arrays (``True`` = positive class) and optional scores.

    ``auc`` ranks ``score`` (the predicted labels when there is no probability). The best constant classifier
    always predicts the positive class (contract §6.2). False-positive rate is FP / (FP + TN); the true-negative
    and false-negative rates are its and recall's complements, as SageMaker's example prints them.
    """
    t = truth.astype(np.int8)
    p = predicted.astype(np.int8)
    tn, fp, _, _ = confusion_matrix(t, p, labels=[0, 1]).ravel()
    recall = float(_quiet(recall_score, t, p, zero_division=0.0))
    fpr = float(fp / (fp + tn)) if fp + tn else 0.0
    constant = np.ones_like(t)
    out = {"recall": recall,
           "precision": float(_quiet(precision_score, t, p, zero_division=0.0)),
           "accuracy": float(accuracy_score(t, p)),
           "recall_best_constant_classifier": float(_quiet(recall_score, t, constant, zero_division=0.0)),
           "precision_best_constant_classifier": float(_quiet(precision_score, t, constant, zero_division=0.0)),
           "accuracy_best_constant_classifier": float(accuracy_score(t, constant)),
           "true_positive_rate": recall,
           "true_negative_rate": 1.0 - fpr,
           "false_positive_rate": fpr,
           "false_negative_rate": 1.0 - recall,
           "auc": _auc(t, p if score is None else score)}
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


def _auc(t: np.ndarray, score: np.ndarray) -> float:
    if t.min(initial=1) == t.max(initial=0):  # one class: undefined
        return float("nan")
    return float(roc_auc_score(t, score))


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    n = len(arrays[0])
    if n > MAX_CURVE_POINTS:
        index = np.unique(np.linspace(0, n - 1, MAX_CURVE_POINTS).round().astype(np.int64))
        arrays = tuple(a[index] for a in arrays)
    return [np.asarray(a, dtype=np.float64).tolist() for a in arrays]


def binary_curves(truth: np.ndarray, score: np.ndarray) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """ROC and precision-recall curves over every score threshold (scikit-learn), recall ascending.

    Empty when the labels hold one class (the curves are undefined).
    """
    t = truth.astype(np.int8)
    if t.min(initial=1) == t.max(initial=0):
        return ({"false_positive_rates": [], "true_positive_rates": []}, {"precisions": [], "recalls": []})
    fpr, tpr, _ = roc_curve(t, score, drop_intermediate=True)
    precision, recall, _ = precision_recall_curve(t, score, drop_intermediate=True)
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
