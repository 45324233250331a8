"""The multivariate MMD test in emulator executions: a correlation flip that no single-feature test sees.

A sagewatch baselining job leaves ``sagewatch_report.json`` (with its row sample) beside ``statistics.json``; a
data-quality execution whose baseline has it mounts it (input ``sagewatch_baseline_report``) and runs the MMD
test. The baseline data has x0 and x1 correlated (+0.9); the captured traffic has the same marginals with the
correlation flipped (-0.9). A baseline without the report (as SageMaker's own) still runs, without the test and
saying why. The endpoint and helpers are those of ``test_monitoring_schedules.py``.
"""

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from test_monitoring_schedules import (  # noqa: F401 - fixtures used by name
    ANALYZER,
    CLUSTER,
    ROLE,
    endpoint,
    inline_definition,
    module_bucket,
    post_json,
    schedules,
    wait_for_execution,
)

from sagewatch.capture.keys import capture_object_key
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record

pytestmark = pytest.mark.e2e

HOUR = datetime(2024, 5, 2, 10, tzinfo=timezone.utc)  # the captured traffic of these tests


def _rows(n, correlation, seed):
    """score (independent of the features), x0 and x1 standard normal with *correlation*, x2 noise."""
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal([0.0, 0.0], [[1.0, correlation], [correlation, 1.0]], size=n)
    return np.column_stack([rng.uniform(0, 1, n), x, rng.normal(0, 1, n)])


@pytest.fixture(scope="module")
def correlated_baseline(aws_client, module_bucket):  # noqa: F811
    """A baselining job (the analyzer image) over data with x0 and x1 correlated +0.9."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    rows = ["score,x0,x1,x2"] + [",".join(f"{v:.4f}" for v in row) for row in _rows(4000, 0.9, seed=0)]
    s3.put_object(Bucket=module_bucket, Key="mmd-baseline-data/train.csv", Body=("\n".join(rows) + "\n").encode())
    name = f"sw-mmd-baseline-{uuid.uuid4().hex[:8]}"
    results = f"s3://{module_bucket}/baselining/{name}/results"
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=CLUSTER, AppSpecification={"ImageUri": ANALYZER},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": f"s3://{module_bucket}/mmd-baseline-data", "S3DataType": "S3Prefix",
            "LocalPath": "/opt/ml/processing/input/baseline_dataset_input"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": results, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        Environment={"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                     "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                     "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled"})
    deadline = time.monotonic() + 60
    while (status := sagemaker.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"]) == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status == "Completed"
    return {"constraints": f"{results}/constraints.json", "statistics": f"{results}/statistics.json",
            "prefix": f"baselining/{name}/results"}


@pytest.fixture(scope="module")
def sagemaker_baseline(aws_client, module_bucket, correlated_baseline):  # noqa: F811
    """The same statistics and constraints alone in another folder, as a SageMaker baseline is."""
    s3 = aws_client("s3")
    copies = {}
    for kind in ("constraints", "statistics"):
        key = f"{correlated_baseline['prefix']}/{kind}.json"
        target = f"sagemaker-baseline/{kind}.json"
        s3.copy_object(Bucket=module_bucket, Key=target, CopySource={"Bucket": module_bucket, "Key": key})
        copies[kind] = f"s3://{module_bucket}/{target}"
    return copies


@pytest.fixture(scope="module")
def flipped_traffic(aws_client, module_bucket, endpoint):  # noqa: F811
    """Traffic captured during HOUR with the correlation of x0 and x1 flipped to -0.9 (same marginals)."""
    lines = []
    for i, row in enumerate(_rows(900, -0.9, seed=1)):
        record = make_capture_record(event_id=str(uuid.uuid4()), inference_time=HOUR + timedelta(seconds=60 + 3 * i),
                                     input_data=",".join(f"{v:.4f}" for v in row[1:]), output_data=f"{row[0]:.4f}")
        lines.append(serialize_capture_record(record))
    key = capture_object_key("capture", endpoint, "AllTraffic", HOUR + timedelta(minutes=1), str(uuid.uuid4()))
    aws_client("s3").put_object(Bucket=module_bucket, Key=key, Body="".join(line + "\n" for line in lines).encode())
    return HOUR


def _run(aws_client, endpoint_url, name, definition, hour):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinition": definition})
    scheduled = hour + timedelta(hours=1)
    status, summary = post_json(f"{endpoint_url}/_sagewatch/schedules/{name}/executions",
                                {"ScheduledTime": f"{scheduled:%Y-%m-%dT%H:%M:%SZ}"})
    assert status == 200, summary
    execution = wait_for_execution(sagemaker, name, scheduled_time=scheduled)
    job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    output = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    bucket, prefix = output[len("s3://"):].split("/", 1)

    def read(file):
        return json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/{file}")["Body"].read())

    return execution["MonitoringExecutionStatus"], job, read


def test_a_correlation_flip_is_found_by_the_emulator_execution(aws_client, endpoint_url, module_bucket, endpoint,
                                                               correlated_baseline, flipped_traffic, schedules,
                                                               unique_name):
    name = unique_name("mmd")
    schedules.append(name)
    status, job, read = _run(aws_client, endpoint_url, name,
                               inline_definition(endpoint, module_bucket, correlated_baseline), flipped_traffic)
    assert status == "Completed", job.get("FailureReason")
    inputs = {i["InputName"]: i["S3Input"] for i in job["ProcessingInputs"]}
    assert inputs["sagewatch_baseline_report"]["S3Uri"] == \
        f"s3://{module_bucket}/{correlated_baseline['prefix']}/sagewatch_report.json"
    assert inputs["sagewatch_baseline_report"]["LocalPath"] == "/opt/ml/processing/baseline/sagewatch"
    assert job["Environment"]["baseline_sagewatch_report"] == \
        "/opt/ml/processing/baseline/sagewatch/sagewatch_report.json"
    # no single-feature check sees the change: no violation, no registry measure flags a feature
    assert read("constraint_violations.json")["violations"] == []
    report = read("sagewatch_report.json")
    assert len(report["features"]) == 4 and all(f["measures"] for f in report["features"])
    assert [(f["name"], m["name"]) for f in report["features"] for m in f["measures"] if m["drifted"]] == []
    # the multivariate test does
    assert report["multivariate"]["features"] == ["score", "x0", "x1", "x2"]
    mmd = report["multivariate"]["mmd"]
    assert mmd["drifted"] is True and mmd["drift_score"] < 0.01, mmd


def test_a_sagemaker_baseline_runs_without_the_multivariate_test(aws_client, endpoint_url, module_bucket, endpoint,
                                                                 sagemaker_baseline, flipped_traffic, schedules,
                                                                 unique_name):
    name = unique_name("mmd-sm")
    schedules.append(name)
    status, job, read = _run(aws_client, endpoint_url, name,
                               inline_definition(endpoint, module_bucket, sagemaker_baseline), flipped_traffic)
    assert status == "Completed", job.get("FailureReason")
    assert "sagewatch_baseline_report" not in {i["InputName"] for i in job["ProcessingInputs"]}
    assert "baseline_sagewatch_report" not in job["Environment"]
    assert read("sagewatch_report.json")["multivariate"] == {
        "mmd": None, "reason": "the baseline has no row sample (not made by sagewatch)"}
