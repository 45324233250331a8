"""``sagewatch_report.json``: what sagewatch measures beyond SageMaker's files.

SageMaker's files keep their schema; everything extra (all drift measures of the registry,
the multivariate MMD test, skipped-record counts, a row sample for later multivariate tests)
goes here.

Each measure entry carries its ``threshold`` and ``threshold_meaning`` (a false-alarm rate or the
effect size it stands for, from the registry). The categorical ``linf`` entry is gated by sample size:
it is flagged only when the largest share gap exceeds the threshold **and** the chi-squared
homogeneity test gives p < 0.05 (:data:`REPORT_OPTIONS`), so noise in small samples is not an alarm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sagewatch import __version__
from sagewatch.errors import SagewatchError, SchemaError
from sagewatch.profile.dataset import DatasetProfile
from sagewatch.profile.infer import FRACTIONAL, INTEGRAL, STRING
from sagewatch.schemas.constraints import Constraints
from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.report import REPORT_FILE, ReportFile, report_document
from sagewatch.schemas.validation import validate_document

__all__ = ["drift_report_document", "load_baseline_sample", "BaselineSample", "feature_drift", "REPORT_OPTIONS",
           "REPORT_SAMPLE_ROWS"]

REPORT_SAMPLE_ROWS = 1_000
MMD_SAMPLES = 600  # rows per side: a (1200 x 1200) kernel keeps the test under ~15 MB
# The report's own rules where they differ from a measure's defaults: the sample-size gate of the
# categorical L-infinity distance (numeric linf already uses Robust, gated by the KS critical value).
REPORT_OPTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "numeric": {},
    "categorical": {"linf": {"categorical_drift_method": "ChiSquared"}},
}


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        return _finite(value.item())
    return value


def _numeric_names(profile: DatasetProfile) -> list[str]:
    return [n for n, c in profile.columns.items() if c.inferred_type in (INTEGRAL, FRACTIONAL)]


def feature_drift(baseline: DatasetProfile, current: DatasetProfile) -> list[dict[str, Any]]:
    """Every applicable registry measure for each feature present on both sides."""
    from sagewatch.drift.compare import compare_columns
    features = []
    for name, base in baseline.columns.items():
        cur = current.columns.get(name)
        if cur is None:
            continue
        entry: dict[str, Any] = {"name": name, "inferred_type": base.inferred_type, "measures": []}
        try:
            if base.inferred_type in (INTEGRAL, FRACTIONAL):
                b, c = base.distribution(), cur.distribution()
                if b is not None and c is not None and not b.is_empty() and not c.is_empty():
                    entry["measures"] = [r.to_dict() for r in compare_columns(
                        b, c, options=REPORT_OPTIONS["numeric"])]
            elif base.inferred_type == STRING:
                b_counts, c_counts = base.category_counts(), cur.category_counts()
                if b_counts and c_counts:
                    entry["measures"] = [r.to_dict() for r in compare_columns(
                        b_counts, c_counts, options=REPORT_OPTIONS["categorical"])]
        except SagewatchError as e:
            entry["error"] = str(e)
        features.append(entry)
    return features


def _sample_block(profile: DatasetProfile) -> dict[str, Any]:
    names = _numeric_names(profile)
    matrix = profile.sample_matrix(names)[:REPORT_SAMPLE_ROWS] if names else np.empty((0, 0))
    rows = [[None if not math.isfinite(v) else float(v) for v in row] for row in matrix.tolist()]
    return {"columns": names, "rows_seen": profile.sample_seen, "data": rows}


@dataclass(frozen=True, eq=False)
class BaselineSample:
    """The row sample a sagewatch baseline left next to its ``statistics.json``, or why it cannot be used.

    ``columns`` maps each numeric feature to its sampled values (NaN for a missing value); it is
    ``None`` when the sample file is malformed, and ``skip_reason`` then says why the multivariate test
    is skipped.
    """

    columns: Mapping[str, np.ndarray] | None
    skip_reason: str | None = None


def load_baseline_sample(statistics_path: Path | None, *, report_path: Path | None = None) -> BaselineSample | None:
    """The row sample of the baseline's ``sagewatch_report.json``; ``None`` when there is none.

    The report is looked for at ``report_path`` when given (a monitoring execution mounts it apart from the
    statistics, as its own processing input, and names it in ``baseline_sagewatch_report``), else next to
    ``statistics_path`` (a baseline folder on disk, as the CLI reads it).

    The file is optional (SageMaker baselines have none). A file that is present but malformed (not
    UTF-8, not JSON, too deeply nested, or a ``sample`` block that breaks its declared schema,
    :class:`~sagewatch.schemas.report.ReportFile`) does not fail the job: the multivariate test
    is skipped and the report says why (``multivariate.reason``).
    """
    if report_path is None and statistics_path is None:
        return None
    sidecar = report_path if report_path is not None else statistics_path.parent / REPORT_FILE
    if not sidecar.is_file():
        if report_path is not None:  # named by the job's environment, so its absence is worth saying
            return BaselineSample(None, f"the baseline's {REPORT_FILE} is not at {report_path}, multivariate test "
                                        "skipped")
        return None
    try:
        report = validate_document(ReportFile, read_json_file(sidecar, "baseline sagewatch report"),
                                   source=str(sidecar))
    except SchemaError as e:
        return BaselineSample(None, f"the baseline's {REPORT_FILE} is malformed, multivariate test skipped: {e}")
    block = report.sample
    if block is None or not block.columns or not block.data:
        return None
    data = np.array(block.data, dtype=np.float64)
    return BaselineSample({name: data[:, i] for i, name in enumerate(block.columns)})


def _multivariate(baseline_sample: BaselineSample | Mapping[str, np.ndarray] | None,
                  current: DatasetProfile) -> dict[str, Any]:
    if isinstance(baseline_sample, BaselineSample):
        if baseline_sample.columns is None:
            return {"mmd": None, "reason": baseline_sample.skip_reason}
        baseline_sample = baseline_sample.columns
    if baseline_sample is None:
        return {"mmd": None, "reason": "the baseline has no row sample (not made by sagewatch)"}
    names = [n for n in _numeric_names(current) if n in baseline_sample]
    if len(names) < 2:
        return {"mmd": None, "reason": "fewer than two numeric features in common"}
    from sagewatch.drift.mmd import mmd_test
    base = np.column_stack([baseline_sample[n] for n in names])
    cur = current.sample_matrix(names)
    base = base[~np.isnan(base).any(axis=1)]
    cur = cur[~np.isnan(cur).any(axis=1)]
    if len(base) < 10 or len(cur) < 10:
        return {"mmd": None, "reason": "fewer than 10 complete rows in a sample"}
    try:
        result = mmd_test(base, cur, max_samples=MMD_SAMPLES)
    except SagewatchError as e:
        return {"mmd": None, "reason": str(e)}
    return {"features": names, "mmd": result.to_dict()}


def drift_report_document(current: DatasetProfile, baseline: DatasetProfile | None, check: Any,
                          skips: dict[str, int], *, constraints: Constraints | None = None,
                          baseline_sample: BaselineSample | Mapping[str, np.ndarray] | None = None
                          ) -> dict[str, Any]:
    violations = baseline_drift = features = multivariate = None
    if check is not None:
        violations = len(check.violations)
        baseline_drift = {name: check.drift_details.get(name, {}) | {"distance": d}
                          for name, d in check.drift_distances.items()}
    if baseline is not None:
        features = feature_drift(baseline, current)
        multivariate = _multivariate(baseline_sample, current)
    document = report_document(generator=f"sagewatch {__version__}", item_count=current.item_count, skips=skips,
                               violations=violations, baseline_drift=baseline_drift, features=features,
                               multivariate=multivariate, sample=_sample_block(current))
    return _finite(document)
