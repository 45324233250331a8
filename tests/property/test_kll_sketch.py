"""KLL sketches: CDFs within the rank-error bound however the data is chunked and merged, exact weights,
the SageMaker level layout round-trips, and the same input gives the same sketch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sagewatch.sketches.kll import KllDistribution

EPS = KllDistribution.zero().normalized_rank_error(False)  # DataSketches' 99% bound for k = 2048


def _true_cdf(x, grid):
    return np.searchsorted(np.sort(x), grid, side="left") / x.size


def _data(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "t3":
        return rng.standard_t(3, n)
    if kind == "lognormal":
        return rng.lognormal(0, 2, n)
    if kind == "few":  # heavy ties
        return rng.integers(0, 7, n).astype(float)
    if kind == "ascending":  # chunks arrive sorted, the worst order for naive compaction
        return np.sort(rng.normal(size=n))
    return rng.random(n)


def _merge_in_order(parts, order_seed):
    """Merge sketches along a random binary tree (any order, any grouping)."""
    rng = np.random.default_rng(order_seed)
    pool = [parts[i] for i in rng.permutation(len(parts))]
    while len(pool) > 1:
        i = int(rng.integers(0, len(pool) - 1))
        left, right = pool.pop(i), pool.pop(i)
        pool.insert(i, left.merge(right) if rng.random() < 0.5 else right.merge(left))
    return pool[0]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(kind=st.sampled_from(["t3", "lognormal", "few", "ascending", "uniform"]),
       n=st.integers(1, 120_000), parts=st.integers(1, 40), seed=st.integers(0, 2**32 - 1),
       order_seed=st.integers(0, 2**32 - 1))
def test_chunked_and_merged_in_any_order_stays_within_the_rank_error(kind, n, parts, seed, order_seed):
    x = _data(kind, n, seed)
    cuts = np.sort(np.random.default_rng(seed + 1).choice(np.arange(1, n), min(parts, n) - 1, replace=False)) \
        if n > 1 and parts > 1 else []
    merged = _merge_in_order([KllDistribution.from_values(p) for p in np.split(x, cuts)], order_seed)
    assert merged.n == n and int(merged.weights.sum()) == n
    assert sum(len(level) << i for i, level in enumerate(merged.levels())) == n
    grid = np.unique(np.quantile(x, np.linspace(0, 1, 201)))
    assert np.max(np.abs(merged.get_cdf(grid) - _true_cdf(x, grid))) <= EPS
    if not merged.is_estimation_mode():  # still every value: exact
        assert np.array_equal(merged.items, np.sort(x))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cdf_within_rank_error(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, 500_000)
    dist = KllDistribution.from_values(x)
    grid = np.quantile(x, np.linspace(0.001, 0.999, 200))
    assert dist.n == x.size
    assert np.max(np.abs(dist.get_cdf(grid) - _true_cdf(x, grid))) <= EPS
    assert EPS < 0.002  # k = 2048


def test_levels_round_trip_exactly():
    rng = np.random.default_rng(9)
    dist = KllDistribution.from_values(rng.random(100_000)).merge(KllDistribution.from_values(rng.random(7)))
    again = KllDistribution.from_levels(dist.levels())
    assert again.n == dist.n == 100_007
    assert np.array_equal(again.items, dist.items) and np.array_equal(again.weights, dist.weights)
    assert again.levels() == dist.levels()


def test_merge_is_pure_associative_within_error_and_zero_is_identity():
    rng = np.random.default_rng(4)
    a, b, c = (KllDistribution.from_values(rng.normal(i, 1, 30_000)) for i in range(3))
    before = [d.levels() for d in (a, b, c)]
    left, right = a.merge(b).merge(c), a.merge(b.merge(c))
    assert [d.levels() for d in (a, b, c)] == before
    grid = np.linspace(-3, 5, 81)
    assert left.n == right.n == 90_000
    assert np.max(np.abs(left.get_cdf(grid) - right.get_cdf(grid))) <= 2 * EPS
    zero = KllDistribution.zero()
    assert a.merge(zero).levels() == a.levels() == zero.merge(a).levels()


def test_same_input_same_sketch():
    rng = np.random.default_rng(5)
    chunks = [rng.lognormal(size=70_000) for _ in range(5)]

    def fold():
        result = KllDistribution.zero()
        for chunk in chunks:
            result = result + KllDistribution.from_values(chunk.copy())
        return result.levels()

    assert fold() == fold()


def test_distribution_matches_datasketches_within_both_bounds():
    rng = np.random.default_rng(6)
    x = rng.normal(size=200_000)
    ours = KllDistribution.from_values(x)
    reference = ours.to_datasketches()
    theirs = KllDistribution.from_datasketches(reference)
    assert theirs.n == ours.n == 200_000
    grid = np.linspace(-3, 3, 61)
    assert np.max(np.abs(np.asarray(reference.get_cdf(grid.tolist()))[:-1] - ours.get_cdf(grid))) <= 2 * EPS


def test_empty_distribution_gives_nan():
    dist = KllDistribution.zero()
    assert dist.is_empty() and np.isnan(dist.get_cdf([1.0])[0]) and dist.levels() == []
    assert KllDistribution.from_values([np.nan]).is_empty()
