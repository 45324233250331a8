"""The model-quality statistics of one dataset, in SageMaker's layout (contract §6.2).

::

    {"version": 0.0, "dataset": {"item_count": n, "evaluation_time": "..."},
     "binary_classification_metrics" | "multiclass_classification_metrics" | "regression_metrics": {...}}

Every scalar metric is ``{"value": v, "standard_deviation": s}`` (:mod:`sagewatch.quality.resample`); the
confusion matrix and the curves have no wrapper.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.classification import (BINARY_SCALARS, MULTICLASS_SCALARS, binary_confusion_document,
                                              binary_counts, binary_curves, binary_scalars, check_binary_labels,
                                              class_order, confusion_document, majority_class, multiclass_scalars)
from sagewatch.quality.labels import BINARY, MULTICLASS, REGRESSION, QualityColumns
from sagewatch.quality.ranking import ScoreOrder
from sagewatch.quality.regression import REGRESSION_SCALARS, regression_scalars
from sagewatch.quality.resample import resampled_std

__all__ = ["METRICS_KEYS", "SCALAR_METRICS", "problem_metrics", "statistics_layout"]

#: problem type -> the statistics file's metrics key
METRICS_KEYS = {BINARY: "binary_classification_metrics", MULTICLASS: "multiclass_classification_metrics",
                REGRESSION: "regression_metrics"}
#: problem type -> its scalar metrics (the ones with value and standard deviation), in file order
SCALAR_METRICS = {BINARY: BINARY_SCALARS, MULTICLASS: MULTICLASS_SCALARS, REGRESSION: REGRESSION_SCALARS}
_CURVES_AFTER = "false_negative_rate"


def _wrap(values: dict[str, float], deviations: dict[str, float | str]) -> dict[str, dict[str, Any]]:
    return {key: {"value": values[key], "standard_deviation": deviations[key]} for key in values}


def _binary(columns: QualityColumns, positive_label: str) -> dict[str, Any]:
    negative = check_binary_labels(columns.y_true, columns.y_pred, positive_label)
    truth = columns.y_true == positive_label
    predicted = columns.y_pred == positive_label
    # one sort of the scores serves auc, both curves and the five resamples
    ranked = ScoreOrder.of(truth, predicted if columns.y_score is None else columns.y_score)
    values = binary_scalars(truth, predicted, ranked=ranked)
    deviations = resampled_std(lambda rows: binary_scalars(truth[rows], predicted[rows], ranked=ranked.subset(rows)),
                               len(truth), values, BINARY_SCALARS)
    wrapped = _wrap(values, deviations)
    roc, pr = binary_curves(ranked)
    counts = binary_counts(truth, predicted)
    out: dict[str, Any] = {"confusion_matrix": binary_confusion_document(counts, negative, positive_label)}
    for key in BINARY_SCALARS:
        out[key] = wrapped[key]
        if key == _CURVES_AFTER:
            out["receiver_operating_characteristic_curve"] = roc
            out["precision_recall_curve"] = pr
    return out


def _multiclass(columns: QualityColumns) -> dict[str, Any]:
    classes = class_order(np.unique(np.concatenate([columns.y_true, columns.y_pred])).tolist())
    constant = majority_class(columns.y_true, classes)
    y_true, y_pred = columns.y_true, columns.y_pred
    values = multiclass_scalars(y_true, y_pred, classes, constant)
    deviations = resampled_std(lambda rows: multiclass_scalars(y_true[rows], y_pred[rows], classes, constant),
                               len(y_true), values, MULTICLASS_SCALARS)
    return {"confusion_matrix": confusion_document(y_true, y_pred, classes), **_wrap(values, deviations)}


def _regression(columns: QualityColumns) -> dict[str, Any]:
    y_true, y_pred = columns.y_true, columns.y_pred
    values = regression_scalars(y_true, y_pred)
    deviations = resampled_std(lambda rows: regression_scalars(y_true[rows], y_pred[rows]), len(y_true), values,
                               REGRESSION_SCALARS)
    return _wrap(values, deviations)


def problem_metrics(columns: QualityColumns, problem_type: str, *, positive_label: str = "1") -> dict[str, Any]:
    """The metrics object of ``problem_type`` (the value under :data:`METRICS_KEYS`).

    >>> from sagewatch.quality.labels import QualityColumns
    >>> m = problem_metrics(QualityColumns(np.array(["1", "0", "0", "0"]), np.array(["1", "1", "1", "0"])),
    ...                     "BinaryClassification")
    >>> m["precision"], m["f2"]["value"]
    ({'value': 0.3333333333333333, 'standard_deviation': 'NaN'}, 0.7142857142857143)
    """
    if len(columns) == 0:
        raise InvalidParameterError("no rows to compute model-quality metrics from")
    if problem_type == BINARY:
        return _binary(columns, positive_label)
    if problem_type == MULTICLASS:
        return _multiclass(columns)
    if problem_type == REGRESSION:
        return _regression(columns)
    raise InvalidParameterError(f"problem_type must be one of {', '.join(METRICS_KEYS)}, got {problem_type!r}")


def statistics_layout(columns: QualityColumns, problem_type: str, *, evaluation_time: str,
                      positive_label: str = "1") -> dict[str, Any]:
    """The whole ``statistics.json`` document of a model-quality job."""
    return {"version": 0.0,
            "dataset": {"item_count": len(columns), "evaluation_time": evaluation_time},
            METRICS_KEYS[problem_type]: problem_metrics(columns, problem_type, positive_label=positive_label)}
