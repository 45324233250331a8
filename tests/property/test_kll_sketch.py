"""Sketch CDFs stay within the KLL error bound; the SageMaker level layout round-trips."""

import numpy as np
import pytest

from sagewatch.sketches.kll import KllDistribution, new_sketch


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cdf_within_rank_error(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, 500_000)
    sketch = new_sketch()
    sketch.update(x.copy())
    dist = KllDistribution.from_sketch(sketch)
    grid = np.quantile(x, np.linspace(0.001, 0.999, 200))
    exact = np.searchsorted(np.sort(x), grid, side="left") / x.size
    eps = dist.normalized_rank_error(False)
    assert dist.n == x.size
    assert np.max(np.abs(dist.get_cdf(grid) - exact)) <= 2 * eps  # 99% bound of the sketch
    assert eps < 0.002  # k = 2048


def test_levels_round_trip_exactly():
    rng = np.random.default_rng(9)
    sketch = new_sketch()
    sketch.update(rng.random(100_000))
    dist = KllDistribution.from_sketch(sketch)
    again = KllDistribution.from_levels(dist.levels())
    assert again.n == dist.n == 100_000
    assert np.array_equal(again.items, dist.items) and np.array_equal(again.weights, dist.weights)
    assert again.levels() == dist.levels()


def test_rebuilt_sketch_has_the_same_distribution():
    rng = np.random.default_rng(4)
    sketch = new_sketch()
    sketch.update(rng.normal(size=50_000))
    dist = KllDistribution.from_sketch(sketch)
    live = KllDistribution.from_sketch(dist.to_sketch())
    grid = np.linspace(-3, 3, 61)
    assert np.max(np.abs(live.get_cdf(grid) - dist.get_cdf(grid))) <= 2 * dist.normalized_rank_error(False)


def test_empty_distribution_gives_nan():
    dist = KllDistribution.from_sketch(new_sketch())
    assert dist.is_empty() and np.isnan(dist.get_cdf([1.0])[0])
