"""Clarify's bias ``analysis.json`` and bias-drift ``constraint_violations.json`` (contract §7.3, §7.6).

Both files are written as Python's ``json.dump(..., indent=4)`` writes them (contract §3.5), keys in the
order of Clarify's real outputs; ±infinity is the text ``"Infinity"`` / ``"-Infinity"`` (smclarify
``inf_as_str``)::

    {"version": "1.0",
     "post_training_bias_metrics": {"label": "fraud", "facets": {"gender": [
         {"value_or_threshold": "1", "metrics": [{"name": "AD", "description": "Accuracy Difference (AD)",
                                                  "value": -0.0177}, ...]}]},
                                    "label_value_or_threshold": "0"},
     "pre_training_bias_metrics": {...}}

    {"version": "1.0", "violations": [{"facet": "Age", "facet_value": "40", "metric_name": "CI",
        "constraint_check_type": "bias_drift_check",
        "description": "Value 0.0751544567666083 does not meet the constraint requirement"}]}

The baseline of a bias-drift check is such an ``analysis.json``; :func:`load_bias_analysis` reads it with
a declared model (no numpy), errors naming the file and field.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import PlainValidator

from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.validation import Document, expected, validate_document

__all__ = ["ANALYSIS_FILE", "BIAS_DRIFT_CHECK", "STAGE_KEYS", "BiasMetricValue", "FacetReport", "BiasStage",
           "BiasAnalysis", "dumps_analysis", "parse_bias_analysis", "load_bias_analysis", "bias_violation",
           "dumps_bias_violations", "metric_value"]

ANALYSIS_FILE = "analysis.json"
BIAS_DRIFT_CHECK = "bias_drift_check"
STAGE_KEYS = ("pre_training_bias_metrics", "post_training_bias_metrics")
_INFINITIES = {"Infinity": math.inf, "-Infinity": -math.inf}


def _inf_as_str(value: Any) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {k: _inf_as_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inf_as_str(v) for v in value]
    return value


def dumps_analysis(document: dict[str, Any]) -> str:
    """``analysis.json`` text: indent 4, infinities as text, never ``NaN``.

    >>> print(dumps_analysis({"version": "1.0", "x": [{"value": float("inf")}]}))
    {
        "version": "1.0",
        "x": [
            {
                "value": "Infinity"
            }
        ]
    }
    """
    return json.dumps(_inf_as_str(document), indent=4, allow_nan=False)


def _metric_value(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise expected('a number, "Infinity", "-Infinity" or null')
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and value in _INFINITIES:
        return _INFINITIES[value]
    raise expected('a number, "Infinity", "-Infinity" or null')


MetricValue = Annotated[float | int | None, PlainValidator(_metric_value)]


class BiasMetricValue(Document):
    name: str
    description: str = ""
    value: MetricValue = None
    error: str | None = None


class FacetReport(Document):
    value_or_threshold: str
    metrics: list[BiasMetricValue]


class BiasStage(Document):
    label: str | None = None
    facets: dict[str, list[FacetReport]]
    label_value_or_threshold: str | None = None


class BiasAnalysis(Document):
    """A bias ``analysis.json``: at least one of the two stages."""

    version: str | None = None
    pre_training_bias_metrics: BiasStage | None = None
    post_training_bias_metrics: BiasStage | None = None

    def stages(self) -> dict[str, BiasStage]:
        return {key: stage for key in STAGE_KEYS if (stage := getattr(self, key)) is not None}


def parse_bias_analysis(document: Any, *, source: str = ANALYSIS_FILE) -> BiasAnalysis:
    """Check a parsed bias ``analysis.json`` (e.g. a drift baseline).

    >>> doc = {"version": "1.0", "pre_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
    ...        "facets": {"sex": [{"value_or_threshold": "0", "metrics": [{"name": "CI", "value": "Infinity"}]}]}}}
    >>> parse_bias_analysis(doc).pre_training_bias_metrics.facets["sex"][0].metrics[0].value
    inf
    >>> parse_bias_analysis({"version": "1.0"})
    Traceback (most recent call last):
    ...
    sagewatch.errors.SchemaError: analysis.json, field 'pre_training_bias_metrics': expected a bias stage (pre_training_bias_metrics or post_training_bias_metrics; is this an explainability analysis?), found nothing (the field is absent)
    """
    analysis = validate_document(BiasAnalysis, document, source=source)
    if not analysis.stages():
        from sagewatch.errors import SchemaError
        raise SchemaError("expected a bias stage (pre_training_bias_metrics or post_training_bias_metrics; is this "
                          "an explainability analysis?), found nothing (the field is absent)", source=source,
                          field="pre_training_bias_metrics")
    return analysis


def load_bias_analysis(path: str | Path) -> BiasAnalysis:
    """Read and check a bias ``analysis.json`` file."""
    return parse_bias_analysis(read_json_file(path, "bias analysis"), source=str(path))


def metric_value(value: float | int) -> str:
    """A value as the violation text shows it (Python's ``str``; infinities as ``Infinity``).

    >>> metric_value(0.0751544567666083), metric_value(float("-inf")), metric_value(0)
    ('0.0751544567666083', '-Infinity', '0')
    """
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return str(value)


def bias_violation(facet: str, facet_value: str, metric_name: str, value: float | int) -> dict[str, str]:
    """One bias-drift violation (DG's layout and wording)."""
    return {"facet": facet, "facet_value": facet_value, "metric_name": metric_name,
            "constraint_check_type": BIAS_DRIFT_CHECK,
            "description": f"Value {metric_value(value)} does not meet the constraint requirement"}


def dumps_bias_violations(violations: list[dict[str, str]]) -> str:
    """``constraint_violations.json`` of a bias-drift check.

    >>> print(dumps_bias_violations([]))
    {
        "version": "1.0",
        "violations": []
    }
    """
    return json.dumps({"version": "1.0", "violations": violations}, indent=4)
