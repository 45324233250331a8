"""The columns a model-quality analysis reads, turned into arrays: labels as text, scores as floats.

Labels are compared as text, as in the confusion matrix's keys (contract §6.2): a numeric label column whose
values are all whole numbers is written without a fraction (``1.0`` and ``"1"`` are the same class ``"1"``).
Rows the metrics cannot use are dropped and counted under a reason (never silently):

=============================  =====================================================================
reason                         the row's
=============================  =====================================================================
missing_ground_truth           label is null or empty
missing_prediction             predicted label (or, without one, probability) is null or empty
non_numeric_probability        probability is not a number
probability_out_of_range       probability is outside [0, 1]
non_numeric_ground_truth       label is not a number (regression)
non_numeric_prediction         prediction is not a number (regression)
=============================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.errors import InvalidParameterError

__all__ = ["PROBLEM_TYPES", "BINARY", "MULTICLASS", "REGRESSION", "QualityColumns", "label_text", "as_numbers",
           "prepare_columns"]

BINARY = "BinaryClassification"
MULTICLASS = "MulticlassClassification"
REGRESSION = "Regression"
PROBLEM_TYPES = (REGRESSION, BINARY, MULTICLASS)


@dataclass(frozen=True)
class QualityColumns:
    """The arrays one metric set is computed from (same length), and the rows dropped on the way; ``rows`` are
    the indexes of the kept rows in the input columns (``None``: all of them)."""

    y_true: np.ndarray
    y_pred: np.ndarray
    y_score: np.ndarray | None = None
    skips: dict[str, int] = field(default_factory=dict)
    rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y_true)


def _string_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "1", "0")
    if pa.types.is_floating(values.type):
        finite = pc.fill_null(pc.is_finite(values), False)
        whole = pc.and_(finite, pc.equal(pc.floor(values), values))
        as_int = pc.cast(pc.if_else(whole, values, 0.0), pa.int64(), safe=False).cast(pa.string())
        return pc.if_else(whole, as_int, values.cast(pa.string()))
    if pa.types.is_integer(values.type) or pa.types.is_decimal(values.type):
        return values.cast(pa.string())
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    # numeric text: "1.0" and "1" are one class; other text is kept as it is
    numbers = pc.cast(text, pa.float64(), safe=False) if _all_numeric(text) else None
    if numbers is None:
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return _string_array(numbers)


def _all_numeric(text: pa.Array) -> bool:
    valid = pc.drop_null(text)
    valid = valid.filter(pc.not_equal(valid, ""))
    if len(valid) == 0:
        return False
    return bool(pc.all(pc.match_substring_regex(
        valid, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")).as_py())


def label_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Class labels as text (null where missing).

    >>> label_text(pa.array([1.0, 0.0, None])).to_pylist()
    ['1', '0', None]
    >>> label_text(pa.array(["1", " 0.0", "cat"])).to_pylist()
    ['1', '0.0', 'cat']
    """
    return _string_array(values)


def as_numbers(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(numbers, missing, non_numeric)``: float64 values (NaN where unusable) and two masks.

    >>> n, missing, bad = as_numbers(pa.array(["0.5", "", "x", None]))
    >>> n[0], missing.tolist(), bad.tolist()
    (np.float64(0.5), [False, True, False, True], [False, False, True, False])
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_boolean(values.type) \
            or pa.types.is_decimal(values.type):
        numbers = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        missing = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        numbers = np.where(missing, np.nan, numbers)
        return numbers, missing, ~missing & ~np.isfinite(numbers)
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    missing = np.asarray(pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
    numeric = np.asarray(pc.fill_null(pc.match_substring_regex(
        text, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"), False).to_numpy(zero_copy_only=False), dtype=bool)
    numbers = np.full(len(text), np.nan)
    if numeric.any():
        numbers[numeric] = pc.cast(text.filter(pa.array(numeric)), pa.float64()).to_numpy(zero_copy_only=False)
    non_numeric = ~missing & ~(numeric & np.isfinite(numbers))
    return numbers, missing, non_numeric


def _count(skips: dict[str, int], reason: str, mask: np.ndarray) -> None:
    n = int(mask.sum())
    if n:
        skips[reason] = skips.get(reason, 0) + n


def prepare_columns(problem_type: str, ground_truth: pa.Array, *, prediction: pa.Array | None = None,
                    probability: pa.Array | None = None, threshold: float = 0.5,
                    positive_label: str = "1", negative_label: str = "0") -> QualityColumns:
    """Turn the attribute columns into the arrays of one problem type, dropping (and counting) unusable rows.

    Binary classification without a predicted-label column predicts ``positive_label`` where the probability is
    at least ``threshold`` (``probability_threshold_attribute``), else ``negative_label``.
    """
    if problem_type not in PROBLEM_TYPES:
        raise InvalidParameterError(f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {problem_type!r}")
    if prediction is None and (problem_type != BINARY or probability is None):
        raise InvalidParameterError(f"{problem_type} needs inference_attribute (the predicted "
                                    f"{'value' if problem_type == REGRESSION else 'label'} column)"
                                    + (" or probability_attribute" if problem_type == BINARY else ""))
    skips: dict[str, int] = {}
    if problem_type == REGRESSION:
        y_true, missing_t, bad_t = as_numbers(ground_truth)
        y_pred, missing_p, bad_p = as_numbers(prediction)
        _count(skips, "missing_ground_truth", missing_t)
        _count(skips, "non_numeric_ground_truth", bad_t & ~missing_t)
        rest = ~(missing_t | bad_t)
        _count(skips, "missing_prediction", rest & missing_p)
        _count(skips, "non_numeric_prediction", rest & bad_p & ~missing_p)
        keep = rest & ~(missing_p | bad_p)
        return QualityColumns(y_true[keep], y_pred[keep], None, skips, np.flatnonzero(keep))

    truth_text = label_text(ground_truth)
    truth = truth_text.to_numpy(zero_copy_only=False)
    keep = np.asarray(pc.is_valid(truth_text).to_numpy(zero_copy_only=False), dtype=bool)
    _count(skips, "missing_ground_truth", ~keep)
    score = None
    if probability is not None:
        score, missing_s, bad_s = as_numbers(probability)
        _count(skips, "missing_prediction" if prediction is None else "missing_probability", keep & missing_s)
        _count(skips, "non_numeric_probability", keep & bad_s)
        keep &= ~(missing_s | bad_s)
        out_of_range = keep & ((score < 0.0) | (score > 1.0))
        _count(skips, "probability_out_of_range", out_of_range)
        keep &= ~out_of_range
    if prediction is not None:
        predicted = label_text(prediction)
        present = np.asarray(pc.is_valid(predicted).to_numpy(zero_copy_only=False), dtype=bool)
        _count(skips, "missing_prediction", keep & ~present)
        keep &= present
        y_pred = predicted.to_numpy(zero_copy_only=False)
    else:
        y_pred = np.where(score >= threshold, positive_label, negative_label).astype(object)
    y_true = truth[keep].astype(str)
    return QualityColumns(y_true, np.asarray(y_pred[keep]).astype(str), None if score is None else score[keep],
                          skips, np.flatnonzero(keep))
