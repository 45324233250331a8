"""Pinned behaviour of drift/mmd.py: validation messages, standardisation, median heuristic, p-value.

The kernel statistic goes through a matrix product (BLAS), so floating-point values are compared with a
relative tolerance; counts, p-values and messages are compared exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sagewatch.drift import mmd
from sagewatch.drift.mmd import mmd_permutation_test, mmd_test
from sagewatch.drift.registry import get_measure
from sagewatch.errors import InvalidParameterError, UndefinedMetricWarning


def _rows(seed, n, d=2, shift=0.0):
    return np.random.default_rng(seed).normal(shift, 1.0, size=(n, d))


def test_constants_and_registration():
    assert mmd.DEFAULT_THRESHOLD == 0.05
    assert mmd.DEFAULT_N_PERMUTATIONS == 200
    assert mmd.DEFAULT_MAX_SAMPLES == 1000
    m = get_measure("mmd")
    assert m.kinds == frozenset({"multivariate"})
    assert (m.default_threshold, m.higher_is_drift, m.score_type) == (0.05, False, "p_value")
    assert m.threshold_meanings["multivariate"].startswith("false-alarm rate: p < 0.05 flags at most 5%")
    assert "max_samples rows per side" in m.threshold_meanings["multivariate"]
    assert m.description == "kernel two-sample test (Gaussian RBF MMD, permutation p-value) on row samples"


def test_result_fields_and_defaults():
    r = mmd_test(_rows(1, 30), _rows(2, 20))
    assert (r.name, r.score_type, r.statistic, r.threshold) == ("mmd", "p_value", "mmd_permutation_p_value", 0.05)
    assert sorted(r.details) == ["bandwidth", "mmd2", "n_baseline", "n_current", "n_features", "n_permutations"]
    assert (r.details["n_baseline"], r.details["n_current"], r.details["n_features"],
            r.details["n_permutations"]) == (30, 20, 2, 200)
    assert all(type(r.details[k]) is int for k in ("n_baseline", "n_current", "n_features", "n_permutations"))
    assert type(r.details["mmd2"]) is float and type(r.details["bandwidth"]) is float
    assert type(r.drift_score) is float
    # p-value on the 1 / 201 grid
    assert round(r.drift_score * 201) == pytest.approx(r.drift_score * 201, abs=1e-9)


def _reference(x, y, n_permutations, seed, bandwidth=None):
    """The test written out with plain NumPy (no subsampling: both sides below max_samples)."""
    pooled = np.vstack([x, y])
    std = pooled.std(axis=0)
    z = (pooled - pooled.mean(axis=0)) / np.where(std > 0, std, 1.0)
    sq = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
    iu = np.triu_indices(len(z), k=1)
    sigma = float(np.sqrt(np.median(sq[iu]))) if bandwidth is None else bandwidth
    k = np.exp(-sq / (2 * sigma**2))
    observed, null = mmd_permutation_test(kernel=k, n=len(x), n_permutations=n_permutations,
                                          rng=np.random.default_rng(seed))
    return sigma, observed, null


def test_statistic_bandwidth_and_p_value_match_the_written_out_test():
    x, y = _rows(3, 25, 3), _rows(4, 15, 3, shift=0.4)
    sigma, observed, null = _reference(x, y, 50, seed=11)
    r = mmd_test(x, y, n_permutations=50, random_state=11)
    assert r.details["bandwidth"] == pytest.approx(sigma, rel=1e-9)
    assert r.details["mmd2"] == pytest.approx(observed, rel=1e-9)
    gaps = np.abs(null - observed)
    assert gaps.min() > 1e-9  # no near-tie, so the count below is exact
    assert r.drift_score == (1 + np.count_nonzero(null >= observed)) / 51


def test_explicit_bandwidth_is_used_in_the_kernel():
    x, y = _rows(5, 12), _rows(6, 10, shift=1.0)
    _, observed, _ = _reference(x, y, 20, seed=0, bandwidth=0.7)
    r = mmd_test(x, y, n_permutations=20, bandwidth=0.7)
    assert r.details["bandwidth"] == 0.7
    assert r.details["mmd2"] == pytest.approx(observed, rel=1e-9)
    assert r.details["mmd2"] != pytest.approx(mmd_test(x, y, n_permutations=20, bandwidth=1.4).details["mmd2"])
    assert mmd_test(x, y, n_permutations=20, bandwidth=3).details["bandwidth"] == 3.0


def test_median_heuristic_excludes_the_diagonal():
    # four distinct points: with the zero diagonal the median of the N^2 distances would be smaller
    x = np.array([[0.0], [1.0]])
    y = np.array([[3.0], [7.0]])
    z = (np.vstack([x, y]) - 2.75) / np.vstack([x, y]).std()
    sq = (z - z.T) ** 2
    expected = float(np.sqrt(np.median(sq[np.triu_indices(4, k=1)])))
    assert mmd_test(x, y, n_permutations=5).details["bandwidth"] == pytest.approx(expected, rel=1e-9)


def test_standardisation_makes_the_test_scale_and_shift_invariant():
    x, y = _rows(7, 20), _rows(8, 20, shift=0.5)
    scale = np.array([1000.0, 0.001])
    a = mmd_test(x, y, n_permutations=40)
    b = mmd_test(x * scale + 5.0, y * scale + 5.0, n_permutations=40)
    assert b.details["bandwidth"] == pytest.approx(a.details["bandwidth"], rel=1e-9)
    assert b.details["mmd2"] == pytest.approx(a.details["mmd2"], rel=1e-9)
    assert b.drift_score == a.drift_score


def test_a_constant_feature_is_left_as_is():
    x, y = _rows(9, 15, 1), _rows(10, 15, 1, shift=0.8)
    with_const = mmd_test(np.hstack([x, np.full((15, 1), 4.0)]), np.hstack([y, np.full((15, 1), 4.0)]),
                          n_permutations=30)
    alone = mmd_test(x, y, n_permutations=30)
    assert np.isfinite(with_const.details["mmd2"])
    assert with_const.details["mmd2"] == pytest.approx(alone.details["mmd2"], rel=1e-9)
    assert with_const.drift_score == alone.drift_score
    assert with_const.details["n_features"] == 2


def test_degenerate_samples_tie_every_permutation_and_give_p_one():
    x = np.ones((4, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = mmd_test(x, x.copy(), n_permutations=9, threshold=1.0)
    assert [w.category for w in caught] == [UndefinedMetricWarning]
    assert str(caught[0].message) == "median pairwise distance is 0; using bandwidth 1.0"
    assert r.drift_score == 1.0 and r.details["mmd2"] == 0.0
    assert not r.drifted  # p equal to the threshold is not below it


def test_separated_samples_reach_the_smallest_p_value_and_drift():
    x, y = _rows(11, 20), _rows(12, 20, shift=6.0)
    r = mmd_test(x, y, n_permutations=19, threshold=0.05)
    assert r.drift_score == 0.05 and not r.drifted  # 1 / 20 is not below 0.05
    r = mmd_test(x, y, n_permutations=19, threshold=0.051)
    assert r.drift_score == 0.05 and r.drifted and r.threshold == 0.051


def test_max_samples_subsamples_only_larger_sides():
    x, y = _rows(13, 10), _rows(14, 11)
    r = mmd_test(x, y, max_samples=10, n_permutations=5)
    assert (r.details["n_baseline"], r.details["n_current"]) == (10, 10)
    # a side of exactly max_samples rows is kept whole and draws no random numbers: same as no limit
    whole = mmd_test(x, y[:10], max_samples=10, n_permutations=30)
    unlimited = mmd_test(x, y[:10], n_permutations=30)
    assert whole.drift_score == unlimited.drift_score
    assert whole.details["mmd2"] == unlimited.details["mmd2"]
    assert mmd_test(x, y, max_samples=2, n_permutations=5).details["n_baseline"] == 2


def test_random_state_none_and_generators_are_accepted():
    x, y = _rows(15, 8), _rows(16, 8)
    assert 0 < mmd_test(x, y, n_permutations=10, random_state=None).drift_score <= 1
    r1 = mmd_test(x, y, n_permutations=10, random_state=np.random.default_rng(3))
    r2 = mmd_test(x, y, n_permutations=10, random_state=3)
    assert r1 == r2


@pytest.mark.parametrize(("baseline", "current", "message"), [
    (np.zeros(5), np.zeros((5, 1)), "baseline must be 2-D (rows, features), got shape (5,)"),
    (np.zeros((5, 1)), np.zeros((2, 2, 1)), "current must be 2-D (rows, features), got shape (2, 2, 1)"),
    (np.zeros((1, 2)), np.zeros((5, 2)), "baseline needs at least 2 rows and 1 feature, got shape (1, 2)"),
    (np.zeros((3, 2)), np.zeros((3, 0)), "current needs at least 2 rows and 1 feature, got shape (3, 0)"),
    (np.zeros((2, 1)), np.array([[1.0], [np.inf]]), "current contains NaN or infinite values"),
    (np.array([[1.0], [np.nan]]), np.zeros((2, 1)), "baseline contains NaN or infinite values"),
    (np.zeros((5, 2)), np.zeros((5, 3)),
     "baseline and current must have the same number of features, got 2 and 3"),
])
def test_matrix_errors_are_specific(baseline, current, message):
    with pytest.raises(InvalidParameterError) as exc:
        mmd_test(baseline, current)
    assert str(exc.value) == message


def test_non_numeric_matrix_keeps_the_cause():
    with pytest.raises(InvalidParameterError) as exc:
        mmd_test(np.zeros((2, 1)), [["a"], ["b"]])
    assert str(exc.value).startswith("current must be a numeric matrix: ")
    assert isinstance(exc.value.__cause__, ValueError)
    with pytest.raises(InvalidParameterError, match="^baseline must be a numeric matrix: "):
        mmd_test([[object()], [None]], np.zeros((2, 1)))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_permutations": 0}, "n_permutations must be an integer >= 1, got 0"),
    ({"max_samples": 1}, "max_samples must be an integer >= 2, got 1"),
    ({"bandwidth": 0.0}, "bandwidth must be a finite positive number, got 0.0"),
    ({"bandwidth": -1}, "bandwidth must be a finite positive number, got -1"),
    ({"bandwidth": float("inf")}, "bandwidth must be a finite positive number, got inf"),
    ({"bandwidth": float("nan")}, "bandwidth must be a finite positive number, got nan"),
    ({"bandwidth": True}, "bandwidth must be a finite positive number, got True"),
    ({"bandwidth": "1"}, "bandwidth must be a finite positive number, got '1'"),
    ({"threshold": 0.0}, "a p-value threshold must be in (0, 1], got 0.0"),
])
def test_parameter_errors_are_specific(kwargs, message):
    with pytest.raises(InvalidParameterError) as exc:
        mmd_test(np.zeros((3, 1)), np.ones((3, 1)), **kwargs)
    assert str(exc.value) == message


def test_minimum_parameters_are_accepted():
    x, y = _rows(17, 5), _rows(18, 5)
    r = mmd_test(x, y, n_permutations=1, max_samples=2)
    assert r.details["n_permutations"] == 1 and r.drift_score in (0.5, 1.0)


def test_permutation_test_uses_labels_for_the_first_n_rows():
    # block kernel: rows 0-1 similar to each other, rows 2-4 similar to each other
    k = np.array([[1.0, 0.5, 0.0, 0.0, 0.0],
                  [0.5, 1.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 1.0, 0.5, 0.5],
                  [0.0, 0.0, 0.5, 1.0, 0.5],
                  [0.0, 0.0, 0.5, 0.5, 1.0]])
    observed, null = mmd_permutation_test(kernel=k, n=2, n_permutations=4, rng=np.random.default_rng(0))
    # (2*0.5)/(2*1) + (6*0.5)/(3*2) - 0 = 1.0, exact in binary
    assert observed == 1.0
    assert null.shape == (4,) and (null <= 1.0).all()


def test_reported_numbers_do_not_carry_cpu_dependent_digits():
    # exp and the permutation sums go through SIMD/BLAS kernels: the reported values keep 10 significant digits
    r = mmd_test(_rows(3, 40), _rows(4, 40, shift=0.5), n_permutations=20)
    for key in ("mmd2", "bandwidth"):
        value = r.details[key]
        assert value == float(f"{value:.10g}")
    _, observed, _ = _reference(_rows(3, 40), _rows(4, 40, shift=0.5), 20, seed=0)
    assert r.details["mmd2"] == float(f"{observed:.10g}")


def test_the_result_says_what_its_threshold_means():
    r = mmd_test(_rows(1, 30), _rows(2, 20), n_permutations=10)
    assert r.threshold_meaning == mmd.MEANING
    assert r.to_dict()["threshold_meaning"].startswith("false-alarm rate: p < 0.05")
