"""Regression tests for root causes the fuzz suite (tests/fuzz) found in the numeric kernels."""

import math

import numpy as np
from datasketches import kll_doubles_sketch

from sagewatch.drift.sketch_cdf import SketchDistribution
from sagewatch.profile.moments import exact_sum


def test_exact_sum_of_values_near_the_largest_double_is_finite_or_inf_not_an_overflow_error():
    assert exact_sum(np.array([1.7e308, -1.7e308, 1e308])) == 1e308
    assert exact_sum(np.array([1.7e308, 1.7e308])) == math.inf
    assert exact_sum(np.array([-1.7e308, -1.7e308])) == -math.inf
    values = np.array([1e308] * 3 + [-1e308] * 3 + [1.0, 0.5])
    assert exact_sum(values) == 1.5


def test_sketch_mean_and_std_of_values_near_the_largest_double():
    sketch = kll_doubles_sketch(2048)
    sketch.update(np.array([1.7e308, 1.6e308, 1.5e308]))
    mean, std = SketchDistribution.from_sketch(sketch).mean_std()
    assert math.isclose(mean, 1.6e308, rel_tol=1e-15)
    assert math.isclose(std, math.sqrt(2 / 3) * 1e307, rel_tol=1e-12)
