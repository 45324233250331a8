"""Feature-attribution drift (contract §7.6): nDCG per label against the baseline ``analysis.json``, Clarify's
violations, and the ``explainability-metrics`` CloudWatch lines (contract §5).

A label violates when its nDCG (:func:`~sagewatch.clarify.explain.ndcg.attribution_ndcg_score`) is below the
threshold: 0.9 unless configured (a sagewatch setting; Clarify's is fixed, contract §12).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sagewatch.clarify.explain.ndcg import attribution_ndcg_score
from sagewatch.clarify.explain.shift import attribution_shift
from sagewatch.errors import InvalidParameterError
from sagewatch.schemas.explainability import ExplanationsFile, attribution_violation
from sagewatch.schemas.metric_lines import metric_line

__all__ = ["DEFAULT_DRIFT_THRESHOLD", "LabelDrift", "AttributionDrift", "check_attribution_drift",
           "explainability_metric_lines", "EXPLAINABILITY_METHODS"]

DEFAULT_DRIFT_THRESHOLD = 0.9
#: explainer key of analysis.json -> the ``ExplainabilityMethod`` dimension (``TreeShap``: sagewatch's)
EXPLAINABILITY_METHODS = {"kernel_shap": "KernelShap", "tree_shap": "TreeShap"}


@dataclass(frozen=True)
class LabelDrift:
    """One label's check: its nDCG, whether it violates, and the per-feature shift."""

    label: str
    ndcg: float
    violated: bool
    shift: dict[str, Any]


@dataclass(frozen=True)
class AttributionDrift:
    """The whole check: one :class:`LabelDrift` per baseline label, in the baseline's order."""

    threshold: float
    labels: tuple[LabelDrift, ...]

    @property
    def violations(self) -> list[dict[str, Any]]:
        """The entries of ``constraint_violations.json``."""
        return [attribution_violation(d.label, d.ndcg, self.threshold) for d in self.labels if d.violated]

    def report_block(self) -> dict[str, Any]:
        """The ``feature_attribution`` block of ``sagewatch_report.json``."""
        return {"threshold": self.threshold, "labels": {
            d.label: {"ndcg": d.ndcg, "violated": d.violated, "shift": d.shift} for d in self.labels}}


def _threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0.0 <= value <= 1.0:
        raise InvalidParameterError(f"the attribution drift threshold must be a number from 0 to 1, got {value!r}")
    return float(value)


def check_attribution_drift(baseline: ExplanationsFile, current: ExplanationsFile, *,
                            threshold: float = DEFAULT_DRIFT_THRESHOLD, measure: str = "mean_abs") -> AttributionDrift:
    """Compare the current global SHAP values with the baseline's, label by label.

    Raises
    ------
    InvalidParameterError
        A baseline label the current run has not explained, different features, or a bad threshold.

    Examples
    --------
    >>> from sagewatch.schemas.explainability import check_explanations, explanations_document
    >>> base = check_explanations(explanations_document("kernel_shap", {"label0": ({"a": 3, "b": 2, "c": 1}, 0)}))
    >>> now = check_explanations(explanations_document("kernel_shap", {"label0": ({"a": 1, "b": 2, "c": 3}, 0)}))
    >>> drift = check_attribution_drift(base, now)
    >>> round(drift.labels[0].ndcg, 6), drift.violations[0]["description"][:42]
    (0.789998, 'Feature attribution drift 0.78999800424...')
    """
    limit = _threshold(threshold)
    results = []
    for label, attribution in baseline.labels.items():
        if label not in current.labels:
            raise InvalidParameterError(f"the baseline explains label {label!r}, the current run does not (it "
                                        f"explains {', '.join(current.labels)}); are label_headers the same?")
        base_values = attribution.global_shap_values
        current_values = current.labels[label].global_shap_values
        score = attribution_ndcg_score(base_values, current_values)
        results.append(LabelDrift(label, score, score < limit,
                                  attribution_shift(base_values, current_values, measure=measure)))
    return AttributionDrift(limit, tuple(results))


def explainability_metric_lines(current: ExplanationsFile, *, timestamp: str,
                                dimensions: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The metric lines of one run (contract §5): ``feature_<name>`` per global SHAP value and ``ExpectedValue``
    per label, with the ``ExplainabilityMethod``, ``Label`` and ``ValueType`` dimensions after ``dimensions``
    (``Endpoint``, ``MonitoringSchedule``).

    Examples
    --------
    >>> from sagewatch.schemas.explainability import check_explanations, explanations_document
    >>> now = check_explanations(explanations_document("kernel_shap", {"label0": ({"a": 0.5}, 0.25)}))
    >>> [(line["MetricName"], line["Dimensions"][-1]["Value"], line["Value"])
    ...  for line in explainability_metric_lines(now, timestamp="2024-05-01T10:00:00Z", dimensions=[])]
    [('feature_a', 'GlobalShapValues', 0.5), ('ExpectedValue', 'ExpectedValue', 0.25)]
    """
    method = EXPLAINABILITY_METHODS[current.explainer]
    lines = []
    for label, attribution in current.labels.items():
        def dims(value_type: str) -> list[dict[str, str]]:
            return [dict(d) for d in dimensions] + [{"Name": "ExplainabilityMethod", "Value": method},
                                                    {"Name": "Label", "Value": label},
                                                    {"Name": "ValueType", "Value": value_type}]
        for name, value in attribution.global_shap_values.items():
            lines.append(metric_line(f"feature_{name}", timestamp, dims("GlobalShapValues"), value=value))
        if attribution.expected_value is not None:
            # the expected-value metric's name is UNCONFIRMED (contract §5); "ExpectedValue" is the likely one
            lines.append(metric_line("ExpectedValue", timestamp, dims("ExpectedValue"),
                                     value=attribution.expected_value))
    return lines
