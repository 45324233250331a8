"""Background rows: inline, from a file, or k-means summaries (shap.kmeans)."""

from __future__ import annotations

import numpy as np
import pytest
import shap

from sagewatch.clarify.explain.background import resolve_background
from sagewatch.clarify.explain.settings import ShapSettings
from sagewatch.errors import InvalidParameterError, SchemaError


def test_inline_rows_weigh_the_same():
    background = resolve_background(ShapSettings(baseline=((1, "2.5"), (3, 4))), np.zeros((4, 2)))
    assert background.data.tolist() == [[1.0, 2.5], [3.0, 4.0]]
    assert background.weights.tolist() == [0.5, 0.5] and background.source == "rows"


@pytest.mark.parametrize("text", ["1,2\n3,4\n", "[1, 2]\n\n[3, 4]\n", '{"features": [1, 2]}\n{"features": [3, 4]}\n'])
def test_files_of_rows_are_read_relative_to_the_config(tmp_path, text):
    (tmp_path / "baseline.data").write_text(text)
    background = resolve_background(ShapSettings(baseline="baseline.data"), np.zeros((4, 2)), base_dir=tmp_path)
    assert background.data.tolist() == [[1.0, 2.0], [3.0, 4.0]] and background.source == "file"


def test_kmeans_summaries_are_shaps(data):
    X, _ = data
    background = resolve_background(ShapSettings(num_clusters=7), X)
    expected = shap.kmeans(X, 7)
    np.testing.assert_array_equal(background.data, expected.data)
    np.testing.assert_array_equal(background.weights, expected.weights)
    assert background.source == "kmeans"


def test_default_is_ten_clusters(data):
    X, _ = data
    assert resolve_background(ShapSettings(), X).data.shape == (10, 5)


def test_fewer_distinct_rows_than_clusters_use_the_rows_weighted_by_count():
    records = np.array([[1.0, 0.0], [2.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    background = resolve_background(ShapSettings(num_clusters=5), records)
    assert background.data.tolist() == [[1.0, 0.0], [2.0, 0.0]] and background.weights.tolist() == [0.75, 0.25]


@pytest.mark.parametrize("baseline, message", [
    (((1, 2, 3),), "shap: baseline: rows have 3 values, the dataset has 2 features"),
    ((("a", 2),), "shap: baseline: every value must be a number"),
    ("s3://bucket/baseline.csv", "shap: baseline 's3://bucket/baseline.csv' is a remote location"),
    ("missing.csv", "shap: baseline file missing.csv does not exist"),
])
def test_bad_baselines_are_named(tmp_path, baseline, message):
    with pytest.raises(InvalidParameterError) as info:
        resolve_background(ShapSettings(baseline=baseline), np.zeros((2, 2)), base_dir=tmp_path)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("text, message", [
    ("1,2\n3,x\n", "baseline.csv, line 2: expected numbers separated by commas, got ['3', 'x']"),
    ("[1, 2]\n[3, \n", "baseline.csv, line 2: not JSON"),
    ('[1, 2]\n{"f": 1}\n', "baseline.csv, line 2: expected a JSON list of feature values"),
    ("\n\n", "baseline.csv: the baseline file holds no rows"),
])
def test_bad_baseline_files_name_file_and_line(tmp_path, text, message):
    (tmp_path / "baseline.csv").write_text(text)
    with pytest.raises(SchemaError) as info:
        resolve_background(ShapSettings(baseline=str(tmp_path / "baseline.csv")), np.zeros((2, 2)))
    assert str(info.value).startswith(message)
