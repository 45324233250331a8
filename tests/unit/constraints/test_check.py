"""Each of the six checks, triggered and not triggered."""

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.constraints.check import check_constraints
from sagewatch.constraints.suggest import suggest_constraints
from sagewatch.profile.dataset import profile_table
from sagewatch.schemas.constraints import Constraints

RNG = np.random.default_rng(21)
N = 4000


def _base_table():
    return pa.table({
        "num": pa.array(RNG.normal(10, 2, N).round(3).astype(str)),
        "count": pa.array(RNG.integers(0, 50, N).astype(str)),
        "cat": pa.array(RNG.choice(["a", "b", "c"], N)),
    })


BASE = _base_table()
BASE_PROFILE = profile_table(BASE)
CONSTRAINTS = suggest_constraints(BASE_PROFILE)


def _types(result):
    return sorted((v.feature_name, v.constraint_check_type) for v in result.violations)


def _check(table, constraints=CONSTRAINTS):
    return check_constraints(profile_table(table), constraints, BASE_PROFILE)


def test_same_distribution_has_no_violations():
    assert _types(_check(_base_table())) == []


def test_data_type_check():
    table = _base_table()
    count = table.column("count").to_pylist()
    count[:40] = ["oops"] * 40
    result = _check(table.set_column(1, "count", pa.array(count)))
    assert ("count", "data_type_check") in _types(result)
    text = next(v.description for v in result.violations if v.constraint_check_type == "data_type_check")
    assert text == ("Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
                    "Observed: Only 99.0% of data is Integral.")


def test_data_type_check_respects_threshold():
    table = _base_table()
    count = table.column("count").to_pylist()
    count[:40] = ["2.5"] * 40
    loose = Constraints.from_dict({**CONSTRAINTS.to_dict(), "monitoring_config": {"datatype_check_threshold": 0.9}})
    assert ("count", "data_type_check") not in _types(_check(table.set_column(1, "count", pa.array(count)), loose))
    assert ("count", "data_type_check") in _types(_check(table.set_column(1, "count", pa.array(count))))


def test_completeness_check():
    table = _base_table()
    num = table.column("num").to_pylist()
    num[::10] = [None] * len(num[::10])
    result = _check(table.set_column(0, "num", pa.array(num)))
    assert ("num", "completeness_check") in _types(result)
    assert ("cat", "completeness_check") not in _types(result)


def test_baseline_drift_check_numeric_and_categorical():
    table = _base_table()
    shifted = pa.array((RNG.normal(13, 2, N)).round(3).astype(str))
    cats = pa.array(RNG.choice(["a", "b", "c"], N, p=[0.7, 0.2, 0.1]))
    result = _check(table.set_column(0, "num", shifted).set_column(2, "cat", cats))
    assert ("num", "baseline_drift_check") in _types(result)
    assert ("cat", "baseline_drift_check") in _types(result)
    assert result.drift_distances["num"] > 0.5
    assert ("count", "baseline_drift_check") not in _types(result)


def test_baseline_drift_disabled_by_perform_comparison():
    off = Constraints.from_dict({**CONSTRAINTS.to_dict(), "monitoring_config": {
        "distribution_constraints": {"perform_comparison": "Disabled"}}})
    shifted = pa.array((RNG.normal(13, 2, N)).round(3).astype(str))
    result = _check(_base_table().set_column(0, "num", shifted), off)
    assert not any(t == "baseline_drift_check" for _, t in _types(result))
    assert result.drift_distances == {}


def test_missing_and_extra_column_checks():
    table = _base_table().drop(["count"]).append_column("new", pa.array(["1"] * N))
    types = _types(_check(table))
    assert ("count", "missing_column_check") in types
    assert ("new", "extra_column_check") in types
    assert len(types) == 2


def test_categorical_values_check():
    cats = np.array(RNG.choice(["a", "b", "c"], N), dtype=object)
    cats[:3] = "zzz"
    result = _check(_base_table().set_column(2, "cat", pa.array(cats.tolist())))
    assert ("cat", "categorical_values_check") in _types(result)
    v = next(v for v in result.violations if v.constraint_check_type == "categorical_values_check")
    assert "zzz" in v.description and "Expected match: 100.0%" in v.description
    tolerant = Constraints.from_dict({**CONSTRAINTS.to_dict(), "monitoring_config": {"domain_content_threshold": 0.99}})
    assert ("cat", "categorical_values_check") not in _types(
        _check(_base_table().set_column(2, "cat", pa.array(cats.tolist())), tolerant))


@pytest.mark.parametrize("spelling", ["feature", "sdk"])
def test_per_feature_override_disables_checks(spelling):
    doc = CONSTRAINTS.to_dict()
    for f in doc["features"]:
        if f["name"] == "num":
            if spelling == "feature":
                f["monitoringConfigOverrides"] = {"evaluate_constraints": "Disabled"}
            else:
                f.setdefault("string_constraints", {})["monitoring_config_overrides"] = {
                    "evaluate_constraints": "Disabled"}
    table = _base_table()
    num = table.column("num").to_pylist()
    num[::5] = [None] * len(num[::5])
    result = _check(table.set_column(0, "num", pa.array(num)), Constraints.from_dict(doc))
    assert ("num", "completeness_check") not in _types(result)


def test_chi_squared_method_is_used_when_configured():
    doc = CONSTRAINTS.to_dict()
    doc["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] = "ChiSquared"
    cats = pa.array(RNG.choice(["a", "b", "c"], N, p=[0.7, 0.2, 0.1]))
    result = _check(_base_table().set_column(2, "cat", cats), Constraints.from_dict(doc))
    assert result.drift_details["cat"]["method"] == "ChiSquared"
    assert ("cat", "baseline_drift_check") in _types(result)
