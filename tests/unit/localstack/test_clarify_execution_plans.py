"""Model-bias and model-explainability executions in the emulator: the plans, the Clarify requests, the chain."""

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
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
LOCAL = "/opt/ml/processing/input/endpoint"
SCHEDULED = datetime(2024, 5, 1, 11, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class Aws:
    """Captures of endpoint ep in 10:00 and 11:00, ground truth in the hour folders of *truth_hours*."""

    def __init__(self, truth_hours=(10, 11)):
        self.truth_hours = truth_hours

    def describe_endpoint(self, name):
        return {"EndpointName": name, "DataCaptureConfig": {"DestinationS3Uri": "s3://b/capture"}} \
            if name == "ep" else None

    def list_folders(self, bucket, prefix):
        return [prefix + "AllTraffic/"] if prefix == "capture/ep/" else []

    def any_object(self, bucket, prefix):
        captured = prefix in ("capture/ep/AllTraffic/2024/05/01/10/", "capture/ep/AllTraffic/2024/05/01/11/")
        return captured or any(prefix == f"gt/2024/05/01/{hour:02d}/" for hour in self.truth_hours)


class Processing:
    """Jobs end as *outcomes* says, by job-name prefix: ``{prefix: (status, exit message, failure reason)}``."""

    def __init__(self, outcomes, aws=None, jobs=None):
        self.outcomes, self.requests, self._aws, self.jobs = outcomes, [], aws or Aws(), jobs or {}

    def aws(self, account_id, region):
        return self._aws

    def find(self, account_id, region, name):
        return self.jobs.get(name)

    def create_job(self, account_id, region, request, *, monitoring_schedule_arn, listener):
        self.requests.append(request)
        name = request["ProcessingJobName"]
        job = SimpleNamespace(name=name, arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}",
                              status="InProgress", exit_message=None, failure_reason=None)
        listener(job)
        status, message, reason = next(v for k, v in self.outcomes.items() if name.startswith(k))
        job.status, job.exit_message, job.failure_reason = status, message, reason
        listener(job)
        return job


def definition_request(monitoring_type, *, baseline=None, app=None, **endpoint):
    request = {
        "JobDefinitionName": "def", "RoleArn": ROLE, "JobResources": CLUSTER,
        f"{monitoring_type}AppSpecification": {"ImageUri": CLARIFY, "ConfigUri": "s3://b/config/analysis_config.json",
                                               "Environment": {"publish_cloudwatch_metrics": "Enabled"},
                                               **(app or {})},
        f"{monitoring_type}BaselineConfig": baseline if baseline is not None else {
            "ConstraintsResource": {"S3Uri": "s3://b/base/analysis.json"}},
        f"{monitoring_type}JobInput": {"EndpointInput": {"EndpointName": "ep", "LocalPath": LOCAL, **endpoint}},
        f"{monitoring_type}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": "s3://b/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
    }
    if monitoring_type == "ModelBias":
        request["ModelBiasJobInput"]["GroundTruthS3Input"] = {"S3Uri": "s3://b/gt"}
    if not request[f"{monitoring_type}BaselineConfig"]:
        del request[f"{monitoring_type}BaselineConfig"]
    return request


def run_execution(processing, monitoring_type, *, scheduled=SCHEDULED, **definition):
    clock = Clock(scheduled)
    jobdefs = JobDefinitionService(clock)
    jobdefs.create(ACCOUNT, REGION, KINDS[monitoring_type], definition_request(monitoring_type, **definition))
    monitoring = MonitoringService(jobdefs, lambda *args: None, clock)
    monitoring.handle_create(CONTEXT, {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT2H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": "def", "MonitoringType": monitoring_type}})
    schedule = monitoring.get(ACCOUNT, REGION, "s")
    execution = monitoring.start_execution(schedule, scheduled)
    ExecutionLauncher(processing).run(monitoring, schedule, execution)
    return execution


DONE = ("Completed", "Completed: Merged 5 records.", None)
VIOLATIONS = ("Completed", "CompletedWithViolations: Job completed successfully with 3 violations.", None)


def inputs_of(request):
    return [(i["InputName"], i["S3Input"]["S3Uri"], i["S3Input"]["LocalPath"]) for i in request["ProcessingInputs"]]


def test_a_model_bias_execution_is_the_merge_job_then_the_clarify_job():
    processing = Processing({"groundtruth-merge-": DONE, "model-bias-monitoring-": VIOLATIONS})
    execution = run_execution(processing, "ModelBias", FeaturesAttribute="features", InferenceAttribute="0",
                              ProbabilityAttribute="1", ProbabilityThresholdAttribute=0.6)
    merge, clarify = processing.requests
    merge_name, token = merge["ProcessingJobName"], merge["ProcessingJobName"].rsplit("-", 1)[1]
    assert merge_name.startswith("groundtruth-merge-202405011130-")
    assert clarify["ProcessingJobName"] == f"model-bias-monitoring-202405011130-{token}"
    # the merger next to the Clarify image, reading the captures and the ground truth as for model quality
    assert merge["AppSpecification"] == {
        "ImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"}
    assert [name for name, _, _ in inputs_of(merge)] == [
        "groundtruth_input_1", "groundtruth_input_2", "endpoint_input_1", "endpoint_input_2"]
    assert inputs_of(clarify) == [
        ("analysis_config", "s3://b/config/analysis_config.json", "/opt/ml/processing/input/config"),
        ("endpoint_input_1", f"s3://b/reports/merge/ep/AllTraffic/2024/05/01/10/{merge_name}",
         f"{LOCAL}/ep/AllTraffic/2024/05/01/10"),
        ("endpoint_input_2", f"s3://b/reports/merge/ep/AllTraffic/2024/05/01/11/{merge_name}",
         f"{LOCAL}/ep/AllTraffic/2024/05/01/11"),
        ("merge_report", f"s3://b/reports/merge/sagewatch-merge-reports/{merge_name}.json",
         "/opt/ml/processing/merge_report"),
        ("baseline", "s3://b/base/analysis.json", "/opt/ml/processing/baseline/constraints")]
    assert clarify["Environment"] == {
        "publish_cloudwatch_metrics": "Enabled", "analysis_type": "MODEL_BIAS",
        "analysis_config": "/opt/ml/processing/input/config/analysis_config.json",
        "dataset_format": '{"sagemakerMergeJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}',
        "dataset_source": LOCAL, "output_path": "/opt/ml/processing/output",
        "sagemaker_endpoint_name": "ep", "sagemaker_monitoring_schedule_name": "s",
        "endpoint_name": "ep", "monitoring_schedule_name": "s",
        "start_time": "2024-05-01T09:30:00Z", "end_time": "2024-05-01T11:30:00Z",
        "metric_time": "2024-05-01T09:30:00Z",
        "sagewatch_merge_report": f"/opt/ml/processing/merge_report/{merge_name}.json",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/analysis.json",
        "features_attribute": "features", "inference_attribute": "0", "probability_attribute": "1",
        "probability_threshold_attribute": "0.6"}
    assert clarify["AppSpecification"] == {"ImageUri": CLARIFY}
    assert clarify["ProcessingOutputConfig"]["Outputs"] == [{"OutputName": "result", "S3Output": {
        "S3Uri": "s3://b/reports/ep/s/2024/05/01/11", "LocalPath": "/opt/ml/processing/output",
        "S3UploadMode": "Continuous"}}]
    assert (execution.status, execution.processing_job_name) == ("CompletedWithViolations",
                                                                 clarify["ProcessingJobName"])
    assert execution.summary()["MonitoringType"] == "ModelBias"


def test_a_model_explainability_execution_is_one_clarify_job_on_the_captures():
    processing = Processing({"model-explainability-monitoring-": ("Completed", "Completed: Job completed "
                                                                   "successfully with no violations.", None)})
    execution = run_execution(processing, "ModelExplainability", FeaturesAttribute="features")
    (clarify,) = processing.requests
    name = clarify["ProcessingJobName"]
    assert name.startswith("model-explainability-monitoring-202405011130-") and len(name) == 63
    assert inputs_of(clarify) == [
        ("analysis_config", "s3://b/config/analysis_config.json", "/opt/ml/processing/input/config"),
        ("endpoint_input_1", "s3://b/capture/ep/AllTraffic/2024/05/01/10", f"{LOCAL}/ep/AllTraffic/2024/05/01/10"),
        ("endpoint_input_2", "s3://b/capture/ep/AllTraffic/2024/05/01/11", f"{LOCAL}/ep/AllTraffic/2024/05/01/11"),
        ("baseline", "s3://b/base/analysis.json", "/opt/ml/processing/baseline/constraints")]
    environment = clarify["Environment"]
    assert environment["analysis_type"] == "MODEL_EXPLAINABILITY"
    assert environment["dataset_format"] == contract.CAPTURE_DATASET_FORMAT
    assert environment["dataset_source"] == LOCAL
    assert environment["features_attribute"] == "features"
    assert "sagewatch_merge_report" not in environment and "inference_attribute" not in environment
    assert (execution.status, execution.summary()["MonitoringType"]) == ("Completed", "ModelExplainability")


@pytest.mark.parametrize("monitoring_type, prefix", [("ModelBias", "model-bias-monitoring-"),
                                                     ("ModelExplainability", "model-explainability-monitoring-")])
def test_a_baselining_job_name_alone_points_at_its_analysis_json(monitoring_type, prefix):
    job = SimpleNamespace(request={"ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result",
                                                                           "S3Output": {"S3Uri": "s3://b/bl/out"}}]}})
    processing = Processing({"groundtruth-merge-": DONE, prefix: DONE}, jobs={"bl-job": job})
    run_execution(processing, monitoring_type, baseline={"BaseliningJobName": "bl-job"})
    clarify = processing.requests[-1]
    assert ("baseline", "s3://b/bl/out/analysis.json", "/opt/ml/processing/baseline/constraints") \
        in inputs_of(clarify)


def test_without_a_baseline_the_clarify_job_only_measures():
    processing = Processing({"groundtruth-merge-": DONE, "model-bias-monitoring-": DONE})
    run_execution(processing, "ModelBias", baseline={})
    clarify = processing.requests[-1]
    assert "baseline_constraints" not in clarify["Environment"]
    assert "baseline" not in [name for name, _, _ in inputs_of(clarify)]


def test_a_failed_merge_fails_the_bias_execution_with_its_reason():
    reason = "ClientError: No ground truth to merge: no usable ground-truth record under s3://b/gt (0 labels)"
    processing = Processing({"groundtruth-merge-": ("Failed", reason, reason)}, Aws(truth_hours=()))
    execution = run_execution(processing, "ModelBias")
    (merge,) = processing.requests
    assert [name for name, _, _ in inputs_of(merge)] == ["endpoint_input_1", "endpoint_input_2"]
    assert (execution.status, execution.failure_reason) == ("Failed", reason)


@pytest.mark.parametrize("monitoring_type", ["ModelBias", "ModelExplainability"])
def test_no_captures_fails_before_any_job(monitoring_type):
    processing = Processing({})
    execution = run_execution(processing, monitoring_type, scheduled=datetime(2024, 5, 1, 15, tzinfo=UTC))
    assert processing.requests == [] and execution.status == "Failed"
    assert execution.failure_reason.startswith("Job inputs had no data: no captured data for endpoint ep between "
                                               "2024-05-01T13:00:00Z and 2024-05-01T15:00:00Z")


@pytest.mark.parametrize("monitoring_type", ["ModelBias", "ModelExplainability"])
def test_the_contract_refuses_a_clarify_plan_without_its_config(monitoring_type):
    plan = contract.ExecutionPlan(
        monitoring_type=monitoring_type, job_name="j", endpoint_name="ep", schedule_name="s", scheduled=SCHEDULED,
        window=contract.AnalysisWindow(SCHEDULED, SCHEDULED), captures=(), output_s3_uri="s3://b/r",
        app_specification={"ImageUri": CLARIFY}, cluster_config={}, role_arn="r", merge_job_name="m")
    with pytest.raises(contract.InvalidParameterError, match=f"{monitoring_type}AppSpecification.ConfigUri"):
        contract.job_requests(plan)


def test_a_config_uri_of_another_file_name_is_named_in_the_environment():
    plan = contract.ExecutionPlan(
        monitoring_type="ModelExplainability", job_name="j", endpoint_name="ep", schedule_name="s",
        scheduled=SCHEDULED, window=contract.AnalysisWindow(SCHEDULED, SCHEDULED), captures=(),
        output_s3_uri="s3://b/r", app_specification={"ImageUri": CLARIFY}, cluster_config={}, role_arn="r",
        config_uri="s3://b/cfg/explain.json")
    assert contract.job_request(plan)["Environment"]["analysis_config"] == \
        "/opt/ml/processing/input/config/explain.json"
