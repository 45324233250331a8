"""One execution contract: the emulator and the processing-mode Lambda build the same processing job."""

import doctest
import importlib
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from sagewatch.job import execution_contract as contract
from sagewatch.lambda_support import monitoring as lambda_monitoring
from sagewatch.localstack.sagemaker.monitoring.cron import parse_schedule_expression
from sagewatch.localstack.sagemaker.monitoring.cron import analysis_window as schedule_window
from sagewatch.localstack.sagemaker.monitoring.jobdefs import ExecutionDefinition
from sagewatch.localstack.sagemaker.monitoring.executions.data_quality import data_quality_plan

UTC = timezone.utc
SCHEDULED = datetime(2024, 5, 1, 11, tzinfo=UTC)
CAPTURE = "s3://b/capture"


def lambda_settings(**changes):
    values = dict(endpoint_name="ep", schedule_name="s", variants=("AllTraffic",), capture_s3_uri=CAPTURE,
                  baseline_constraints_uri="s3://b/base/constraints.json",
                  baseline_statistics_uri="s3://b/base/statistics.json", output_s3_uri="s3://b/reports",
                  image_uri="analyzer", role_arn="arn:aws:iam::000000000000:role/r")
    values.update(changes)
    return lambda_monitoring.MonitoringSettings(**values)


def emulator_request():
    definition = ExecutionDefinition.from_inline("DataQuality", {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri": "s3://b/base/constraints.json"},
                           "StatisticsResource": {"S3Uri": "s3://b/base/statistics.json"}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/input/endpoint"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/reports",
                                                                       "LocalPath": "/opt/ml/processing/output"}}]},
        "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
        "MonitoringAppSpecification": {"ImageUri": "analyzer"},
        "RoleArn": "arn:aws:iam::000000000000:role/r",
    })
    window = schedule_window(parse_schedule_expression("cron(0 * ? * * *)"), SCHEDULED, None, None)
    captures = [contract.CaptureHour("AllTraffic", hour, f"{CAPTURE}/ep/AllTraffic/{hour:%Y/%m/%d/%H}")
                for hour in window.hours]
    return contract.job_request(data_quality_plan(
        job_name="j", schedule_name="s", definition=definition, scheduled=SCHEDULED, window=window,
        captures=captures, constraints_uri="s3://b/base/constraints.json",
        statistics_uri="s3://b/base/statistics.json", capture_destination_uri=CAPTURE))


def test_emulator_and_lambda_build_the_same_inputs_and_environment():
    lambda_request = lambda_monitoring.build_processing_job_request(
        lambda_settings(), lambda_monitoring.monitoring_window(SCHEDULED), token="t")
    emulator = emulator_request()
    assert lambda_request["ProcessingInputs"] == emulator["ProcessingInputs"]
    # the Lambda's only addition: the metrics output its plain processing job needs
    extra = {"CLOUDWATCH_METRICS_DIRECTORY": "/opt/ml/processing/cloudwatch_metrics"}
    assert lambda_request["Environment"] == {**emulator["Environment"], **extra}
    assert lambda_request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == \
        emulator["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == "s3://b/reports/ep/s/2024/05/01/11"
    assert emulator["Environment"]["dataset_format"] == \
        '{"sagemakerCaptureJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}'


def test_one_job_name_rule_for_both():
    window = lambda_monitoring.monitoring_window(datetime(2024, 5, 1, 11, 7, tzinfo=UTC))
    assert lambda_monitoring.processing_job_name("sagewatch-dq", window, "ab-cd" * 10) == \
        contract.execution_job_name("sagewatch-dq", SCHEDULED, "ab-cd" * 10, token_length=16)
    name = contract.execution_job_name("model-monitoring", SCHEDULED, "0" * 32)
    assert name == "model-monitoring-202405011100-" + "0" * 24
    assert len(contract.execution_job_name("x" * 70, SCHEDULED, "f" * 32)) == 63


def test_one_window_rule_for_both():
    assert lambda_monitoring.monitoring_window(datetime(2024, 5, 1, 11, 7, tzinfo=UTC), 3) == \
        schedule_window(parse_schedule_expression("cron(0 */3 ? * * *)"), SCHEDULED, None, None) == \
        (datetime(2024, 5, 1, 8, tzinfo=UTC), SCHEDULED)
    with pytest.raises(contract.WindowError, match="window is empty"):
        contract.analysis_window(SCHEDULED, "-PT1H", "-PT2H", default_hours=1)


def test_unregistered_monitoring_types_are_refused_by_name():
    plan = contract.ExecutionPlan(
        monitoring_type="BatchQuality", job_name="j", endpoint_name="ep", schedule_name="s", scheduled=SCHEDULED,
        window=contract.AnalysisWindow(SCHEDULED, SCHEDULED), captures=(), output_s3_uri="s3://b/r",
        app_specification={"ImageUri": "i"}, cluster_config={}, role_arn="r")
    with pytest.raises(contract.UnsupportedMonitoringType, match="BatchQuality monitoring executions"):
        contract.job_request(plan)


def test_the_contract_and_the_lambda_glue_import_the_standard_library_only():
    code = ("import sys, sagewatch.job.execution_contract, sagewatch.lambda_support.monitoring;"
            "heavy = sorted({'numpy', 'pyarrow', 'scipy', 'datasketches', 'pydantic', 'boto3'} & set(sys.modules));"
            "print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["sagewatch.job.execution_contract.window", "sagewatch.job.execution_contract.plan",
                                  "sagewatch.job.execution_contract.model_quality",
                                  "sagewatch.job.execution_contract.batch", "sagewatch.schemas.metric_lines",
                                  "sagewatch.schemas.s3_uri"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


CLARIFY_IMAGE = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"


def test_the_lambda_builds_a_bias_execution_as_the_merge_then_the_clarify_job():
    settings = lambda_settings(monitoring_type="ModelBias", image_uri=CLARIFY_IMAGE, baseline_statistics_uri=None,
                               baseline_constraints_uri="s3://b/base/analysis.json", ground_truth_s3_uri="s3://g",
                               config_uri="s3://b/cfg/analysis_config.json", probability_threshold_attribute=0.7,
                               job_name_prefix="bias")
    merge, clarify = lambda_monitoring.execution_requests(settings, SCHEDULED, token="abc123")
    assert (merge["ProcessingJobName"], clarify["ProcessingJobName"]) == ("bias-merge-202405011100-abc123",
                                                                          "bias-202405011100-abc123")
    assert lambda_monitoring.next_request(settings, merge["ProcessingJobName"]) == clarify
    assert clarify["AppSpecification"] == {"ImageUri": CLARIFY_IMAGE}
    environment = clarify["Environment"]
    assert (environment["analysis_type"], environment["analysis_config"], environment["baseline_constraints"],
            environment["probability_threshold_attribute"]) == (
        "MODEL_BIAS", "/opt/ml/processing/input/config/analysis_config.json",
        "/opt/ml/processing/baseline/constraints/analysis.json", "0.7")
    assert environment["dataset_format"] == contract.BIAS_DATASET_FORMAT


def test_the_lambda_builds_an_explainability_execution_as_one_clarify_job():
    settings = lambda_settings(monitoring_type="ModelExplainability", image_uri=CLARIFY_IMAGE,
                               baseline_statistics_uri=None, baseline_constraints_uri="s3://b/base/analysis.json",
                               config_uri="s3://b/cfg/analysis_config.json", job_name_prefix="explain")
    (clarify,) = lambda_monitoring.execution_requests(settings, SCHEDULED, token="abc123")
    assert clarify["Environment"]["analysis_type"] == "MODEL_EXPLAINABILITY"
    assert [i["InputName"] for i in clarify["ProcessingInputs"]] == ["analysis_config", "endpoint_input_1",
                                                                     "baseline"]


@pytest.mark.parametrize("monitoring_type, missing", [("ModelBias", r"\['config_uri', 'ground_truth_s3_uri'\]"),
                                                      ("ModelExplainability", r"\['config_uri'\]")])
def test_the_lambda_settings_of_a_clarify_monitor_name_what_is_missing(monitoring_type, missing):
    with pytest.raises(ValueError, match=f"lacks {missing}, which {monitoring_type} needs"):
        lambda_settings(monitoring_type=monitoring_type, baseline_statistics_uri=None)
