"""Monitoring schedules, the scheduler, run-now and the request of a data-quality execution, with a fake clock."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from localstack.aws.api import CommonServiceException

from sagewatch.localstack.sagemaker.monitoring.jobdefs import KINDS, ExecutionDefinition, JobDefinitionService
from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringService
from sagewatch.job.execution_contract import CaptureHour, job_request
from sagewatch.localstack.sagemaker.monitoring.executions.data_quality import data_quality_plan
from sagewatch.localstack.sagemaker.monitoring.executions.launcher import ExecutionLauncher, execution_status
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings
from sagewatch.localstack.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagewatch.localstack.sagemaker.monitoring.routes import run_now
from sagewatch.localstack.sagemaker.monitoring.scheduler import Scheduler

UTC = timezone.utc
ACCOUNT, REGION = "000000000000", "us-east-1"
CONTEXT = SimpleNamespace(account_id=ACCOUNT, region=REGION)
ROLE = "arn:aws:iam::000000000000:role/r"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def inline(endpoint="ep", **app):
    return {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri": "s3://b/base/constraints.json"},
                           "StatisticsResource": {"S3Uri": "s3://b/base/statistics.json"}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/reports/",
                                                                       "LocalPath": "/opt/ml/processing/output"}}]},
        "MonitoringResources": CLUSTER,
        "MonitoringAppSpecification": {"ImageUri": "sagewatch-analyzer", **app},
        "RoleArn": ROLE,
    }


@pytest.fixture
def clock():
    return Clock(datetime(2024, 5, 1, 10, 37, 12, 500, tzinfo=UTC))


@pytest.fixture
def launched():
    return []


@pytest.fixture
def monitoring(clock, launched):
    return MonitoringService(JobDefinitionService(clock), lambda service, schedule, execution: launched.append(execution),
                             clock)


@pytest.fixture
def scheduler(monitoring, clock):
    return Scheduler(monitoring, ProcessingSettings(schedule_start_delay=60), clock)


def create(monitoring, name, expression, **schedule_config):
    return monitoring.handle_create(CONTEXT, {"MonitoringScheduleName": name, "MonitoringScheduleConfig": {
        "ScheduleConfig": {"ScheduleExpression": expression, **schedule_config}, "MonitoringJobDefinition": inline()}})


def test_hourly_schedule_runs_each_hour_once_after_the_delay(monitoring, scheduler, clock, launched):
    create(monitoring, "hourly", "cron(0 * ? * * *)")
    schedule = monitoring.get(ACCOUNT, REGION, "hourly")
    assert schedule.status == "Pending"
    assert scheduler.tick() == []  # 10:00 is before the creation time
    assert schedule.status == "Scheduled"
    clock.now = datetime(2024, 5, 1, 11, 0, 59, tzinfo=UTC)
    assert scheduler.tick() == []
    clock.now = datetime(2024, 5, 1, 11, 1, 0, tzinfo=UTC)
    (execution,) = scheduler.tick()
    assert execution.scheduled_time == datetime(2024, 5, 1, 11, tzinfo=UTC)
    assert execution.status == "Pending" and execution.endpoint_name == "ep"
    assert scheduler.tick() == []
    monitoring.handle_stop(CONTEXT, {"MonitoringScheduleName": "hourly"})
    clock.now = datetime(2024, 5, 1, 12, 5, tzinfo=UTC)
    assert scheduler.tick() == []
    monitoring.handle_start(CONTEXT, {"MonitoringScheduleName": "hourly"})
    assert [e.scheduled_time.hour for e in scheduler.tick()] == [12]
    assert launched == monitoring.executions(ACCOUNT, REGION)


def test_now_schedule_runs_once(monitoring, scheduler, clock):
    create(monitoring, "once", "NOW", DataAnalysisStartTime="-PT1H", DataAnalysisEndTime="-PT0H")
    (execution,) = scheduler.tick()
    assert execution.scheduled_time == datetime(2024, 5, 1, 10, 37, 12, tzinfo=UTC)
    clock.now += timedelta(hours=3)
    assert scheduler.tick() == []


def test_run_now_defaults_to_the_current_hour_and_refuses_duplicates(monitoring, clock):
    create(monitoring, "hourly", "cron(0 * ? * * *)")
    execution = run_now(monitoring, "hourly")
    assert execution.scheduled_time == datetime(2024, 5, 1, 10, tzinfo=UTC)
    with pytest.raises(ResourceInUse) as error:
        run_now(monitoring, "hourly")
    assert error.value.status_code == 409
    monitoring.update_execution(execution, status="Failed", failure_reason="x")
    assert run_now(monitoring, "hourly").scheduled_time == execution.scheduled_time
    with pytest.raises(ResourceNotFound) as error:
        run_now(monitoring, "nope")
    assert error.value.status_code == 404
    monitoring.handle_create(SimpleNamespace(account_id=ACCOUNT, region="eu-west-1"), {
        "MonitoringScheduleName": "hourly", "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinition": inline()}})
    with pytest.raises(ValidationException) as error:
        run_now(monitoring, "hourly", datetime(2024, 5, 1, 9, tzinfo=UTC))
    assert error.value.status_code == 400 and "eu-west-1" in error.value.message
    assert run_now(monitoring, "hourly", datetime(2024, 5, 1, 9, tzinfo=UTC), region="eu-west-1").region == "eu-west-1"


def test_describe_list_and_executions(monitoring, clock):
    create(monitoring, "b-schedule", "cron(0 * ? * * *)")
    clock.now += timedelta(seconds=1)
    create(monitoring, "a-schedule", "cron(0 6 ? * * *)")
    for hour in (3, 1, 2):
        run_now(monitoring, "a-schedule", datetime(2024, 5, 1, hour, tzinfo=UTC))
        clock.now += timedelta(seconds=1)
    described = monitoring.handle_describe(CONTEXT, {"MonitoringScheduleName": "a-schedule"})
    assert described["LastMonitoringExecutionSummary"]["ScheduledTime"].hour == 2
    assert described["MonitoringType"] == "DataQuality" and described["EndpointName"] == "ep"
    listed = monitoring.handle_list(CONTEXT, {"SortBy": "Name", "SortOrder": "Ascending"})["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in listed] == ["a-schedule", "b-schedule"]
    page = monitoring.handle_list_executions(CONTEXT, {"SortBy": "ScheduledTime", "SortOrder": "Ascending",
                                                       "MaxResults": 2})
    assert [s["ScheduledTime"].hour for s in page["MonitoringExecutionSummaries"]] == [1, 2]
    rest = monitoring.handle_list_executions(CONTEXT, {"SortBy": "ScheduledTime", "SortOrder": "Ascending",
                                                       "MaxResults": 2, "NextToken": page["NextToken"]})
    assert [s["ScheduledTime"].hour for s in rest["MonitoringExecutionSummaries"]] == [3]
    assert monitoring.handle_list_executions(CONTEXT, {"MonitoringScheduleName": "b-schedule"}) == {
        "MonitoringExecutionSummaries": []}
    with pytest.raises(CommonServiceException) as error:
        monitoring.handle_list_executions(CONTEXT, {"SortBy": "Name"})
    assert error.value.code == "ValidationException"
    monitoring.handle_delete(CONTEXT, {"MonitoringScheduleName": "a-schedule"})
    assert monitoring.handle_list_executions(CONTEXT, {})["MonitoringExecutionSummaries"] == []


def test_schedule_validation(monitoring):
    def config(**change):
        return {"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinition": inline(),
                **change}

    cases = [
        (config(MonitoringJobDefinitionName="x"), "exactly one of MonitoringJobDefinition"),
        ({"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "x"},
         "MonitoringType is required"),
        ({"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "x",
          "MonitoringType": "DataQuality"}, "Could not find DataQuality job definition x"),
        (config(MonitoringType="Drift"), "monitoringType"),
        (config(ScheduleConfig={"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H"}),
         "needs DataAnalysisStartTime and DataAnalysisEndTime"),
        (config(ScheduleConfig=None), "ScheduleExpression is required"),
        ({**config(), "MonitoringJobDefinition": {**inline(), "MonitoringInputs": []}}, "monitoringInputs"),
        ({**config(), "MonitoringJobDefinition": {**inline(), "MonitoringInputs": [{"EndpointInput": {
            "EndpointName": "ep", "LocalPath": "/x", "StartTimeOffset": "1H"}}]}}, "StartTimeOffset"),
    ]
    for schedule_config, fragment in cases:
        with pytest.raises(CommonServiceException) as error:
            monitoring.handle_create(CONTEXT, {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": schedule_config})
        assert error.value.code == "ValidationException", fragment
        assert fragment in error.value.message


def test_data_quality_request_follows_the_contract():
    definition = ExecutionDefinition.from_inline("DataQuality", inline(
        RecordPreprocessorSourceUri="s3://b/code/pre.py", ContainerArguments=["--verbose"]))
    scheduled = datetime(2024, 5, 1, 11, tzinfo=UTC)
    captures = [CaptureHour("AllTraffic", datetime(2024, 5, 1, 10, tzinfo=UTC), "s3://b/capture/ep/AllTraffic/2024/05/01/10")]
    request = job_request(data_quality_plan(job_name="model-monitoring-202405011100-x", schedule_name="s",
                                            definition=definition, scheduled=scheduled,
                                            window=(scheduled - timedelta(hours=1), scheduled), captures=captures,
                                            constraints_uri="s3://b/base/constraints.json",
                                            statistics_uri="s3://b/base/statistics.json"))
    inputs = {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
    assert inputs["endpoint_input_1"]["LocalPath"] == "/opt/ml/processing/input/endpoint/ep/AllTraffic/2024/05/01/10"
    assert inputs["endpoint_input_1"]["S3Uri"] == "s3://b/capture/ep/AllTraffic/2024/05/01/10"
    assert inputs["constraints"]["LocalPath"] == "/opt/ml/processing/baseline/constraints"
    assert inputs["baseline"]["LocalPath"] == "/opt/ml/processing/baseline/stats"
    assert inputs["pre_processor_script"]["S3Uri"] == "s3://b/code/pre.py"
    assert request["ProcessingOutputConfig"]["Outputs"] == [{"OutputName": "result", "S3Output": {
        "S3Uri": "s3://b/reports/ep/s/2024/05/01/11", "LocalPath": "/opt/ml/processing/output",
        "S3UploadMode": "Continuous"}}]
    assert request["Environment"] == {
        "publish_cloudwatch_metrics": "Enabled",
        "dataset_format": '{"sagemakerCaptureJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}',
        "dataset_source": "/opt/ml/processing/input/endpoint", "output_path": "/opt/ml/processing/output",
        "sagemaker_endpoint_name": "ep", "sagemaker_monitoring_schedule_name": "s",
        "start_time": "2024-05-01T10:00:00Z", "end_time": "2024-05-01T11:00:00Z", "metric_time": "2024-05-01T10:00:00Z",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
        "baseline_statistics": "/opt/ml/processing/baseline/stats/statistics.json",
        "record_preprocessor_script": "/opt/ml/processing/code/preprocessing/pre.py",
    }
    assert request["AppSpecification"] == {"ImageUri": "sagewatch-analyzer", "ContainerArguments": ["--verbose"]}
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    disabled = ExecutionDefinition.from_inline("DataQuality", {**inline(), "Environment": {
        "publish_cloudwatch_metrics": "Disabled"}})
    assert job_request(data_quality_plan(job_name="j", schedule_name="s", definition=disabled, scheduled=scheduled,
                                         window=(scheduled - timedelta(hours=1), scheduled), captures=captures
                                         ))["Environment"]["publish_cloudwatch_metrics"] == "Disabled"


class CaptureAws:
    """Just enough AwsAccess to find captures: one endpoint with data in 2024-05-01T10."""

    def describe_endpoint(self, name):
        return {"EndpointName": name, "EndpointConfigName": name} if name == "ep" else None

    def describe_endpoint_config(self, name):
        return {"DataCaptureConfig": {"DestinationS3Uri": "s3://b/capture/"}}

    def list_folders(self, bucket, prefix):
        return [prefix + "AllTraffic/", prefix + "Shadow/"] if prefix == "capture/ep/" else []

    def any_object(self, bucket, prefix):
        return prefix == "capture/ep/AllTraffic/2024/05/01/10/"


class FakeProcessing:
    def __init__(self):
        self.requests = []

    def aws(self, account_id, region):
        return CaptureAws()

    def find(self, account_id, region, name):
        return None

    def create_job(self, account_id, region, request, *, monitoring_schedule_arn, listener):
        self.requests.append(request)
        job = SimpleNamespace(name=request["ProcessingJobName"], arn="arn:job", status="InProgress",
                              exit_message=None, failure_reason=None)
        listener(job)
        job.status, job.exit_message = "Completed", "CompletedWithViolations: Job completed successfully with 1 violations."
        listener(job)
        return job


@pytest.mark.parametrize("endpoint, scheduled_hour, status, fragment", [
    ("ep", 11, "CompletedWithViolations", None),
    ("ep", 12, "Failed", "Job inputs had no data: no captured data for endpoint ep between 2024-05-01T11:00:00Z and "
                         "2024-05-01T12:00:00Z under s3://b/capture/ep/."),
    ("gone", 11, "Failed", "Endpoint gone does not exist"),
])
def test_launcher_finds_captures_or_fails_clearly(clock, endpoint, scheduled_hour, status, fragment):
    processing = FakeProcessing()
    monitoring = MonitoringService(JobDefinitionService(clock), lambda *args: None, clock)
    monitoring.handle_create(CONTEXT, {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinition": inline(endpoint)}})
    schedule = monitoring.get(ACCOUNT, REGION, "s")
    execution = monitoring.start_execution(schedule, datetime(2024, 5, 1, scheduled_hour, tzinfo=UTC))
    ExecutionLauncher(processing).run(monitoring, schedule, execution)
    assert execution.status == status
    if fragment:
        assert execution.failure_reason.startswith(fragment) and processing.requests == []
    else:
        (request,) = processing.requests
        assert [i["InputName"] for i in request["ProcessingInputs"]] == ["endpoint_input_1", "constraints", "baseline"]
        assert request["ProcessingJobName"].startswith("model-monitoring-202405011100-")
        assert execution.processing_job_arn == "arn:job"


def test_an_explainability_execution_runs_the_clarify_job_of_its_definition(clock):
    jobdefs = JobDefinitionService(clock)
    jobdefs.create(ACCOUNT, REGION, KINDS["ModelExplainability"], {
        "JobDefinitionName": "explain", "RoleArn": ROLE, "JobResources": CLUSTER,
        "ModelExplainabilityAppSpecification": {"ImageUri": "clarify", "ConfigUri": "s3://b/analysis_config.json"},
        "ModelExplainabilityBaselineConfig": {"ConstraintsResource": {"S3Uri": "s3://b/base/analysis.json"}},
        "ModelExplainabilityJobInput": {"EndpointInput": {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/in"}},
        "ModelExplainabilityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": "s3://b/explain", "LocalPath": "/opt/ml/processing/output"}}]}})
    monitoring = MonitoringService(jobdefs, lambda *args: None, clock)
    monitoring.handle_create(CONTEXT, {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "explain",
        "MonitoringType": "ModelExplainability"}})
    schedule = monitoring.get(ACCOUNT, REGION, "s")
    execution = monitoring.start_execution(schedule, datetime(2024, 5, 1, 11, tzinfo=UTC))
    processing = FakeProcessing()
    ExecutionLauncher(processing).run(monitoring, schedule, execution)
    assert execution.status == "CompletedWithViolations", execution.failure_reason
    [request] = processing.requests
    assert request["AppSpecification"]["ImageUri"] == "clarify"
    assert request["Environment"]["analysis_type"] == "MODEL_EXPLAINABILITY"
    assert request["ProcessingJobName"].startswith("model-explainability-monitoring-")
    with pytest.raises(CommonServiceException) as error:
        jobdefs.handlers()["DeleteModelExplainabilityJobDefinition"](CONTEXT, {"JobDefinitionName": "explain"})
    assert error.value.code == "ValidationException"  # botocore lists no ResourceInUse for the Delete calls


@pytest.mark.parametrize("status, message, expected", [
    ("Completed", "Completed: Job completed successfully with no violations.", "Completed"),
    ("Completed", "CompletedWithViolations: Job completed successfully with 60 violations.", "CompletedWithViolations"),
    ("Failed", "CompletedWithViolations: but the upload failed", "Failed"),
    ("InProgress", None, "InProgress"), ("Stopped", None, "Stopped"),
])
def test_execution_status_mapping(status, message, expected):
    assert execution_status(SimpleNamespace(status=status, exit_message=message)) == expected
