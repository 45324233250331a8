"""One run end to end: global values by agg_method, labels, analysis.json and out.csv layouts, bad input."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from sagewatch.clarify.explain.explain import explain_records, global_shap_values, label_names
from sagewatch.clarify.explain.settings import ShapSettings
from sagewatch.errors import InvalidParameterError
from sagewatch.schemas.explainability import check_explanations

NAMES = ["f0", "f1", "f2", "f3", "f4"]
LOCAL = np.array([[[1.0, -4.0]], [[-3.0, 2.0]], [[2.0, 0.5]]])  # (records, labels, features)


@pytest.mark.parametrize("agg_method, expected", [("mean_abs", [2.0, 6.5 / 3]), ("median", [1.0, 0.5]),
                                                  ("mean_sq", [14 / 3, 20.25 / 3])])
def test_global_values_follow_the_agg_method(agg_method, expected):
    np.testing.assert_allclose(global_shap_values(LOCAL, agg_method)[0], expected, rtol=0, atol=1e-15)


def test_an_unknown_agg_method_is_refused():
    with pytest.raises(InvalidParameterError, match="agg_method must be one of mean_abs, median, mean_sq, got 'max'"):
        global_shap_values(LOCAL, "max")


def test_label_names_follow_label_headers():
    assert label_names(1) == ["label0"] and label_names(3) == ["label0", "label1", "label2"]
    assert label_names(2, ["no", "yes"]) == ["no", "yes"] and label_names(1, ["no", "yes"]) == ["yes"]
    assert label_names(1, ["score"]) == ["score"]
    with pytest.raises(InvalidParameterError, match="label_headers names 3 labels but the model answers 2 outputs"):
        label_names(2, ["a", "b", "c"])


def test_analysis_json_and_out_csv_in_clarifys_layout(data, logistic):
    X, _ = data
    run = explain_records(X[:6], NAMES, ShapSettings(num_clusters=3, num_samples=20, agg_method="mean_sq"),
                          predict=logistic.predict_proba, label_headers=["no", "yes"])
    files = run.files()
    assert sorted(files) == ["analysis.json", "explanations_shap/out.csv"]
    document = json.loads(files["analysis.json"])
    assert list(document) == ["version", "explanations"] and document["version"] == "1.0"
    labels = document["explanations"]["kernel_shap"]
    assert list(labels) == ["no", "yes"] and list(labels["yes"]) == ["global_shap_values", "expected_value"]
    assert list(labels["yes"]["global_shap_values"]) == NAMES
    assert labels["yes"]["global_shap_values"]["f0"] == float(np.mean(run.local.values[:, 1, 0] ** 2))
    assert labels["yes"]["expected_value"] == float(run.local.expected_values[1])
    assert files["analysis.json"].startswith('{\n    "version": "1.0",\n    "explanations": {\n        "kernel_shap"')
    check_explanations(document)
    rows = list(csv.reader(io.StringIO(files["explanations_shap/out.csv"])))
    assert rows[0] == [f"{f}_no" for f in NAMES] + [f"{f}_yes" for f in NAMES]
    assert len(rows) == 7
    assert [float(v) for v in rows[3]] == run.local.values[2].reshape(-1).tolist()  # exact round trip


def test_local_values_are_left_out_when_not_saved(data, logistic):
    X, _ = data
    run = explain_records(X[:3], NAMES, ShapSettings(num_clusters=2, num_samples=10), predict=logistic.predict)
    assert list(run.files(save_local_shap_values=False)) == ["analysis.json"]


@pytest.mark.parametrize("records, names, settings, message", [
    ([[1.0, "x"]], ["a", "b"], ShapSettings(), "the records to explain must be numbers"),
    ([[1.0, np.nan]], ["a", "b"], ShapSettings(), "the records to explain hold missing, NaN or infinite values"),
    ([[1.0, 2.0]], ["a"], ShapSettings(), "the records have 2 columns but 1 feature names were given"),
    ([[1.0, 2.0]], ["a", "a"], ShapSettings(), "feature names must be unique"),
    (np.zeros((0, 2)), ["a", "b"], ShapSettings(), "the records to explain must be a non-empty"),
    ([[1.0, 2.0]], ["a", "b"], ShapSettings(features_to_explain=("c",)),
     "shap: features_to_explain names 'c', which is not a feature; the features are: a, b"),
    ([[1.0, 2.0]], ["a", "b"], ShapSettings(features_to_explain=(2,)),
     "shap: features_to_explain index 2 is out of range; there are 2 features"),
    ([[1.0, 2.0]], ["a", "b"], ShapSettings(features_to_explain=("a", 0)),
     "shap: features_to_explain names feature 'a' twice"),
])
def test_bad_input_is_named(records, names, settings, message):
    with pytest.raises(InvalidParameterError) as info:
        explain_records(records, names, settings, predict=lambda X: X[:, 0])
    assert str(info.value).startswith(message)


def test_unknown_explainers_and_missing_models_are_refused():
    with pytest.raises(InvalidParameterError, match="explainer must be one of kernel_shap, tree_shap, got 'deep'"):
        explain_records([[1.0]], ["a"], ShapSettings(), predict=lambda X: X[:, 0], explainer="deep")
    with pytest.raises(InvalidParameterError, match="Kernel SHAP needs a predict function"):
        explain_records([[1.0]], ["a"], ShapSettings())
