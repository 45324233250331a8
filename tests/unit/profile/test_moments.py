"""The moment kernels: correctly rounded sums, deterministic merges."""

import math

import numpy as np
import pytest

from sagewatch.profile.moments import Moments, sorted_moments, exact_sum, merge_moments


@pytest.mark.parametrize("seed", range(6))
def test_exact_sum_is_fsum(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, 20_000) * 10.0 ** rng.integers(-30, 30, 20_000)
    assert exact_sum(x) == math.fsum(x.tolist())


def test_small_golden_column_std_dev():
    assert sorted_moments(np.array([27.0, 31.0, 45.0])).std_dev == 7.71722460186015  # sqrt(536/9), rounded


def test_merged_moments_match_the_whole_and_are_deterministic():
    rng = np.random.default_rng(2)
    x = rng.lognormal(3, 1, 100_000)
    parts = [sorted_moments(np.sort(p)) for p in np.array_split(x, 7)]
    merged = Moments(0, 0.0, 0.0, 0.0)
    for part in parts:
        merged = merge_moments(merged, part)
    whole = sorted_moments(np.sort(x))
    assert merged.n == whole.n and merged.total == pytest.approx(whole.total, rel=1e-15)
    assert merged.mean == pytest.approx(whole.mean, rel=1e-14) and merged.std_dev == pytest.approx(whole.std_dev, rel=1e-12)
    assert merge_moments(parts[0], parts[1]) == merge_moments(parts[0], parts[1])
