"""baseline_drift_check at its threshold, end to end through profiles and constraints.json."""

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.constraints.check import check_constraints
from sagewatch.constraints.suggest import suggest_constraints
from sagewatch.profile.dataset import profile_table
from sagewatch.schemas.constraints import Constraints


def _numeric(start):
    return pa.table({"x": pa.array(np.arange(start, start + 2000).astype(str))})


def _categorical(share_a, n=100):
    return pa.table({"c": pa.array(["a"] * share_a + ["b"] * (n - share_a))})


def _drift_violations(base, cur, **config):
    constraints = suggest_constraints(profile_table(base))
    if config:
        doc = constraints.to_dict()
        doc["monitoring_config"]["distribution_constraints"].update(config)
        constraints = Constraints.from_dict(doc)
    result = check_constraints(profile_table(cur), constraints, profile_table(base))
    return result, [v for v in result.violations if v.constraint_check_type == "baseline_drift_check"]


@pytest.mark.parametrize(("start", "flagged"), [(199, False), (200, False), (201, True)])
@pytest.mark.parametrize("method", ["Simple", "Robust"])
def test_numeric_drift_exactly_at_threshold_is_not_a_violation(start, flagged, method):
    result, violations = _drift_violations(_numeric(0), _numeric(start), comparison_method=method)
    assert result.drift_distances["x"] == start / 2000
    assert bool(violations) is flagged
    if flagged:
        assert "distance 0.1005 exceeds the threshold" in violations[0].description


@pytest.mark.parametrize(("base_a", "cur_a"), [(40, 30), (50, 40)])
@pytest.mark.parametrize("method", ["LInfinity", "ChiSquared"])
def test_categorical_ten_point_moves_behave_the_same(base_a, cur_a, method):
    # scaled to 10,000 rows so that the ChiSquared gate passes and the distance alone decides
    scale = 100
    base, at = _categorical(base_a * scale, 100 * scale), _categorical(cur_a * scale, 100 * scale)
    above = _categorical(cur_a * scale - 1, 100 * scale)
    result, violations = _drift_violations(base, at, categorical_drift_method=method)
    assert result.drift_distances["c"] == 0.1
    assert violations == []
    _, violations = _drift_violations(base, above, categorical_drift_method=method)
    assert len(violations) == 1


def test_threshold_is_read_as_written():
    # |0.33 - 0.03| is 0.30000000000000004 in floats; exactly the threshold 0.3 here
    _, violations = _drift_violations(_categorical(33), _categorical(3), categorical_comparison_threshold=0.3)
    assert violations == []
    _, violations = _drift_violations(_categorical(33), _categorical(2), categorical_comparison_threshold=0.3)
    assert len(violations) == 1


def test_message_shows_the_exact_distance_when_its_double_prints_like_the_threshold():
    from sagewatch.constraints import messages
    from sagewatch.drift.linf import linf_distance
    from sagewatch.drift.sketch_cdf import SketchDistribution
    # about a billion rows per side: the gap is 1/10 + 1e-20, above the threshold, but its double is 0.1
    n_b, n_c, below_b, below_c = 1_000_000_007, 999_999_997, 430_000_003, 329_999_999
    base = SketchDistribution(items=np.array([0.0, 1.0]), weights=np.array([below_b, n_b - below_b]), n=n_b)
    cur = SketchDistribution(items=np.array([0.0, 1.0]), weights=np.array([below_c, n_c - below_c]), n=n_c)
    r = linf_distance(base, cur, comparison_method="Simple")
    assert r.drifted and r.drift_score == 0.1
    text = messages.baseline_drift(r.drift_score, 0.1, "Simple", r.details["exact_distance"])
    assert f"distance 0.1 (exactly {r.details['exact_distance']}) exceeds" in text
    assert messages.baseline_drift(0.1005, 0.1, "Simple", "201/2000").endswith("distance 0.1005 exceeds the threshold.")
