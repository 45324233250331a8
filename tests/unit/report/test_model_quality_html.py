"""The model-quality HTML report: plots, thresholds, extras, escaping, same bytes for the same input."""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.errors import InvalidParameterError, SchemaError
from sagewatch.quality.constraints import check_quality, suggest_quality_constraints
from sagewatch.quality.extras import ExtraOptions, labelled_extras
from sagewatch.quality.labels import prepare_columns
from sagewatch.quality.metrics import statistics_layout
from sagewatch.report.files import render_model_quality_report_files, render_report_files
from sagewatch.report.model_quality_html import render_model_quality_report
from sagewatch.schemas.model_quality import dumps_model_quality_constraints
from sagewatch.schemas.quality_report import check_quality_report, quality_report_document
from sagewatch.schemas.serialize import dumps_jackson

HOSTILE = '<script>alert("x")</script>'


def _binary_run(n=300):
    rng = np.random.default_rng(0)
    p = rng.beta(2, 2, n)
    y = (rng.random(n) < p).astype(int)
    region = rng.choice(["eu", HOSTILE], n)
    columns = prepare_columns("BinaryClassification", pa.array(y), probability=pa.array(p))
    statistics = statistics_layout(columns, "BinaryClassification", evaluation_time="2024-01-01T00:00:00.000Z")
    metrics = statistics["binary_classification_metrics"]
    extras = labelled_extras("BinaryClassification", columns, realised=metrics, slice_values=pa.array(region),
                             options=ExtraOptions(low_confidence_threshold=0.6))
    constraints = suggest_quality_constraints("BinaryClassification", metrics)
    worse = dict(constraints.metrics, accuracy=(0.99, "LessThanThreshold"))
    constraints = type(constraints)("BinaryClassification", worse)
    check = check_quality("BinaryClassification", metrics, constraints)
    report = quality_report_document(problem_type="BinaryClassification", labels_available=True, rows_read=n + 1,
                                     rows_evaluated=n, skips={HOSTILE: 1}, violations=len(check.violations),
                                     constraints_not_evaluated=[], extras=extras)
    return statistics, list(check.violations), constraints, report


def test_report_has_plots_thresholds_violations_and_extras():
    statistics, violations, constraints, report = _binary_run()
    page = render_model_quality_report(statistics=statistics, violations=violations, constraints=constraints,
                                       extra=report)
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 4  # confusion matrix, ROC, PR, reliability
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert 'aria-label="confusion matrix"' in page and "ROC curve (auc " in page and "precision-recall curve" in page
    roc = statistics["binary_classification_metrics"]["receiver_operating_characteristic_curve"]
    assert page.count("<polyline") >= 3 and len(roc["false_positive_rates"]) > 2
    assert "<td>accuracy</td>" in page and "0.99" in page and '<span class="bad">violated</span>' in page
    assert "Metric accuracy with" in page
    assert "Low-confidence predictions" in page and "Label-free performance estimate (CBPE)" in page
    assert "realised" in page and "expected calibration error" in page
    assert "<h2>Slices (categorical)</h2>" in page and "<h2>Skipped rows</h2>" in page


def test_user_text_is_escaped():
    statistics, violations, constraints, report = _binary_run()
    page = render_model_quality_report(statistics=statistics, violations=violations, constraints=constraints,
                                       extra=report, title=HOSTILE)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_class_labels_in_the_confusion_matrix_are_escaped():
    columns = prepare_columns("MulticlassClassification", pa.array(["<a>", "b&c", '"q"']),
                              prediction=pa.array(["<a>", "<a>", '"q"']))
    statistics = statistics_layout(columns, "MulticlassClassification", evaluation_time="t")
    page = render_model_quality_report(statistics=statistics)
    assert "<a>" not in page and "&lt;a&gt;" in page and "b&amp;c" in page
    assert "Violations" not in page  # a baseline run has no check


def test_same_input_same_bytes():
    first = render_model_quality_report(**dict(zip(("statistics", "violations", "constraints", "extra"),
                                                   _binary_run())))
    second = render_model_quality_report(**dict(zip(("statistics", "violations", "constraints", "extra"),
                                                    _binary_run())))
    assert first == second


def test_label_free_report_shows_the_estimate_only():
    report = {"monitor": "ModelQuality", "problem_type": "BinaryClassification", "labels_available": False,
              "rows_read": 10, "rows_evaluated": 10, "estimated_violations": [
                  {"metric_name": "f1", "estimated_value": 0.5, "standard_deviation": 0.1, "threshold": 0.7,
                   "comparison_operator": "LessThanThreshold"}],
              "estimation": {"method": "CBPE", "labels_available": False, "rows": 10,
                             "expected_confusion_matrix": {"true_positive": 4.2},
                             "metrics": {"f1": {"value": 0.5, "standard_deviation": 0.1}},
                             "baseline_calibration": {"expected_calibration_error": 0.02, "brier_score": 0.2}}}
    check_quality_report(report)
    page = render_model_quality_report(statistics=None, extra=report)
    assert "label-free estimate only" in page and "Estimated violations" in page
    assert "calibration on the baseline: expected calibration error 0.02" in page
    assert "<h2>Metrics</h2>" not in page


def test_files_are_checked_and_model_quality_statistics_pick_this_report(tmp_path):
    statistics, violations, constraints, report = _binary_run()
    (tmp_path / "statistics.json").write_text(dumps_jackson(statistics))
    (tmp_path / "constraint_violations.json").write_text(json.dumps({"violations": violations}))
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "constraints.json").write_text(dumps_model_quality_constraints(constraints))
    (tmp_path / "base" / "statistics.json").write_text(dumps_jackson(statistics))
    (tmp_path / "sagewatch_report.json").write_text(json.dumps(report))
    out = render_report_files(statistics=tmp_path / "statistics.json", output=tmp_path / "r.html",
                              baseline_statistics=tmp_path / "base" / "statistics.json",
                              violations=tmp_path / "constraint_violations.json",
                              extra=tmp_path / "sagewatch_report.json")
    assert "sagewatch model-quality report" in out.read_text() and "0.99" in out.read_text()
    (tmp_path / "sagewatch_report.json").write_text(json.dumps({**report, "rows_read": -1}))
    with pytest.raises(SchemaError, match="rows_read"):
        render_model_quality_report_files(output=tmp_path / "r2.html", statistics=tmp_path / "statistics.json",
                                          extra=tmp_path / "sagewatch_report.json")
    with pytest.raises(InvalidParameterError, match="needs statistics.json or sagewatch_report.json"):
        render_model_quality_report_files(output=tmp_path / "r3.html")
