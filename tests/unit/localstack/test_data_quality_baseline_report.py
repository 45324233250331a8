"""A data-quality execution mounts the baseline's own sagewatch_report.json (its row sample) when it is there."""

from datetime import datetime, timezone

from sagewatch.job import execution_contract as contract
from sagewatch.job.baseline_report_input import BASELINE_REPORT_PATH, BASELINE_REPORT_VARIABLE
from sagewatch.localstack.sagemaker.monitoring.cron import parse_schedule_expression
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.executions.data_quality import plan_execution
from sagewatch.localstack.sagemaker.monitoring.jobdefs import ExecutionDefinition

SCHEDULED = datetime(2024, 5, 1, 11, tzinfo=timezone.utc)
STATISTICS = "s3://b/baselining/job-1/statistics.json"
CONSTRAINTS = "s3://b/baselining/job-1/constraints.json"


class Aws:
    """Captures of endpoint ep in hour 10; the objects of the bucket ``b`` are *keys*."""

    def __init__(self, keys):
        self.keys = keys

    def describe_endpoint(self, name):
        return {"EndpointName": name, "DataCaptureConfig": {"DestinationS3Uri": "s3://b/capture"}}

    def list_folders(self, bucket, prefix):
        return [prefix + "AllTraffic/"] if prefix == "capture/ep/" else []

    def any_object(self, bucket, prefix):
        return prefix == "capture/ep/AllTraffic/2024/05/01/10/" or any(key.startswith(prefix) for key in self.keys)


def _request(keys, statistics=STATISTICS):
    definition = ExecutionDefinition.from_inline("DataQuality", {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri": CONSTRAINTS}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": "ep",
                                                "LocalPath": "/opt/ml/processing/input/endpoint"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/reports",
                                                                       "LocalPath": "/opt/ml/processing/output"}}]},
        "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
        "MonitoringAppSpecification": {"ImageUri": "analyzer"},
        "RoleArn": "arn:aws:iam::000000000000:role/r",
    })
    run = ExecutionRun(definition=definition, schedule_name="s", schedule_config={},
                       expression=parse_schedule_expression("cron(0 * ? * * *)"), scheduled=SCHEDULED,
                       job_name="j", baseline=lambda: (CONSTRAINTS, statistics), aws=Aws(keys))
    return contract.job_request(plan_execution(run))


def test_a_sagewatch_baseline_brings_its_report_as_one_more_input():
    request = _request(["baselining/job-1/statistics.json", "baselining/job-1/constraints.json",
                        "baselining/job-1/sagewatch_report.json"])
    extra = [i for i in request["ProcessingInputs"] if i["InputName"] == "sagewatch_baseline_report"]
    assert extra == [{"InputName": "sagewatch_baseline_report", "S3Input": {
        "S3Uri": "s3://b/baselining/job-1/sagewatch_report.json", "LocalPath": "/opt/ml/processing/baseline/sagewatch",
        "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated",
        "S3CompressionType": "None"}}]
    assert request["Environment"][BASELINE_REPORT_VARIABLE] == f"{BASELINE_REPORT_PATH}/sagewatch_report.json"
    # every input lands in a folder of its own (SageMaker rejects two inputs with one LocalPath)
    local_paths = [i["S3Input"]["LocalPath"] for i in request["ProcessingInputs"]]
    assert len(local_paths) == len(set(local_paths))


def test_a_sagemaker_baseline_has_no_report_and_the_request_is_sagemakers():
    request = _request(["baselining/job-1/statistics.json", "baselining/job-1/constraints.json",
                        "baselining/sagewatch_report.json", "other/job-1/sagewatch_report.json"])
    assert [i["InputName"] for i in request["ProcessingInputs"]] == ["endpoint_input_1", "constraints", "baseline"]
    assert BASELINE_REPORT_VARIABLE not in request["Environment"]


def test_no_statistics_means_no_report_lookup():
    request = _request(["baselining/job-1/sagewatch_report.json"], statistics=None)
    assert [i["InputName"] for i in request["ProcessingInputs"]] == ["endpoint_input_1", "constraints"]
