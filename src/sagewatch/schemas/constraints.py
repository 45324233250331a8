"""``constraints.json`` and ``constraint_violations.json``: the one home of their formats.

Reading checks each document against its declared schema (:mod:`sagewatch.schemas.constraints_model`)
and is liberal where the sources vary (contract §12): both spellings of per-feature overrides, ``Simple`` /
``Robust`` / ``linf_simple`` / ``linf_robust`` in any case, legacy distribution keys accepted
and ignored, unknown keys preserved when a user's file is rewritten. Writing follows real
analyzer output (Jackson layout, ``version`` 0.0).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagewatch.defaults import MONITORING_CONFIG
from sagewatch.errors import InvalidParameterError, SchemaError
from sagewatch.schemas.constraints_model import (ConstraintsFile, DistributionConstraintsBlock,
                                                  FeatureConstraintEntry, MonitoringConfigBlock, ViolationsFile)
from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.serialize import dumps_jackson
from sagewatch.schemas.validation import validate_document

__all__ = ["MonitoringConfig", "FeatureConstraint", "Constraints", "load_constraints",
           "dumps_violations", "load_violations", "Violation", "CHECK_TYPES"]

CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"
VIOLATIONS_FILE_ALIASES = (VIOLATIONS_FILE, "constraints_violations.json")  # DG BYOC table spelling
CHECK_TYPES = ("data_type_check", "completeness_check", "baseline_drift_check", "missing_column_check",
               "extra_column_check", "categorical_values_check")


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
    def from_dict(cls, block: Any, where: str = CONSTRAINTS_FILE) -> MonitoringConfig:
        """The ``monitoring_config`` block, checked against its declared schema (errors name ``where``)."""
        return cls.from_block(validate_document(MonitoringConfigBlock, block or {}, source=where))

    @classmethod
    def from_block(cls, block: MonitoringConfigBlock | None) -> MonitoringConfig:
        block = block or MonitoringConfigBlock()
        dist = block.distribution_constraints or DistributionConstraintsBlock()
        return cls(
            evaluate_constraints=block.evaluate_constraints,
            emit_metrics=block.emit_metrics,
            datatype_check_threshold=block.datatype_check_threshold,
            domain_content_threshold=block.domain_content_threshold,
            perform_comparison=dist.perform_comparison,
            comparison_threshold=dist.comparison_threshold,
            comparison_method=dist.comparison_method,
            categorical_comparison_threshold=(dist.comparison_threshold if dist.categorical_comparison_threshold
                                              is None else dist.categorical_comparison_threshold),
            categorical_drift_method=dist.categorical_drift_method,
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


def _feature_constraint(entry: FeatureConstraintEntry, raw: dict[str, Any]) -> FeatureConstraint:
    overrides = entry.overrides()
    num, strings = entry.num_constraints, entry.string_constraints
    return FeatureConstraint(
        entry.name, entry.inferred_type, entry.completeness,
        num.is_non_negative if num is not None else None,
        strings.domains if strings is not None else None,
        overrides.evaluate_constraints, overrides.emit_metrics,
        copy.deepcopy(raw),
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
        """Constraints from a ``constraints.json`` document, checked against
        :class:`~sagewatch.schemas.constraints_model.ConstraintsFile` first; any wrong type or impossible
        value raises :class:`~sagewatch.errors.SchemaError` naming ``source`` and the field path."""
        parsed = validate_document(ConstraintsFile, document, source=source)
        features = tuple(_feature_constraint(e, raw) for e, raw in zip(parsed.features, document["features"]))
        return cls(features, MonitoringConfig.from_block(parsed.monitoring_config), copy.deepcopy(document))

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

    def to_json(self) -> str:
        """The text of ``constraints.json`` (SageMaker's layout); the same as :meth:`dumps`."""
        return self.dumps()

    def write(self, folder: str | Path) -> Path:
        """Write ``constraints.json`` into ``folder`` (created if needed); returns the file's path."""
        target = Path(folder)
        if target.exists() and not target.is_dir():
            raise InvalidParameterError(f"write() takes a folder (it writes {CONSTRAINTS_FILE} into it); "
                                        f"{target} is a file")
        target.mkdir(parents=True, exist_ok=True)
        path = target / CONSTRAINTS_FILE
        path.write_text(self.dumps(), encoding="utf-8")
        return path


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


def load_violations(path: str | Path) -> list[dict[str, str]]:
    """Read a ``constraint_violations.json`` file, checked against its declared schema; errors name the file.

    Entries come back as dicts with the keys the file holds (``metric_name`` entries of model-quality
    files included).
    """
    parsed = validate_document(ViolationsFile, read_json_file(path, "constraint violations"), source=str(path))
    return [v.model_dump(exclude_none=True) for v in parsed.violations]
