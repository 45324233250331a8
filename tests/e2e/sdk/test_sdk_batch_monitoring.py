"""The SageMaker Python SDK v2's DefaultModelMonitor over batch-transform captures runs unchanged against the
emulator: ``create_monitoring_schedule(batch_transform_input=BatchTransformInput(...))``.

The test writes a transform's captures in SageMaker's layout (contract §1.4: the input file, the ``.out`` file
and the two manifests of the current hour) with x0 shifted by three standard deviations; the SDK script suggests
a baseline from the training CSV, creates a ``NOW`` schedule over the last hour, waits for its execution and
reads the statistics and violations back through the SDK.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import numpy as np
import pytest
from sw_endpoints import ROLE

from sagewatch.capture.manifest import BatchManifest, serialize_manifest

pytestmark = pytest.mark.e2e

ROWS = 60


def csv(rows: np.ndarray) -> bytes:
    return "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in rows).encode()


def test_default_model_monitor_over_batch_transform_captures(run_sdk, aws_client, bucket, unique_name, schedules):
    s3 = aws_client("s3")
    rng = np.random.default_rng(13)
    s3.put_object(Bucket=bucket, Key="training/train.csv", Body=csv(rng.normal(size=(400, 4))))
    rows = rng.normal(size=(ROWS, 4))
    rows[:, 0] += 3.0
    now, job = datetime.now(timezone.utc), f"transform-{uuid.uuid4().hex[:8]}"
    s3.put_object(Bucket=bucket, Key=f"{job}/in/part-0.csv", Body=csv(rows))
    s3.put_object(Bucket=bucket, Key=f"{job}/out/part-0.csv.out", Body="".join(
        f"1, {uuid.uuid4()},{now:%Y-%m-%dT%H:%M:%SZ}\n" for _ in range(ROWS)).encode())
    for kind, folder, name in (("input", "in", "part-0.csv"), ("output", "out", "part-0.csv.out")):
        s3.put_object(Bucket=bucket, Key=f"capture/{kind}/{now:%Y/%m/%d/%H}/{job}.jsonl", Body=serialize_manifest(
            BatchManifest(f"s3://{bucket}/{job}/{folder}/", (name,))).encode())
    schedule = unique_name("sdk-v2-batch-dq")
    schedules.append(schedule)

    result = run_sdk("v2", "batch_data_quality", {
        "role": ROLE, "baseline_dataset": f"s3://{bucket}/training/train.csv", "schedule": schedule,
        "baseline_output": f"s3://{bucket}/baselining", "reports": f"s3://{bucket}/reports",
        "capture": f"s3://{bucket}/capture"})

    assert result["execution_summary"] == {"status": "CompletedWithViolations", "failure": None}
    assert result["job_definition_input"]["DataCapturedDestinationS3Uri"] == f"s3://{bucket}/capture"
    assert result["job_definition_input"]["DatasetFormat"] == {"Csv": {"Header": False}}
    environment = result["execution_environment"]
    assert environment["dataset_format"] == '{"csv":{"header":false}}'
    assert "sagemaker_endpoint_name" not in environment
    assert ["input_manifest_1", "ManifestFile"] in result["execution_inputs"]
    assert result["execution_output"].startswith(f"s3://{bucket}/reports/{schedule}/")
    assert result["statistics_item_count"] == ROWS
    assert result["violations"] == [["_c0", "baseline_drift_check"]]
