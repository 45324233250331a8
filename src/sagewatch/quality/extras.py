"""The model-quality blocks of ``sagewatch_report.json`` (beyond SageMaker's files, which stay unchanged).

=========================  ==========================================================================
block                      what it holds
=========================  ==========================================================================
low_confidence             rows whose confidence (binary: max(p, 1 - p); multiclass: the predicted
                           class's probability) is under ``low_confidence_threshold``
labels_never_predicted     true classes the model never predicted, with their row counts
estimation                 the label-free estimate (CBPE, :mod:`sagewatch.quality.estimation`) of a
                           binary classifier with probabilities, the realised metric beside it when the
                           labels are there, and the calibration of the probabilities against them
slices                     per slice of ``slice_attribute``: rows, headline metrics, low-confidence
                           counts and the estimate (:mod:`sagewatch.quality.slices`)
=========================  ==========================================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.classification import class_order, majority_class
from sagewatch.quality.estimation import (apply_calibration, calibration_error, estimate_binary_performance,
                                          fit_calibration)
from sagewatch.quality.labels import BINARY, MULTICLASS, QualityColumns, as_numbers, label_text
from sagewatch.quality.slices import DEFAULT_BUCKETS, binary_confidence, low_confidence, slice_keys, slice_report

__all__ = ["ExtraOptions", "UnlabelledColumns", "prepare_unlabelled", "labelled_extras", "unlabelled_extras",
           "multiclass_confidence"]


@dataclass(frozen=True)
class ExtraOptions:
    """What the extra blocks are computed with (the job's settings, validated where they enter)."""

    positive_label: str = "1"
    slice_buckets: int = DEFAULT_BUCKETS
    low_confidence_threshold: float | None = None


@dataclass(frozen=True)
class UnlabelledColumns:
    """Captures without labels: the positive-class probability and whether the row was predicted positive,
    for the usable rows (``rows``: their indexes in the input), and the rows skipped by reason."""

    probability: np.ndarray
    predicted: np.ndarray
    rows: np.ndarray
    skips: dict[str, int]


def prepare_unlabelled(probability: pa.Array, *, prediction: pa.Array | None = None, threshold: float = 0.5,
                       positive_label: str = "1") -> UnlabelledColumns:
    """The probability column of captures without labels; unusable rows are skipped and counted with the reasons
    of :mod:`sagewatch.quality.labels`.

    >>> u = prepare_unlabelled(pa.array(["0.9", "x", "1.5", "0.2"]))
    >>> u.probability.tolist(), u.predicted.tolist(), u.skips
    ([0.9, 0.2], [True, False], {'non_numeric_probability': 1, 'probability_out_of_range': 1})
    """
    p, missing, bad = as_numbers(probability)
    skips: dict[str, int] = {}
    for reason, mask in (("missing_probability", missing), ("non_numeric_probability", bad),
                         ("probability_out_of_range", ~missing & ~bad & ((p < 0.0) | (p > 1.0)))):
        if mask.any():
            skips[reason] = int(mask.sum())
    keep = ~missing & ~bad & (p >= 0.0) & (p <= 1.0)
    if prediction is not None:
        text = label_text(prediction)
        classes = sorted(str(c) for c in pc.unique(pc.drop_null(text)).to_pylist())
        if len(classes) > 2 or (len(classes) == 2 and positive_label not in classes):
            shown = ", ".join(repr(c) for c in classes[:10]) + (" ..." if len(classes) > 10 else "")
            raise InvalidParameterError(
                f"the predictions hold the classes {shown}: a binary classifier's predictions must be two classes, "
                f"one of them positive_label {positive_label!r}")
        present = np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
        absent = keep & ~present
        if absent.any():
            skips["missing_prediction"] = int(absent.sum())
        keep &= present
        predicted = np.asarray(pc.fill_null(pc.equal(text, positive_label), False).to_numpy(zero_copy_only=False),
                               dtype=bool)
    else:
        predicted = p >= threshold
    return UnlabelledColumns(p[keep], predicted[keep], np.flatnonzero(keep), skips)


def multiclass_confidence(columns: list[pa.Array]) -> np.ndarray:
    """The confidence of a multiclass prediction: the probability column itself, or the row maximum over one
    column per class (NaN where none is a number in [0, 1]).

    >>> multiclass_confidence([pa.array([0.2, 0.7]), pa.array([0.5, 0.1]), pa.array([0.3, 0.2])]).tolist()
    [0.5, 0.7]
    """
    stacked = np.column_stack([as_numbers(c)[0] for c in columns])
    stacked = np.where((stacked >= 0.0) & (stacked <= 1.0), stacked, np.nan)
    out = np.full(len(stacked), np.nan)
    usable = ~np.isnan(stacked).all(axis=1)
    out[usable] = np.nanmax(stacked[usable], axis=1)
    return out


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _estimate(probability: np.ndarray, predicted: np.ndarray, rows: np.ndarray | None = None) -> dict[str, Any]:
    p, positive = (probability, predicted) if rows is None else (probability[rows], predicted[rows])
    return estimate_binary_performance(p, positive).to_dict()


def _low_confidence_block(confidence: np.ndarray | None, threshold: float | None) -> dict[str, Any] | None:
    if confidence is None or threshold is None:
        return None
    usable = ~np.isnan(confidence)
    block = low_confidence(confidence[usable], threshold)
    block["rows_without_confidence"] = int((~usable).sum())
    return block


def _check_options(options: ExtraOptions) -> None:
    t = options.low_confidence_threshold
    if t is not None and not 0.0 <= t <= 1.0:
        raise InvalidParameterError(f"low_confidence_threshold must be a number from 0 to 1, got {t!r}")


def labelled_extras(problem_type: str, columns: QualityColumns, *, realised: Mapping[str, Any],
                    slice_values: pa.Array | None = None, confidence: np.ndarray | None = None,
                    options: ExtraOptions = ExtraOptions()) -> dict[str, Any]:
    """The extra blocks of a run with labels.

    ``realised`` is the metrics object of ``statistics.json``; ``slice_values`` and ``confidence`` (multiclass
    only; binary takes it from the probabilities) are aligned with the input rows, of which ``columns.rows``
    were kept.
    """
    _check_options(options)
    rows = columns.rows if columns.rows is not None else np.arange(len(columns))
    positive = options.positive_label
    out: dict[str, Any] = {}
    if problem_type == BINARY and columns.y_score is not None:
        confidence = binary_confidence(columns.y_score)
    elif confidence is not None:
        confidence = np.asarray(confidence, dtype=np.float64)[rows]
    block = _low_confidence_block(confidence, options.low_confidence_threshold)
    if block is not None:
        out["low_confidence"] = block
    if problem_type != "Regression":
        true_classes, counts = np.unique(columns.y_true, return_counts=True)
        never = ~np.isin(true_classes, np.unique(columns.y_pred))
        if never.any():
            out["labels_never_predicted"] = {str(c): int(n) for c, n in zip(true_classes[never], counts[never])}
    score = columns.y_score if problem_type == BINARY else None
    if score is not None:
        predicted = columns.y_pred == positive
        estimate = _estimate(score, predicted)
        for name, entry in estimate["metrics"].items():
            value = realised.get(name, {}).get("value")
            entry["realised"] = value if isinstance(value, float) else None
            std = entry["standard_deviation"]
            entry["error_in_standard_deviations"] = (
                (entry["value"] - value) / std if isinstance(value, float) and std and math.isfinite(std)
                and math.isfinite(value) else None)
        truth = columns.y_true == positive
        calibration = calibration_error(truth, score)
        calibration["map"] = fit_calibration(truth, score)  # applied to later windows without labels
        out["estimation"] = {"method": "CBPE", "labels_available": True, **estimate, "calibration": calibration}
    if slice_values is not None:
        keys = slice_keys(pa.array(slice_values).take(pa.array(rows)), buckets=options.slice_buckets)
        classes = class_order(np.unique(np.concatenate([columns.y_true, columns.y_pred])).tolist()) \
            if problem_type == MULTICLASS else []
        out["slices"] = {"kind": keys.kind, "pooled_values": keys.pooled, "entries": slice_report(
            keys, problem_type, y_true=columns.y_true, y_pred=columns.y_pred, y_score=score, positive_label=positive,
            classes=classes, constant=majority_class(columns.y_true, classes) if classes else "",
            confidence=confidence, threshold=options.low_confidence_threshold,
            estimate=(lambda r: _estimate(score, columns.y_pred == positive, r)["metrics"])
            if score is not None else None)}
    return _finite(out)


def unlabelled_extras(columns: UnlabelledColumns, *, slice_values: pa.Array | None = None,
                      options: ExtraOptions = ExtraOptions(), baseline_calibration: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
    """The extra blocks of captures without labels (binary classification with probabilities): the estimate,
    overall and per slice, and the low-confidence counts.

    ``baseline_calibration`` is the baseline's ``calibration`` block; when it holds a ``map``
    (:func:`~sagewatch.quality.estimation.fit_calibration`) the estimate is made from the probabilities put
    through it (``calibrated_with_baseline``), as NannyML calibrates on reference data; the low-confidence
    counts and the predicted classes stay the model's own.
    """
    _check_options(options)
    if len(columns.probability) == 0:
        raise InvalidParameterError("no capture has a usable probability to estimate performance from")
    confidence = binary_confidence(columns.probability)
    out: dict[str, Any] = {}
    block = _low_confidence_block(confidence, options.low_confidence_threshold)
    if block is not None:
        out["low_confidence"] = block
    probability = columns.probability
    mapping = (baseline_calibration or {}).get("map")
    if mapping is not None:
        probability = apply_calibration(probability, mapping)
    estimation = {"method": "CBPE", "labels_available": False, "calibrated_with_baseline": mapping is not None,
                  **_estimate(probability, columns.predicted)}
    if baseline_calibration is not None:
        estimation["baseline_calibration"] = {k: v for k, v in baseline_calibration.items() if k != "map"}
        if mapping is not None:
            estimation["baseline_calibration"]["map_points"] = len(mapping["x"])
    out["estimation"] = estimation
    if slice_values is not None:
        keys = slice_keys(pa.array(slice_values).take(pa.array(columns.rows)), buckets=options.slice_buckets)
        out["slices"] = {"kind": keys.kind, "pooled_values": keys.pooled, "entries": slice_report(
            keys, BINARY, y_true=None, y_pred=columns.predicted, confidence=confidence,
            threshold=options.low_confidence_threshold,
            estimate=lambda r: _estimate(probability, columns.predicted, r)["metrics"])}
    return _finite(out)
