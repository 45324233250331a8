"""``constraints.json`` and ``constraint_violations.json``: the one home of their formats.

Reading is liberal (contract §12): both spellings of per-feature overrides, ``Simple`` /
``Robust`` / ``linf_simple`` / ``linf_robust`` in any case, legacy distribution keys accepted
and ignored, unknown keys preserved when a user's file is rewritten. Writing follows real
analyzer output (Jackson layout, ``version`` 0.0).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagewatch.defaults import MONITORING_CONFIG
from sagewatch.errors import InvalidParameterError, SchemaError
from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.serialize import dumps_jackson

__all__ = ["MonitoringConfig", "FeatureConstraint", "Constraints", "load_constraints",
           "dumps_violations", "Violation", "CHECK_TYPES"]

CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"
VIOLATIONS_FILE_ALIASES = (VIOLATIONS_FILE, "constraints_violations.json")  # DG BYOC table spelling
CHECK_TYPES = ("data_type_check", "completeness_check", "baseline_drift_check", "missing_column_check",
               "extra_column_check", "categorical_values_check")
_ENABLED = {"enabled": True, "disabled": False}


def _flag(value: Any, where: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _ENABLED:
        return _ENABLED[value.lower()]
    raise SchemaError(f"expected 'Enabled' or 'Disabled', got {value!r}", source=where, field=key)


def _threshold(value: Any, where: str, key: str) -> float:
    try:
        number = float(value)  # the docs allow scientific notation written as text
    except (TypeError, ValueError) as e:
        raise SchemaError(f"expected a number, got {value!r}", source=where, field=key) from e
    if number != number or number < 0:
        raise SchemaError(f"threshold must be a non-negative number, got {value!r}", source=where, field=key)
    return number


def normalize_comparison_method(value: str, where: str = "monitoring_config") -> str:
    """The drift module's literal rules, reported as a schema error naming the file and field."""
    from sagewatch.drift import linf  # imported on use: the drift package loads scipy
    try:
        return linf.normalize_comparison_method(value)
    except InvalidParameterError as e:
        raise SchemaError(str(e), source=where, field="comparison_method") from e


def normalize_categorical_method(value: str, where: str = "monitoring_config") -> str:
    from sagewatch.drift import linf
    try:
        return linf.normalize_categorical_drift_method(value)
    except InvalidParameterError as e:
        raise SchemaError(str(e), source=where, field="categorical_drift_method") from e


@dataclass(frozen=True)
class MonitoringConfig:
    """``monitoring_config`` with the analyzer container's defaults for absent keys."""

    evaluate_constraints: bool = True
    emit_metrics: bool = True
    datatype_check_threshold: float = MONITORING_CONFIG["datatype_check_threshold"]
    domain_content_threshold: float = MONITORING_CONFIG["domain_content_threshold"]
    perform_comparison: bool = True
    comparison_threshold: float = 0.1
    comparison_method: str = "Robust"
    categorical_comparison_threshold: float = 0.1
    categorical_drift_method: str = "LInfinity"

    @classmethod
    def from_dict(cls, block: dict[str, Any] | None, where: str = CONSTRAINTS_FILE) -> MonitoringConfig:
        block = block or {}
        dist = block.get("distribution_constraints") or {}
        comparison_threshold = _threshold(dist.get("comparison_threshold", 0.1), where, "comparison_threshold")
        return cls(
            evaluate_constraints=_flag(block.get("evaluate_constraints", "Enabled"), where, "evaluate_constraints"),
            emit_metrics=_flag(block.get("emit_metrics", "Enabled"), where, "emit_metrics"),
            datatype_check_threshold=_threshold(block.get("datatype_check_threshold", 1.0), where,
                                                "datatype_check_threshold"),
            domain_content_threshold=_threshold(block.get("domain_content_threshold", 1.0), where,
                                                "domain_content_threshold"),
            perform_comparison=_flag(dist.get("perform_comparison", "Enabled"), where, "perform_comparison"),
            comparison_threshold=comparison_threshold,
            comparison_method=normalize_comparison_method(dist.get("comparison_method", "Robust"), where),
            # the docs: categorical threshold defaults to comparison_threshold
            categorical_comparison_threshold=_threshold(
                dist.get("categorical_comparison_threshold", comparison_threshold), where,
                "categorical_comparison_threshold"),
            categorical_drift_method=normalize_categorical_method(dist.get("categorical_drift_method", "LInfinity"),
                                                                  where),
        )

    def to_dict(self) -> dict[str, Any]:
        onoff = lambda b: "Enabled" if b else "Disabled"  # noqa: E731
        return {
            "evaluate_constraints": onoff(self.evaluate_constraints),
            "emit_metrics": onoff(self.emit_metrics),
            "datatype_check_threshold": float(self.datatype_check_threshold),
            "domain_content_threshold": float(self.domain_content_threshold),
            "distribution_constraints": {
                "perform_comparison": onoff(self.perform_comparison),
                "comparison_threshold": float(self.comparison_threshold),
                "comparison_method": self.comparison_method,
                "categorical_comparison_threshold": float(self.categorical_comparison_threshold),
                "categorical_drift_method": self.categorical_drift_method,
            },
        }


@dataclass(frozen=True)
class FeatureConstraint:
    name: str
    inferred_type: str
    completeness: float | None = None
    is_non_negative: bool | None = None
    domains: tuple[str, ...] | None = None
    evaluate_constraints: bool | None = None  # per-feature override; None = follow monitoring_config
    emit_metrics: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)  # the original entry, unknown keys kept

    def to_dict(self) -> dict[str, Any]:
        entry = copy.deepcopy(self.raw)
        entry["name"] = self.name
        entry["inferred_type"] = self.inferred_type
        if self.completeness is not None:
            entry["completeness"] = float(self.completeness)
        if self.is_non_negative is not None:
            entry["num_constraints"] = {**entry.get("num_constraints", {}), "is_non_negative": self.is_non_negative}
        if self.domains is not None:
            entry["string_constraints"] = {**entry.get("string_constraints", {}), "domains": list(self.domains)}
        order = ["name", "inferred_type", "completeness", "num_constraints", "string_constraints",
                 "monitoringConfigOverrides"]
        return {k: entry[k] for k in order if k in entry} | {k: v for k, v in entry.items() if k not in order}


def _feature_constraint(entry: Any, where: str) -> FeatureConstraint:
    if not isinstance(entry, dict) or "name" not in entry:
        raise SchemaError("feature without a name", source=where, field="features")
    name = str(entry["name"])
    kind = entry.get("inferred_type", "Unknown")
    if kind not in ("Integral", "Fractional", "String", "Unknown"):
        raise SchemaError(f"unknown inferred_type {kind!r}", source=where, field=f"{name}.inferred_type")
    completeness = entry.get("completeness")
    if completeness is not None:
        completeness = _threshold(completeness, where, f"{name}.completeness")
    num = entry.get("num_constraints") or {}
    strings = entry.get("string_constraints") or {}
    domains = strings.get("domains")
    # per-feature overrides: feature-level monitoringConfigOverrides wins over the SDK's spelling
    overrides = dict(strings.get("monitoring_config_overrides") or {})
    overrides.update(entry.get("monitoringConfigOverrides") or {})
    evaluate = overrides.get("evaluate_constraints")
    emit = overrides.get("emit_metrics")
    return FeatureConstraint(
        name, kind, completeness,
        bool(num["is_non_negative"]) if "is_non_negative" in num else None,
        tuple(str(d) for d in domains) if domains is not None else None,
        _flag(evaluate, where, f"{name}.evaluate_constraints") if evaluate is not None else None,
        _flag(emit, where, f"{name}.emit_metrics") if emit is not None else None,
        copy.deepcopy(entry),
    )


@dataclass(frozen=True)
class Constraints:
    features: tuple[FeatureConstraint, ...]
    monitoring_config: MonitoringConfig = MonitoringConfig()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def feature(self, name: str) -> FeatureConstraint | None:
        return next((f for f in self.features if f.name == name), None)

    @classmethod
    def from_dict(cls, document: Any, *, source: str = CONSTRAINTS_FILE) -> Constraints:
        if not isinstance(document, dict) or not isinstance(document.get("features"), list):
            raise SchemaError("expected an object with a 'features' list", source=source, field="features")
        features = tuple(_feature_constraint(e, source) for e in document["features"])
        return cls(features, MonitoringConfig.from_dict(document.get("monitoring_config"), source),
                   copy.deepcopy(document))

    def to_dict(self) -> dict[str, Any]:
        document = {"version": 0.0, "features": [f.to_dict() for f in self.features],
                    "monitoring_config": self.monitoring_config.to_dict()}
        if self.raw.get("monitoring_config"):  # keep a user's unknown keys, never legacy ones
            extra = {k: v for k, v in self.raw["monitoring_config"].items() if k not in document["monitoring_config"]}
            document["monitoring_config"].update(extra)
            dist_raw = self.raw["monitoring_config"].get("distribution_constraints") or {}
            legacy = {"enable_comparisons", "min_domain_mass"}
            dist = document["monitoring_config"]["distribution_constraints"]
            dist.update({k: v for k, v in dist_raw.items() if k not in dist and k not in legacy})
        return document

    def dumps(self) -> str:
        return dumps_jackson(self.to_dict())


def load_constraints(path: str | Path) -> Constraints:
    """Read a ``constraints.json`` file; errors name the file."""
    return Constraints.from_dict(read_json_file(path, "baseline constraints"), source=str(path))


@dataclass(frozen=True)
class Violation:
    feature_name: str
    constraint_check_type: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {"feature_name": self.feature_name, "constraint_check_type": self.constraint_check_type,
                "description": self.description}


def dumps_violations(violations: list[Violation]) -> str:
    return dumps_jackson({"violations": [v.to_dict() for v in violations]})
