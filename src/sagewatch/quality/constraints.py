"""Suggested model-quality constraints and their check (contract §6.3).

Every scalar metric except the best-constant-classifier baselines gets a constraint whose threshold is the
baseline value (as in the EX notebook, where the suggested f2 threshold equals the baseline's f2). Metrics where
higher is better use ``LessThanThreshold`` (a violation when the current value falls below); error rates and
regression errors (``false_positive_rate``, ``false_negative_rate``, ``mae``, ``mse``, ``rmse``) use
``GreaterThanThreshold``. Metrics whose baseline value is undefined (NaN) get no constraint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.metrics import METRICS_KEYS, SCALAR_METRICS
from sagewatch.schemas.model_quality import ModelQualityConstraints, crosses, violation_entry

__all__ = ["LOWER_IS_BETTER", "suggest_quality_constraints", "QualityCheck", "check_quality"]

LOWER_IS_BETTER = frozenset({"false_positive_rate", "false_negative_rate", "mae", "mse", "rmse"})


def _scalars(problem_type: str, metrics: dict[str, Any]) -> dict[str, float]:
    return {name: float(metrics[name]["value"]) for name in SCALAR_METRICS[problem_type] if name in metrics}


def suggest_quality_constraints(problem_type: str, metrics: dict[str, Any]) -> ModelQualityConstraints:
    """Constraints from a baseline's metrics object (the value under the statistics' metrics key)."""
    suggested = {}
    for name, value in _scalars(problem_type, metrics).items():
        if name.endswith("_best_constant_classifier") or math.isnan(value):
            continue
        suggested[name] = (value, "GreaterThanThreshold" if name in LOWER_IS_BETTER else "LessThanThreshold")
    return ModelQualityConstraints(problem_type, suggested)


@dataclass(frozen=True)
class QualityCheck:
    """The violations found, and the constrained metrics that could not be evaluated (undefined or absent)."""

    violations: tuple[dict[str, str], ...]
    not_evaluated: tuple[str, ...]


def check_quality(problem_type: str, metrics: dict[str, Any], constraints: ModelQualityConstraints) -> QualityCheck:
    """Compare the current metrics with the baseline constraints; a problem-type mismatch is an error."""
    if constraints.problem_type != problem_type:
        raise InvalidParameterError(
            f"problem_type {problem_type} does not fit the baseline constraints, which are "
            f"{constraints.problem_type} constraints ({METRICS_KEYS[constraints.problem_type]})")
    current = _scalars(problem_type, metrics)
    violations, not_evaluated = [], []
    for name, (threshold, operator) in constraints.metrics.items():
        value = current.get(name, math.nan)
        if math.isnan(value):
            not_evaluated.append(name)
        elif crosses(value, threshold, operator):
            violations.append(violation_entry(name, value, threshold, operator))
    return QualityCheck(tuple(violations), tuple(not_evaluated))
