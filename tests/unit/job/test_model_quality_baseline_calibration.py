"""The label-free estimate reads the baseline's calibration from the sagewatch_report.json next to its constraints."""

import json
from types import SimpleNamespace

import pytest

from sagewatch.errors import JobError
from sagewatch.job.analyses.model_quality import _baseline_calibration, _probability_columns


def _spec(tmp_path, report):
    (tmp_path / "constraints.json").write_text("{}")
    if report is not None:
        (tmp_path / "sagewatch_report.json").write_text(report if isinstance(report, str) else json.dumps(report))
    return SimpleNamespace(baseline_constraints=tmp_path / "constraints.json")


def test_calibration_and_map_are_read(tmp_path):
    mapping = {"x": [0.0, 1.0], "y": [0.1, 0.9]}
    spec = _spec(tmp_path, {"estimation": {"calibration": {"expected_calibration_error": 0.03, "brier_score": 0.2,
                                                           "map": mapping}}})
    assert _baseline_calibration(spec) == {"expected_calibration_error": 0.03, "brier_score": 0.2, "map": mapping}


def test_no_report_means_no_calibration(tmp_path):
    assert _baseline_calibration(_spec(tmp_path, None)) is None


@pytest.mark.parametrize("report, reason", [
    ("not json", "SagewatchError"),
    ({"estimation": {}}, "KeyError"),
    ({"estimation": {"calibration": {"expected_calibration_error": 0.1, "brier_score": 0.2,
                                     "map": {"x": [1.0, 0.0], "y": [0.0, 1.0]}}}}, "InvalidParameterError"),
])
def test_a_malformed_baseline_report_is_named_not_used(tmp_path, report, reason):
    found = _baseline_calibration(_spec(tmp_path, report))
    assert set(found) == {"error"} and "holds no usable calibration" in found["error"]
    assert reason in found["error"] or reason == "SagewatchError"


def test_multiclass_probability_attribute_reads_one_column_per_class():
    names = ["label", "probabilities.10", "probabilities.2", "probabilities.0", "probabilities.x"]
    assert _probability_columns("$.probabilities", names) == ["probabilities.0", "probabilities.2",
                                                              "probabilities.10"]
    assert _probability_columns("label", names) == ["label"]
    with pytest.raises(JobError, match="probability_attribute 'scores' names no column"):
        _probability_columns("scores", names)
