"""The KLL sketch: weights always add up to n, DataSketches sketches are read through their CDF."""

import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from sagewatch.drift.sketch_cdf import SketchDistribution
from sagewatch.sketches.kll import KllDistribution, SketchInvariantError, _capacities


def _merged_datasketches(parts=4, size=47_500, seed=0):
    rng = np.random.default_rng(seed)
    merged = kll_doubles_sketch(2048)
    values = []
    for _ in range(parts):
        chunk = np.sort(rng.random(size))
        part = kll_doubles_sketch(2048)
        part.update(chunk)
        merged.merge(part)
        values.append(chunk)
    return merged, np.concatenate(values)


def test_four_merged_datasketches_of_47500_keep_weights_summing_to_190000():
    # the numbers: iterating this sketch gives weights summing to 3,768
    merged, values = _merged_datasketches()
    dist = KllDistribution.from_datasketches(merged)
    assert dist.n == 190_000 and int(dist.weights.sum()) == 190_000
    assert sum(len(level) << i for i, level in enumerate(dist.levels())) == 190_000
    grid = np.linspace(0.05, 0.95, 19)
    assert np.allclose(dist.get_cdf(grid, inclusive=True), np.asarray(merged.get_cdf(grid.tolist()))[:-1], atol=1e-12)


def test_drift_reads_a_merged_datasketches_sketch_with_its_true_weights():
    merged, values = _merged_datasketches()
    read = SketchDistribution.from_sketch(merged)
    assert read.n == 190_000 and read.weights.sum() == 190_000
    exact = np.searchsorted(np.sort(values), [0.25, 0.5], side="right") / values.size
    assert np.max(np.abs(read.cdf(np.array([0.25, 0.5])) - exact)) <= merged.normalized_rank_error(False)


def test_weights_that_do_not_add_up_are_refused():
    with pytest.raises(SketchInvariantError, match="add up to 4 but the sketch summarises 5"):
        KllDistribution((np.array([1.0, 2.0]), np.array([3.0])), 5)
    with pytest.raises(SketchInvariantError):
        KllDistribution((np.array([1.0]),), 2)


def test_capacities_are_sagemakers_k_and_c_exactly():
    assert _capacities(1, 2048) == (2048,)
    assert _capacities(4, 2048) == (537, 839, 1311, 2048)  # ceil(2048 * 0.64**depth)
    assert _capacities(30, 2048)[0] == 8  # the minimum width


def test_large_chunk_keeps_at_most_a_few_thousand_items_within_the_error():
    x = np.random.default_rng(3).exponential(size=1_000_000)
    dist = KllDistribution.from_values(x)
    assert dist.n == 1_000_000 and dist.num_retained < 6_000 and dist.is_estimation_mode()
    grid = np.quantile(x, np.linspace(0.01, 0.99, 99))
    exact = np.searchsorted(np.sort(x), grid, side="left") / x.size
    assert np.max(np.abs(dist.get_cdf(grid) - exact)) <= dist.normalized_rank_error()


def test_negative_zero_is_stored_as_zero_so_bytes_do_not_depend_on_its_sign():
    assert KllDistribution.from_values([-0.0, 1.0]).levels() == KllDistribution.from_values([0.0, 1.0]).levels()
    assert str(KllDistribution.from_values([-0.0]).levels()) == "[[0.0]]"


def test_levels_are_read_only():
    dist = KllDistribution.from_values(np.arange(10.0))
    with pytest.raises(ValueError):
        dist.compactors[0][0] = 99.0
