"""Model-quality ``statistics.json``, ``constraints.json`` and ``constraint_violations.json`` (contract §6.2, §6.3).

The layouts (what the writer emits) and their declared readers (pydantic, no numpy)::

    {"version": 0.0, "binary_classification_constraints": {
        "f2": {"threshold": 0.625, "comparison_operator": "LessThanThreshold"}, ...}}
    {"violations": [{"constraint_check_type": "LessThanThreshold",
                     "description": "Metric f2 with 0.55 was LessThanThreshold 0.625", "metric_name": "f2"}]}

A constraints file holds exactly one of the three blocks; thresholds may be numbers or numeric text (the DG
baseline page says they may be written in scientific notation). The statistics layout itself is built by
:func:`sagewatch.quality.metrics.statistics_layout` and written with :func:`~sagewatch.schemas.serialize.dumps_jackson`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import PlainValidator, model_validator

from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.serialize import dumps_jackson, java_double
from sagewatch.schemas.validation import Count, Document, JsonDouble, VersionNumber, expected, validate_document

__all__ = ["CONSTRAINTS_KEYS", "STATISTICS_KEYS", "OPERATORS", "MetricConstraint", "ModelQualityConstraints",
           "ModelQualityConstraintsFile", "ModelQualityStatisticsFile", "constraints_document",
           "dumps_model_quality_constraints", "violation_entry", "dumps_model_quality_violations",
           "load_model_quality_constraints", "load_model_quality_statistics", "crosses"]

#: problem type -> the constraints file's block
CONSTRAINTS_KEYS = {"BinaryClassification": "binary_classification_constraints",
                    "MulticlassClassification": "multiclass_classification_constraints",
                    "Regression": "regression_constraints"}
#: problem type -> the statistics file's metrics block
STATISTICS_KEYS = {"BinaryClassification": "binary_classification_metrics",
                   "MulticlassClassification": "multiclass_classification_metrics",
                   "Regression": "regression_metrics"}
#: comparison operator -> whether ``value`` crosses ``threshold`` (the operators of CloudWatch alarms)
OPERATORS = {"LessThanThreshold": lambda v, t: v < t, "GreaterThanThreshold": lambda v, t: v > t,
             "LessThanOrEqualToThreshold": lambda v, t: v <= t,
             "GreaterThanOrEqualToThreshold": lambda v, t: v >= t}
Operator = Literal["LessThanThreshold", "GreaterThanThreshold", "LessThanOrEqualToThreshold",
                   "GreaterThanOrEqualToThreshold"]


def _threshold(value: Any) -> float:
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise expected("a finite number (or numeric text such as \"6.25E-1\")")
    return number


Threshold = Annotated[float, PlainValidator(_threshold)]


class MetricConstraint(Document):
    threshold: Threshold
    comparison_operator: Operator


class ModelQualityConstraintsFile(Document):
    version: VersionNumber = 0.0
    binary_classification_constraints: dict[str, MetricConstraint] | None = None
    multiclass_classification_constraints: dict[str, MetricConstraint] | None = None
    regression_constraints: dict[str, MetricConstraint] | None = None

    @model_validator(mode="after")
    def _one_block(self) -> "ModelQualityConstraintsFile":
        present = [key for key in CONSTRAINTS_KEYS.values() if getattr(self, key) is not None]
        if len(present) != 1:
            raise expected(f"exactly one of {', '.join(CONSTRAINTS_KEYS.values())}",
                           found=f"{len(present)} of them" + (f" ({', '.join(present)})" if present else ""))
        return self


class ScalarMetric(Document):
    value: JsonDouble
    standard_deviation: JsonDouble


class DatasetBlock(Document):
    item_count: Count
    evaluation_time: str | None = None


class ModelQualityStatisticsFile(Document):
    version: VersionNumber = 0.0
    dataset: DatasetBlock
    binary_classification_metrics: dict[str, Any] | None = None
    multiclass_classification_metrics: dict[str, Any] | None = None
    regression_metrics: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_block(self) -> "ModelQualityStatisticsFile":
        present = [key for key in STATISTICS_KEYS.values() if getattr(self, key) is not None]
        if len(present) != 1:
            raise expected(f"exactly one of {', '.join(STATISTICS_KEYS.values())}",
                           found=f"{len(present)} of them")
        return self


@dataclass(frozen=True)
class ModelQualityConstraints:
    """A parsed constraints file: its problem type and ``{metric: (threshold, operator)}`` in file order."""

    problem_type: str
    metrics: dict[str, tuple[float, str]]


def crosses(value: float, threshold: float, operator: str) -> bool:
    """Whether ``value`` violates the constraint (NaN never does).

    >>> crosses(0.55, 0.625, "LessThanThreshold"), crosses(0.7, 0.625, "LessThanThreshold")
    (True, False)
    """
    return not math.isnan(value) and OPERATORS[operator](value, threshold)


def constraints_document(problem_type: str, metrics: dict[str, tuple[float, str]]) -> dict[str, Any]:
    """The constraints layout: ``{"version": 0.0, "<problem>_constraints": {metric: {...}}}``."""
    return {"version": 0.0, CONSTRAINTS_KEYS[problem_type]: {
        name: {"threshold": threshold, "comparison_operator": operator}
        for name, (threshold, operator) in metrics.items()}}


def dumps_model_quality_constraints(constraints: ModelQualityConstraints) -> str:
    return dumps_jackson(constraints_document(constraints.problem_type, constraints.metrics))


def violation_entry(metric: str, value: float, threshold: float, operator: str) -> dict[str, str]:
    """One violation, keys in the order of the documented sample (contract §6.3).

    >>> violation_entry("f2", 0.55, 0.625, "LessThanThreshold")["description"]
    'Metric f2 with 0.55 was LessThanThreshold 0.625'
    """
    return {"constraint_check_type": operator,
            "description": f"Metric {metric} with {java_double(value)} was {operator} {java_double(threshold)}",
            "metric_name": metric}


def dumps_model_quality_violations(violations: list[dict[str, str]]) -> str:
    return dumps_jackson({"violations": violations})


def load_model_quality_constraints(path: str | Path) -> ModelQualityConstraints:
    """Read and check a model-quality ``constraints.json``; problems raise :class:`SchemaError` naming the field."""
    document = read_json_file(path, "model-quality constraints")
    parsed = validate_document(ModelQualityConstraintsFile, document, source=str(Path(path).name))
    for problem_type, key in CONSTRAINTS_KEYS.items():
        block = getattr(parsed, key)
        if block is not None:
            return ModelQualityConstraints(problem_type, {name: (c.threshold, c.comparison_operator)
                                                          for name, c in block.items()})
    raise AssertionError("unreachable: the model checks one block is present")


def load_model_quality_statistics(path: str | Path) -> tuple[str, ModelQualityStatisticsFile]:
    """Read and check a model-quality ``statistics.json``: ``(problem_type, file)``; scalar metrics are checked
    to be ``{"value", "standard_deviation"}`` pairs."""
    source = str(Path(path).name)
    document = read_json_file(path, "model-quality statistics")
    parsed = validate_document(ModelQualityStatisticsFile, document, source=source)
    for problem_type, key in STATISTICS_KEYS.items():
        block = getattr(parsed, key)
        if block is None:
            continue
        for name, entry in block.items():
            if isinstance(entry, dict) and "value" in entry:
                validate_document(ScalarMetric, entry, source=source, at=(key, name))
        return problem_type, parsed
    raise AssertionError("unreachable: the model checks one block is present")
