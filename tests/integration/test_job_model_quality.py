"""``python -m sagewatch.job`` with ``analysis_type=MODEL_QUALITY``: baseline, then monitor, on files."""

import json

import numpy as np

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
