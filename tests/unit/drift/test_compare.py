import numpy as np
import pytest

from sagewatch.drift import compare_columns, default_measures
from sagewatch.errors import InvalidParameterError

from ._helpers import sketch

NUMERIC = ("linf", "chi2", "hellinger", "js", "ks", "psi", "wasserstein")


@pytest.fixture(scope="module")
def numeric_pair():
    rng = np.random.default_rng(21)
    return sketch(rng.normal(size=100_000)), sketch(rng.normal(0.5, size=100_000))


def test_default_measures_put_linf_first():
    assert default_measures("numeric") == NUMERIC
    assert default_measures("categorical") == ("linf", "chi2", "hellinger", "js", "psi")
    assert default_measures("multivariate") == ("mmd",)


def test_shifted_numeric_column_is_drifted_for_every_measure(numeric_pair):
    results = compare_columns(*numeric_pair)
    assert [r.name for r in results] == list(NUMERIC)
    assert all(r.drifted for r in results), [(r.name, r.drift_score) for r in results]


def test_shifted_categorical_column_is_drifted_for_every_measure():
    results = compare_columns({"a": 600, "b": 300, "c": 100}, {"a": 300, "b": 300, "c": 300, "d": 100})
    assert [r.name for r in results] == ["linf", "chi2", "hellinger", "js", "psi"]
    assert all(r.drifted for r in results)


def test_shifted_multivariate_sample_is_drifted():
    rng = np.random.default_rng(4)
    [r] = compare_columns(rng.normal(size=(400, 3)), rng.normal(0.5, size=(400, 3)))
    assert (r.name, r.drifted) == ("mmd", True)


def test_same_summary_is_not_drifted_for_any_measure():
    s = sketch(np.random.default_rng(0).gamma(2.0, size=100_000))
    assert not any(r.drifted for r in compare_columns(s, s))
    counts = {"a": 5, "b": 7}
    assert not any(r.drifted for r in compare_columns(counts, counts))


def test_thresholds_and_options_are_passed_per_measure():
    b, c = sketch(np.arange(20.0)), sketch(np.arange(20.0) + 5)
    [simple, robust] = [
        compare_columns(b, c, measures=["linf"], options={"linf": {"comparison_method": m}})[0]
        for m in ("Simple", "Robust")]
    assert (simple.drifted, robust.drifted) == (True, False)
    [r] = compare_columns(b, c, measures=["LINF"], thresholds={"linf": 0.3},
                          options={"linf": {"comparison_method": "Simple"}})
    assert (r.threshold, r.drifted) == (0.3, False)
    [p] = compare_columns(b, c, measures=["psi"], options={"psi": {"n_bins": 4}})
    assert p.details["n_bins"] == 4


def test_a_single_key_string_is_accepted():
    assert [r.name for r in compare_columns({"a": 1}, {"a": 2}, measures="js")] == ["js"]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"measures": ["nope"]}, "unknown drift measure 'nope'"),
    ({"measures": ["mmd"]}, "does not accept categorical"),
    ({"measures": ["linf"], "thresholds": {"psi": 0.2}}, "thresholds names measures that are not run: psi"),
    ({"measures": ["linf"], "options": {"ks": {}}}, "options names measures that are not run: ks"),
])
def test_compare_columns_rejects_bad_requests(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        compare_columns({"a": 1}, {"a": 2}, **kwargs)


def test_compare_columns_rejects_summaries_of_two_kinds():
    with pytest.raises(InvalidParameterError, match="baseline is a categorical summary but current is a numeric one"):
        compare_columns({"a": 1}, sketch([1.0]))


def test_compare_columns_rejects_an_empty_sketch():
    with pytest.raises(InvalidParameterError, match="current: the sketch is empty"):
        compare_columns(sketch([1.0]), sketch([]))
