"""Check a current profile against baseline constraints and statistics (the six checks)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sagewatch.constraints import messages
from sagewatch.drift.linf import linf_categorical_distance, linf_distance
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.dataset import DatasetProfile
from sagewatch.profile.infer import FRACTIONAL, INTEGRAL, STRING
from sagewatch.schemas.constraints import Constraints, FeatureConstraint, Violation

__all__ = ["CheckResult", "check_constraints"]

# a tiny tolerance so that ratios computed from the same counts on both sides compare equal
_EPS = 1e-12


@dataclass(frozen=True)
class CheckResult:
    violations: tuple[Violation, ...]
    drift_distances: dict[str, float] = field(default_factory=dict)  # feature -> baseline drift distance
    drift_details: dict[str, dict] = field(default_factory=dict)


def _type_ratio(expected: str, column: ColumnProfile) -> float | None:
    present = column.n_present
    if not present:
        return None
    if expected == INTEGRAL:
        return column.n_integral / present
    if expected == FRACTIONAL:  # integral values are valid fractional values
        return (column.n_integral + column.n_fractional) / present
    return None  # String and Unknown accept anything


def _drift(constraint: FeatureConstraint, base: ColumnProfile | None, cur: ColumnProfile,
           constraints: Constraints) -> tuple[float, bool, dict] | None:
    cfg = constraints.monitoring_config
    if base is None:
        return None
    if constraint.inferred_type in (INTEGRAL, FRACTIONAL):
        base_dist, cur_dist = base.distribution(), cur.distribution()
        if base_dist is None or cur_dist is None or base_dist.is_empty() or cur_dist.is_empty():
            return None
        result = linf_distance(base_dist, cur_dist, threshold=cfg.comparison_threshold,
                               comparison_method=cfg.comparison_method)
        return result.drift_score, result.drifted, {"method": cfg.comparison_method, **result.details}
    if constraint.inferred_type == STRING:
        base_counts, cur_counts = base.category_counts(), cur.category_counts()
        if not base_counts or not cur_counts:
            return None
        result = linf_categorical_distance(base_counts, cur_counts,
                                           threshold=cfg.categorical_comparison_threshold,
                                           categorical_drift_method=cfg.categorical_drift_method)
        return result.drift_score, result.drifted, {"method": cfg.categorical_drift_method, **result.details}
    return None


def check_constraints(current: DatasetProfile, constraints: Constraints,
                      baseline: DatasetProfile | None = None) -> CheckResult:
    """Run data_type, completeness, categorical_values, baseline_drift and the column checks.

    Parameters
    ----------
    current : DatasetProfile
        Profile of the data being monitored.
    constraints : Constraints
        The baseline ``constraints.json``.
    baseline : DatasetProfile, optional
        The baseline ``statistics.json``; without it no baseline_drift_check runs.

    Returns
    -------
    CheckResult
        Violations in feature order of the constraints, then extra columns.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from sagewatch.profile.dataset import profile_table
    >>> from sagewatch.constraints.suggest import suggest_constraints
    >>> base = profile_table(pa.table({"x": ["1", "2", "3"], "s": ["a", "b", "a"]}))
    >>> cur = profile_table(pa.table({"x": ["1", "2.5", None], "s": ["a", "c", "a"], "z": [1, 2, 3]}))
    >>> result = check_constraints(cur, suggest_constraints(base), base)
    >>> [(v.feature_name, v.constraint_check_type) for v in result.violations]
    [('x', 'data_type_check'), ('x', 'completeness_check'), ('s', 'categorical_values_check'), ('s', 'baseline_drift_check'), ('z', 'extra_column_check')]
    """
    cfg = constraints.monitoring_config
    violations: list[Violation] = []
    distances: dict[str, float] = {}
    details: dict[str, dict] = {}
    expected_cols = len(constraints.features)
    observed_cols = len(current.columns)
    for constraint in constraints.features:
        name = constraint.name
        column = current.columns.get(name)
        if column is None:
            violations.append(Violation(name, "missing_column_check",
                                        messages.missing_column(expected_cols, observed_cols)))
            continue
        evaluate = cfg.evaluate_constraints if constraint.evaluate_constraints is None \
            else constraint.evaluate_constraints
        drift = None
        if cfg.perform_comparison and baseline is not None:
            drift = _drift(constraint, baseline.columns.get(name), column, constraints)
            if drift is not None:
                distances[name], _, details[name] = drift
        if not evaluate:
            continue
        ratio = _type_ratio(constraint.inferred_type, column)
        if ratio is not None and ratio + _EPS < cfg.datatype_check_threshold:
            violations.append(Violation(name, "data_type_check", messages.data_type(
                constraint.inferred_type, cfg.datatype_check_threshold, ratio)))
        if constraint.completeness is not None and column.completeness + _EPS < constraint.completeness:
            violations.append(Violation(name, "completeness_check", messages.completeness(
                constraint.completeness, column.completeness)))
        if constraint.domains is not None and constraint.inferred_type == STRING:
            counts = column.category_counts()
            total = sum(counts.values())
            if total:
                domain = set(constraint.domains)
                unknown = sorted((v for v in counts if v not in domain), key=lambda v: (-counts[v], v))
                in_domain = 1.0 - sum(counts[v] for v in unknown) / total
                if unknown and in_domain + _EPS < cfg.domain_content_threshold:
                    violations.append(Violation(name, "categorical_values_check", messages.categorical_values(
                        cfg.domain_content_threshold, in_domain, unknown)))
        if drift is not None and drift[1]:
            threshold = cfg.comparison_threshold if constraint.inferred_type != STRING \
                else cfg.categorical_comparison_threshold
            violations.append(Violation(name, "baseline_drift_check",
                                        messages.baseline_drift(drift[0], threshold, drift[2]["method"],
                                                                drift[2].get("exact_distance"))))
    known = {c.name for c in constraints.features}
    for name in current.columns:
        if name not in known:
            violations.append(Violation(name, "extra_column_check", messages.extra_column(expected_cols, observed_cols)))
    return CheckResult(tuple(violations), distances, details)
