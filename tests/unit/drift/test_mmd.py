import numpy as np
import pytest

from sagewatch.drift import ks_test
from sagewatch.drift.mmd import mmd_permutation_test, mmd_test
from sagewatch.drift.sketch_cdf import SketchDistribution
from sagewatch.errors import InvalidParameterError, UndefinedMetricWarning


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(2024)
    baseline = rng.normal(size=(1000, 2))
    same = rng.normal(size=(1000, 2))
    correlated = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.8], [0.8, 1.0]], size=1000)
    return baseline, same, correlated


def test_mmd_detects_a_correlation_change_that_marginal_tests_miss(samples):
    baseline, _, correlated = samples
    for j in range(2):  # each marginal is still N(0, 1)
        r = ks_test(SketchDistribution.from_values(baseline[:, j]), SketchDistribution.from_values(correlated[:, j]))
        assert not r.drifted
    r = mmd_test(baseline, correlated)
    assert r.drifted
    assert r.drift_score == pytest.approx(1 / 201)      # no permutation reaches the observed statistic
    assert r.details["mmd2"] > 0.01


def test_mmd_stays_quiet_on_the_same_distribution(samples):
    baseline, same, _ = samples
    r = mmd_test(baseline, same)
    assert not r.drifted
    assert r.drift_score > 0.2
    assert abs(r.details["mmd2"]) < 0.002


def test_mmd_is_reproducible_with_a_seed(samples):
    baseline, same, _ = samples
    assert mmd_test(baseline, same, random_state=7) == mmd_test(baseline, same, random_state=7)
    gen = np.random.default_rng(7)
    assert mmd_test(baseline, same, random_state=gen).drift_score == mmd_test(baseline, same, random_state=7).drift_score


def test_mmd_mean_shift_is_drifted():
    rng = np.random.default_rng(3)
    assert mmd_test(rng.normal(size=(500, 4)), rng.normal(0.3, size=(500, 4))).drifted


def test_mmd_statistic_matches_the_unbiased_estimator_written_out():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(7, 2))
    sq = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
    k = np.exp(-sq / 2.0)
    n, m = 3, 4
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    expected = ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                - 2 * kxy.mean())
    observed, null = mmd_permutation_test(kernel=k, n=n, n_permutations=50, rng=np.random.default_rng(1))
    assert observed == pytest.approx(expected, rel=1e-12)
    assert null.shape == (50,)


def test_mmd_null_statistics_are_those_of_relabelled_samples():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(6, 1))
    k = np.exp(-((z - z.T) ** 2) / 2.0)
    _, null = mmd_permutation_test(kernel=k, n=2, n_permutations=200, rng=np.random.default_rng(0))
    # every split of 6 rows into 2 + 4 gives one of C(6, 2) = 15 values; each null value is one of them
    values = []
    for i in range(6):
        for j in range(i + 1, 6):
            perm = [i, j] + [t for t in range(6) if t not in (i, j)]
            values.append(mmd_permutation_test(kernel=k[np.ix_(perm, perm)], n=2, n_permutations=1,
                                               rng=np.random.default_rng(0))[0])
    assert all(np.isclose(values, v).any() for v in null)


def test_mmd_subsamples_to_max_samples():
    rng = np.random.default_rng(1)
    r = mmd_test(rng.normal(size=(3000, 2)), rng.normal(size=(2500, 2)), max_samples=400, n_permutations=20)
    assert (r.details["n_baseline"], r.details["n_current"], r.details["n_permutations"]) == (400, 400, 20)


def test_mmd_explicit_bandwidth_and_degenerate_data():
    x = np.ones((5, 2))
    with pytest.warns(UndefinedMetricWarning, match="median pairwise distance is 0"):
        r = mmd_test(x, x.copy(), n_permutations=10)
    assert r.details["bandwidth"] == 1.0 and not r.drifted
    assert mmd_test(x, x.copy(), bandwidth=2.5, n_permutations=10).details["bandwidth"] == 2.5


@pytest.mark.parametrize(("baseline", "current", "kwargs", "match"), [
    (np.zeros((5, 2)), np.zeros((5, 3)), {}, "same number of features"),
    (np.zeros(5), np.zeros((5, 1)), {}, "2-D"),
    (np.zeros((1, 2)), np.zeros((5, 2)), {}, "at least 2 rows"),
    (np.full((3, 2), np.nan), np.zeros((5, 2)), {}, "NaN"),
    (np.array([["a", "b"], ["c", "d"]]), np.zeros((2, 2)), {}, "numeric"),
    (np.zeros((5, 2)), np.zeros((5, 2)), {"n_permutations": 0}, "n_permutations"),
    (np.zeros((5, 2)), np.zeros((5, 2)), {"bandwidth": -1.0}, "bandwidth"),
    (np.zeros((5, 2)), np.zeros((5, 2)), {"threshold": 2.0}, "p-value threshold"),
])
def test_mmd_validates_inputs(baseline, current, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        mmd_test(baseline, current, **kwargs)
