import math
import warnings

import numpy as np
import pytest
from scipy import stats

from sagewatch.drift.sketch_cdf import SketchDistribution
from sagewatch.drift.wasserstein import wasserstein_distance
from sagewatch.errors import InvalidParameterError, UndefinedMetricWarning

from ._helpers import sketch

B = [0.0, 1.0, 2.0, 3.0]
C = [1.0, 2.0, 3.0, 4.0]


def test_wasserstein_raw_distance_of_a_unit_shift():
    r = wasserstein_distance(sketch(B), sketch(C), normalize="none")
    assert r.drift_score == 1.0
    assert r.statistic == "wasserstein_distance"


def test_wasserstein_normalised_by_baseline_std():
    r = wasserstein_distance(sketch(B), sketch(C))
    assert r.details["scale"] == pytest.approx(math.sqrt(1.25))  # population std of 0, 1, 2, 3
    assert r.drift_score == pytest.approx(1 / math.sqrt(1.25))
    assert r.statistic == "wasserstein_distance_by_std"
    assert r.drifted


def test_wasserstein_normalised_by_baseline_iqr():
    r = wasserstein_distance(sketch(B), sketch(C), normalize="iqr")
    assert r.details["scale"] == 2.0   # inclusive quartiles 0 and 2
    assert r.drift_score == 0.5


def test_wasserstein_explicit_scale_wins():
    r = wasserstein_distance(sketch(B), sketch(C), scale=20.0)
    assert (r.drift_score, r.drifted) == (0.05, False)


def test_wasserstein_constant_baseline_warns_and_uses_raw_distance():
    with pytest.warns(UndefinedMetricWarning, match="baseline std is 0"):
        r = wasserstein_distance(sketch([2.0, 2.0]), sketch([2.0, 2.5]))
    assert r.drift_score == 0.25
    assert r.details["normalize"] == "none"


def test_wasserstein_from_sketches_matches_exact_on_large_data():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=200_000), rng.normal(0.3, 1.2, size=200_000)
    exact = stats.wasserstein_distance(x, y) / x.std()
    r = wasserstein_distance(sketch(x), sketch(y))
    assert r.drift_score == pytest.approx(exact, abs=0.01)
    assert r.drifted


def test_wasserstein_same_sketch_is_zero():
    s = sketch(np.random.default_rng(0).exponential(size=50_000))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = wasserstein_distance(s, s)
    assert (r.drift_score, r.drifted) == (0.0, False)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"normalize": "mad"}, "normalize"),
    ({"scale": 0.0}, "scale"),
    ({"scale": float("nan")}, "scale"),
    ({"threshold": -1.0}, "threshold"),
])
def test_wasserstein_validates_parameters(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        wasserstein_distance(SketchDistribution.from_values(B), SketchDistribution.from_values(C), **kwargs)
