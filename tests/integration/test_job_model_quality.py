"""``python -m sagewatch.job`` with ``analysis_type=MODEL_QUALITY``: baseline, then monitor, on files."""

import json

import numpy as np
import pytest

from sagewatch.quality.estimation import apply_calibration
from sw_jobhelpers import CSV_FORMAT, run_job_process

MERGE_FORMAT = '{"sagemakerMergeJson":{"captureIndexNames":["endpointOutput"]}}'


def _baseline_csv(path, n=300, noise=0.3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(y * 0.5 + rng.random(n) * (0.5 + noise) - noise / 2, 0, 1).round(4)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("probability,prediction,label\n"
                    + "".join(f"{a},{int(a >= 0.5)},{b}\n" for a, b in zip(p, y)))


def _merged(path, probabilities, labels):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (p, y) in enumerate(zip(probabilities, labels)):
        lines.append(json.dumps({
            "captureData": {"endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                               "data": f"{p}", "encoding": "CSV"}},
            "eventMetadata": {"eventId": f"e{i}", "inferenceTime": "2024-05-01T10:10:00Z"}, "eventVersion": "0",
            "groundTruthData": {"data": str(y), "encoding": "CSV"}}))
    path.write_text("\n".join(lines) + "\n")


def _env(tmp_path, **extra):
    env = {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
           "output_path": str(tmp_path / "out"), "publish_cloudwatch_metrics": "Disabled"}
    env.update(extra)
    return env


def test_baseline_then_monitor_binary(tmp_path):
    _baseline_csv(tmp_path / "baseline" / "b.csv")
    done = run_job_process(tmp_path / "opt1", _env(
        tmp_path, dataset_format=CSV_FORMAT, dataset_source=str(tmp_path / "baseline"),
        inference_attribute="prediction", probability_attribute="probability", ground_truth_attribute="label"))
    assert done.returncode == 0, done.stderr
    statistics = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 300
    assert isinstance(statistics["binary_classification_metrics"]["f2"]["standard_deviation"], float)
    constraints = json.loads((tmp_path / "out" / "constraints.json").read_text())
    assert constraints["binary_classification_constraints"]["f2"]["comparison_operator"] == "LessThanThreshold"

    # monitoring: merged captures whose predictions are the opposite of the labels
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 50)
    _merged(tmp_path / "merged" / "2024" / "05" / "01" / "10" / "m.jsonl", (1 - labels) * 0.8 + 0.1, labels)
    monitor = _env(tmp_path, dataset_format=MERGE_FORMAT, dataset_source=str(tmp_path / "merged"),
                   output_path=str(tmp_path / "mon"), inference_attribute="0", probability_attribute="0",
                   probability_threshold_attribute="0.5",
                   baseline_constraints=str(tmp_path / "out" / "constraints.json"),
                   publish_cloudwatch_metrics="Enabled", sagemaker_endpoint_name="ep",
                   sagemaker_monitoring_schedule_name="sched", metric_time="2024-05-01T10:00:00Z",
                   start_time="2024-05-01T10:00:00Z", end_time="2024-05-01T11:00:00Z")
    monitor["inference_attribute"] = ""  # labels from the probability and the threshold
    done = run_job_process(tmp_path / "opt2", monitor)
    assert done.returncode == 0, done.stderr
    message = (tmp_path / "opt2" / "output" / "message").read_text()
    assert message.startswith("CompletedWithViolations: Job completed successfully with ")
    violations = json.loads((tmp_path / "mon" / "constraint_violations.json").read_text())["violations"]
    assert {"f2", "accuracy", "auc"} <= {v["metric_name"] for v in violations}
    lines = [json.loads(line) for line in
             (tmp_path / "opt2" / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl").read_text()
             .splitlines()]
    f2 = next(line for line in lines if line["MetricName"] == "f2")
    assert f2["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", "Value": "sched"}]
    assert f2["Timestamp"] == "2024-05-01T10:00:00Z" and f2["Value"] == 0.0
    statistics = json.loads((tmp_path / "mon" / "statistics.json").read_text())
    assert statistics["dataset"] == {"item_count": 50, "evaluation_time": "2024-05-01T10:00:00.000Z"}


def test_regression_baseline_and_bad_input(tmp_path):
    data = tmp_path / "data" / "r.csv"
    data.parent.mkdir()
    data.write_text("prediction,label\n1.0,1.5\n2.0,2.5\nx,3\n4.0,3.0\n")
    done = run_job_process(tmp_path / "opt", _env(
        tmp_path, problem_type="Regression", dataset_format=CSV_FORMAT, dataset_source=str(data.parent),
        inference_attribute="prediction", ground_truth_attribute="label"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())
    assert report["skipped_rows"] == {"non_numeric_prediction": 1} and report["rows_evaluated"] == 3
    mae = json.loads((tmp_path / "out" / "statistics.json").read_text())["regression_metrics"]["mae"]
    assert mae == {"value": 2 / 3, "standard_deviation": "NaN"}

    missing = run_job_process(tmp_path / "opt2", _env(
        tmp_path, problem_type="Regression", dataset_format=CSV_FORMAT, dataset_source=str(data.parent),
        output_path=str(tmp_path / "out2"), inference_attribute="pred", ground_truth_attribute="label"))
    assert missing.returncode == 255
    assert "inference_attribute 'pred' names no column" in (tmp_path / "opt2" / "output" / "message").read_text()

    wrong = run_job_process(tmp_path / "opt3", _env(
        tmp_path, problem_type="BinaryClassification", dataset_format=CSV_FORMAT, dataset_source=str(data.parent),
        output_path=str(tmp_path / "out3"), inference_attribute="prediction", ground_truth_attribute="label"))
    assert wrong.returncode == 255
    assert "needs two classes" in (tmp_path / "opt3" / "output" / "message").read_text()

    no_type = run_job_process(tmp_path / "opt4", _env(
        tmp_path, problem_type="", dataset_format=CSV_FORMAT, dataset_source=str(data.parent),
        output_path=str(tmp_path / "out4"), inference_attribute="prediction", ground_truth_attribute="label"))
    assert no_type.returncode == 255
    assert "problem_type must be one of" in (tmp_path / "opt4" / "output" / "message").read_text()


CAPTURE_FORMAT = '{"sagemakerCaptureJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}'


def _calibrated_csv(path, n=400, seed=0, extra_rows=""):
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 2, n).round(4)
    y = (rng.random(n) < p).astype(int)
    region = rng.choice(["eu", "us"], n)
    age = rng.integers(18, 80, n)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("probability,prediction,label,region,age\n"
                    + "".join(f"{a},{int(a >= 0.5)},{b},{r},{g}\n" for a, b, r, g in zip(p, y, region, age))
                    + extra_rows)
    return p, y, region


def _captures(path, probabilities, ages):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({
        "captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": f"{a}",
                                          "encoding": "CSV"},
                        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{p}",
                                           "encoding": "CSV"}},
        "eventMetadata": {"eventId": f"e{i}", "inferenceTime": "2024-05-01T10:10:00Z"}, "eventVersion": "0"})
        for i, (p, a) in enumerate(zip(probabilities, ages))]
    path.write_text("\n".join(lines) + "\n")


def test_report_has_slices_low_confidence_estimate_and_counted_bad_rows(tmp_path):
    p, y, region = _calibrated_csv(tmp_path / "b" / "b.csv", extra_rows="abc,1,1,eu,30\n1.5,1,1,us,31\n")
    done = run_job_process(tmp_path / "opt", _env(
        tmp_path, dataset_format=CSV_FORMAT, dataset_source=str(tmp_path / "b"), inference_attribute="prediction",
        probability_attribute="probability", ground_truth_attribute="label", slice_attribute="region",
        low_confidence_threshold="0.6"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())
    assert report["skipped_rows"] == {"non_numeric_probability": 1, "probability_out_of_range": 1}
    assert report["rows_read"] == 402 and report["rows_evaluated"] == 400
    low = np.maximum(p, 1 - p) < 0.6
    assert report["low_confidence"]["count"] == int(low.sum())
    estimation = report["estimation"]
    statistics = json.loads((tmp_path / "out" / "statistics.json").read_text())["binary_classification_metrics"]
    assert estimation["labels_available"] is True
    for name, entry in estimation["metrics"].items():
        assert entry["realised"] == statistics[name]["value"]
        assert abs(entry["value"] - entry["realised"]) <= 4 * entry["standard_deviation"]
    slices = {e["slice"]: e for e in report["slices"]["entries"]}
    assert set(slices) == {"eu", "us"} and sum(e["rows"] for e in slices.values()) == 400
    assert slices["eu"]["rows"] == int((region == "eu").sum())
    assert "statistics.json" in {f.name for f in (tmp_path / "out").iterdir()}  # SageMaker's files as before
    # the HTML report shows the counted skips and the extras
    from sagewatch.report.files import render_report_files
    page = render_report_files(statistics=tmp_path / "out" / "statistics.json", output=tmp_path / "r.html",
                               extra=tmp_path / "out" / "sagewatch_report.json").read_text()
    assert "non_numeric_probability" in page and "probability_out_of_range" in page and "<h2>Slices" in page


def test_sagemaker_files_do_not_change_with_the_report_settings(tmp_path):
    _calibrated_csv(tmp_path / "b" / "b.csv")
    common = dict(dataset_format=CSV_FORMAT, dataset_source=str(tmp_path / "b"), inference_attribute="prediction",
                  probability_attribute="probability", ground_truth_attribute="label",
                  metric_time="2024-05-01T10:00:00Z")
    assert run_job_process(tmp_path / "o1", _env(tmp_path, output_path=str(tmp_path / "plain"), **common)) \
        .returncode == 0
    assert run_job_process(tmp_path / "o2", _env(tmp_path, output_path=str(tmp_path / "sliced"),
                                                 slice_attribute="age", slice_buckets="4",
                                                 low_confidence_threshold="0.7", **common)).returncode == 0
    for name in ("statistics.json", "constraints.json"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "sliced" / name).read_bytes()
    report = json.loads((tmp_path / "sliced" / "sagewatch_report.json").read_text())
    assert report["slices"]["kind"] == "quantile" and len(report["slices"]["entries"]) == 4


def test_captures_without_labels_give_the_label_free_estimate(tmp_path):
    _calibrated_csv(tmp_path / "b" / "b.csv")
    baseline = run_job_process(tmp_path / "opt1", _env(
        tmp_path, dataset_format=CSV_FORMAT, dataset_source=str(tmp_path / "b"), inference_attribute="prediction",
        probability_attribute="probability", ground_truth_attribute="label"))
    assert baseline.returncode == 0, baseline.stderr
    rng = np.random.default_rng(7)
    probabilities = rng.beta(2, 2, 300).round(4)
    _captures(tmp_path / "cap" / "2024" / "05" / "01" / "10" / "c.jsonl", probabilities, rng.integers(18, 80, 300))
    done = run_job_process(tmp_path / "opt2", _env(
        tmp_path, dataset_format=CAPTURE_FORMAT, dataset_source=str(tmp_path / "cap"),
        output_path=str(tmp_path / "mon"), probability_attribute="0", slice_attribute="1",
        baseline_constraints=str(tmp_path / "out" / "constraints.json"), low_confidence_threshold="0.6",
        publish_cloudwatch_metrics="Enabled"))
    assert done.returncode == 0, done.stderr
    assert sorted(f.name for f in (tmp_path / "mon").iterdir()) == ["sagewatch_report.json"]
    report = json.loads((tmp_path / "mon" / "sagewatch_report.json").read_text())
    assert report["labels_available"] is False and report["rows_evaluated"] == 300
    estimate = report["estimation"]
    assert estimate["labels_available"] is False and estimate["rows"] == 300
    assert estimate["baseline_calibration"]["expected_calibration_error"] >= 0
    assert estimate["calibrated_with_baseline"] is True and estimate["baseline_calibration"]["map_points"] >= 2
    baseline_report = json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())
    calibrated = apply_calibration(probabilities, baseline_report["estimation"]["calibration"]["map"])
    tp = sum(c for c, p in zip(calibrated, probabilities) if p >= 0.5)
    assert estimate["expected_confusion_matrix"]["true_positive"] == pytest.approx(tp)
    assert report["slices"]["kind"] == "quantile" and "estimated" in report["slices"]["entries"][0]
    assert "f2" in report["constraints_not_evaluated"]  # not estimated by CBPE
    metrics = tmp_path / "opt2" / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl"
    assert not metrics.exists() or metrics.read_text() == ""  # estimates are not SageMaker's metrics

    no_baseline = run_job_process(tmp_path / "opt3", _env(
        tmp_path, dataset_format=CAPTURE_FORMAT, dataset_source=str(tmp_path / "cap"),
        output_path=str(tmp_path / "b2"), probability_attribute="0"))
    assert no_baseline.returncode == 255
    assert "a model-quality baseline needs ground truth" in (tmp_path / "opt3" / "output" / "message").read_text()

    no_probability = run_job_process(tmp_path / "opt4", _env(
        tmp_path, dataset_format=CAPTURE_FORMAT, dataset_source=str(tmp_path / "cap"),
        output_path=str(tmp_path / "b3"), inference_attribute="0",
        baseline_constraints=str(tmp_path / "out" / "constraints.json")))
    assert no_probability.returncode == 255
    assert "label-free estimate, which needs problem_type BinaryClassification and probability_attribute (got " \
           "BinaryClassification, no probability_attribute)" in (tmp_path / "opt4" / "output" / "message").read_text()


def _fails(tmp_path, name, message, **settings):
    done = run_job_process(tmp_path / name, _env(tmp_path, output_path=str(tmp_path / f"{name}-out"), **settings))
    assert done.returncode == 255, done.stderr
    text = (tmp_path / name / "output" / "message").read_text()
    assert message in text, text


def test_bad_input_is_a_specific_error(tmp_path):
    data = tmp_path / "d" / "d.csv"
    data.parent.mkdir()
    data.write_text("prediction,label,region\n1,yes,eu\n0,no,us\n1,no,eu\n")
    csv = dict(dataset_format=CSV_FORMAT, dataset_source=str(data.parent))
    _fails(tmp_path, "labels", "the labels are not among the predicted classes", inference_attribute="prediction",
           ground_truth_attribute="label", **csv)
    _fails(tmp_path, "regression", "problem_type Regression does not fit the data: none of the 3 rows is usable "
           "(non_numeric_ground_truth: 3)", problem_type="Regression", inference_attribute="prediction",
           ground_truth_attribute="label", **csv)
    _fails(tmp_path, "slice", "slice_attribute 'country' names no column of the dataset",
           problem_type="MulticlassClassification", inference_attribute="prediction", ground_truth_attribute="label",
           slice_attribute="country", **csv)
    _fails(tmp_path, "threshold", "low_confidence_threshold must be a number from 0 to 1, got '2'",
           inference_attribute="prediction", ground_truth_attribute="label", low_confidence_threshold="2", **csv)
    captures = tmp_path / "c" / "c.jsonl"
    _captures(captures, [0.2, 0.9], [30, 40])  # read as merged records, but they carry no ground truth
    _fails(tmp_path, "merge", "the sagemakerMergeJson records carry no groundTruthData",
           dataset_format='{"sagemakerMergeJson":{"captureIndexNames":["endpointOutput"]}}',
           dataset_source=str(captures.parent), inference_attribute="0")


def test_multiclass_low_confidence_from_one_probability_per_class(tmp_path):
    rows = [("a", "a", [0.8, 0.1, 0.1]), ("b", "a", [0.4, 0.35, 0.25]), ("c", "c", [0.2, 0.2, 0.6]),
            ("b", "b", [0.1, 0.5, 0.4]), ("d", "b", [0.3, 0.6, 0.1])]
    data = tmp_path / "d" / "d.jsonl"
    data.parent.mkdir()
    data.write_text("\n".join(json.dumps({"label": t, "predicted": p, "probabilities": pr}) for t, p, pr in rows))
    done = run_job_process(tmp_path / "opt", _env(
        tmp_path, problem_type="MulticlassClassification", dataset_format='{"json": {"lines": true}}',
        dataset_source=str(data.parent), inference_attribute="predicted", probability_attribute="$.probabilities",
        ground_truth_attribute="label", low_confidence_threshold="0.55"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())
    # row maxima 0.8, 0.4, 0.6, 0.5, 0.6: two under 0.55
    assert report["low_confidence"] == {"threshold": 0.55, "count": 2, "fraction": 0.4, "rows_without_confidence": 0}
    assert report["labels_never_predicted"] == {"d": 1}
