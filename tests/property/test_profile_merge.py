"""Profiles are a monoid: merge is associative, zero is the identity, inputs stay unchanged."""

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sagewatch.profile.dataset import DatasetProfile, merge_profiles, profile_table
from sagewatch.schemas.statistics import dumps_statistics, statistics_document

values = st.lists(st.one_of(st.none(), st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False)),
                  min_size=1, max_size=60)
words = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "10", "x y"])), min_size=1, max_size=60)


def _table(nums, cats):
    n = min(len(nums), len(cats))
    return pa.table({"num": pa.array([None if v is None else float(v) for v in nums[:n]], pa.float64()),
                     "cat": pa.array(cats[:n], pa.string())})


def _summary(profile):
    doc = statistics_document(profile)
    out = {"items": doc["dataset"]["item_count"]}
    for f in doc["features"]:
        block = f.get("numerical_statistics") or f.get("string_statistics")
        out[f["name"]] = (f["inferred_type"], block["common"]["num_present"], block["common"]["num_missing"])
        if "numerical_statistics" in f:
            out[f["name"] + ".moments"] = tuple(round(block[k], 6) for k in ("sum", "min", "max"))
            out[f["name"] + ".mean"] = block["mean"]
            out[f["name"] + ".std"] = block["std_dev"]
        else:
            out[f["name"] + ".counts"] = tuple(sorted((b["value"], b["count"]) for b in
                                                      block.get("distribution", {}).get("categorical", {})
                                                      .get("buckets", [])))
    return out


def _assert_close(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], float):
            assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-6), key
        else:
            assert a[key] == b[key], key


@settings(max_examples=40, deadline=None)
@given(values, words, values, words, values, words)
def test_merge_is_associative(n1, c1, n2, c2, n3, c3):
    a, b, c = profile_table(_table(n1, c1)), profile_table(_table(n2, c2)), profile_table(_table(n3, c3))
    _assert_close(_summary(a.merge(b).merge(c)), _summary(a.merge(b.merge(c))))


@settings(max_examples=30, deadline=None)
@given(values, words)
def test_zero_is_identity_and_inputs_unchanged(nums, cats):
    a = profile_table(_table(nums, cats))
    before = dumps_statistics(a)
    _assert_close(_summary(a.merge(DatasetProfile.zero())), _summary(a))
    _assert_close(_summary(DatasetProfile.zero().merge(a)), _summary(a))
    a.merge(a)
    assert dumps_statistics(a) == before


def test_chunked_profile_equals_whole_profile_within_sketch_error():
    rng = np.random.default_rng(5)
    x = rng.lognormal(size=300_000)
    whole = profile_table(pa.table({"x": x}))
    parts = merge_profiles(profile_table(pa.table({"x": part})) for part in np.array_split(x, 7))
    w, p = whole.columns["x"], parts.columns["x"]
    assert p.n_numeric == w.n_numeric and p.minimum == w.minimum and p.maximum == w.maximum
    assert p.mean == pytest.approx(w.mean, rel=1e-12) and p.std_dev == pytest.approx(w.std_dev, rel=1e-10)
    grid = np.quantile(x, np.linspace(0.01, 0.99, 50))
    eps = w.distribution().normalized_rank_error(False)
    exact = np.searchsorted(np.sort(x), grid, side="left") / x.size
    assert np.max(np.abs(p.distribution().get_cdf(grid) - exact)) <= 2.5 * eps


def test_columns_missing_from_one_chunk_count_as_missing():
    a = profile_table(pa.table({"x": [1.0, 2.0]}))
    b = profile_table(pa.table({"y": ["u"]}))
    merged = a.merge(b)
    assert merged.columns["x"].n_missing == 1 and merged.columns["y"].n_missing == 2
    assert list(merged.columns) == ["x", "y"]


# -- sketches inside profiles: any chunking, any merge order ------------------------------------------
def _merged_in_random_order(profiles, order_seed):
    rng = np.random.default_rng(order_seed)
    pool = [profiles[i] for i in rng.permutation(len(profiles))]
    while len(pool) > 1:
        i = int(rng.integers(0, len(pool) - 1))
        left, right = pool.pop(i), pool.pop(i)
        pool.insert(i, left.merge(right))
    return pool[0]


@settings(max_examples=20, deadline=None, derandomize=True)
@given(n=st.integers(2_000, 90_000), parts=st.integers(1, 24), seed=st.integers(0, 2**32 - 1),
       order_seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["lognormal", "bimodal", "integers"]))
def test_buckets_of_any_chunking_and_merge_order_are_within_the_rank_error(n, parts, seed, order_seed, kind):
    from datasketches import kll_doubles_sketch
    rng = np.random.default_rng(seed)
    if kind == "lognormal":
        x = rng.lognormal(3, 1.5, n)
    elif kind == "bimodal":
        x = np.where(rng.random(n) < 0.3, rng.normal(-5, 1, n), rng.normal(5, 2, n))
    else:
        x = rng.integers(-50, 50, n).astype(float)
    cuts = np.sort(rng.choice(np.arange(1, n), parts - 1, replace=False)) if parts > 1 else []
    profile = _merged_in_random_order([profile_table(pa.table({"x": p})) for p in np.split(x, cuts)], order_seed)
    kll = statistics_document(profile)["features"][0]["numerical_statistics"]["distribution"]["kll"]
    assert sum(len(level) << i for i, level in enumerate(kll["sketch"]["data"])) == n
    buckets = kll["buckets"]
    counts = np.array([b["count"] for b in buckets])
    edges = np.array([b["lower_bound"] for b in buckets] + [buckets[-1]["upper_bound"]])
    true_counts, _ = np.histogram(x, bins=edges)
    eps = kll_doubles_sketch.get_normalized_rank_error(2048, False)
    assert counts.sum() == n
    assert np.max(np.abs(counts - true_counts)) <= 2 * eps * n + 1  # two CDF values per bucket, each within eps
    grid = np.quantile(x, np.linspace(0.01, 0.99, 99))
    exact = np.searchsorted(np.sort(x), grid, side="left") / n
    assert np.max(np.abs(profile.columns["x"].distribution().get_cdf(grid) - exact)) <= eps
