"""``sagewatch baseline|monitor --monitor model-quality`` and ``sagewatch merge``, run as a user would.

The laptop loop: a labelled baseline CSV -> constraints; captures and ground truth laid out as in S3
(``yyyy/mm/dd/hh``) -> ``merge`` -> ``monitor --format merged`` per hour.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

SAGEWATCH = [sys.executable, "-m", "sagewatch"]
MQ = ["--monitor", "model-quality"]
BINARY = ["--problem-type", "BinaryClassification"]


def _run(*args, code=0):
    done = subprocess.run([*SAGEWATCH, *map(str, args)], capture_output=True, text=True, timeout=180)
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    return done


def _capture(hour, i, score):
    return json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": f"{i},7", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{score}",
                               "encoding": "CSV"}},
        "eventMetadata": {"eventId": f"ev-{hour}-{i}", "inferenceId": f"inf-{hour}-{i}",
                          "inferenceTime": f"2024-05-01T{hour:02d}:{i % 60:02d}:00Z"},
        "eventVersion": "0"})


def _label(event_id, label):
    return json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                       "eventMetadata": {"eventId": event_id}, "eventVersion": "0"})


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def laptop(tmp_path_factory):
    """A labelled baseline; hour 10 of traffic scored well, hour 11 scored backwards; labels an hour later."""
    root = tmp_path_factory.mktemp("mq")
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 600)
    p = np.clip(y * 0.45 + rng.random(600) * 0.55, 0, 1).round(4)
    (root / "baseline").mkdir()
    (root / "baseline" / "train.csv").write_text(
        "probability,prediction,label\n" + "".join(f"{a},{int(a >= 0.5)},{b}\n" for a, b in zip(p, y)))
    for hour, good in ((10, True), (11, False)):
        truth = rng.integers(0, 2, 250)
        score = np.where(truth == 1, 0.9, 0.1) if good else np.where(truth == 1, 0.2, 0.8)
        _write(root / "captures" / "ep" / "AllTraffic" / "2024" / "05" / "01" / f"{hour}" / "part-0.jsonl",
               [_capture(hour, i, s) for i, s in enumerate(score)])
        # every tenth record has no label yet
        _write(root / "labels" / "2024" / "05" / "01" / f"{hour + 1}" / "labels.jsonl",
               [_label(f"inf-{hour}-{i}", t) for i, t in enumerate(truth) if i % 10])
    _run("baseline", root / "baseline", *MQ, *BINARY, "--inference-attribute", "prediction",
         "--probability-attribute", "probability", "--ground-truth-attribute", "label", "-o", root / "base",
         "--no-progress")
    return root


def test_baseline_writes_metrics_and_suggested_thresholds(laptop):
    statistics = json.loads((laptop / "base" / "statistics.json").read_text())
    metrics = statistics["binary_classification_metrics"]
    assert statistics["dataset"]["item_count"] == 600
    assert isinstance(metrics["auc"]["standard_deviation"], float) and 0.5 < metrics["auc"]["value"] <= 1.0
    constraints = json.loads((laptop / "base" / "constraints.json").read_text())["binary_classification_constraints"]
    assert constraints["f1"] == {"threshold": metrics["f1"]["value"], "comparison_operator": "LessThanThreshold"}
    assert constraints["false_positive_rate"]["comparison_operator"] == "GreaterThanThreshold"


def test_merge_joins_captures_with_labels_from_s3_style_folders(laptop, tmp_path):
    done = _run("merge", laptop / "captures", laptop / "labels", "-o", tmp_path / "merged")
    assert "merged 450 of 500 captures with 450 labels (2 capture files, 2 ground-truth files)" in done.stdout
    assert "unmatched_captures 50" in done.stdout
    records = [json.loads(line) for line in (tmp_path / "merged" / "merged.jsonl").read_text().splitlines()]
    assert len(records) == 450
    first = records[0]
    assert first["eventMetadata"]["inferenceId"] == "inf-10-1" and first["groundTruthData"]["encoding"] == "CSV"
    assert first["captureData"]["endpointOutput"]["data"] in ("0.1", "0.9")
    counts = json.loads((tmp_path / "merged" / "_merge_report.json").read_text())
    assert counts == {"captures": 500, "labels": 450, "merged": 450, "bad_capture_lines": 0,
                      "captures_without_id": 0, "duplicate_capture_ids": 0, "bad_label_lines": 0,
                      "duplicate_label_ids": 0, "unmatched_captures": 50, "unmatched_labels": 0}


@pytest.fixture(scope="module")
def merged(laptop):
    _run("merge", laptop / "captures", laptop / "labels", "-o", laptop / "merged")
    return laptop / "merged"


def _monitor(laptop, merged, hour, out, *extra, code=0):
    return _run("monitor", merged, "--format", "merged", *MQ, "--probability-attribute", "0",
                "--baseline-constraints", laptop / "base" / "constraints.json", "-o", out,
                "--start-time", f"2024-05-01T{hour}:00:00Z", "--end-time", f"2024-05-01T{hour + 1}:00:00Z",
                "--no-progress", *extra, code=code)


def test_monitor_merged_hour_without_violations(laptop, merged, tmp_path):
    done = _monitor(laptop, merged, 10, tmp_path / "h10", "--fail-on-violations")
    assert done.stdout.startswith("Completed: Job completed successfully with no violations.")
    assert "BinaryClassification, 225 rows: recall 1, precision 1, accuracy 1," in done.stdout
    assert json.loads((tmp_path / "h10" / "constraint_violations.json").read_text()) == {"violations": []}
    report = json.loads((tmp_path / "h10" / "sagewatch_report.json").read_text())
    assert report["rows_evaluated"] == 225 and report["skipped_rows"] == {"outside_window": 225}


def test_monitor_writes_the_model_quality_html_report(laptop, merged, tmp_path):
    done = _monitor(laptop, merged, 11, tmp_path / "h11", "--report", tmp_path / "r.html")
    assert f"report: {tmp_path / 'r.html'}" in done.stdout
    page = (tmp_path / "r.html").read_text()
    assert "ROC" in page and "<svg" in page and "Metric auc with 0.0 was LessThanThreshold" in page


def test_monitor_merged_hour_with_violations(laptop, merged, tmp_path):
    done = _monitor(laptop, merged, 11, tmp_path / "h11", "--metrics-dir", tmp_path / "metrics", "--endpoint", "ep",
                    "--schedule", "hourly", "--fail-on-violations", code=2)
    assert "CompletedWithViolations: Job completed successfully with 11 violations." in done.stdout
    assert "accuracy 0," in done.stdout
    violations = json.loads((tmp_path / "h11" / "constraint_violations.json").read_text())["violations"]
    by_metric = {v["metric_name"]: v for v in violations}
    assert set(by_metric) == {"recall", "precision", "accuracy", "true_positive_rate", "true_negative_rate",
                              "false_positive_rate", "false_negative_rate", "auc", "f0_5", "f1", "f2"}
    assert by_metric["auc"]["constraint_check_type"] == "LessThanThreshold"
    assert by_metric["auc"]["description"].startswith("Metric auc with 0.0 was LessThanThreshold ")
    assert "  auc " in done.stdout and "Metric auc with 0.0 was LessThanThreshold" in done.stdout
    lines = [json.loads(line) for line in (tmp_path / "metrics" / "cloudwatch_metrics.jsonl").read_text().splitlines()]
    accuracy = next(line for line in lines if line["MetricName"] == "accuracy")
    assert accuracy["Value"] == 0.0
    assert accuracy["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule",
                                                                           "Value": "hourly"}]


def test_regression_and_multiclass_baselines(tmp_path):
    data = tmp_path / "r.csv"
    data.write_text("y,yhat,cls,pred\n" + "".join(f"{i},{i + (i % 3) - 1},{'abc'[i % 3]},{'abc'[i % 2]}\n"
                                                  for i in range(30)))
    done = _run("baseline", data, *MQ, "--problem-type", "Regression", "--inference-attribute", "yhat",
                "--ground-truth-attribute", "y", "-o", tmp_path / "reg", "--no-progress")
    assert "Regression, 30 rows: mae 0.6667, mse 0.6667, rmse 0.8165, r2 " in done.stdout
    assert "regression_constraints" in (tmp_path / "reg" / "constraints.json").read_text()
    done = _run("baseline", data, *MQ, "--problem-type", "MulticlassClassification", "--inference-attribute", "3",
                "--ground-truth-attribute", "cls", "-o", tmp_path / "multi", "--no-progress")
    statistics = json.loads((tmp_path / "multi" / "statistics.json").read_text())
    assert statistics["multiclass_classification_metrics"]["confusion_matrix"]["a"] == {"a": 5, "b": 5, "c": 0}


LABELLED = "probability,prediction,label\n0.9,1,1\n0.2,0,0\n0.7,1,0\n"


@pytest.mark.parametrize("args, code, message", [
    (["baseline", "{data}", *MQ, "--inference-attribute", "prediction", "--ground-truth-attribute", "label"], 2,
     "--monitor model-quality needs --problem-type (BinaryClassification, MulticlassClassification, Regression)"),
    (["baseline", "{data}", "--problem-type", "Regression"], 2,
     "--problem-type is a model-quality option: add --monitor model-quality"),
    (["baseline", "{data}", *MQ, *BINARY, "--ground-truth-attribute", "label"], 2,
     "--monitor model-quality needs --inference-attribute (the predicted label column) or, for "
     "BinaryClassification, --probability-attribute"),
    (["baseline", "{data}", *MQ, *BINARY, "--inference-attribute", "prediction"], 2,
     "--monitor model-quality with --format csv needs --ground-truth-attribute (the label column)"),
    (["baseline", "{data}", *MQ, "--problem-type", "Regression", "--probability-attribute", "probability",
      "--inference-attribute", "prediction", "--ground-truth-attribute", "label"], 2,
     "--probability-attribute applies to --problem-type BinaryClassification only, not Regression"),
    (["baseline", "{data}", *MQ, *BINARY, "--probability-attribute", "probability", "--ground-truth-attribute",
      "label", "--probability-threshold-attribute", "1.5"], 2,
     "argument --probability-threshold-attribute: must be a number from 0 to 1, got '1.5'"),
    (["baseline", "{data}", *MQ, *BINARY, "--inference-attribute", "pred", "--ground-truth-attribute", "label"], 1,
     "--inference-attribute 'pred' names no column of the dataset; its columns are: probability, prediction, "
     "label"),
    (["baseline", "{data}", *MQ, *BINARY, "--probability-attribute", "score", "--ground-truth-attribute", "label"],
     1, "--probability-attribute 'score' names no column of the dataset"),
    (["baseline", "{data}", *MQ, *BINARY, "--inference-attribute", "prediction", "--ground-truth-attribute", "y"],
     1, "--ground-truth-attribute 'y' names no column of the dataset"),
    (["baseline", "{data}", *MQ, *BINARY, "--inference-attribute", "probability", "--ground-truth-attribute",
      "label"], 1, "--problem-type BinaryClassification needs two classes, but the ground truth holds '0', '1' "
                   "and the predictions hold '0.2', '0.7', '0.9': the labels are not among the predicted classes"),
    (["baseline", "{words}", *MQ, "--problem-type", "Regression", "--inference-attribute", "prediction",
      "--ground-truth-attribute", "label"], 1,
     "--problem-type Regression does not fit the data: none of the 2 rows is usable (non_numeric_ground_truth: 2)"),
    (["baseline", "{data}", "--format", "capture", *MQ, *BINARY, "--inference-attribute", "0"], 2,
     "--format capture: captures hold no labels; join them with the ground truth first"),
    (["monitor", "{data}", *MQ, "--problem-type", "Regression", "--inference-attribute", "prediction",
      "--ground-truth-attribute", "label", "--baseline-constraints", "{constraints}"], 1,
     "--problem-type Regression does not fit the baseline constraints, which hold BinaryClassification "
     "constraints"),
    (["monitor", "{data}", "--baseline-constraints", "{constraints}"], 1,
     "constraints.json holds model-quality constraints (binary_classification_constraints): add --monitor "
     "model-quality"),
    (["monitor", "{data}", *MQ, "--inference-attribute", "prediction", "--ground-truth-attribute", "label",
      "--baseline-constraints", "{data}"], 1, "cannot load the baseline: "),
])
def test_wrong_model_quality_input_is_one_specific_line(laptop, tmp_path, args, code, message):
    (tmp_path / "d.csv").write_text(LABELLED)
    (tmp_path / "w.csv").write_text("prediction,label\na,b\nc,d\n")
    values = {"data": tmp_path / "d.csv", "words": tmp_path / "w.csv",
              "constraints": laptop / "base" / "constraints.json"}
    done = _run(*[values[a[1:-1]] if a.startswith("{") else a for a in args], "-o", tmp_path / "out",
                "--no-progress", code=code)
    assert message in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"sagewatch {args[0]}: error: ") and "Traceback" not in done.stderr


def test_merge_with_nothing_to_merge_fails_and_writes_nothing(laptop, tmp_path):
    _write(tmp_path / "labels" / "2024" / "05" / "01" / "12" / "l.jsonl", [_label("someone-else", 1)])
    done = _run("merge", laptop / "captures", tmp_path / "labels", "-o", tmp_path / "out", code=1)
    assert "sagewatch merge: error: nothing to merge: none of the 500 captures has a label among the 1 " \
           "ground-truth records" in done.stderr
    assert "unmatched captures 500, unmatched labels 1" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case, message", [
    ("missing", "ground truth {root}/nowhere does not exist"),
    ("inside", "is inside the captures folder"),
    ("empty", "no data files found under"),
])
def test_merge_wrong_folders_are_named(laptop, tmp_path, case, message):
    captures, labels, out = laptop / "captures", laptop / "labels", tmp_path / "out"
    if case == "missing":
        labels = tmp_path / "nowhere"
    elif case == "inside":
        out = captures / "merged"
    else:
        labels = tmp_path / "empty"
        labels.mkdir()
    done = _run("merge", captures, labels, "-o", out, code=1)
    assert message.format(root=tmp_path) in done.stderr and done.stderr.count("\n") == 1
