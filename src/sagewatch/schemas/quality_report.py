"""``sagewatch_report.json`` of a model-quality job: the one home of its layout (version ``1.0``).

::

    monitor: "ModelQuality", version, problem_type, labels_available,
    rows_read, rows_evaluated, skipped_rows: {reason: count}, skipped_total,
    violations, constraints_not_evaluated, estimated_violations        (monitoring runs)
    low_confidence: {threshold, count, fraction, rows_without_confidence}
    labels_never_predicted: {class: rows}
    estimation: {method, labels_available[, calibrated_with_baseline], rows, expected_confusion_matrix,
                 metrics: {name: {value, standard_deviation[, realised, error_in_standard_deviations]}},
                 calibration: {expected_calibration_error, brier_score, bins, map: {x, y}}   (with labels)
                 | baseline_calibration: {expected_calibration_error, brier_score[, map_points] | error}}
    slices: {kind, pooled_values, entries: [{slice, rows, metrics, low_confidence, estimated}]}

Undefined numbers are ``null``. :func:`check_quality_report` reads a file back (for the HTML report) without
numpy; problems raise :class:`~sagewatch.errors.SchemaError` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sagewatch.schemas.validation import Count, Document, validate_document

__all__ = ["QUALITY_REPORT_VERSION", "QualityReportFile", "quality_report_document", "check_quality_report"]

QUALITY_REPORT_VERSION = "1.0"
_EXTRA_BLOCKS = ("low_confidence", "labels_never_predicted", "estimation", "slices")


class EstimateEntry(Document):
    value: float | None = None
    standard_deviation: float | None = None
    realised: float | None = None
    error_in_standard_deviations: float | None = None


class EstimationBlock(Document):
    method: str
    labels_available: bool
    calibrated_with_baseline: bool = False
    rows: Count
    expected_confusion_matrix: dict[str, float]
    metrics: dict[str, EstimateEntry]
    calibration: dict[str, Any] | None = None
    baseline_calibration: dict[str, Any] | None = None


class SliceEntry(Document):
    slice: str
    rows: Count
    metrics: dict[str, float | None] | None = None
    low_confidence: dict[str, Any] | None = None
    estimated: dict[str, EstimateEntry] | None = None


class SlicesBlock(Document):
    kind: Literal["categorical", "quantile"]
    pooled_values: Count = 0
    entries: list[SliceEntry]


class QualityReportFile(Document):
    monitor: Literal["ModelQuality"]
    version: str | None = None
    problem_type: str
    labels_available: bool = True
    rows_read: Count
    rows_evaluated: Count
    skipped_rows: dict[str, Count] = {}
    skipped_total: Count = 0
    merge: dict[str, Count] | None = None
    violations: Count | None = None
    constraints_not_evaluated: list[str] | None = None
    estimated_violations: list[dict[str, Any]] | None = None
    low_confidence: dict[str, Any] | None = None
    labels_never_predicted: dict[str, Count] | None = None
    estimation: EstimationBlock | None = None
    slices: SlicesBlock | None = None


def quality_report_document(*, problem_type: str, labels_available: bool, rows_read: int, rows_evaluated: int,
                            skips: Mapping[str, int], violations: int | None = None,
                            constraints_not_evaluated: list[str] | None = None,
                            estimated_violations: list[dict[str, Any]] | None = None,
                            extras: Mapping[str, Any] | None = None,
                            merge: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The report's layout, blocks in their fixed order; absent blocks are left out.

    >>> list(quality_report_document(problem_type="Regression", labels_available=True, rows_read=3,
    ...                              rows_evaluated=2, skips={"missing_ground_truth": 1}))
    ['monitor', 'version', 'problem_type', 'labels_available', 'rows_read', 'rows_evaluated', 'skipped_rows', 'skipped_total']
    """
    document: dict[str, Any] = {"monitor": "ModelQuality", "version": QUALITY_REPORT_VERSION,
                                "problem_type": problem_type, "labels_available": labels_available,
                                "rows_read": rows_read, "rows_evaluated": rows_evaluated,
                                "skipped_rows": dict(skips), "skipped_total": int(sum(skips.values()))}
    if merge is not None:
        document["merge"] = dict(merge)  # the ground-truth merge job's counts (emulator executions)
    for key, value in (("violations", violations), ("constraints_not_evaluated", constraints_not_evaluated),
                       ("estimated_violations", estimated_violations)):
        if value is not None:
            document[key] = value
    extras = extras or {}
    for key in _EXTRA_BLOCKS:
        if key in extras:
            document[key] = extras[key]
    return document


def check_quality_report(document: Any, *, source: str = "sagewatch_report.json") -> QualityReportFile:
    """Check a parsed model-quality ``sagewatch_report.json``."""
    return validate_document(QualityReportFile, document, source=source)
