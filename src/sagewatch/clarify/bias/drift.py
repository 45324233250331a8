"""Bias drift (contract §7.6, §5): the current bias metrics against a baseline ``analysis.json``, and the
CloudWatch lines of ``aws/sagemaker/Endpoints/bias-metrics``.

Rule (DG; sagewatch's reading, contract §12): a metric violates when its current value is farther from its
ideal value than the baseline's: ``|current| > |baseline|``, and for DI (ideal 1)
``|current − 1| > |baseline − 1|``. Only metrics with a value in both files are compared (a facet value,
metric or stage missing from either side, or a null value, is not evaluated and is listed as such).
Infinite values compare as infinitely far. A continuous facet's group, ``(<threshold>, <largest value>]``, is
matched by its threshold: the largest value is the data's, not the configuration's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from sagewatch.schemas.clarify_analysis import BiasAnalysis, bias_violation
from sagewatch.schemas.metric_lines import metric_dimensions, metric_line

__all__ = ["DriftResult", "check_bias_drift", "distance_from_ideal", "bias_metric_lines", "BIAS_STAGES",
           "INFINITY_METRIC_VALUE"]

IDEAL_VALUES = {"DI": 1.0}
#: the BiasStage dimension of each stage (DG ``clarify-model-monitor-bias-drift-cw.md``, spelled as there)
BIAS_STAGES = {"pre_training_bias_metrics": "Pre-training", "post_training_bias_metrics": "Post-Training"}
#: how ±infinity is published (contract §5)
INFINITY_METRIC_VALUE = 2.348543e108


@dataclass(frozen=True)
class DriftResult:
    """``violations``: entries of ``constraint_violations.json``; ``not_evaluated``: ``stage/facet=value/metric``
    keys that could not be compared."""

    violations: tuple[dict[str, str], ...]
    not_evaluated: tuple[str, ...] = field(default_factory=tuple)


def distance_from_ideal(code: str, value: float) -> float:
    """How far a metric value is from its ideal (0, or 1 for DI).

    >>> distance_from_ideal("DPPL", -0.3), distance_from_ideal("DI", 0.5), distance_from_ideal("CI", float("-inf"))
    (0.3, 0.5, inf)
    """
    return abs(value - IDEAL_VALUES.get(code, 0.0))


# a continuous facet's group "(<threshold>, <largest value>]": its upper bound is the largest value of the data
# measured, which differs between the baseline's dataset and the monitored one, so the group is named by its threshold
_INTERVAL = re.compile(r"^\((?P<threshold>[^,\]]+), [^,\]]+\]$")


def _group(value_or_threshold: str) -> str:
    """The name a facet group is matched by: ``(0.0, 2.1]`` and ``(0.0, 2.5]`` are both ``(0.0, ...]``.

    >>> _group("(0.0, 2.1033]"), _group("40")
    ('(0.0, ...]', '40')
    """
    match = _INTERVAL.match(value_or_threshold)
    return f"({match['threshold']}, ...]" if match else value_or_threshold


def _values(analysis: BiasAnalysis) -> dict[tuple[str, str, str, str], tuple[str, float | int | None]]:
    """(stage, facet, group name, metric) -> (the facet value as written, the metric value)."""
    out: dict[tuple[str, str, str, str], tuple[str, float | int | None]] = {}
    for stage, report in analysis.stages().items():
        for facet, entries in report.facets.items():
            for entry in entries:
                for metric in entry.metrics:
                    out[(stage, facet, _group(entry.value_or_threshold), metric.name)] = (
                        entry.value_or_threshold, metric.value)
    return out


def check_bias_drift(current: BiasAnalysis, baseline: BiasAnalysis) -> DriftResult:
    """Compare every metric of ``current`` with the baseline's (see the module docstring).

    >>> from sagewatch.schemas.clarify_analysis import parse_bias_analysis
    >>> def doc(ci):
    ...     return parse_bias_analysis({"pre_training_bias_metrics": {"facets": {"Age": [
    ...         {"value_or_threshold": "40", "metrics": [{"name": "CI", "value": ci}]}]}}})
    >>> check_bias_drift(doc(0.2), doc(0.1)).violations[0]["description"]
    'Value 0.2 does not meet the constraint requirement'
    >>> check_bias_drift(doc(-0.1), doc(0.2)).violations
    ()
    """
    base = _values(baseline)
    violations, not_evaluated = [], []
    for key, (facet_value, value) in _values(current).items():
        stage, facet, _, code = key
        reference = base.get(key, ("", None))[1]
        if value is None or reference is None:
            not_evaluated.append(f"{stage}/{facet}={facet_value}/{code}")
            continue
        if distance_from_ideal(code, value) > distance_from_ideal(code, reference):
            violations.append(bias_violation(facet, facet_value, code, value))
    return DriftResult(tuple(violations), tuple(not_evaluated))


def _published(value: float | int) -> float:
    if isinstance(value, float) and math.isinf(value):
        return math.copysign(INFINITY_METRIC_VALUE, value)
    return float(value)


def bias_metric_lines(analysis: BiasAnalysis, *, timestamp: str, endpoint: str | None = None,
                      schedule: str | None = None) -> list[dict[str, Any]]:
    """``bias_metric_<CODE>`` lines with the dimensions of contract §5 (null values are not published).

    >>> from sagewatch.schemas.clarify_analysis import parse_bias_analysis
    >>> a = parse_bias_analysis({"post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
    ...     "facets": {"sex": [{"value_or_threshold": "0", "metrics": [{"name": "DI", "value": "Infinity"},
    ...                                                           {"name": "AD", "value": None}]}]}}})
    >>> [(l["MetricName"], l["Value"]) for l in bias_metric_lines(a, timestamp="2024-01-01T00:00:00Z")]
    [('bias_metric_DI', 2.348543e+108)]
    """
    base = metric_dimensions(endpoint, schedule)
    lines = []
    for stage, report in analysis.stages().items():
        for facet, entries in report.facets.items():
            for entry in entries:
                dimensions = base + [{"Name": "BiasStage", "Value": BIAS_STAGES[stage]},
                                     {"Name": "Label", "Value": report.label or ""},
                                     {"Name": "LabelValue", "Value": report.label_value_or_threshold or ""},
                                     {"Name": "Facet", "Value": facet},
                                     {"Name": "FacetValue", "Value": entry.value_or_threshold}]
                for metric in entry.metrics:
                    if metric.value is None:
                        continue
                    lines.append(metric_line(f"bias_metric_{metric.name}", timestamp, [dict(d) for d in dimensions],
                                             value=_published(metric.value)))
    return lines

