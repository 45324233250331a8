"""The SageMaker Python SDK's DefaultModelMonitor workflow (v2 and v3 lines) runs unchanged against the emulator.

The test deploys a capture-enabled endpoint with boto3 and sends it traffic whose first feature is shifted by
three standard deviations; the SDK script then suggests a baseline from the training CSV, creates a ``NOW``
schedule over the last hour, waits for its execution, reads the statistics and violations back through the SDK,
attaches a second monitor object to the schedule by name, and deletes the schedule.
"""

from __future__ import annotations

import numpy as np
import pytest
from sw_endpoints import ROLE, capture_config, wait_for_capture

pytestmark = pytest.mark.e2e

INVOCATIONS = 60


def training_csv(rows: int = 600) -> bytes:
    """label,x0..x3 with a header: the rule the endpoint's model learned (y = [x0 + 2 x1 - x2 > 0])."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(rows, 4))
    label = (x[:, 0] + 2 * x[:, 1] - x[:, 2] > 0).astype(int)
    lines = ["label,x0,x1,x2,x3"] + [f"{y}," + ",".join(f"{v:.4f}" for v in row) for y, row in zip(label, x)]
    return ("\n".join(lines) + "\n").encode()


def drifted_rows(count: int) -> list[str]:
    """*count* CSV request bodies whose x0 is shifted by +3 standard deviations."""
    rng = np.random.default_rng(12)
    x = rng.normal(size=(count, 4))
    x[:, 0] += 3.0
    return [",".join(f"{v:.4f}" for v in row) for row in x]


@pytest.mark.parametrize("line", ["v2", "v3"])
def test_default_model_monitor_workflow(line, run_sdk, deployer, aws_client, bucket, unique_name, schedules):
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    endpoint = deployer.deploy(capture=capture_config(bucket, "capture"))
    baseline_dataset = deployer.upload("training/train.csv", training_csv())
    for body in drifted_rows(INVOCATIONS):
        runtime.invoke_endpoint(EndpointName=endpoint, Body=body.encode(), ContentType="text/csv")
    wait_for_capture(s3, bucket, f"capture/{endpoint}/", INVOCATIONS)
    schedule = unique_name(f"sdk-{line}-dq")
    schedules.append(schedule)

    result = run_sdk(line, "data_quality", {
        "role": ROLE, "endpoint": endpoint, "baseline_dataset": baseline_dataset, "schedule": schedule,
        "baseline_output": f"s3://{bucket}/baselining", "reports": f"s3://{bucket}/reports"})

    baselining = result["baselining_job"]
    assert baselining["status"] == "Completed"
    assert baselining["image"].endswith(".amazonaws.com/sagemaker-model-monitor-analyzer")
    assert baselining["environment"]["dataset_format"] == (
        '{"csv": {"header": true, "output_columns_position": "START"}}')
    assert result["baseline_item_count"] == 600
    assert result["baseline_features"] == result["constraint_features"] == ["label", "x0", "x1", "x2", "x3"]
    assert result["created"]["status"] in ("Pending", "Scheduled")  # AWS answers Pending right after creation
    assert result["created"]["type"] == "DataQuality"
    assert result["created"]["expression"] == {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                                               "DataAnalysisEndTime": "-PT0H"}
    assert result["execution_summary"] == {"status": "CompletedWithViolations", "failure": None}
    assert result["executions"] == 1
    assert result["execution_status"] == "Completed"
    assert result["execution_exit_message"].startswith("CompletedWithViolations: ")
    assert result["execution_output"].startswith(f"s3://{bucket}/reports/{endpoint}/{schedule}/")
    assert result["statistics_item_count"] == INVOCATIONS
    # x0 moved by 3 sigma, and with it the share of predicted labels; x1..x3 did not move
    assert result["violations"] == [["label", "baseline_drift_check"], ["x0", "baseline_drift_check"]]
    assert result["last_execution"] == "CompletedWithViolations"
    assert result["job_definition_endpoint"] == endpoint
    assert result["attached"] == {"job_definition": True, "role": ROLE, "executions": 1}
    assert result["after_delete"] == "ResourceNotFound"
