"""CloudWatch metric lines written by data-quality jobs (contract §4.5 and §5); the line format itself lives in
:mod:`sagewatch.schemas.metric_lines`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sagewatch.constraints.check import CheckResult

from sagewatch.profile.dataset import DatasetProfile
from sagewatch.profile.infer import FRACTIONAL, INTEGRAL
from sagewatch.schemas import metric_lines
from sagewatch.schemas.constraints import Constraints
from sagewatch.schemas.metric_lines import format_metric_time, metric_dimensions, metric_line
from sagewatch.schemas.serialize import dumps_compact

__all__ = ["data_quality_metrics", "dumps_metric_lines", "format_metric_time"]


def data_quality_metrics(current: DatasetProfile, check: "CheckResult | None", constraints: Constraints | None, *,
                         timestamp: datetime, endpoint: str | None, schedule: str | None) -> list[dict[str, Any]]:
    """``feature_data_*``, ``feature_non_null_*`` and ``feature_baseline_drift_*`` metrics.

    Dimensions are ``Endpoint`` and ``MonitoringSchedule``; batch jobs (no endpoint) use
    ``MonitoringSchedule`` only (contract §12).
    """
    dimensions = metric_dimensions(endpoint, schedule)
    when = format_metric_time(timestamp)
    emit_all = constraints is None or constraints.monitoring_config.emit_metrics
    lines: list[dict[str, Any]] = []
    for name, column in current.columns.items():
        feature = constraints.feature(name) if constraints else None
        emit = emit_all if feature is None or feature.emit_metrics is None else feature.emit_metrics
        if not emit:
            continue
        if column.inferred_type in (INTEGRAL, FRACTIONAL) and column.n_numeric:
            lines.append(metric_line(f"feature_data_{name}", when, dimensions, statistic_values={
                "SampleCount": column.n_numeric, "Sum": column.total, "Minimum": column.minimum,
                "Maximum": column.maximum}))
        lines.append(metric_line(f"feature_non_null_{name}", when, dimensions, value=column.completeness))
        if check is not None and name in check.drift_distances:
            lines.append(metric_line(f"feature_baseline_drift_{name}", when, dimensions,
                                     value=check.drift_distances[name]))
    return lines


def dumps_metric_lines(lines: list[dict[str, Any]]) -> str:
    """The metric file's text, numbers formatted as the job's other files (Jackson style)."""
    return metric_lines.dumps_metric_lines(lines, dumps_compact)
