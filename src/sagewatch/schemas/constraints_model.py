"""The declared schema of ``constraints.json`` (contract §3.2, §12) and ``constraint_violations.json`` (§3.3).

Liberal where the sources vary: ``Enabled``/``Disabled`` in any case or as booleans, thresholds as
numbers or as numeric text (the docs allow ``"1e-1"``), all four ``comparison_method`` literals,
both spellings of per-feature overrides, legacy and unknown keys ignored. Strict where a value is
impossible: wrong JSON types, a ``completeness`` or threshold outside ``[0, 1]``, ``domains`` that
are not a list of strings, feature names that are empty, not strings or used twice.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import PlainValidator, model_validator

from sagewatch.errors import InvalidParameterError
from sagewatch.schemas.statistics_model import InferredType
from sagewatch.schemas.validation import unique_feature_names, Document, Name, Share, VersionNumber, expected

__all__ = ["ConstraintsFile", "FeatureConstraintEntry", "MonitoringConfigBlock", "DistributionConstraintsBlock",
           "Overrides", "ViolationsFile", "ViolationEntry", "Flag", "Threshold"]

_FLAGS = {"enabled": True, "disabled": False}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _FLAGS:
        return _FLAGS[value.strip().lower()]
    raise expected("'Enabled' or 'Disabled'")


def _threshold(value: Any) -> float:
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):  # the docs allow scientific notation written as text
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or not 0 <= number <= 1:
        raise expected("a number from 0 to 1")
    return number


def _comparison_method(value: Any) -> str:
    from sagewatch.drift import linf  # imported on use: the drift package loads scipy
    try:
        return linf.normalize_comparison_method(value)
    except InvalidParameterError:
        raise expected("one of Simple, Robust, linf_simple, linf_robust (any case)") from None


def _categorical_method(value: Any) -> str:
    from sagewatch.drift import linf
    try:
        return linf.normalize_categorical_drift_method(value)
    except InvalidParameterError:
        raise expected("LInfinity or ChiSquared (any case)") from None


def _domain_values(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise expected("a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise expected("a string", at=(i,), found=item)
    return tuple(value)


Flag = Annotated[bool, PlainValidator(_flag)]
Threshold = Annotated[float, PlainValidator(_threshold)]
ComparisonMethod = Annotated[str, PlainValidator(_comparison_method)]
CategoricalMethod = Annotated[str, PlainValidator(_categorical_method)]
Domains = Annotated[tuple[str, ...], PlainValidator(_domain_values)]


class Overrides(Document):
    evaluate_constraints: Flag | None = None
    emit_metrics: Flag | None = None


class NumConstraints(Document):
    is_non_negative: bool | None = None


class StringConstraints(Document):
    domains: Domains | None = None
    monitoring_config_overrides: Overrides | None = None  # the SDK's spelling (contract §12)


class FeatureConstraintEntry(Document):
    name: Name
    inferred_type: InferredType = "Unknown"
    completeness: Share | None = None
    num_constraints: NumConstraints | None = None
    string_constraints: StringConstraints | None = None
    monitoringConfigOverrides: Overrides | None = None  # noqa: N815 - the docs' spelling

    def overrides(self) -> Overrides:
        """Per-feature overrides; the feature-level key wins over the SDK's (contract §12)."""
        sdk = self.string_constraints.monitoring_config_overrides if self.string_constraints else None
        docs = self.monitoringConfigOverrides
        pick = lambda key: next((getattr(o, key) for o in (docs, sdk)  # noqa: E731
                                 if o is not None and getattr(o, key) is not None), None)
        return Overrides(evaluate_constraints=pick("evaluate_constraints"), emit_metrics=pick("emit_metrics"))


class DistributionConstraintsBlock(Document):
    perform_comparison: Flag = True
    comparison_threshold: Threshold = 0.1
    comparison_method: ComparisonMethod = "Robust"
    categorical_comparison_threshold: Threshold | None = None  # the docs: defaults to comparison_threshold
    categorical_drift_method: CategoricalMethod = "LInfinity"


class MonitoringConfigBlock(Document):
    evaluate_constraints: Flag = True
    emit_metrics: Flag = True
    datatype_check_threshold: Threshold = 1.0  # the container's default (contract §12)
    domain_content_threshold: Threshold = 1.0
    distribution_constraints: DistributionConstraintsBlock | None = None


class ConstraintsFile(Document):
    version: VersionNumber | None = None
    features: list[FeatureConstraintEntry]
    monitoring_config: MonitoringConfigBlock | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> ConstraintsFile:
        unique_feature_names(self.features)
        return self


class ViolationEntry(Document):
    feature_name: str | None = None  # data quality
    metric_name: str | None = None  # model quality (contract §12)
    constraint_check_type: Name
    description: str = ""


class ViolationsFile(Document):
    violations: list[ViolationEntry]
