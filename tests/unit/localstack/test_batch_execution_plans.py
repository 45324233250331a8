"""Monitoring executions of ``BatchTransformInput`` job definitions in the emulator, for all four monitoring types:
the capture manifests of the window (contract §1.4) as ``ManifestFile`` inputs, the batch ``dataset_format``
(§4.2), no endpoint, the report at ``<S3Uri>/<schedule>/yyyy/mm/dd/hh`` (§12)."""

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from sagewatch.job import execution_contract as contract
from sagewatch.localstack.sagemaker.monitoring.executions.launcher import ExecutionLauncher
from sagewatch.localstack.sagemaker.monitoring.jobdefs import KINDS, JobDefinitionService
from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringService

UTC = timezone.utc
ACCOUNT, REGION = "000000000000", "us-east-1"
CONTEXT = SimpleNamespace(account_id=ACCOUNT, region=REGION)
ROLE = "arn:aws:iam::000000000000:role/r"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
LOCAL = "/opt/ml/processing/data"
SCHEDULED = datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
DONE = ("Completed", "Completed: Job completed successfully with no violations.", None)
# the manifests a transform with data capture wrote: hour 10 (input and output), hour 08 outside the window
OBJECTS = {
    "cap/input/2024/05/01/10/job-a.jsonl", "cap/output/2024/05/01/10/job-a.jsonl",
    "cap/input/2024/05/01/11/job-b.jsonl", "cap/output/2024/05/01/11/job-b.jsonl",
    "cap/input/2024/05/01/08/old.jsonl", "cap/input/2024/05/01/10/nested/not-a-manifest.jsonl",
    "gt/2024/05/01/11/labels.jsonl",
}


class Aws:
    def __init__(self, objects=OBJECTS):
        self.objects = objects

    def list_objects(self, bucket, prefix):
        assert bucket == "b"
        return [(key, 1) for key in sorted(self.objects) if key.startswith(prefix)]

    def any_object(self, bucket, prefix):
        return any(key.startswith(prefix) for key in self.objects)

    def describe_endpoint(self, name):  # a batch input names no endpoint: never asked
        raise AssertionError(f"DescribeEndpoint({name}) for a batch-transform input")


class Processing:
    def __init__(self, aws=None):
        self.requests, self._aws = [], aws or Aws()

    def aws(self, account_id, region):
        return self._aws

    def find(self, account_id, region, name):
        return None

    def create_job(self, account_id, region, request, *, monitoring_schedule_arn, listener):
        self.requests.append(request)
        name = request["ProcessingJobName"]
        job = SimpleNamespace(name=name, arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}",
                              status="Completed", exit_message=DONE[1], failure_reason=None)
        listener(job)
        return job


def definition_request(monitoring_type, dataset_format=None, **batch):
    clarify = monitoring_type in ("ModelBias", "ModelExplainability")
    app = {"ImageUri": CLARIFY if clarify else ANALYZER, "Environment": {"publish_cloudwatch_metrics": "Enabled"}}
    if clarify:
        app["ConfigUri"] = "s3://b/config/analysis_config.json"
    if monitoring_type == "ModelQuality":
        app["ProblemType"] = "BinaryClassification"
    request = {
        "JobDefinitionName": "def", "RoleArn": ROLE, "JobResources": CLUSTER,
        f"{monitoring_type}AppSpecification": app,
        f"{monitoring_type}JobInput": {"BatchTransformInput": {
            "DataCapturedDestinationS3Uri": "s3://b/cap", "LocalPath": LOCAL,
            "DatasetFormat": dataset_format or {"Csv": {"Header": False}}, **batch}},
        f"{monitoring_type}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": "s3://b/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
    }
    if monitoring_type in ("ModelQuality", "ModelBias"):
        request[f"{monitoring_type}JobInput"]["GroundTruthS3Input"] = {"S3Uri": "s3://b/gt"}
    return request


def run_execution(processing, monitoring_type, **definition):
    clock = SimpleNamespace(now=SCHEDULED)
    jobdefs = JobDefinitionService(lambda: clock.now)
    jobdefs.create(ACCOUNT, REGION, KINDS[monitoring_type], definition_request(monitoring_type, **definition))
    monitoring = MonitoringService(jobdefs, lambda *args: None, lambda: clock.now)
    monitoring.handle_create(CONTEXT, {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT2H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": "def", "MonitoringType": monitoring_type}})
    schedule = monitoring.get(ACCOUNT, REGION, "s")
    execution = monitoring.start_execution(schedule, SCHEDULED)
    ExecutionLauncher(processing).run(monitoring, schedule, execution)
    return execution


def inputs_of(request):
    return [(i["InputName"], i["S3Input"]["S3Uri"], i["S3Input"]["LocalPath"], i["S3Input"]["S3DataType"])
            for i in request["ProcessingInputs"]]


INPUT_MANIFESTS = [
    ("input_manifest_1", "s3://b/cap/input/2024/05/01/10/job-a.jsonl", f"{LOCAL}/input/2024/05/01/10/job-a",
     "ManifestFile"),
    ("input_manifest_2", "s3://b/cap/input/2024/05/01/11/job-b.jsonl", f"{LOCAL}/input/2024/05/01/11/job-b",
     "ManifestFile")]
REPORT = [{"OutputName": "result", "S3Output": {"S3Uri": "s3://b/reports/s/2024/05/01/11",
                                                "LocalPath": "/opt/ml/processing/output",
                                                "S3UploadMode": "Continuous"}}]
WINDOW = {"start_time": "2024-05-01T09:30:00Z", "end_time": "2024-05-01T11:30:00Z",
          "metric_time": "2024-05-01T09:30:00Z"}


def test_a_data_quality_execution_reads_the_transform_inputs_named_by_the_manifests():
    processing = Processing()
    execution = run_execution(processing, "DataQuality", dataset_format={"Csv": {"Header": True}})
    (job,) = processing.requests
    assert inputs_of(job) == INPUT_MANIFESTS
    assert job["Environment"] == {
        "publish_cloudwatch_metrics": "Enabled", "dataset_format": '{"csv":{"header":true}}',
        "dataset_source": LOCAL, "output_path": "/opt/ml/processing/output",
        "monitoring_input_type": "BATCH_TRANSFORM_INPUT", "sagemaker_monitoring_schedule_name": "s", **WINDOW}
    assert job["ProcessingOutputConfig"]["Outputs"] == REPORT
    assert (execution.status, execution.failure_reason) == ("Completed", None)


def test_a_model_quality_execution_merges_the_out_files_with_ground_truth():
    processing = Processing()
    execution = run_execution(processing, "ModelQuality", dataset_format={"Json": {"Line": True}},
                              InferenceAttribute="prediction", ProbabilityAttribute="probability",
                              ProbabilityThresholdAttribute=0.5)
    merge, analysis = processing.requests
    merge_name = merge["ProcessingJobName"]
    assert inputs_of(merge) == [
        ("groundtruth_input_1", "s3://b/gt/2024/05/01/11", "/opt/ml/processing/groundtruth/2024/05/01/11",
         "S3Prefix"),
        ("output_manifest_1", "s3://b/cap/output/2024/05/01/10/job-a.jsonl",
         "/opt/ml/processing/input_data/output/2024/05/01/10/job-a", "ManifestFile"),
        ("output_manifest_2", "s3://b/cap/output/2024/05/01/11/job-b.jsonl",
         "/opt/ml/processing/input_data/output/2024/05/01/11/job-b", "ManifestFile")]
    assert merge["Environment"]["dataset_format"] == '{"json":{"line":true}}'
    assert inputs_of(analysis)[:2] == [
        ("endpoint_input_1", f"s3://b/reports/merge/output/2024/05/01/10/job-a/{merge_name}",
         "/opt/ml/processing/input_data/output/2024/05/01/10/job-a", "S3Prefix"),
        ("endpoint_input_2", f"s3://b/reports/merge/output/2024/05/01/11/job-b/{merge_name}",
         "/opt/ml/processing/input_data/output/2024/05/01/11/job-b", "S3Prefix")]
    environment = analysis["Environment"]
    assert environment["dataset_format"] == contract.MERGE_DATASET_FORMAT
    assert "sagemaker_endpoint_name" not in environment
    assert (environment["inference_attribute"], environment["probability_attribute"],
            environment["probability_threshold_attribute"]) == ("prediction", "probability", "0.5")
    assert analysis["ProcessingOutputConfig"]["Outputs"] == REPORT
    assert execution.status == "Completed"


def test_a_model_bias_execution_merges_inputs_and_outputs_then_runs_clarify():
    processing = Processing()
    run_execution(processing, "ModelBias", FeaturesAttribute="features", InferenceAttribute="0")
    merge, clarify = processing.requests
    assert [name for name, *_ in inputs_of(merge)] == [
        "groundtruth_input_1", "input_manifest_1", "input_manifest_2", "output_manifest_1", "output_manifest_2"]
    assert inputs_of(merge)[1][2] == "/opt/ml/processing/input_data/input/2024/05/01/10/job-a"
    environment = clarify["Environment"]
    assert environment["dataset_format"] == contract.BIAS_DATASET_FORMAT
    assert environment["dataset_source"] == LOCAL
    assert "endpoint_name" not in environment and "sagemaker_endpoint_name" not in environment
    assert environment["monitoring_schedule_name"] == "s"
    assert (environment["features_attribute"], environment["inference_attribute"]) == ("features", "0")
    assert clarify["ProcessingOutputConfig"]["Outputs"] == REPORT


def test_a_model_explainability_execution_explains_the_transform_inputs():
    processing = Processing()
    run_execution(processing, "ModelExplainability")
    (clarify,) = processing.requests
    assert inputs_of(clarify) == [("analysis_config", "s3://b/config/analysis_config.json",
                                   "/opt/ml/processing/input/config", "S3Prefix"), *INPUT_MANIFESTS]
    environment = clarify["Environment"]
    assert environment["dataset_format"] == '{"csv":{"header":false}}'
    assert environment["analysis_type"] == "MODEL_EXPLAINABILITY"
    assert "endpoint_name" not in environment and "sagemaker_endpoint_name" not in environment
    assert clarify["ProcessingOutputConfig"]["Outputs"] == REPORT


@pytest.mark.parametrize("monitoring_type, kind", [("DataQuality", "input"), ("ModelQuality", "output"),
                                                   ("ModelBias", "input"), ("ModelExplainability", "input")])
def test_no_manifest_in_the_window_fails_without_a_job(monitoring_type, kind):
    processing = Processing(Aws({"cap/input/2024/05/01/08/old.jsonl", "cap/output/2024/05/01/08/old.jsonl"}))
    execution = run_execution(processing, monitoring_type)
    assert processing.requests == []
    assert execution.status == "Failed"
    assert execution.failure_reason.startswith(
        "Job inputs had no data: no batch-transform capture manifest between 2024-05-01T09:30:00Z and "
        f"2024-05-01T11:30:00Z under s3://b/cap/{kind}/yyyy/mm/dd/hh/")


def test_a_dataset_format_naming_two_formats_fails_the_execution():
    processing = Processing()
    execution = run_execution(processing, "DataQuality", dataset_format={"Csv": {}, "Parquet": {}})
    assert processing.requests == [] and execution.status == "Failed"
    assert execution.failure_reason.startswith(
        "ClientError: BatchTransformInput.DatasetFormat must name exactly one of Csv, Json and Parquet")


@pytest.mark.parametrize("given, expected", [
    ({"Csv": {"Header": False}}, '{"csv":{"header":false}}'), ({"Csv": {}}, '{"csv":{"header":false}}'),
    ({"csv": {"header": True}}, '{"csv":{"header":true}}'), ({"Json": {"Line": False}}, '{"json":{"line":false}}'),
    ({"json": {"lines": True}}, '{"json":{"line":true}}'), ({"Parquet": {}}, '{"parquet":{}}')])
def test_batch_dataset_format_reads_the_api_and_the_analyzer_spelling(given, expected):
    assert contract.batch_dataset_format(given) == expected


@pytest.mark.parametrize("given, message", [
    ({}, "must name exactly one of Csv, Json and Parquet"), ({"Csv": {"Header": "yes"}}, "Header must be true"),
    ({"Avro": {}}, "must name exactly one"), ("csv", "must be an object")])
def test_batch_dataset_format_rejects_what_it_cannot_read(given, message):
    with pytest.raises(contract.InvalidParameterError, match=message):
        contract.batch_dataset_format(given)
