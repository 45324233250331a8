"""Model-quality metrics: SageMaker's documented example exactly, and every metric against scikit-learn."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.labels import QualityColumns, prepare_columns
from sagewatch.quality.metrics import problem_metrics, statistics_layout
from sagewatch.schemas.serialize import dumps_jackson
import pyarrow as pa

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)

# contract §6.2, DG model-monitor-model-quality-metrics.md: actual [1,0,0,0], predicted [1,1,1,0]
DOCUMENTED = {
    "recall": 1.0, "precision": 0.3333333333333333, "accuracy": 0.5, "recall_best_constant_classifier": 1.0,
    "precision_best_constant_classifier": 0.25, "accuracy_best_constant_classifier": 0.25,
    "true_positive_rate": 1.0, "true_negative_rate": 0.33333333333333337, "false_positive_rate": 0.6666666666666666,
    "false_negative_rate": 0.0, "f0_5": 0.3846153846153846, "f1": 0.5, "f2": 0.7142857142857143,
    "f0_5_best_constant_classifier": 0.29411764705882354, "f1_best_constant_classifier": 0.4,
    "f2_best_constant_classifier": 0.625}


def _binary_doc():
    return problem_metrics(QualityColumns(np.array(["1", "0", "0", "0"]), np.array(["1", "1", "1", "0"])),
                           "BinaryClassification")


def test_documented_binary_example_exactly():
    m = _binary_doc()
    assert m["confusion_matrix"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}
    for key, value in DOCUMENTED.items():
        assert m[key] == {"value": value, "standard_deviation": "NaN"}, key
    # the written digits, not just the float
    text = dumps_jackson(m)
    assert '"f0_5" : {\n    "value" : 0.3846153846153846,' in text
    assert '"true_negative_rate" : {\n    "value" : 0.33333333333333337,' in text


def test_binary_key_order_matches_the_documented_layout():
    keys = list(_binary_doc())
    assert keys == ["confusion_matrix", "recall", "precision", "accuracy", "recall_best_constant_classifier",
                    "precision_best_constant_classifier", "accuracy_best_constant_classifier", "true_positive_rate",
                    "true_negative_rate", "false_positive_rate", "false_negative_rate",
                    "receiver_operating_characteristic_curve", "precision_recall_curve", "auc", "f0_5", "f1", "f2",
                    "f0_5_best_constant_classifier", "f1_best_constant_classifier", "f2_best_constant_classifier"]


@st.composite
def binary_data(draw):
    n = draw(st.integers(4, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    score = np.clip(y * draw(st.floats(0, 0.8)) + rng.random(n) * 0.6, 0, 1).round(3)
    return y, score


@SETTINGS
@given(binary_data(), st.floats(0.05, 0.95))
def test_binary_metrics_match_scikit_learn(data, threshold):
    y, score = data
    columns = prepare_columns("BinaryClassification", pa.array(y.astype(str)), probability=pa.array(score),
                              threshold=threshold)
    m = problem_metrics(columns, "BinaryClassification")
    pred = (score >= threshold).astype(int)
    assert m["precision"]["value"] == pytest.approx(skm.precision_score(y, pred, zero_division=0.0), abs=1e-15)
    assert m["recall"]["value"] == pytest.approx(skm.recall_score(y, pred, zero_division=0.0), abs=1e-15)
    assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-15)
    for key, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
        assert m[key]["value"] == pytest.approx(skm.fbeta_score(y, pred, beta=beta, zero_division=0.0), rel=1e-12,
                                                abs=1e-15)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    assert m["confusion_matrix"] == {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
    assert m["false_positive_rate"]["value"] == pytest.approx(fp / (fp + tn))
    assert m["auc"]["value"] == pytest.approx(skm.roc_auc_score(y, score), rel=1e-12)
    assert m["precision_best_constant_classifier"]["value"] == pytest.approx(y.mean())
    fpr, tpr, _ = skm.roc_curve(y, score)
    roc = m["receiver_operating_characteristic_curve"]
    if len(fpr) <= 1001:
        assert roc == {"false_positive_rates": fpr.tolist(), "true_positive_rates": tpr.tolist()}
    pr = m["precision_recall_curve"]
    assert pr["recalls"][0] == 0.0 and pr["recalls"] == sorted(pr["recalls"])
    expected_sd = "NaN" if len(y) < 200 else pytest.approx(m["recall"]["standard_deviation"])
    assert m["recall"]["standard_deviation"] == expected_sd


@SETTINGS
@given(st.integers(3, 6), st.integers(5, 400), st.integers(0, 2**32 - 1))
def test_multiclass_metrics_match_scikit_learn(k, n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n).astype(str)
    pred = np.where(rng.random(n) < 0.6, y, rng.integers(0, k, n).astype(str))
    m = problem_metrics(QualityColumns(y, pred), "MulticlassClassification")
    labels = sorted(set(y) | set(pred), key=float)
    assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-15)
    for key, fn in (("weighted_recall", skm.recall_score), ("weighted_precision", skm.precision_score)):
        assert m[key]["value"] == pytest.approx(fn(y, pred, labels=labels, average="weighted", zero_division=0.0),
                                                rel=1e-12, abs=1e-15)
    for key, beta in (("weighted_f0_5", 0.5), ("weighted_f1", 1.0), ("weighted_f2", 2.0)):
        assert m[key]["value"] == pytest.approx(
            skm.fbeta_score(y, pred, beta=beta, labels=labels, average="weighted", zero_division=0.0),
            rel=1e-12, abs=1e-15)
    matrix = skm.confusion_matrix(y, pred, labels=labels)
    assert [[m["confusion_matrix"][a][p] for p in labels] for a in labels] == matrix.tolist()
    values, counts = np.unique(y, return_counts=True)
    share = counts.max() / n
    assert m["accuracy_best_constant_classifier"]["value"] == pytest.approx(share)
    assert m["weighted_precision_best_constant_classifier"]["value"] == pytest.approx(share * share)


@SETTINGS
@given(st.integers(2, 400), st.integers(0, 2**32 - 1))
def test_regression_metrics_match_scikit_learn(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, n)
    pred = y + rng.normal(0, 1, n)
    m = problem_metrics(QualityColumns(y, pred), "Regression")
    assert list(m) == ["mae", "mse", "rmse", "r2"]
    assert m["mae"]["value"] == skm.mean_absolute_error(y, pred)
    assert m["mse"]["value"] == skm.mean_squared_error(y, pred)
    assert m["rmse"]["value"] == skm.root_mean_squared_error(y, pred)
    assert m["r2"]["value"] == skm.r2_score(y, pred)


def test_standard_deviation_from_five_80_percent_resamples_is_reproducible():
    rng = np.random.default_rng(7)
    y = rng.normal(0, 1, 250)
    pred = y + rng.normal(0, 1, 250)
    one = dumps_jackson(statistics_layout(QualityColumns(y, pred), "Regression", evaluation_time="t"))
    two = dumps_jackson(statistics_layout(QualityColumns(y.copy(), pred.copy()), "Regression", evaluation_time="t"))
    assert one == two
    sd = json.loads(one)["regression_metrics"]["mae"]["standard_deviation"]
    assert isinstance(sd, float) and 0 < sd < 0.1
    few = problem_metrics(QualityColumns(y[:199], pred[:199]), "Regression")
    assert few["mae"]["standard_deviation"] == "NaN"


def test_binary_with_a_third_class_is_an_error():
    with pytest.raises(InvalidParameterError, match="needs two classes.*0, 1, 2"):
        problem_metrics(QualityColumns(np.array(["0", "1", "2"]), np.array(["0", "1", "1"])), "BinaryClassification")


def test_bad_rows_are_counted_not_dropped_silently():
    cols = prepare_columns("BinaryClassification", pa.array(["1", "0", "1", None, "0"]),
                           probability=pa.array(["0.9", "x", "1.5", "0.2", "0.1"]))
    assert cols.skips == {"missing_ground_truth": 1, "non_numeric_probability": 1, "probability_out_of_range": 1}
    assert cols.y_true.tolist() == ["1", "0"] and cols.y_pred.tolist() == ["1", "0"]
    reg = prepare_columns("Regression", pa.array(["1.5", "a", "2"]), prediction=pa.array(["1", "2", ""]))
    assert reg.skips == {"non_numeric_ground_truth": 1, "missing_prediction": 1}


def test_numeric_labels_are_one_class_whatever_their_spelling():
    cols = prepare_columns("BinaryClassification", pa.array(["1.0", "0", "1"]), prediction=pa.array([1, 0, 0]))
    assert cols.y_true.tolist() == ["1", "0", "1"] and cols.y_pred.tolist() == ["1", "0", "0"]
