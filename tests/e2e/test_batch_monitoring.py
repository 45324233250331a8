"""Monitoring schedules over batch-transform captures, for all four monitor types, through boto3 as a user drives them.

The captures are written here in SageMaker's layout (contract §1.4), as a transform job with ``DataCaptureConfig``
and ``GenerateInferenceId`` writes them: the transform's input files and ``.out`` files (each output record ending
with its inference id and the job's start time), and the manifests naming them under
``<DataCapturedDestinationS3Uri>/input/yyyy/mm/dd/hh/`` and ``.../output/yyyy/mm/dd/hh/`` of the current hour. Each
test creates a job definition with ``BatchTransformInput``, an hourly schedule, and runs the execution of the next
hour now (``/_sagewatch/schedules/<name>/executions``); the reports land at ``<S3Uri>/<schedule>/yyyy/mm/dd/hh`` and
the metrics in ``aws/sagemaker/ModelMonitoring/*`` with the ``MonitoringSchedule`` dimension only.

The rows follow y = [x0 + 2 x1 - x2 > 0]; drift is made by hand: shifted features (data quality), predictions
that disagree with the labels (model quality), predictions against the group x3 > 0 (model bias), a baseline
whose feature ranking is reversed (explainability, explaining the model of the config's ``predictor``).
"""

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from sw_endpoints import ROLE, Deployer, trained_model_tarball

from sagewatch.capture.manifest import BatchManifest, serialize_manifest

pytestmark = pytest.mark.e2e

ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
DONE = ("Completed", "CompletedWithViolations", "Failed", "Stopped")
FEATURES = ["x0", "x1", "x2", "x3"]
LOCAL = "/opt/ml/processing/data"
OUTPUT = "/opt/ml/processing/output"
ROWS = 80


def truth(rows):
    return (rows[:, 0] + 2 * rows[:, 1] - rows[:, 2] > 0).astype(int)


def csv_lines(rows):
    return "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in rows)


def wait_for_job(sagemaker, name, timeout=300.0):
    deadline = time.monotonic() + timeout
    while (job := sagemaker.describe_processing_job(ProcessingJobName=name))["ProcessingJobStatus"] in (
            "InProgress", "Stopping"):
        assert time.monotonic() < deadline, f"processing job {name} still running after {timeout:g} s"
        time.sleep(0.5)
    return job


def wait_for_execution(sagemaker, schedule, timeout=300.0):
    deadline = time.monotonic() + timeout
    while True:
        summaries = sagemaker.list_monitoring_executions(
            MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        if summaries and summaries[0]["MonitoringExecutionStatus"] in DONE:
            return summaries[0]
        assert time.monotonic() < deadline, f"no finished execution of {schedule} after {timeout:g} s: {summaries}"
        time.sleep(0.5)


def run_now(endpoint_url, schedule, scheduled):
    request = urllib.request.Request(f"{endpoint_url}/_sagewatch/schedules/{schedule}/executions", method="POST",
                                     data=json.dumps({"ScheduledTime": f"{scheduled:%Y-%m-%dT%H:%M:%SZ}"}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the emulator under test
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def read_json(s3, bucket, key):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def batch_metrics(cloudwatch, kind, schedule, timeout=60.0):
    """The metrics of *schedule* in ``aws/sagemaker/ModelMonitoring/<kind>``; every one has the
    ``MonitoringSchedule`` dimension only."""
    namespace, deadline = f"aws/sagemaker/ModelMonitoring/{kind}", time.monotonic() + timeout
    while True:
        metrics = [m for m in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
                   if {"Name": "MonitoringSchedule", "Value": schedule} in m["Dimensions"]]
        if metrics:
            return metrics
        assert time.monotonic() < deadline, f"no metrics of {schedule} in {namespace}"
        time.sleep(1.0)


# --- the captures of a batch transform (contract §1.4) ------------------------------------------------------------


def write_transform_capture(s3, bucket, destination, rows, predictions, *, fmt="csv"):
    """Write a transform job's input and ``.out`` files (``GenerateInferenceId``: id and start time appended) and
    its two manifests in the current hour; returns (inference ids, the hour)."""
    job = f"transform-{uuid.uuid4().hex[:8]}"
    now = datetime.now(timezone.utc)
    started = f"{now:%Y-%m-%dT%H:%M:%SZ}"
    ids = [str(uuid.uuid4()) for _ in rows]
    if fmt == "csv":
        inputs = csv_lines(rows)
        outputs = "".join(f"{p}, {i},{started}\n" for p, i in zip(predictions, ids))
        name = "part-0.csv"
    else:
        inputs = "".join(json.dumps(dict(zip(FEATURES, map(float, row)))) + "\n" for row in rows)
        outputs = "".join(json.dumps({"prediction": int(p), "SageMakerInferenceId": i,
                                      "SageMakerInferenceTime": started}) + "\n" for p, i in zip(predictions, ids))
        name = "part-0.jsonl"
    s3.put_object(Bucket=bucket, Key=f"transform-data/{job}/in/{name}", Body=inputs.encode())
    s3.put_object(Bucket=bucket, Key=f"transform-data/{job}/out/{name}.out", Body=outputs.encode())
    for kind, prefix, file in (("input", "in", name), ("output", "out", f"{name}.out")):
        manifest = serialize_manifest(BatchManifest(f"s3://{bucket}/transform-data/{job}/{prefix}/", (file,)))
        s3.put_object(Bucket=bucket, Key=f"{destination}/{kind}/{now:%Y/%m/%d/%H}/{job}.jsonl",
                      Body=manifest.encode())
    return ids, now.replace(minute=0, second=0, microsecond=0)


def upload_ground_truth(s3, bucket, ids, labels):
    prefix, now = f"ground-truth/{uuid.uuid4().hex[:6]}", datetime.now(timezone.utc)
    body = "".join(json.dumps({"groundTruthData": {"data": str(int(y)), "encoding": "CSV"},
                               "eventMetadata": {"eventId": i}, "eventVersion": "0"}) + "\n"
                   for i, y in zip(ids, labels))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/{now:%Y/%m/%d/%H}/{now:%M%S}.jsonl", Body=body.encode())
    return f"s3://{bucket}/{prefix}"


def processing_job(sagemaker, bucket, name, image, data_key, *, environment=None, config_key=None):
    """A baselining processing job over ``s3://bucket/<data_key>``; its results folder."""
    results = f"s3://{bucket}/baselining/{name}/results"
    inputs = [{"InputName": "dataset" if config_key else "baseline_dataset_input", "S3Input": {
        "S3Uri": f"s3://{bucket}/{data_key}", "S3DataType": "S3Prefix",
        "LocalPath": "/opt/ml/processing/input/data" if config_key
        else "/opt/ml/processing/input/baseline_dataset_input"}}]
    if config_key:
        inputs.insert(0, {"InputName": "analysis_config", "S3Input": {
            "S3Uri": f"s3://{bucket}/{config_key}", "S3DataType": "S3Prefix",
            "LocalPath": "/opt/ml/processing/input/config"}})
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=CLUSTER, AppSpecification={"ImageUri": image},
        ProcessingInputs=inputs, Environment=environment or {},
        ProcessingOutputConfig={"Outputs": [{"OutputName": "result", "S3Output": {
            "S3Uri": results, "LocalPath": OUTPUT, "S3UploadMode": "EndOfJob"}}]})
    job = wait_for_job(sagemaker, name)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    return results


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_bucket(aws_client):
    s3 = aws_client("s3")
    name = f"sw-batchmon-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def monitor(aws_client, endpoint_url, module_bucket):
    """``monitor(monitoring_type, app, job_input, baseline)``: a job definition with *job_input*, an hourly
    schedule, and the execution of the next hour run now; returns (schedule, execution summary, scheduled time).
    Deletes what it made."""
    sagemaker, made = aws_client("sagemaker"), []
    snake = {"DataQuality": "data_quality", "ModelQuality": "model_quality", "ModelBias": "model_bias",
             "ModelExplainability": "model_explainability"}

    def run(monitoring_type, app, job_input, baseline):
        definition = f"sw-bm-{snake[monitoring_type].replace('_', '-')}-{uuid.uuid4().hex[:8]}"
        schedule = f"sw-bm-schedule-{uuid.uuid4().hex[:8]}"
        getattr(sagemaker, f"create_{snake[monitoring_type]}_job_definition")(**{
            "JobDefinitionName": definition, "RoleArn": ROLE, "JobResources": CLUSTER,
            f"{monitoring_type}AppSpecification": {"Environment": {"publish_cloudwatch_metrics": "Enabled"}, **app},
            f"{monitoring_type}BaselineConfig": baseline, f"{monitoring_type}JobInput": job_input,
            f"{monitoring_type}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                "S3Uri": f"s3://{module_bucket}/reports", "LocalPath": OUTPUT, "S3UploadMode": "EndOfJob"}}]},
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800}})
        made.append((snake[monitoring_type], definition, schedule))
        sagemaker.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": definition, "MonitoringType": monitoring_type})
        scheduled = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        status, summary = run_now(endpoint_url, schedule, scheduled)
        assert status == 200, summary
        return schedule, wait_for_execution(sagemaker, schedule), scheduled

    yield run
    for kind, definition, schedule in made:
        for call in (lambda: sagemaker.delete_monitoring_schedule(MonitoringScheduleName=schedule),
                     lambda: getattr(sagemaker, f"delete_{kind}_job_definition")(JobDefinitionName=definition)):
            try:
                call()
                time.sleep(0.2)
            except Exception:  # noqa: BLE001 - cleanup
                pass


def batch_input(bucket, destination, dataset_format, **attributes):
    return {"DataCapturedDestinationS3Uri": f"s3://{bucket}/{destination}", "LocalPath": LOCAL,
            "DatasetFormat": dataset_format, **attributes}


def report_keys(s3, bucket, schedule, scheduled):
    prefix = f"reports/{schedule}/{scheduled:%Y/%m/%d/%H}/"
    return {o["Key"][len(prefix):] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}


# --- the four monitors ----------------------------------------------------------------------------------------


def test_data_quality_over_transform_inputs_finds_the_drifted_feature(aws_client, module_bucket, monitor):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    rng = np.random.default_rng(1)
    baseline_rows = rng.normal(size=(300, 4))
    s3.put_object(Bucket=module_bucket, Key="dq-baseline/train.csv", Body=csv_lines(baseline_rows).encode())
    results = processing_job(sagemaker, module_bucket, f"sw-bm-dq-baseline-{uuid.uuid4().hex[:8]}", ANALYZER,
                             "dq-baseline", environment={
                                 "dataset_format": '{"csv": {"header": false}}',
                                 "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                                 "output_path": OUTPUT, "publish_cloudwatch_metrics": "Disabled"})
    rows = rng.normal(size=(ROWS, 4))
    rows[:, 1] += 8.0  # the second column drifted
    write_transform_capture(s3, module_bucket, "dq-capture", rows, truth(rows))
    schedule, execution, scheduled = monitor(
        "DataQuality", {"ImageUri": ANALYZER},
        {"BatchTransformInput": batch_input(module_bucket, "dq-capture", {"Csv": {"Header": False}})},
        {"ConstraintsResource": {"S3Uri": f"{results}/constraints.json"},
         "StatisticsResource": {"S3Uri": f"{results}/statistics.json"}})
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
    job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    assert job["Environment"]["dataset_format"] == '{"csv":{"header":false}}'
    assert "sagemaker_endpoint_name" not in job["Environment"]
    assert {i["S3Input"]["S3DataType"] for i in job["ProcessingInputs"] if i["InputName"].startswith("input_")} \
        == {"ManifestFile"}
    assert {"statistics.json", "constraint_violations.json"} <= report_keys(s3, module_bucket, schedule, scheduled)
    statistics = read_json(s3, module_bucket, f"reports/{schedule}/{scheduled:%Y/%m/%d/%H}/statistics.json")
    assert statistics["dataset"]["item_count"] == ROWS
    violations = read_json(s3, module_bucket,
                           f"reports/{schedule}/{scheduled:%Y/%m/%d/%H}/constraint_violations.json")["violations"]
    assert {(v["feature_name"], v["constraint_check_type"]) for v in violations} == {("_c1", "baseline_drift_check")}
    metrics = batch_metrics(aws_client("cloudwatch"), "data-metrics", schedule)
    assert all(m["Dimensions"] == [{"Name": "MonitoringSchedule", "Value": schedule}] for m in metrics)
    assert "feature_baseline_drift__c1" in {m["MetricName"] for m in metrics}


def test_model_quality_joins_out_records_to_ground_truth_by_inference_id(aws_client, module_bucket, monitor):
    s3 = aws_client("s3")
    rows = np.random.default_rng(2).normal(size=(ROWS, 4))
    labels = truth(rows)
    predictions = np.where(np.arange(ROWS) < ROWS // 2, 1 - labels, labels)  # right half of the time
    ids, _ = write_transform_capture(s3, module_bucket, "mq-capture", rows, predictions, fmt="json")
    gt = upload_ground_truth(s3, module_bucket, ids, labels)
    s3.put_object(Bucket=module_bucket, Key="mq-baseline/constraints.json", Body=json.dumps({
        "version": 0.0, "binary_classification_constraints": {
            "accuracy": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"}}}).encode())
    schedule, execution, scheduled = monitor(
        "ModelQuality", {"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        {"BatchTransformInput": batch_input(module_bucket, "mq-capture", {"Json": {"Line": True}},
                                            InferenceAttribute="prediction"),
         "GroundTruthS3Input": {"S3Uri": gt}},
        {"ConstraintsResource": {"S3Uri": f"s3://{module_bucket}/mq-baseline/constraints.json"}})
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
    folder = f"reports/{schedule}/{scheduled:%Y/%m/%d/%H}"
    statistics = read_json(s3, module_bucket, f"{folder}/statistics.json")
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] == 0.5
    violations = read_json(s3, module_bucket, f"{folder}/constraint_violations.json")["violations"]
    assert [v["metric_name"] for v in violations] == ["accuracy"]
    metrics = batch_metrics(aws_client("cloudwatch"), "model-metrics", schedule)
    assert all(m["Dimensions"] == [{"Name": "MonitoringSchedule", "Value": schedule}] for m in metrics)
    assert "accuracy" in {m["MetricName"] for m in metrics}


BIAS = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "x3", "value_or_threshold": [0]}],
        "methods": {"post_training_bias": {"methods": ["DPPL", "DI"]}}}


def test_model_bias_finds_predictions_turned_against_a_group(aws_client, module_bucket, monitor):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    rng = np.random.default_rng(3)
    base = rng.normal(size=(200, 4))
    body = "".join(f"{line.strip()},{y},{y}\n" for line, y in zip(csv_lines(base).splitlines(), truth(base)))
    s3.put_object(Bucket=module_bucket, Key="mb-baseline-data/rows.csv", Body=body.encode())
    s3.put_object(Bucket=module_bucket, Key="mb-baseline-config/analysis_config.json", Body=json.dumps({
        "dataset_type": "text/csv", "headers": FEATURES + ["label", "prediction"], "label": "label",
        "predicted_label": "prediction", **BIAS}).encode())
    results = processing_job(sagemaker, module_bucket, f"sw-bm-mb-baseline-{uuid.uuid4().hex[:8]}", CLARIFY,
                             "mb-baseline-data", environment={"analysis_type": "MODEL_BIAS"},
                             config_key="mb-baseline-config/analysis_config.json")
    s3.put_object(Bucket=module_bucket, Key="mb-config/analysis_config.json", Body=json.dumps({
        "headers": FEATURES + ["label"], "label": "label", **BIAS}).encode())
    rows = rng.normal(size=(ROWS, 4))
    labels = truth(rows)
    predictions = np.where(rows[:, 3] > 0, 0, 1)  # the group x3 > 0 never gets the positive label
    ids, _ = write_transform_capture(s3, module_bucket, "mb-capture", rows, predictions)
    gt = upload_ground_truth(s3, module_bucket, ids, labels)
    schedule, execution, scheduled = monitor(
        "ModelBias", {"ImageUri": CLARIFY, "ConfigUri": f"s3://{module_bucket}/mb-config/analysis_config.json"},
        {"BatchTransformInput": batch_input(module_bucket, "mb-capture", {"Csv": {"Header": False}},
                                            InferenceAttribute="0"),
         "GroundTruthS3Input": {"S3Uri": gt}},
        {"ConstraintsResource": {"S3Uri": f"{results}/analysis.json"}})
    folder = f"reports/{schedule}/{scheduled:%Y/%m/%d/%H}"
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", (
        execution.get("FailureReason"), json.dumps(read_json(s3, module_bucket, f"{folder}/analysis.json")),
        json.dumps(read_json(s3, module_bucket, f"{results[len(f's3://{module_bucket}/'):]}/analysis.json")))
    assert {"analysis.json", "constraint_violations.json"} <= report_keys(s3, module_bucket, schedule, scheduled)
    violations = read_json(s3, module_bucket, f"{folder}/constraint_violations.json")["violations"]
    assert {v["metric_name"] for v in violations} & {"DPPL", "DI"}
    metrics = batch_metrics(aws_client("cloudwatch"), "bias-metrics", schedule)
    assert all({"Name": "MonitoringSchedule", "Value": schedule} in m["Dimensions"]
               and "Endpoint" not in {d["Name"] for d in m["Dimensions"]} for m in metrics)


def test_model_explainability_explains_the_transform_inputs_through_the_configs_model(aws_client, module_bucket,
                                                                                      monitor):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    deployer = Deployer(aws_client, module_bucket, lambda prefix: f"sw-bm-{prefix}-{uuid.uuid4().hex[:8]}")
    try:
        model = deployer.model(trained_model_tarball())
        shap = {"methods": {"shap": {"baseline": [[0.0, 0.0, 0.0, 0.0]], "num_samples": 64,
                                     "agg_method": "mean_abs", "seed": 7}},
                "predictor": {"model_name": model, "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                              "content_type": "text/csv", "accept_type": "text/csv"},
                "headers": FEATURES}
        rows = np.random.default_rng(4).normal(size=(40, 4))
        s3.put_object(Bucket=module_bucket, Key="me-baseline-data/rows.csv", Body=csv_lines(rows).encode())
        s3.put_object(Bucket=module_bucket, Key="me-baseline-config/analysis_config.json",
                      Body=json.dumps({"dataset_type": "text/csv", **shap}).encode())
        results = processing_job(sagemaker, module_bucket, f"sw-bm-me-baseline-{uuid.uuid4().hex[:8]}", CLARIFY,
                                 "me-baseline-data", config_key="me-baseline-config/analysis_config.json")
        analysis = read_json(s3, module_bucket, f"{results[len(f's3://{module_bucket}/'):]}/analysis.json")
        values = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
        ranked = sorted(values, key=values.get)
        drifted = {**analysis, "explanations": {"kernel_shap": {"label0": {
            **analysis["explanations"]["kernel_shap"]["label0"],
            "global_shap_values": dict(zip(ranked, sorted(values.values(), reverse=True)))}}}}
        s3.put_object(Bucket=module_bucket, Key="me-drifted/analysis.json", Body=json.dumps(drifted).encode())
        s3.put_object(Bucket=module_bucket, Key="me-config/analysis_config.json", Body=json.dumps(shap).encode())
        write_transform_capture(s3, module_bucket, "me-capture", rows, truth(rows))
        schedule, execution, scheduled = monitor(
            "ModelExplainability",
            {"ImageUri": CLARIFY, "ConfigUri": f"s3://{module_bucket}/me-config/analysis_config.json"},
            {"BatchTransformInput": batch_input(module_bucket, "me-capture", {"Csv": {"Header": False}})},
            {"ConstraintsResource": {"S3Uri": f"s3://{module_bucket}/me-drifted/analysis.json"}})
        assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
        folder = f"reports/{schedule}/{scheduled:%Y/%m/%d/%H}"
        current = read_json(s3, module_bucket, f"{folder}/analysis.json")
        assert set(current["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == set(FEATURES)
        violations = read_json(s3, module_bucket, f"{folder}/constraint_violations.json")["violations"]
        assert [v["constraint_check_type"] for v in violations] == ["feature_attribution_drift_check"]
        metrics = batch_metrics(aws_client("cloudwatch"), "explainability-metrics", schedule)
        assert all("Endpoint" not in {d["Name"] for d in m["Dimensions"]} for m in metrics)
    finally:
        deployer.cleanup()


def test_no_manifest_in_the_window_fails_the_execution_saying_where_it_looked(aws_client, module_bucket, monitor):
    _, execution, _ = monitor(
        "DataQuality", {"ImageUri": ANALYZER},
        {"BatchTransformInput": batch_input(module_bucket, "never-captured", {"Csv": {"Header": False}})}, {})
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert execution["FailureReason"].startswith("Job inputs had no data: no batch-transform capture manifest")
    assert f"s3://{module_bucket}/never-captured/input/yyyy/mm/dd/hh/" in execution["FailureReason"]
