"""The SageMaker Python SDK's ModelQualityMonitor workflow (v2 and v3 lines) against the emulator.

The endpoint serves a scikit-learn logistic regression through an inference script that answers
``<label>,<probability>`` per row, with data capture on. The baseline is the model's own predictions on
held-out rows with their true labels; the monitored traffic carries an ``InferenceId`` per request and its
ground truth (JSON Lines under ``<ground truth>/yyyy/mm/dd/hh/``) contradicts most predictions, so accuracy
falls far below the baseline's.
"""

from __future__ import annotations

import io
import json
import tarfile
from datetime import datetime, timezone

import joblib
import numpy as np
import pytest
from sklearn.metrics import accuracy_score
from sw_endpoints import ROLE, capture_config, tar_gz, trained_model_tarball, variant, wait_for_capture

pytestmark = pytest.mark.e2e

INVOCATIONS = 40
SCRIPT = """
import os

import joblib
import numpy as np


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def predict_fn(rows, model):
    return model.predict_proba(np.asarray(rows, dtype=float))[:, 1]


def output_fn(probabilities, accept):
    return "".join(f"{int(p >= 0.5)},{p:.6f}\\n" for p in probabilities), "text/csv"
"""


def model_of(tarball: bytes):
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        return joblib.load(io.BytesIO(tar.extractfile("model.joblib").read()))


def true_labels(x: np.ndarray) -> np.ndarray:
    return (x[:, 0] + 2 * x[:, 1] - x[:, 2] > 0).astype(int)


def baseline_csv(model, rows: int = 400) -> tuple[bytes, float]:
    """prediction,probability,label rows of held-out data (5% of labels flipped) and the accuracy on them."""
    rng = np.random.default_rng(21)
    x = rng.normal(size=(rows, 4))
    labels = true_labels(x)
    labels[rng.random(rows) < 0.05] ^= 1
    probability = model.predict_proba(x)[:, 1]
    prediction = (probability >= 0.5).astype(int)
    lines = ["prediction,probability,label"] + [f"{p},{q:.6f},{y}" for p, q, y in zip(prediction, probability, labels)]
    return ("\n".join(lines) + "\n").encode(), float(accuracy_score(labels, prediction))


@pytest.fixture
def quality_endpoint(deployer, bucket):
    """(endpoint, model): a capture-enabled endpoint answering ``label,probability`` CSV rows."""
    tarball = trained_model_tarball()
    source = deployer.upload("script/sourcedir.tar.gz", tar_gz({"inference.py": SCRIPT.encode()}))
    model = deployer.model(tarball, environment={"SAGEMAKER_PROGRAM": "inference.py",
                                                 "SAGEMAKER_SUBMIT_DIRECTORY": source})
    endpoint = deployer.endpoint(deployer.config([variant(model)], capture_config(bucket, "capture")))
    return endpoint, model_of(tarball)


def send_traffic_with_ground_truth(aws_client, bucket: str, endpoint: str) -> int:
    """Invoke *endpoint* INVOCATIONS times and upload contradicting ground truth; the count of wrong labels."""
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    rng = np.random.default_rng(22)
    x = rng.normal(size=(INVOCATIONS, 4))
    predicted = []
    for i, row in enumerate(x):
        answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=",".join(f"{v:.4f}" for v in row).encode(),
                                         ContentType="text/csv", InferenceId=f"request-{i}")
        predicted.append(int(answer["Body"].read().decode().split(",")[0]))
    wait_for_capture(s3, bucket, f"capture/{endpoint}/", INVOCATIONS)
    # three of every four labels contradict the prediction
    labels = [p if i % 4 == 0 else 1 - p for i, p in enumerate(predicted)]
    records = [json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                           "eventMetadata": {"eventId": f"request-{i}"}, "eventVersion": "0"})
               for i, label in enumerate(labels)]
    hour = datetime.now(timezone.utc)
    s3.put_object(Bucket=bucket, Key=f"ground-truth/{hour:%Y/%m/%d/%H}/labels.jsonl",
                  Body=("\n".join(records) + "\n").encode())
    return sum(label != p for label, p in zip(labels, predicted))


def check_baseline(result: dict, accuracy: float) -> None:
    baselining = result["baselining_job"]
    assert baselining["status"] == "Completed"
    assert baselining["image"].endswith(".amazonaws.com/sagemaker-model-monitor-analyzer")
    environment = baselining["environment"]
    assert {key: environment[key] for key in ("analysis_type", "problem_type", "inference_attribute",
                                              "probability_attribute", "ground_truth_attribute")} == {
        "analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification", "inference_attribute": "prediction",
        "probability_attribute": "probability", "ground_truth_attribute": "label"}
    statistics = result["baseline_statistics"]
    assert statistics["dataset"]["item_count"] == 400
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] == accuracy
    constraints = result["baseline_constraints"]["binary_classification_constraints"]
    assert constraints["accuracy"] == {"threshold": accuracy, "comparison_operator": "LessThanThreshold"}


@pytest.mark.parametrize("line", ["v2", "v3"])
def test_model_quality_baseline(line, run_sdk, deployer, bucket):
    tarball = trained_model_tarball()
    data, accuracy = baseline_csv(model_of(tarball))
    result = run_sdk(line, "model_quality", {
        "role": ROLE, "baseline_dataset": deployer.upload("validation/predictions.csv", data),
        "baseline_output": f"s3://{bucket}/baselining", "baseline_only": True})
    check_baseline(result, accuracy)


@pytest.mark.parametrize("line", ["v2", "v3"])
def test_model_quality_monitoring_schedule(line, run_sdk, deployer, aws_client, bucket, quality_endpoint,
                                           unique_name, schedules):
    endpoint, model = quality_endpoint
    data, accuracy = baseline_csv(model)
    wrong = send_traffic_with_ground_truth(aws_client, bucket, endpoint)
    schedule = unique_name(f"sdk-{line}-mq")
    schedules.append(schedule)

    result = run_sdk(line, "model_quality", {
        "role": ROLE, "endpoint": endpoint, "schedule": schedule,
        "baseline_dataset": deployer.upload("validation/predictions.csv", data),
        "baseline_output": f"s3://{bucket}/baselining", "ground_truth": f"s3://{bucket}/ground-truth",
        "reports": f"s3://{bucket}/reports"})

    check_baseline(result, accuracy)
    assert result["created"]["status"] in ("Pending", "Scheduled")
    assert result["created"]["type"] == "ModelQuality"
    assert result["created"]["expression"] == {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                                               "DataAnalysisEndTime": "-PT0H"}
    definition = result["job_definition"]
    assert definition["endpoint_input"] == {
        "EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input_data", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated", "InferenceAttribute": "0", "ProbabilityAttribute": "1",
        "ProbabilityThresholdAttribute": 0.5}
    assert definition["ground_truth"] == f"s3://{bucket}/ground-truth"
    assert definition["app"]["ProblemType"] == "BinaryClassification"
    assert result["execution_summary"] == {"status": "CompletedWithViolations", "failure": None}
    assert result["executions"] == 1
    assert result["execution_status"] == "Completed", result["execution_failure"]
    assert result["execution_exit_message"].startswith("CompletedWithViolations: ")
    assert result["execution_output"].startswith(f"s3://{bucket}/reports/{endpoint}/{schedule}/")
    statistics = result["statistics"]
    assert statistics["dataset"]["item_count"] == INVOCATIONS
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] == 1 - wrong / INVOCATIONS
    assert ["accuracy", "LessThanThreshold"] in result["violations"]
    assert result["last_execution"] == "CompletedWithViolations"
    assert result["definition_after_delete"] == "ResourceNotFound"
