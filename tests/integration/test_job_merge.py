"""``python -m sagewatch.job.merge`` (the ground-truth merge job), then the model-quality analysis on its output,
laid out as the emulator's two jobs of a model-quality execution lay them out."""

import json
import os
import subprocess
import sys

import numpy as np

from sw_jobhelpers import run_job_process

from sagewatch.job import execution_contract as contract
from sagewatch.job.merge import main as merge_main

MERGE_JOB = "groundtruth-merge-202405011100-abc"


def _capture(event_id, probability, inference_id=None, minute=10):
    meta = {"eventId": event_id, "inferenceTime": f"2024-05-01T10:{minute:02d}:00Z"}
    if inference_id is not None:
        meta["inferenceId"] = inference_id
    return json.dumps({"captureData": {"endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                                          "data": f"{probability}", "encoding": "CSV"}},
                       "eventMetadata": meta, "eventVersion": "0"})


def _label(event_id, label):
    return json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                       "eventMetadata": {"eventId": event_id}, "eventVersion": "0"})


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))


def _merge_env(opt_ml):
    (opt_ml / "config").mkdir(parents=True, exist_ok=True)
    (opt_ml / "config" / "processingjobconfig.json").write_text(json.dumps({
        "ProcessingJobName": MERGE_JOB,
        "Environment": {"dataset_source": contract.MERGE_DATASET_PATH,
                        "ground_truth_source": contract.GROUND_TRUTH_PATH, "output_path": contract.OUTPUT_PATH,
                        "sagewatch_ground_truth_s3_uri": "s3://b/ground-truth"}}))
    return {"SAGEWATCH_OPT_ML": str(opt_ml)}


def _message(opt_ml):
    return (opt_ml / "output" / "message").read_text()


def test_merge_writes_each_captured_hour_and_counts_what_did_not_merge(tmp_path):
    opt_ml = tmp_path / "merge"
    hour10 = opt_ml / "processing/input_data/ep/AllTraffic/2024/05/01/10"
    hour11 = opt_ml / "processing/input_data/ep/AllTraffic/2024/05/01/11"
    _write(hour10 / "a.jsonl", [_capture("e1", 0.9, inference_id="i1"), _capture("e2", 0.2), _capture("e3", 0.4)])
    _write(hour11 / "b.jsonl", [_capture("e4", 0.6)])  # no label (yet)
    truth = opt_ml / "processing/groundtruth/2024/05/01"
    _write(truth / "10/l.jsonl", [_label("i1", 0), _label("e2", 0), _label("zz", 1), "not json"])
    _write(truth / "11/l.jsonl", [_label("i1", 1)])  # a later hour corrects the label of i1
    assert merge_main(_merge_env(opt_ml)) == 0
    assert _message(opt_ml) == ("Completed: Merged 2 records (4 captured records in 2 files and 5 ground-truth "
                                "records in 2 files; 2 captures without a label, 1 labels without a capture).")
    output = opt_ml / "processing/output"
    merged10 = [json.loads(line) for line in
                (output / "ep/AllTraffic/2024/05/01/10" / f"{MERGE_JOB}.jsonl").read_text().splitlines()]
    assert [(m["eventMetadata"]["eventId"], m["groundTruthData"]) for m in merged10] == [
        ("e1", {"data": "1", "encoding": "CSV"}), ("e2", {"data": "0", "encoding": "CSV"})]
    assert (output / "ep/AllTraffic/2024/05/01/11" / f"{MERGE_JOB}.jsonl").read_text() == ""
    report = json.loads((output / "sagewatch-merge-reports" / f"{MERGE_JOB}.json").read_text())
    assert report["counts"] == {"captures": 4, "labels": 5, "merged": 2, "bad_capture_lines": 0,
                                "captures_without_id": 0, "duplicate_capture_ids": 0, "bad_label_lines": 1,
                                "duplicate_label_ids": 1, "unmatched_captures": 2, "unmatched_labels": 1}
    assert [(h["folder"], h["captures"], h["merged"]) for h in report["hours"]] == [
        ("ep/AllTraffic/2024/05/01/10", 3, 2), ("ep/AllTraffic/2024/05/01/11", 1, 0)]


def test_no_ground_truth_fails_with_the_counts(tmp_path):
    opt_ml = tmp_path / "merge"
    _write(opt_ml / "processing/input_data/ep/AllTraffic/2024/05/01/10/a.jsonl", [_capture("e1", 0.9)] * 3)
    assert merge_main(_merge_env(opt_ml)) == 255
    assert _message(opt_ml) == (
        "ClientError: No ground truth to merge: no usable ground-truth record under s3://b/ground-truth in the hour "
        "folders yyyy/mm/dd/hh read for this execution (3 captured records in 1 file and 0 ground-truth records in "
        "0 files).")


def test_no_capture_matching_a_label_fails_with_the_counts(tmp_path):
    opt_ml = tmp_path / "merge"
    _write(opt_ml / "processing/input_data/ep/AllTraffic/2024/05/01/10/a.jsonl", [_capture("e1", 0.9, "i1")])
    _write(opt_ml / "processing/groundtruth/2024/05/01/10/l.jsonl", [_label("e1", 1), _label("x", 0)])
    assert merge_main(_merge_env(opt_ml)) == 255
    assert _message(opt_ml).startswith(
        "ClientError: Nothing to merge: none of the 1 captured record matched any of the 2 ground-truth records "
        "under s3://b/ground-truth (captures are matched on eventMetadata.inferenceId, else eventMetadata.eventId")


def test_no_capture_files_fails(tmp_path):
    opt_ml = tmp_path / "merge"
    (opt_ml / "processing/input_data").mkdir(parents=True)
    assert merge_main(_merge_env(opt_ml)) == 255
    assert _message(opt_ml).startswith("ClientError: No captured data to merge: dataset_source ")


def test_merge_module_runs_as_a_process(tmp_path):
    opt_ml = tmp_path / "merge"
    _write(opt_ml / "processing/input_data/ep/v/2024/05/01/10/a.jsonl", [_capture("e1", 0.9)])
    _write(opt_ml / "processing/groundtruth/2024/05/01/10/l.jsonl", [_label("e1", 1)])
    env = {**os.environ, **_merge_env(opt_ml)}
    done = subprocess.run([sys.executable, "-m", "sagewatch.job.merge"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Completed: Merged 1 record (")


def _baseline_constraints(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 0.0, "binary_classification_constraints": {
        "accuracy": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"}}}))


def test_the_analysis_reads_the_merge_and_reports_its_counts(tmp_path):
    """The two requests of the contract, run on one folder standing in for S3: merge, then analysis."""
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 40)
    opt_merge = tmp_path / "merge"
    captures = [_capture(f"e{i}", 0.9 if y else 0.1, minute=i) for i, y in enumerate(labels)]
    _write(opt_merge / "processing/input_data/ep/AllTraffic/2024/05/01/10/a.jsonl", captures)
    _write(opt_merge / "processing/groundtruth/2024/05/01/10/l.jsonl",
           [_label(f"e{i}", 1 - y if i < 10 else y) for i, y in enumerate(labels)])  # 10 of 40 wrong
    assert merge_main(_merge_env(opt_merge)) == 0

    opt = tmp_path / "analysis"
    merged = opt_merge / "processing/output"
    dataset = opt / "processing/input_data/ep/AllTraffic/2024/05/01/10"
    dataset.mkdir(parents=True)
    (dataset / f"{MERGE_JOB}.jsonl").write_bytes(
        (merged / "ep/AllTraffic/2024/05/01/10" / f"{MERGE_JOB}.jsonl").read_bytes())
    (opt / "processing/merge_report").mkdir(parents=True)
    (opt / "processing/merge_report" / f"{MERGE_JOB}.json").write_bytes(
        (merged / "sagewatch-merge-reports" / f"{MERGE_JOB}.json").read_bytes())
    _baseline_constraints(opt / "processing/baseline/constraints/constraints.json")
    plan = contract.ExecutionPlan(
        "ModelQuality", "model-quality-monitoring-202405011100-abc", "ep", "sched",
        contract.datetime(2024, 5, 1, 11, tzinfo=contract.timezone.utc),
        contract.AnalysisWindow(contract.datetime(2024, 5, 1, 10, tzinfo=contract.timezone.utc),
                                contract.datetime(2024, 5, 1, 11, tzinfo=contract.timezone.utc)),
        (contract.CaptureHour("AllTraffic", contract.datetime(2024, 5, 1, 10, tzinfo=contract.timezone.utc),
                              "s3://c/ep/AllTraffic/2024/05/01/10"),),
        "s3://b/out", {"ImageUri": "sagewatch-analyzer"}, {}, "r", merge_job_name=MERGE_JOB,
        problem_type="BinaryClassification", probability_attribute="0",
        probability_threshold_attribute=0.5, baseline_constraints_uri="s3://b/base/constraints.json",
        publish_cloudwatch_metrics=False)
    environment = contract.model_quality_request(plan)["Environment"]
    done = run_job_process(opt, {}, config={"Environment": environment})
    assert done.returncode == 0, done.stderr
    assert _message(opt) == "CompletedWithViolations: Job completed successfully with 1 violations."
    output = opt / "processing/output"
    violations = json.loads((output / "constraint_violations.json").read_text())["violations"]
    assert violations == [{"constraint_check_type": "LessThanThreshold", "description":
                           "Metric accuracy with 0.75 was LessThanThreshold 0.8", "metric_name": "accuracy"}]
    report = json.loads((output / "sagewatch_report.json").read_text())
    assert report["merge"]["merged"] == 40 and report["merge"]["unmatched_captures"] == 0
    assert report["rows_evaluated"] == 40


def test_a_missing_merge_report_fails_the_analysis_by_name(tmp_path):
    opt = tmp_path / "analysis"
    dataset = opt / "processing/input_data/ep/v/2024/05/01/10"
    _write(dataset / "m.jsonl", [json.dumps({**json.loads(_capture("e1", 0.9)),
                                            "groundTruthData": {"data": "1", "encoding": "CSV"}})])
    _baseline_constraints(opt / "processing/baseline/constraints/constraints.json")
    done = run_job_process(opt, {}, config={"Environment": {
        "analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification", "inference_attribute": "0",
        "dataset_format": contract.MERGE_DATASET_FORMAT, "dataset_source": "/opt/ml/processing/input_data",
        "output_path": "/opt/ml/processing/output",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
        "sagewatch_merge_report": "/opt/ml/processing/merge_report/gone.json"}})
    assert done.returncode == 255
    assert _message(opt).startswith("ClientError: sagewatch_merge_report gone.json (the merge job's counts) cannot "
                                    "be read: FileNotFoundError")
