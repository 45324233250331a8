"""The MMD test in a monitoring execution: the job reads the baseline's row sample from the extra input the
execution contract mounts (``sagewatch_baseline_report``), so a correlation flip that no single-feature test sees
is found; a SageMaker baseline (no report) still works and says why the multivariate test did not run."""

import json
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from sagewatch.capture.keys import capture_object_key
from sagewatch.job import execution_contract as contract
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record
from sw_jobhelpers import CSV_FORMAT, run_job_process

HOUR = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
BASELINE = "s3://bucket/baselining/job-1"


def _rows(n, correlation, seed):
    """score (independent of the features), x0 and x1 standard normal with the given correlation, x2 noise."""
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal([0.0, 0.0], [[1.0, correlation], [correlation, 1.0]], size=n)
    return np.column_stack([rng.uniform(0, 1, n), x, rng.normal(0, 1, n)])


def _bucket_path(root, uri):
    return root / uri[len("s3://"):]


def _make_baseline(tmp_path, bucket):
    """A sagewatch baselining job (the entry point, as the analyzer image runs it); its outputs go to S3."""
    opt_ml = tmp_path / "baselining"
    data = tmp_path / "train"
    data.mkdir()
    rows = ["score,x0,x1,x2"] + [",".join(f"{v:.4f}" for v in row) for row in _rows(4000, 0.9, seed=0)]
    (data / "train.csv").write_text("\n".join(rows) + "\n")
    done = run_job_process(opt_ml, {"dataset_format": CSV_FORMAT, "dataset_source": str(data),
                                    "output_path": "/opt/ml/processing/output"})
    assert done.returncode == 0, done.stderr
    shutil.copytree(opt_ml / "processing" / "output", _bucket_path(bucket, BASELINE))


def _write_captures(bucket, correlation):
    lines = []
    for i, row in enumerate(_rows(800, correlation, seed=1)):
        when = HOUR + timedelta(seconds=i * 4.5)
        record = make_capture_record(event_id=str(uuid.UUID(int=i)), inference_time=when,
                                     input_data=",".join(f"{v:.4f}" for v in row[1:]),
                                     output_data=f"{row[0]:.4f}", inference_id=f"inf-{i}")
        lines.append(serialize_capture_record(record))
    key = capture_object_key("capture", "ep", "AllTraffic", HOUR, str(uuid.UUID(int=1)))
    path = bucket / "bucket" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))


def _execution(tmp_path, bucket, *, report_uri):
    """Build the execution's request with the contract, stage its inputs as the processing runner does, run it."""
    plan = contract.ExecutionPlan(
        monitoring_type="DataQuality", job_name="j", endpoint_name="ep", schedule_name="s",
        scheduled=HOUR + timedelta(hours=1), window=contract.AnalysisWindow(HOUR, HOUR + timedelta(hours=1)),
        captures=(contract.CaptureHour("AllTraffic", HOUR, "s3://bucket/capture/ep/AllTraffic/2024/05/01/10"),),
        output_s3_uri="s3://bucket/reports", app_specification={"ImageUri": "analyzer"}, cluster_config={},
        role_arn="arn:aws:iam::000000000000:role/r", baseline_constraints_uri=f"{BASELINE}/constraints.json",
        baseline_statistics_uri=f"{BASELINE}/statistics.json", baseline_report_uri=report_uri,
        publish_cloudwatch_metrics=False)
    request = contract.data_quality_request(plan)
    opt_ml = tmp_path / f"execution-{uuid.uuid4().hex[:8]}"
    for item in request["ProcessingInputs"]:
        source = _bucket_path(bucket, item["S3Input"]["S3Uri"])
        local = opt_ml / item["S3Input"]["LocalPath"][len("/opt/ml/"):]
        if source.is_dir():
            shutil.copytree(source, local)
        else:
            local.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, local / source.name)
    done = run_job_process(opt_ml, request["Environment"])
    assert done.returncode == 0, done.stderr
    return opt_ml / "processing" / "output"


@pytest.fixture(scope="module")
def flipped(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("mmd")
    bucket = tmp_path / "s3"
    _make_baseline(tmp_path, bucket)
    _write_captures(bucket, correlation=-0.9)
    return tmp_path, bucket


def test_a_correlation_flip_is_found_by_the_execution_and_by_no_single_feature_test(flipped):
    tmp_path, bucket = flipped
    out = _execution(tmp_path, bucket, report_uri=f"{BASELINE}/sagewatch_report.json")
    report = json.loads((out / "sagewatch_report.json").read_text())
    mmd = report["multivariate"]["mmd"]
    assert report["multivariate"]["features"] == ["score", "x0", "x1", "x2"]
    assert mmd["drifted"] is True and mmd["drift_score"] < 0.01
    assert mmd["details"]["n_baseline"] == 600 and mmd["details"]["n_current"] == 600
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    assert violations == []
    assert len(report["features"]) == 4 and all(f["measures"] for f in report["features"])
    flagged = [(f["name"], m["name"]) for f in report["features"] for m in f["measures"] if m["drifted"]]
    assert flagged == []


def test_same_input_same_bytes(flipped):
    tmp_path, bucket = flipped
    first = _execution(tmp_path, bucket, report_uri=f"{BASELINE}/sagewatch_report.json")
    second = _execution(tmp_path, bucket, report_uri=f"{BASELINE}/sagewatch_report.json")
    for name in ("statistics.json", "constraint_violations.json", "sagewatch_report.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_sagemaker_baseline_runs_without_the_multivariate_test_and_says_why(flipped):
    tmp_path, bucket = flipped
    out = _execution(tmp_path, bucket, report_uri=None)
    report = json.loads((out / "sagewatch_report.json").read_text())
    assert report["multivariate"] == {"mmd": None, "reason": "the baseline has no row sample (not made by sagewatch)"}
    assert json.loads((out / "constraint_violations.json").read_text())["violations"] == []
