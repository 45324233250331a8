"""SageMaker Python SDK v2: DefaultModelMonitor over a batch transform's captures, exactly as written for AWS.

Parameters (JSON): role, baseline_dataset (S3 URI of a CSV without a header), baseline_output, reports,
capture (the transform's DataCaptureConfig.DestinationS3Uri), schedule (name). Result (JSON): what the SDK read
back at each step.
"""

from __future__ import annotations

from sagemaker import Session
from sagemaker.model_monitor import BatchTransformInput, CronExpressionGenerator, DatasetFormat, DefaultModelMonitor
from sagemaker.model_monitor.dataset_format import MonitoringDatasetFormat
from sdk_script import emit, parameters, violation_summary, wait_for_execution

params = parameters()
session = Session()
monitor = DefaultModelMonitor(role=params["role"], instance_count=1, instance_type="ml.m5.xlarge",
                              volume_size_in_gb=20, max_runtime_in_seconds=1800, sagemaker_session=session)

monitor.suggest_baseline(baseline_dataset=params["baseline_dataset"], dataset_format=DatasetFormat.csv(header=False),
                         output_s3_uri=params["baseline_output"], wait=True, logs=False)
monitor.create_monitoring_schedule(
    monitor_schedule_name=params["schedule"],
    batch_transform_input=BatchTransformInput(data_captured_destination_s3_uri=params["capture"],
                                              destination="/opt/ml/processing/input",
                                              dataset_format=MonitoringDatasetFormat.csv(header=False)),
    output_s3_uri=params["reports"], statistics=monitor.baseline_statistics(),
    constraints=monitor.suggested_constraints(), schedule_cron_expression=CronExpressionGenerator.now(),
    data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H", enable_cloudwatch_metrics=True)
summary = wait_for_execution(session, params["schedule"], timeout=180.0)
executions = monitor.list_executions()
if not executions:  # the SDK lists only executions that have a processing job
    raise SystemExit(f"the SDK lists no execution of the schedule; its latest execution summary: {summary}")
execution_job = executions[-1].describe()
violations = monitor.latest_monitoring_constraint_violations()
latest_statistics = monitor.latest_monitoring_statistics()
job_definition = session.sagemaker_client.describe_data_quality_job_definition(
    JobDefinitionName=monitor.job_definition_name)
monitor.delete_monitoring_schedule()

emit({
    "execution_summary": {"status": summary["MonitoringExecutionStatus"], "failure": summary.get("FailureReason")},
    "execution_environment": execution_job["Environment"],
    "execution_inputs": [(i["InputName"], i["S3Input"]["S3DataType"]) for i in execution_job["ProcessingInputs"]],
    "execution_output": execution_job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"],
    "statistics_item_count": latest_statistics.body_dict["dataset"]["item_count"] if latest_statistics else None,
    "violations": violation_summary(violations),
    "job_definition_input": job_definition["DataQualityJobInput"]["BatchTransformInput"],
})
