import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from sagewatch.drift.sketch_cdf import (
    SketchDistribution,
    as_distribution,
    binned_proportions,
    quantile_bin_edges,
    shared_grid_cdfs,
    smooth_proportions,
)
from sagewatch.errors import InvalidParameterError

from ._helpers import sketch


@pytest.fixture(scope="module")
def big_sketch():
    return sketch(np.random.default_rng(7).normal(size=200_000))


def test_from_sketch_exact_mode_keeps_every_value():
    d = SketchDistribution.from_sketch(sketch([3.0, 1.0, 2.0, 2.0, 5.0]))
    assert d.items.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert d.weights.tolist() == [1.0, 2.0, 1.0, 1.0]
    assert d.n == 5
    assert d.rank_error == 0.0


def test_from_sketch_estimation_mode_weights_sum_to_n(big_sketch):
    d = SketchDistribution.from_sketch(big_sketch)
    assert big_sketch.is_estimation_mode()
    assert d.weights.sum() == 200_000
    assert d.n == 200_000
    assert d.rank_error == pytest.approx(big_sketch.normalized_rank_error(False))
    assert d.items.size < 10_000


def test_cdf_matches_sketch_inclusive_get_cdf(big_sketch):
    d = SketchDistribution.from_sketch(big_sketch)
    grid = np.concatenate([d.items, [-10.0, 0.0, 0.123, 10.0]])
    grid = np.unique(grid)
    expected = np.asarray(big_sketch.get_cdf(grid.tolist(), True))[:-1]
    np.testing.assert_array_equal(d.cdf(grid), expected)


def test_quantiles_match_sketch_inclusive_get_quantiles(big_sketch):
    d = SketchDistribution.from_sketch(big_sketch)
    # random ranks: at a rank that equals an item's rank only up to rounding (e.g. 0.8300000000000001)
    # the sketch and the exact comparison used here may pick neighbouring items
    ranks = np.concatenate([[0.0, 0.5, 1.0], np.random.default_rng(11).uniform(size=1000)])
    np.testing.assert_array_equal(d.quantiles(ranks), np.asarray(big_sketch.get_quantiles(ranks.tolist(), True)))


def test_cdf_is_a_right_continuous_step_function():
    d = SketchDistribution.from_values([1.0, 2.0, 2.0, 4.0])
    assert d.cdf([0.5, 1.0, 1.5, 2.0, 3.9, 4.0, 99.0]).tolist() == [0.0, 0.25, 0.25, 0.75, 0.75, 1.0, 1.0]


def test_from_values_ignores_nan_like_kll():
    d = SketchDistribution.from_values([1.0, np.nan, 1.0, 3.0])
    assert (d.items.tolist(), d.weights.tolist(), d.n) == ([1.0, 3.0], [2.0, 1.0], 3)


def test_distribution_arrays_are_read_only():
    d = SketchDistribution.from_values([1.0, 2.0])
    with pytest.raises(ValueError):
        d.items[0] = 5.0


@pytest.mark.parametrize("bad", ["empty sketch", [1.0, 2.0], "abc", None])
def test_as_distribution_rejects_empty_or_non_sketch(bad):
    if bad == "empty sketch":
        bad = kll_doubles_sketch(2048)
    with pytest.raises(InvalidParameterError, match="^current: "):
        as_distribution(bad, name="current")


def test_from_values_rejects_all_nan():
    with pytest.raises(InvalidParameterError):
        SketchDistribution.from_values([np.nan])


def test_shared_grid_is_the_union_of_items():
    grid, f_b, f_c = shared_grid_cdfs(sketch([1.0, 2.0, 3.0, 4.0]), sketch([3.0, 5.0]))
    assert grid.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert f_b.tolist() == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert f_c.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0]


def test_quantile_bin_edges_are_baseline_quantiles():
    b = SketchDistribution.from_values(np.arange(1.0, 11.0))
    assert quantile_bin_edges(b, n_bins=5).tolist() == [2.0, 4.0, 6.0, 8.0]
    assert quantile_bin_edges(b).tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]


def test_quantile_bin_edges_merge_ties():
    b = SketchDistribution.from_values([0.0] * 9 + [1.0])
    edges, p, q = binned_proportions(b, SketchDistribution.from_values([1.0, 1.0]), n_bins=10)
    assert edges.tolist() == [0.0]
    assert p.tolist() == pytest.approx([0.9, 0.1])
    assert q.tolist() == [0.0, 1.0]


def test_quantile_bin_edges_drop_edge_at_baseline_max():
    # the median is the maximum: a bin to its right would hold no baseline mass
    b = SketchDistribution.from_values([0.0, 1.0, 1.0, 1.0, 1.0])
    assert quantile_bin_edges(b, n_bins=2).size == 0
    edges, p, q = binned_proportions(b, SketchDistribution.from_values([7.0]), n_bins=2)
    assert (p.tolist(), q.tolist()) == ([1.0], [1.0])


def test_binned_proportions_put_out_of_range_values_in_outer_bins():
    b = SketchDistribution.from_values(np.arange(1.0, 11.0))
    c = SketchDistribution.from_values([-100.0, 0.0, 5.0, 100.0])
    edges, p, q = binned_proportions(b, c, n_bins=5)
    assert p.tolist() == pytest.approx([0.2] * 5)
    assert q.tolist() == pytest.approx([0.5, 0.0, 0.25, 0.0, 0.25])


@pytest.mark.parametrize("n_bins", [1, 0, 2.5, True, "10"])
def test_quantile_bin_edges_reject_bad_n_bins(n_bins):
    with pytest.raises(InvalidParameterError, match="n_bins"):
        quantile_bin_edges(SketchDistribution.from_values([1.0, 2.0]), n_bins=n_bins)


def test_smooth_proportions_replaces_zeros_and_renormalises():
    out = smooth_proportions([0.5, 0.5, 0.0], eps=1e-4)
    assert out.tolist() == pytest.approx([0.5 / 1.0001, 0.5 / 1.0001, 1e-4 / 1.0001])
    assert smooth_proportions([0.3, 0.7]).tolist() == [0.3, 0.7]
    with pytest.raises(InvalidParameterError):
        smooth_proportions([1.0], eps=0.0)
