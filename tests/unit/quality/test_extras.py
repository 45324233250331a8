"""The model-quality blocks of sagewatch_report.json: low confidence, classes never predicted, the estimate beside
the realised metric, slices; captures without labels."""

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.extras import (ExtraOptions, labelled_extras, multiclass_confidence, prepare_unlabelled,
                                      unlabelled_extras)
from sagewatch.quality.labels import prepare_columns
from sagewatch.quality.metrics import problem_metrics


def _binary(n=400, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 2, n)
    y = (rng.random(n) < p).astype(int)
    return p, y


def test_binary_estimate_sits_beside_the_realised_metric():
    p, y = _binary()
    columns = prepare_columns("BinaryClassification", pa.array(y), probability=pa.array(p))
    realised = problem_metrics(columns, "BinaryClassification")
    extras = labelled_extras("BinaryClassification", columns, realised=realised,
                             options=ExtraOptions(low_confidence_threshold=0.6))
    estimation = extras["estimation"]
    assert estimation["labels_available"] is True and estimation["rows"] == 400
    for name, entry in estimation["metrics"].items():
        assert entry["realised"] == realised[name]["value"]
        assert entry["error_in_standard_deviations"] == pytest.approx(
            (entry["value"] - entry["realised"]) / entry["standard_deviation"])
        assert abs(entry["error_in_standard_deviations"]) < 4
    assert 0 <= estimation["calibration"]["expected_calibration_error"] < 0.1
    assert extras["low_confidence"] == {"threshold": 0.6, "count": int((np.maximum(p, 1 - p) < 0.6).sum()),
                                        "fraction": float((np.maximum(p, 1 - p) < 0.6).mean()),
                                        "rows_without_confidence": 0}


def test_slices_follow_the_kept_rows():
    # row 1 is skipped (no label): the slice values must stay aligned with the rows that are evaluated
    truth = pa.array(["1", None, "0", "1"])
    columns = prepare_columns("BinaryClassification", truth, prediction=pa.array(["1", "1", "1", "1"]))
    extras = labelled_extras("BinaryClassification", columns, realised={},
                             slice_values=pa.array(["a", "b", "b", "a"]))
    entries = {e["slice"]: e for e in extras["slices"]["entries"]}
    assert set(entries) == {"a", "b"}
    assert entries["a"]["rows"] == 2 and entries["a"]["metrics"]["accuracy"] == 1.0
    assert entries["b"]["rows"] == 1 and entries["b"]["metrics"]["accuracy"] == 0.0


def test_true_classes_never_predicted_are_reported():
    columns = prepare_columns("MulticlassClassification", pa.array(["a", "b", "c", "c"]),
                              prediction=pa.array(["a", "b", "b", "a"]))
    extras = labelled_extras("MulticlassClassification", columns, realised={})
    assert extras["labels_never_predicted"] == {"c": 2}


def test_multiclass_confidence_from_one_column_per_class():
    confidence = multiclass_confidence([pa.array([0.2, 0.7, None]), pa.array(["0.5", "0.1", "x"]),
                                        pa.array([0.3, 0.2, 1.5])])
    assert confidence[:2].tolist() == [0.5, 0.7] and np.isnan(confidence[2])
    columns = prepare_columns("MulticlassClassification", pa.array(["a", "b", "c"]),
                              prediction=pa.array(["b", "a", "c"]))
    extras = labelled_extras("MulticlassClassification", columns, realised={}, confidence=confidence,
                             options=ExtraOptions(low_confidence_threshold=0.6))
    assert extras["low_confidence"] == {"threshold": 0.6, "count": 1, "fraction": 0.5, "rows_without_confidence": 1}


def test_captures_without_labels_give_the_estimate_per_slice():
    p, _ = _binary(300, seed=2)
    columns = prepare_unlabelled(pa.array([f"{v:.4f}" for v in p] + ["oops", "2"]))
    assert columns.skips == {"non_numeric_probability": 1, "probability_out_of_range": 1}
    extras = unlabelled_extras(columns, slice_values=pa.array(["x"] * 150 + ["y"] * 152),
                               options=ExtraOptions(low_confidence_threshold=0.55))
    assert extras["estimation"]["labels_available"] is False and extras["estimation"]["rows"] == 300
    assert "realised" not in extras["estimation"]["metrics"]["accuracy"]
    assert [(e["slice"], e["rows"]) for e in extras["slices"]["entries"]] == [("x", 150), ("y", 150)]  # the two skipped rows were y
    assert all("metrics" not in e and "accuracy" in e["estimated"] for e in extras["slices"]["entries"])


def test_captures_without_a_usable_probability_are_an_error():
    with pytest.raises(InvalidParameterError, match="no capture has a usable probability"):
        unlabelled_extras(prepare_unlabelled(pa.array(["x", None])))


def test_prediction_column_decides_the_predicted_class():
    columns = prepare_unlabelled(pa.array([0.9, 0.2, 0.4]), prediction=pa.array(["1", "1", None]))
    assert columns.predicted.tolist() == [True, True] and columns.skips == {"missing_prediction": 1}


def test_predictions_of_captures_without_labels_must_be_the_binary_classes():
    with pytest.raises(InvalidParameterError, match="predictions hold the classes 'no', 'yes'.*positive_label '1'"):
        prepare_unlabelled(pa.array([0.9, 0.2]), prediction=pa.array(["yes", "no"]))
    with pytest.raises(InvalidParameterError, match="predictions hold the classes '0', '1', '2'"):
        prepare_unlabelled(pa.array([0.9, 0.2, 0.5]), prediction=pa.array([1, 0, 2]))
    assert prepare_unlabelled(pa.array([0.9, 0.2]), prediction=pa.array(["yes", "no"]),
                              positive_label="yes").predicted.tolist() == [True, False]


def test_captures_without_labels_use_the_baseline_calibration_map():
    p, _ = _binary(300, seed=3)
    columns = prepare_unlabelled(pa.array(p))
    raw = unlabelled_extras(columns)["estimation"]
    halved = {"x": [0.0, 1.0], "y": [0.0, 0.5]}  # a model that is twice too confident
    calibrated = unlabelled_extras(columns, baseline_calibration={"expected_calibration_error": 0.2,
                                                                   "brier_score": 0.3, "map": halved})["estimation"]
    assert raw["calibrated_with_baseline"] is False and calibrated["calibrated_with_baseline"] is True
    assert calibrated["expected_confusion_matrix"]["true_positive"] == pytest.approx(
        raw["expected_confusion_matrix"]["true_positive"] / 2)
    assert calibrated["baseline_calibration"] == {"expected_calibration_error": 0.2, "brier_score": 0.3,
                                                  "map_points": 2}
