"""Model-quality executions in the emulator: the plan, the merge and analysis requests, and the chain of jobs."""

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from sagewatch.job import execution_contract as contract
from sagewatch.localstack.sagemaker.monitoring.executions.launcher import ExecutionLauncher
from sagewatch.localstack.sagemaker.monitoring.jobdefs import KINDS, JobDefinitionService
from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringService
from sagewatch.localstack.sagemaker.processing.images import ImageMap, resolve_command

UTC = timezone.utc
ACCOUNT, REGION = "000000000000", "us-east-1"
CONTEXT = SimpleNamespace(account_id=ACCOUNT, region=REGION)
ROLE = "arn:aws:iam::000000000000:role/r"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


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
        truth = any(prefix == f"gt/2024/05/01/{hour:02d}/" for hour in self.truth_hours)
        return captured or truth


class Processing:
    """Jobs end as *outcomes* says, by job-name prefix: ``{prefix: (status, exit message, failure reason)}``."""

    def __init__(self, outcomes, aws=None):
        self.outcomes, self.requests, self._aws = outcomes, [], aws or Aws()

    def aws(self, account_id, region):
        return self._aws

    def find(self, account_id, region, name):
        return None

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


def definition_request(**endpoint):
    return {
        "JobDefinitionName": "mq", "RoleArn": ROLE, "JobResources": CLUSTER,
        "ModelQualityAppSpecification": {"ImageUri": ANALYZER, "ProblemType": "BinaryClassification",
                                         "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        "ModelQualityBaselineConfig": {"ConstraintsResource": {"S3Uri": "s3://b/base/constraints.json"}},
        "ModelQualityJobInput": {
            "EndpointInput": {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/input/endpoint",
                              "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5, **endpoint},
            "GroundTruthS3Input": {"S3Uri": "s3://b/gt"}},
        "ModelQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": "s3://b/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
    }


def run_execution(processing, *, schedule_config=None, scheduled=datetime(2024, 5, 1, 11, 30, tzinfo=UTC),
                  **endpoint):
    clock = Clock(scheduled)
    jobdefs = JobDefinitionService(clock)
    jobdefs.create(ACCOUNT, REGION, KINDS["ModelQuality"], definition_request(**endpoint))
    monitoring = MonitoringService(jobdefs, lambda *args: None, clock)
    monitoring.handle_create(CONTEXT, {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {
        "ScheduleConfig": schedule_config or {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT2H",
                                              "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": "mq", "MonitoringType": "ModelQuality"}})
    schedule = monitoring.get(ACCOUNT, REGION, "s")
    execution = monitoring.start_execution(schedule, scheduled)
    ExecutionLauncher(processing).run(monitoring, schedule, execution)
    return execution, monitoring


DONE = ("Completed", "Completed: Merged 5 records.", None)


def test_a_model_quality_execution_is_a_merge_job_then_the_analysis_job():
    processing = Processing({"groundtruth-merge-": DONE, "model-quality-monitoring-": (
        "Completed", "CompletedWithViolations: Job completed successfully with 2 violations.", None)})
    execution, monitoring = run_execution(processing)
    merge, analysis = processing.requests
    assert merge["ProcessingJobName"].startswith("groundtruth-merge-202405011130-")
    assert analysis["ProcessingJobName"] == "model-quality-monitoring-202405011130-" + \
        merge["ProcessingJobName"].rsplit("-", 1)[1]
    assert merge["AppSpecification"] == {
        "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"}
    assert merge["Environment"] == {"dataset_source": "/opt/ml/processing/input_data",
                                    "ground_truth_source": "/opt/ml/processing/groundtruth",
                                    "output_path": "/opt/ml/processing/output",
                                    "sagewatch_ground_truth_s3_uri": "s3://b/gt"}
    assert [(i["InputName"], i["S3Input"]["S3Uri"], i["S3Input"]["LocalPath"]) for i in merge["ProcessingInputs"]] == [
        ("groundtruth_input_1", "s3://b/gt/2024/05/01/10", "/opt/ml/processing/groundtruth/2024/05/01/10"),
        ("groundtruth_input_2", "s3://b/gt/2024/05/01/11", "/opt/ml/processing/groundtruth/2024/05/01/11"),
        ("endpoint_input_1", "s3://b/capture/ep/AllTraffic/2024/05/01/10",
         "/opt/ml/processing/input_data/ep/AllTraffic/2024/05/01/10"),
        ("endpoint_input_2", "s3://b/capture/ep/AllTraffic/2024/05/01/11",
         "/opt/ml/processing/input_data/ep/AllTraffic/2024/05/01/11")]
    assert merge["ProcessingOutputConfig"]["Outputs"] == [{"OutputName": "result", "S3Output": {
        "S3Uri": "s3://b/reports/merge", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]
    assert merge["StoppingCondition"] == analysis["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}

    merge_name = merge["ProcessingJobName"]
    assert [(i["InputName"], i["S3Input"]["S3Uri"], i["S3Input"]["LocalPath"])
            for i in analysis["ProcessingInputs"]] == [
        ("endpoint_input_1", f"s3://b/reports/merge/ep/AllTraffic/2024/05/01/10/{merge_name}",
         "/opt/ml/processing/input_data/ep/AllTraffic/2024/05/01/10"),
        ("endpoint_input_2", f"s3://b/reports/merge/ep/AllTraffic/2024/05/01/11/{merge_name}",
         "/opt/ml/processing/input_data/ep/AllTraffic/2024/05/01/11"),
        ("merge_report", f"s3://b/reports/merge/sagewatch-merge-reports/{merge_name}.json",
         "/opt/ml/processing/merge_report"),
        ("constraints", "s3://b/base/constraints.json", "/opt/ml/processing/baseline/constraints")]
    assert analysis["Environment"] == {
        "publish_cloudwatch_metrics": "Enabled", "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "dataset_format": '{"sagemakerMergeJson":{"captureIndexNames":["endpointOutput"]}}',
        "dataset_source": "/opt/ml/processing/input_data", "output_path": "/opt/ml/processing/output",
        "sagemaker_endpoint_name": "ep", "sagemaker_monitoring_schedule_name": "s",
        "start_time": "2024-05-01T09:30:00Z", "end_time": "2024-05-01T11:30:00Z",
        "metric_time": "2024-05-01T09:30:00Z",
        "sagewatch_merge_report": f"/opt/ml/processing/merge_report/{merge_name}.json",
        "probability_attribute": "0", "probability_threshold_attribute": "0.5",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json"}
    assert analysis["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == "s3://b/reports/ep/s/2024/05/01/11"
    assert analysis["AppSpecification"] == {"ImageUri": ANALYZER}
    assert execution.status == "CompletedWithViolations"
    assert execution.processing_job_name == analysis["ProcessingJobName"]
    assert execution.processing_job_arn.endswith("/" + analysis["ProcessingJobName"])
    assert execution.summary()["MonitoringType"] == "ModelQuality"


def test_a_failed_merge_fails_the_execution_with_its_reason_and_starts_no_analysis():
    reason = "ClientError: No ground truth to merge: no usable ground-truth record under s3://b/gt ..."
    processing = Processing({"groundtruth-merge-": ("Failed", reason, reason)})
    execution, _ = run_execution(processing)
    (merge,) = processing.requests
    assert (execution.status, execution.failure_reason) == ("Failed", reason)
    assert execution.processing_job_name == merge["ProcessingJobName"]


def test_a_stopped_merge_stops_the_execution():
    processing = Processing({"groundtruth-merge-": ("Stopped", None, None)})
    execution, _ = run_execution(processing)
    assert execution.status == "Stopped" and len(processing.requests) == 1


def test_ground_truth_hours_run_from_the_window_start_to_the_execution():
    """Labels are filed by the hour they were collected: an hour after the window still counts (contract §2.2)."""
    processing = Processing({"groundtruth-merge-": DONE, "model-quality-monitoring-": DONE}, Aws(truth_hours=(9, 12)))
    run_execution(processing, schedule_config={"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT3H",
                                               "DataAnalysisEndTime": "-PT1H"},
                  scheduled=datetime(2024, 5, 1, 12, 5, tzinfo=UTC))
    merge = processing.requests[0]
    assert [i["S3Input"]["S3Uri"] for i in merge["ProcessingInputs"] if i["InputName"].startswith("groundtruth")] == [
        "s3://b/gt/2024/05/01/09", "s3://b/gt/2024/05/01/12"]


def test_no_ground_truth_folders_still_runs_the_merge_which_says_so():
    """No ground-truth input: the merge job runs (and fails with the counts), as SageMaker's does."""
    processing = Processing({"groundtruth-merge-": ("Failed", "ClientError: No ground truth to merge", "x")},
                            Aws(truth_hours=()))
    execution, _ = run_execution(processing)
    (merge,) = processing.requests
    assert [i["InputName"] for i in merge["ProcessingInputs"]] == ["endpoint_input_1", "endpoint_input_2"]
    assert execution.status == "Failed"


def test_no_captures_fails_before_any_job():
    processing = Processing({})
    execution, _ = run_execution(processing, scheduled=datetime(2024, 5, 1, 15, tzinfo=UTC))
    assert processing.requests == []
    assert execution.status == "Failed"
    assert execution.failure_reason.startswith(
        "Job inputs had no data: no captured data for endpoint ep between 2024-05-01T13:00:00Z and "
        "2024-05-01T15:00:00Z under s3://b/capture/ep/, so there is nothing to merge with ground truth.")


def test_inference_attribute_and_offsets_of_the_endpoint_input():
    processing = Processing({"groundtruth-merge-": DONE, "model-quality-monitoring-": DONE})
    run_execution(processing, schedule_config={"ScheduleExpression": "cron(0 * ? * * *)"},
                  InferenceAttribute="prediction", StartTimeOffset="-PT2H", EndTimeOffset="-PT1H",
                  scheduled=datetime(2024, 5, 1, 12, tzinfo=UTC))
    environment = processing.requests[1]["Environment"]
    assert environment["inference_attribute"] == "prediction"
    assert (environment["start_time"], environment["end_time"]) == ("2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z")


def test_the_contract_refuses_a_model_quality_plan_without_its_merge_job():
    plan = contract.ExecutionPlan(
        monitoring_type="ModelQuality", job_name="j", endpoint_name="ep", schedule_name="s",
        scheduled=datetime(2024, 5, 1, 11, tzinfo=UTC),
        window=contract.AnalysisWindow(datetime(2024, 5, 1, 10, tzinfo=UTC), datetime(2024, 5, 1, 11, tzinfo=UTC)),
        captures=(), output_s3_uri="s3://b/r", app_specification={"ImageUri": "i"}, cluster_config={},
        role_arn="r", problem_type="Regression")
    with pytest.raises(contract.InvalidParameterError, match="needs merge_job_name"):
        contract.job_requests(plan)


@pytest.mark.parametrize("image", [
    "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger",
    "sagemaker-model-monitor-groundtruth-merger"])
def test_the_merger_image_runs_the_merge_module(image, tmp_path):
    assert resolve_command({"ImageUri": image}, ImageMap(), tmp_path)[1:] == ["-m", "sagewatch.job.merge"]
