"""Metrics per slice and low-confidence counts."""

import numpy as np
import pyarrow as pa
import pytest
from sklearn import metrics as skm

from sagewatch.errors import InvalidParameterError
from sagewatch.quality import slices
from sagewatch.quality.slices import MISSING, OTHER, binary_confidence, low_confidence, slice_keys, slice_report


def test_categorical_slices_largest_first_with_missing():
    keys = slice_keys(pa.array(["eu", "us", None, "us", "", "ap", "us"]))
    assert keys.kind == "categorical"
    assert keys.labels == ["us", "ap", "eu", MISSING]
    assert keys.codes.tolist() == [2, 0, 3, 0, 3, 1, 0]


def test_numeric_column_is_cut_into_quantile_buckets():
    values = pa.array([float(v) for v in range(100)] + [None])
    keys = slice_keys(values, buckets=4)
    assert keys.kind == "quantile"
    assert keys.labels == ["[0, 24.75)", "[24.75, 49.5)", "[49.5, 74.25)", "[74.25, 99]", MISSING]
    assert np.bincount(keys.codes).tolist() == [25, 25, 25, 25, 1]


def test_few_distinct_numbers_are_categories():
    keys = slice_keys(pa.array([1, 2, 2, 3]), buckets=5)
    assert keys.kind == "categorical" and keys.labels == ["2", "1", "3", MISSING]


def test_many_categories_are_pooled_not_lost(monkeypatch):
    monkeypatch.setattr(slices, "MAX_SLICES", 3)
    keys = slice_keys(pa.array(["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d", "e"]))
    assert keys.labels == ["a", "b", "c", OTHER, MISSING] and keys.pooled == 2
    assert np.bincount(keys.codes).tolist() == [5, 4, 3, 2]


def test_bucket_count_is_validated():
    with pytest.raises(InvalidParameterError, match="slice_buckets must be at least 2"):
        slice_keys(pa.array([1.0, 2.0]), buckets=1)


def test_slice_metrics_equal_scikit_learn_on_each_slice():
    rng = np.random.default_rng(4)
    n = 600
    group = rng.choice(["a", "b", "c"], n)
    y_true = rng.integers(0, 2, n).astype(str)
    score = rng.random(n)
    y_pred = np.where(score >= 0.5, "1", "0")
    keys = slice_keys(pa.array(group))
    report = slice_report(keys, "BinaryClassification", y_true=y_true, y_pred=y_pred, y_score=score,
                          confidence=binary_confidence(score), threshold=0.7)
    assert sum(e["rows"] for e in report) == n
    for entry in report:
        rows = group == entry["slice"]
        t, p = y_true[rows] == "1", y_pred[rows] == "1"
        assert entry["rows"] == int(rows.sum())
        assert entry["metrics"]["accuracy"] == pytest.approx(skm.accuracy_score(t, p))
        assert entry["metrics"]["f1"] == pytest.approx(skm.f1_score(t, p))
        assert entry["metrics"]["auc"] == pytest.approx(skm.roc_auc_score(t, score[rows]))
        assert entry["low_confidence"]["count"] == int((np.maximum(score, 1 - score)[rows] < 0.7).sum())


def test_regression_slices_and_undefined_r2_is_none():
    keys = slice_keys(pa.array(["x", "x", "y"]))
    report = slice_report(keys, "Regression", y_true=np.array([1.0, 2.0, 3.0]), y_pred=np.array([1.0, 3.0, 5.0]))
    assert report[0]["metrics"] == {"mae": 0.5, "rmse": pytest.approx(np.sqrt(0.5)), "r2": pytest.approx(-1.0)}
    assert report[1]["metrics"] == {"mae": 2.0, "rmse": 2.0, "r2": None}


def test_low_confidence_binary_is_max_p_one_minus_p():
    assert binary_confidence(np.array([0.1, 0.5, 0.65])).tolist() == [0.9, 0.5, 0.65]
    assert low_confidence(binary_confidence(np.array([0.1, 0.5, 0.65])), 0.7) == \
        {"threshold": 0.7, "count": 2, "fraction": 2 / 3}
