"""CBPE: the label-free estimate is within its stated error of the realised metric on calibrated data."""

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.estimation import (ESTIMATED_METRICS, apply_calibration, calibration_error,
                                          estimate_binary_performance, fit_calibration)


def _realised(y, predicted, p):
    return {"accuracy": accuracy_score(y, predicted), "precision": precision_score(y, predicted),
            "recall": recall_score(y, predicted), "f1": f1_score(y, predicted), "auc": roc_auc_score(y, p)}


def _simulate(seed, n, *, model=lambda p: p):
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 2, n)
    y = rng.random(n) < p  # labels drawn as Bernoulli(p): the true probabilities
    reported = model(p)
    return y, reported, reported >= 0.5


@pytest.mark.parametrize("n", [500, 5_000, 50_000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimate_within_its_stated_error_on_calibrated_data(n, seed):
    y, p, predicted = _simulate(seed, n)
    estimate = estimate_binary_performance(p, predicted)
    realised = _realised(y, predicted, p)
    for name in ESTIMATED_METRICS:
        assert abs(estimate.metrics[name] - realised[name]) <= 4 * estimate.standard_deviation[name], name
    assert estimate.standard_deviation["accuracy"] < 0.5 / math.sqrt(n) + 1e-12


def test_stated_error_is_a_standard_deviation_not_a_loose_bound():
    # over many calibrated windows about 68% of the realised metrics lie within one stated std of the estimate
    inside = dict.fromkeys(ESTIMATED_METRICS, 0)
    for seed in range(100):
        y, p, predicted = _simulate(seed, 2_000)
        estimate = estimate_binary_performance(p, predicted)
        for name, value in _realised(y, predicted, p).items():
            inside[name] += abs(estimate.metrics[name] - value) <= estimate.standard_deviation[name]
    for name, count in inside.items():
        assert 55 <= count <= 80, (name, count)


def test_a_miscalibrated_model_breaks_the_estimate_and_its_calibration_error_shows_it():
    y, p, predicted = _simulate(1, 50_000, model=lambda p: p ** 3)
    estimate = estimate_binary_performance(p, predicted)
    realised = _realised(y, predicted, p)
    for name in ESTIMATED_METRICS:
        assert abs(estimate.metrics[name] - realised[name]) > 10 * estimate.standard_deviation[name], name
    assert calibration_error(y, p)["expected_calibration_error"] > 0.1
    y, p, _ = _simulate(1, 50_000)
    assert calibration_error(y, p)["expected_calibration_error"] < 0.01


def test_expected_confusion_matrix_and_metrics_by_hand():
    e = estimate_binary_performance(np.array([0.9, 0.6, 0.2, 0.0]), np.array([True, True, False, False]))
    assert e.expected_confusion == pytest.approx({"true_positive": 1.5, "false_positive": 0.5,
                                                  "false_negative": 0.2, "true_negative": 1.8})
    assert e.metrics["accuracy"] == pytest.approx(3.3 / 4)
    assert e.metrics["precision"] == pytest.approx(0.75)
    assert e.metrics["recall"] == pytest.approx(1.5 / 1.7)
    assert e.metrics["f1"] == pytest.approx(3.0 / (1.5 + 2 + 0.2))
    # variance of the positive count: 0.9*0.1 + 0.6*0.4 over the predicted positives
    assert e.standard_deviation["precision"] == pytest.approx(math.sqrt(0.09 + 0.24) / 2)
    assert e.standard_deviation["accuracy"] == pytest.approx(math.sqrt(0.09 + 0.24 + 0.16) / 4)
    # NannyML's expected ROC AUC: positives weighted p, negatives 1 - p
    weights = np.array([0.9, 0.6, 0.2, 0.0, 0.1, 0.4, 0.8, 1.0])
    expected = roc_auc_score([1, 1, 1, 1, 0, 0, 0, 0], np.tile([0.9, 0.6, 0.2, 0.0], 2), sample_weight=weights)
    assert e.metrics["auc"] == pytest.approx(expected)


def test_same_input_same_estimate():
    y, p, predicted = _simulate(3, 3_000)
    assert estimate_binary_performance(p, predicted).to_dict() == estimate_binary_performance(p, predicted).to_dict()


def test_one_expected_class_has_no_auc():
    e = estimate_binary_performance(np.array([1.0, 1.0]), np.array([True, True]))
    assert math.isnan(e.metrics["auc"]) and e.metrics["precision"] == 1.0 and e.standard_deviation["precision"] == 0


@pytest.mark.parametrize("p", [[0.5, 1.5], [0.5, float("nan")], []])
def test_bad_probabilities_are_an_error(p):
    with pytest.raises(InvalidParameterError):
        estimate_binary_performance(np.array(p, dtype=float), np.ones(len(p), dtype=bool))


def test_calibration_bins_count_every_row():
    c = calibration_error(np.array([1, 0, 1, 1], dtype=bool), np.array([0.05, 0.15, 1.0, 0.95]))
    assert [b["rows"] for b in c["bins"]] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert c["bins"][2]["mean_probability"] is None
    assert c["expected_calibration_error"] == pytest.approx((0.95 + 0.15 + 2 * 0.025) / 4)
    assert c["brier_score"] == pytest.approx((0.95 ** 2 + 0.15 ** 2 + 0 + 0.05 ** 2) / 4)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_baseline_calibration_map_repairs_a_miscalibrated_model(seed):
    # NannyML calibrates on reference data: a map fitted on a labelled baseline makes the estimate of a later
    # window of the same (miscalibrated) model hold again
    def model(p):
        return p ** 3

    y_base, p_base, _ = _simulate(0, 20_000, model=model)
    mapping = fit_calibration(y_base, p_base)
    assert len(mapping["x"]) <= 200 and mapping["x"] == sorted(mapping["x"])
    y, p, predicted = _simulate(seed, 20_000, model=model)
    realised = _realised(y, predicted, p)
    raw = estimate_binary_performance(p, predicted)
    calibrated = estimate_binary_performance(apply_calibration(p, mapping), predicted)
    for name in ESTIMATED_METRICS:
        assert abs(calibrated.metrics[name] - realised[name]) <= 4 * calibrated.standard_deviation[name], name
        assert abs(raw.metrics[name] - realised[name]) > 4 * raw.standard_deviation[name], name


@pytest.mark.parametrize("mapping", [{"x": [0.5, 0.1], "y": [0.0, 1.0]}, {"x": [0.1], "y": [1.5]},
                                     {"x": [], "y": []}])
def test_a_malformed_calibration_map_is_an_error(mapping):
    with pytest.raises(InvalidParameterError, match="a calibration map is two lists"):
        apply_calibration(np.array([0.3]), mapping)
