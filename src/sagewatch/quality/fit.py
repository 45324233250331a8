"""Whether the labels and predictions fit the job's ``problem_type``: a specific error before any metric.

Checked here (before :mod:`sagewatch.quality.metrics`, whose own checks stay as a last guard):

- ``BinaryClassification`` with more than two classes names the classes of the labels and of the predictions
  apart, so a user sees at once that e.g. the labels ``yes``/``no`` are not the predicted ``1``/``0``;
  two classes without the positive label ask for ``positive_label``.
- ``MulticlassClassification`` whose labels are mostly distinct numbers (over :data:`MAX_UNIQUE_SHARE` of more
  than :data:`MIN_CLASSES_FOR_CHECK` classes) looks like a regression target.

(Regression with text labels needs no check here: its rows are skipped as ``non_numeric_ground_truth`` and a
job with no usable row fails, naming the problem type.)
"""

from __future__ import annotations

import numpy as np

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.classification import class_order
from sagewatch.quality.labels import BINARY, MULTICLASS

__all__ = ["check_problem_fit", "MAX_UNIQUE_SHARE", "MIN_CLASSES_FOR_CHECK"]

MAX_UNIQUE_SHARE = 0.5
MIN_CLASSES_FOR_CHECK = 100


def _shown(classes: list[str]) -> str:
    return ", ".join(repr(c) for c in classes[:10]) + (f" ... ({len(classes)} in all)" if len(classes) > 10 else "")


def check_problem_fit(problem_type: str, y_true: np.ndarray, y_pred: np.ndarray, *, positive_label: str = "1"
                      ) -> None:
    """Raise :class:`InvalidParameterError` when the labels and predictions do not fit ``problem_type``.

    >>> check_problem_fit("BinaryClassification", np.array(["yes", "no"]), np.array(["1", "0"]))
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: problem_type BinaryClassification needs two classes, but the ground truth holds 'no', 'yes' and the predictions hold '0', '1': the labels are not among the predicted classes
    """
    if problem_type == BINARY:
        truth = class_order(np.unique(y_true).tolist())
        predicted = class_order(np.unique(y_pred).tolist())
        union = class_order(truth + predicted)
        if len(union) > 2:
            hint = "the labels are not among the predicted classes" if not set(truth) & set(predicted) else \
                "use MulticlassClassification or map the labels to two classes"
            raise InvalidParameterError(
                f"problem_type BinaryClassification needs two classes, but the ground truth holds {_shown(truth)} "
                f"and the predictions hold {_shown(predicted)}: {hint}")
        if len(union) == 2 and positive_label not in union:
            raise InvalidParameterError(
                f"positive_label {positive_label!r} is not one of the two classes {_shown(union)}; set "
                "positive_label to the positive class")
    elif problem_type == MULTICLASS:
        classes = np.unique(y_true)
        if len(classes) > MIN_CLASSES_FOR_CHECK and len(classes) > MAX_UNIQUE_SHARE * len(y_true):
            numeric = all(_is_number(c) for c in classes[:50].tolist())
            raise InvalidParameterError(
                f"problem_type MulticlassClassification does not fit the data: {len(classes)} distinct labels in "
                f"{len(y_true)} rows (e.g. {_shown(class_order(classes[:5].tolist()))})"
                + ("; numeric labels this varied are a Regression target" if numeric else ""))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
