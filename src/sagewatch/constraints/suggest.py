"""Suggest ``constraints.json`` from a baseline profile, as the analyzer's baselining job does."""

from __future__ import annotations

from sagewatch.defaults import DOMAIN_MAX_DISTINCT, DOMAIN_MAX_DISTINCT_LARGE, DOMAIN_MAX_DISTINCT_RATIO
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.dataset import DatasetProfile
from sagewatch.profile.infer import FRACTIONAL, INTEGRAL, STRING
from sagewatch.schemas.constraints import (Constraints, FeatureConstraint, MonitoringConfig,
                                           normalize_categorical_method)

__all__ = ["suggest_constraints"]


def _domains(column: ColumnProfile) -> tuple[str, ...] | None:
    counts = column.category_counts()
    distinct = len(counts)
    if not distinct or column.counts_truncated:
        return None
    small = distinct <= DOMAIN_MAX_DISTINCT
    low_ratio = distinct <= DOMAIN_MAX_DISTINCT_LARGE and distinct <= DOMAIN_MAX_DISTINCT_RATIO * column.n_present
    if not (small or low_ratio):
        return None
    return tuple(sorted(counts, key=lambda v: (-counts[v], v)))


def suggest_constraints(profile: DatasetProfile, *, categorical_drift_method: str | None = None) -> Constraints:
    """Constraints for every column: type, completeness, non-negativity and string domains.

    Parameters
    ----------
    profile : DatasetProfile
        The baseline dataset's profile.
    categorical_drift_method : {"LInfinity", "ChiSquared"}, optional
        Written into ``monitoring_config`` (the baselining override of contract §4.2).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from sagewatch.profile.dataset import profile_table
    >>> c = suggest_constraints(profile_table(pa.table({"x": [1, 2, None], "s": ["a", "b", "a"]})))
    >>> [(f.name, f.inferred_type, round(f.completeness, 3), f.is_non_negative, f.domains) for f in c.features]
    [('x', 'Integral', 0.667, True, None), ('s', 'String', 1.0, None, ('a', 'b'))]
    """
    features = []
    for column in profile.columns.values():
        kind = column.inferred_type
        non_negative = None
        if kind in (INTEGRAL, FRACTIONAL):
            non_negative = bool(column.minimum >= 0)
        domains = _domains(column) if kind == STRING else None
        features.append(FeatureConstraint(column.name, kind, float(column.completeness), non_negative, domains))
    config = MonitoringConfig()
    if categorical_drift_method:
        config = MonitoringConfig(categorical_drift_method=normalize_categorical_method(categorical_drift_method))
    return Constraints(tuple(features), config)
