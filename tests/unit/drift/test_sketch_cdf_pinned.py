"""Pinned behaviour of drift/sketch_cdf.py: validation messages, exact weights, quantile edges, moments.

Every expected number here is exact (small integers, dyadic fractions or Fractions), so the pins do
not depend on the CPU.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from sagewatch.drift.sketch_cdf import (
    DEFAULT_N_BINS,
    SMOOTHING_EPS,
    SketchDistribution,
    as_distribution,
    binned_proportions,
    max_cdf_gap,
    quantile_bin_edges,
    shared_grid_cdfs,
    smooth_proportions,
)
from sagewatch.errors import InvalidParameterError
from sagewatch.sketches.kll import SketchInvariantError

from ._helpers import sketch


class FakeSketch:
    """A quantiles sketch stand-in: iterable as (item, weight), with n, is_empty and optional extras."""

    def __init__(self, pairs, n=None, *, estimation=None, rank_error=None):
        self._pairs = list(pairs)
        self.n = sum(w for _, w in self._pairs) if n is None else n
        if estimation is not None:
            self.is_estimation_mode = lambda: estimation
        if rank_error is not None:
            self.normalized_rank_error = lambda pmf: 0.25 if pmf else rank_error

    def is_empty(self):
        return not self._pairs

    def __iter__(self):
        return iter(self._pairs)


def test_constants():
    assert DEFAULT_N_BINS == 10
    assert SMOOTHING_EPS == 1e-4


# --- construction and validation ---------------------------------------------------------------

@pytest.mark.parametrize("items, weights", [
    ([1.0, 2.0], [1.0]),            # lengths differ
    ([], []),                        # empty
    ([[1.0, 2.0]], [[1.0, 1.0]]),    # 2-D
])
def test_shape_errors_name_the_rule(items, weights):
    with pytest.raises(InvalidParameterError) as exc:
        SketchDistribution(items=np.array(items), weights=np.array(weights), n=1)
    assert str(exc.value) == "items and weights must be non-empty 1-D arrays of one length"


@pytest.mark.parametrize("items", [[2.0, 1.0], [1.0, 1.0], [1.0, float("nan")], [float("nan")]])
def test_items_must_be_sorted_unique_not_nan(items):
    with pytest.raises(InvalidParameterError) as exc:
        SketchDistribution(items=np.array(items), weights=np.ones(len(items)), n=len(items))
    assert str(exc.value) == "items must be sorted, unique and not NaN"


@pytest.mark.parametrize("weights", [[1.0, 0.0], [1.0, -1.0], [1.0, float("inf")], [1.0, float("nan")]])
def test_weights_must_be_finite_and_positive(weights):
    with pytest.raises(InvalidParameterError) as exc:
        SketchDistribution(items=np.array([1.0, 2.0]), weights=np.array(weights), n=2)
    assert str(exc.value) == "weights must be finite and positive"


def test_single_item_and_list_inputs_are_accepted_as_float64():
    d = SketchDistribution(items=[5], weights=[3], n=3)
    assert d.items.dtype == np.float64 and d.weights.dtype == np.float64
    assert d.items.tolist() == [5.0] and d.weights.tolist() == [3.0]
    assert not d.items.flags.writeable and not d.weights.flags.writeable
    assert d.cdf([4.0, 5.0]).tolist() == [0.0, 1.0]
    assert d.total_weight == 3 and type(d.total_weight) is int
    assert d.rank_error == 0.0


def test_integer_weights_give_int64_cumulative_weights():
    d = SketchDistribution(items=[1.0, 2.0, 3.0], weights=[2.0, 1.0, 5.0], n=8)
    cum = d.cumulative_weights([0.0, 1.0, 1.5, 2.0, 3.0, 99.0])
    assert cum.dtype == np.int64
    assert cum.tolist() == [0, 2, 2, 3, 8, 8]
    assert d.total_weight == 8 and type(d.total_weight) is int
    assert d.cdf([0.0, 1.0, 2.0, 3.0]).tolist() == [0.0, 0.25, 0.375, 1.0]
    assert not d._cum_exact.flags.writeable and not d._cum_prob.flags.writeable


def test_real_weights_give_exact_fractions():
    d = SketchDistribution(items=[1.0, 2.0], weights=[0.5, 0.25], n=1)
    cum = d.cumulative_weights([0.0, 1.0, 2.0])
    assert cum.dtype == object
    assert cum.tolist() == [Fraction(0), Fraction(1, 2), Fraction(3, 4)]
    assert all(isinstance(v, Fraction) for v in cum.tolist())
    assert d.total_weight == Fraction(3, 4) and isinstance(d.total_weight, Fraction)
    assert d.cdf([1.0, 2.0]).tolist() == [2 / 3, 1.0]


# --- reading sketches ---------------------------------------------------------------------------

@pytest.mark.parametrize("bad, kind", [(None, "NoneType"), ([1.0, 2.0], "list"), (object(), "object")])
def test_from_sketch_rejects_non_sketches_with_the_type(bad, kind):
    with pytest.raises(InvalidParameterError) as exc:
        SketchDistribution.from_sketch(bad)
    assert str(exc.value) == (
        f"expected a quantiles sketch (e.g. datasketches.kll_doubles_sketch), got {kind}")


def test_from_sketch_needs_both_is_empty_and_iteration():
    class OnlyEmpty:
        n = 1

        def is_empty(self):
            return False

    with pytest.raises(InvalidParameterError, match="got OnlyEmpty"):
        SketchDistribution.from_sketch(OnlyEmpty())


def test_from_sketch_empty():
    with pytest.raises(InvalidParameterError) as exc:
        SketchDistribution.from_sketch(FakeSketch([]))
    assert str(exc.value) == "the sketch is empty"


def test_from_sketch_sums_weights_of_repeated_items():
    d = SketchDistribution.from_sketch(FakeSketch([(2.0, 1.0), (1.0, 4.0), (2.0, 3.0)], estimation=False))
    assert d.items.tolist() == [1.0, 2.0]
    assert d.weights.tolist() == [4.0, 4.0]
    assert d.n == 8 and type(d.n) is int
    assert d.rank_error == 0.0


def test_from_sketch_weights_must_add_up_to_n():
    with pytest.raises(SketchInvariantError) as exc:
        SketchDistribution.from_sketch(FakeSketch([(1.0, 2.0), (2.0, 3.0)], n=6))
    assert str(exc.value) == "sketch weights add up to 5, not n = 6"


def test_from_sketch_rank_error_only_in_estimation_mode():
    pairs = [(1.0, 2.0), (2.0, 2.0)]
    assert SketchDistribution.from_sketch(FakeSketch(pairs, estimation=True, rank_error=0.125)).rank_error == 0.125
    assert SketchDistribution.from_sketch(FakeSketch(pairs, estimation=False, rank_error=0.125)).rank_error == 0.0
    # no is_estimation_mode: assumed estimating
    assert SketchDistribution.from_sketch(FakeSketch(pairs, rank_error=0.125)).rank_error == 0.125
    # no normalized_rank_error: 0
    assert SketchDistribution.from_sketch(FakeSketch(pairs, estimation=True)).rank_error == 0.0


def test_from_kll_sketch_exact_and_estimation_mode():
    small = SketchDistribution.from_sketch(sketch([3.0, 1.0, 2.0, 2.0]))
    assert small.items.tolist() == [1.0, 2.0, 3.0] and small.weights.tolist() == [1.0, 2.0, 1.0]
    assert small.rank_error == 0.0
    s = sketch(np.arange(10_000, dtype=np.float64))
    big = SketchDistribution.from_sketch(s)
    assert big.n == 10_000
    assert big.rank_error == s.normalized_rank_error(False)
    assert big.rank_error > 0
    assert big.weights.sum() == 10_000


def test_from_values_pins_counts_and_n():
    d = SketchDistribution.from_values([[3.0, 1.0], [3.0, float("nan")]])
    assert d.items.tolist() == [1.0, 3.0] and d.weights.tolist() == [1.0, 2.0]
    assert d.n == 3 and type(d.n) is int and d.rank_error == 0.0
    with pytest.raises(InvalidParameterError) as exc:
        SketchDistribution.from_values([])
    assert str(exc.value) == "no values (all NaN or empty)"


def test_as_distribution_passes_distributions_through_and_prefixes_the_name():
    d = SketchDistribution.from_values([1.0])
    assert as_distribution(d) is d
    with pytest.raises(InvalidParameterError) as exc:
        as_distribution(FakeSketch([]))
    assert str(exc.value) == "baseline: the sketch is empty"
    with pytest.raises(InvalidParameterError) as exc:
        as_distribution(5, name="current")
    assert str(exc.value) == (
        "current: expected a quantiles sketch (e.g. datasketches.kll_doubles_sketch), got int")
    assert exc.value.__cause__ is None and exc.value.__suppress_context__


def test_as_distribution_reads_a_kll_sketch():
    d = as_distribution(sketch([2.0, 2.0, 5.0]))
    assert d.items.tolist() == [2.0, 5.0] and d.weights.tolist() == [2.0, 1.0]


# --- quantiles ------------------------------------------------------------------------------------

def test_quantiles_inclusive_at_exact_ranks_and_ends():
    d = SketchDistribution.from_values([1.0, 2.0, 3.0, 4.0])
    assert d.quantiles([0.0, 0.25, 0.26, 0.5, 0.75, 0.99, 1.0]).tolist() == [1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0]
    assert d.quantiles(0.5).tolist() == 2.0


@pytest.mark.parametrize("ranks", [[-0.01], [1.01], [float("nan")], [0.5, 2.0]])
def test_quantiles_reject_ranks_outside_unit_interval(ranks):
    d = SketchDistribution.from_values([1.0, 2.0])
    with pytest.raises(InvalidParameterError) as exc:
        d.quantiles(ranks)
    assert str(exc.value) == "ranks must lie in [0, 1]"


# --- mean and standard deviation ------------------------------------------------------------------

def test_mean_std_weighted_population():
    d = SketchDistribution(items=[1.0, 3.0], weights=[3.0, 1.0], n=4)
    assert d.mean_std() == (1.5, math.sqrt(0.75))


def test_mean_std_constant_is_zero_spread():
    assert SketchDistribution.from_values([7.0, 7.0]).mean_std() == (7.0, 0.0)


def test_mean_std_near_the_largest_double_is_scaled_exactly():
    big = 2.0 ** 1000
    d = SketchDistribution(items=[-big, big], weights=[1.0, 1.0], n=2)
    assert d.mean_std() == (0.0, big)
    d = SketchDistribution(items=[big, 2 * big], weights=[1.0, 1.0], n=2)
    assert d.mean_std() == (1.5 * big, 0.5 * big)


def test_mean_std_just_below_the_scaling_threshold():
    # exponent 500 (values in [2**499, 2**500)) is not scaled; squares still fit a double
    v = 2.0 ** 499
    d = SketchDistribution(items=[0.0, v], weights=[1.0, 1.0], n=2)
    assert d.mean_std() == (v / 2, v / 2)
    w = 2.0 ** 500
    d = SketchDistribution(items=[0.0, w], weights=[1.0, 1.0], n=2)
    assert d.mean_std() == (w / 2, w / 2)


def test_mean_std_of_the_largest_doubles_is_finite():
    m = np.finfo(np.float64).max
    d = SketchDistribution(items=[-m, m], weights=[1.0, 1.0], n=2)
    assert d.mean_std() == (0.0, m)


# --- grids, gaps and bins -------------------------------------------------------------------------

def test_max_cdf_gap_location_and_fraction():
    b = SketchDistribution.from_values([1.0, 2.0, 3.0, 4.0])
    c = SketchDistribution.from_values([3.0, 4.0, 5.0])
    loc, gap = max_cdf_gap(b, c)
    assert (loc, gap) == (2.0, Fraction(1, 2))
    assert type(loc) is float
    loc, gap = max_cdf_gap(c, b)
    assert (loc, gap) == (2.0, Fraction(1, 2))


def test_max_cdf_gap_names_the_bad_side():
    d = SketchDistribution.from_values([1.0])
    with pytest.raises(InvalidParameterError, match="^current: "):
        max_cdf_gap(d, FakeSketch([]))
    with pytest.raises(InvalidParameterError, match="^baseline: "):
        max_cdf_gap(FakeSketch([]), d)
    with pytest.raises(InvalidParameterError, match="^current: "):
        shared_grid_cdfs(d, FakeSketch([]))
    with pytest.raises(InvalidParameterError, match="^baseline: "):
        shared_grid_cdfs(FakeSketch([]), d)
    with pytest.raises(InvalidParameterError, match="^current: "):
        binned_proportions(d, FakeSketch([]))
    with pytest.raises(InvalidParameterError, match="^baseline: "):
        binned_proportions(FakeSketch([]), d)
    with pytest.raises(InvalidParameterError, match="^baseline: "):
        quantile_bin_edges(FakeSketch([]))


def test_max_cdf_gap_from_kll_sketches():
    loc, gap = max_cdf_gap(sketch([1.0, 2.0]), sketch([2.0, 3.0]))
    assert (loc, gap) == (1.0, Fraction(1, 2))


def test_shared_grid_cdfs_from_sketches():
    grid, fb, fc = shared_grid_cdfs(sketch([1.0, 1.0, 4.0, 4.0]), sketch([2.0, 4.0]))
    assert grid.tolist() == [1.0, 2.0, 4.0]
    assert fb.tolist() == [0.5, 0.5, 1.0]
    assert fc.tolist() == [0.0, 0.5, 1.0]


def test_quantile_bin_edges_default_is_deciles():
    b = SketchDistribution.from_values(np.arange(1, 21, dtype=np.float64))
    assert quantile_bin_edges(b).tolist() == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    assert quantile_bin_edges(b, n_bins=2).tolist() == [10.0]
    assert quantile_bin_edges(sketch(np.arange(1, 5, dtype=np.float64)), n_bins=4).tolist() == [1.0, 2.0, 3.0]


def test_quantile_bin_edges_constant_baseline_has_no_edge():
    assert quantile_bin_edges(SketchDistribution.from_values([3.0, 3.0]), n_bins=4).tolist() == []


@pytest.mark.parametrize("n_bins", [1, 0, True, 2.0])
def test_quantile_bin_edges_minimum_two_bins(n_bins):
    with pytest.raises(InvalidParameterError) as exc:
        quantile_bin_edges(SketchDistribution.from_values([1.0, 2.0]), n_bins=n_bins)
    assert str(exc.value) == f"n_bins must be an integer >= 2, got {n_bins!r}"


def test_binned_proportions_default_bins_and_values():
    b = SketchDistribution.from_values(np.arange(1, 21, dtype=np.float64))
    c = SketchDistribution.from_values([0.0, 0.0, 5.0, 100.0])
    edges, p, q = binned_proportions(b, c)
    assert edges.tolist() == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    assert p == pytest.approx([0.1] * 10, rel=0, abs=1e-15)
    assert q.tolist() == [0.5, 0.0, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25]
    edges, p, q = binned_proportions(b, c, n_bins=2)
    assert edges.tolist() == [10.0] and p.tolist() == [0.5, 0.5] and q.tolist() == [0.75, 0.25]


def test_binned_proportions_are_clipped_to_unit_interval():
    # 0.1 + 0.2 + 0.7 in floating point: CDF steps differ from the weights by rounding, never below 0
    b = SketchDistribution(items=[1.0, 2.0, 3.0], weights=[0.1, 0.2, 0.7], n=1)
    edges, p, q = binned_proportions(b, b)
    assert edges.tolist() == [1.0, 2.0]
    assert p == pytest.approx([0.1, 0.2, 0.7], rel=0, abs=1e-15)
    assert (p >= 0).all() and (p <= 1).all() and p.tolist() == q.tolist()


# --- smoothing ------------------------------------------------------------------------------------

def test_smooth_proportions_default_eps_and_unchanged_input():
    out = smooth_proportions([0.0, 1.0])
    assert out.tolist() == [1e-4 / 1.0001, 1.0 / 1.0001]
    same = smooth_proportions([0.25, 0.75])
    assert same.tolist() == [0.25, 0.75] and same.dtype == np.float64
    assert smooth_proportions((1, 3), eps=0.5).tolist() == [1.0, 3.0]


def test_smooth_proportions_replaces_every_zero():
    assert smooth_proportions([0.0, 0.5, 0.0], eps=0.25).tolist() == [0.25, 0.5, 0.25]


@pytest.mark.parametrize("eps", [0.0, -1e-4, float("nan")])
def test_smooth_proportions_rejects_non_positive_eps(eps):
    with pytest.raises(InvalidParameterError) as exc:
        smooth_proportions([0.5, 0.5], eps=eps)
    assert str(exc.value) == f"eps must be > 0, got {eps!r}"


def test_smooth_proportions_returns_float64_for_integer_input():
    out = smooth_proportions([1, 3], eps=0.5)
    assert out.dtype == np.float64 and out.tolist() == [1.0, 3.0]


def test_from_values_reads_integers_as_doubles_before_counting():
    # 2**53 + 1 is not a double: it rounds onto 2**53, so both values count for one item
    d = SketchDistribution.from_values(np.array([2**53, 2**53 + 1], dtype=np.int64))
    assert d.items.tolist() == [2.0**53] and d.weights.tolist() == [2.0] and d.n == 2


def test_from_merged_kll_sketches_reads_the_weights():
    a = sketch(np.arange(5000, dtype=np.float64))
    a.merge(sketch(np.arange(5000, 10000, dtype=np.float64)))
    d = SketchDistribution.from_sketch(a)
    assert d.n == 10_000 and d.weights.sum() == 10_000
    assert d.cumulative_weights([9999.0]).tolist() == [10_000]


def test_mean_std_of_subnormal_items_is_not_scaled():
    tiny = 2.0 ** -1073  # twice the smallest subnormal: halving it would round its half away
    d = SketchDistribution(items=[0.0, tiny], weights=[1.0, 1.0], n=2)
    assert d.mean_std()[0] == 2.0 ** -1074  # the spread underflows to 0 either way
