"""SageMaker Python SDK v2: the ModelQualityMonitor workflow, exactly as written for AWS.

Parameters (JSON): role, endpoint, baseline_dataset (S3 URI of a CSV with header prediction,probability,label),
baseline_output, ground_truth, reports (S3 URIs), schedule (name), and ``baseline_only`` (stop after the
baseline). Result (JSON): what the SDK read back at each step.
"""

from __future__ import annotations

from botocore.exceptions import ClientError
from sagemaker import Session
from sagemaker.model_monitor import CronExpressionGenerator, DatasetFormat, EndpointInput, ModelQualityMonitor
from sdk_script import emit, parameters, violation_summary, wait_for_execution

params = parameters()
session = Session()
monitor = ModelQualityMonitor(role=params["role"], instance_count=1, instance_type="ml.m5.xlarge",
                              volume_size_in_gb=20, max_runtime_in_seconds=1800, sagemaker_session=session)

monitor.suggest_baseline(baseline_dataset=params["baseline_dataset"], dataset_format=DatasetFormat.csv(header=True),
                         problem_type="BinaryClassification", inference_attribute="prediction",
                         probability_attribute="probability", ground_truth_attribute="label",
                         output_s3_uri=params["baseline_output"], wait=True, logs=True)
baselining = monitor.describe_latest_baselining_job()
statistics = monitor.baseline_statistics()
constraints = monitor.suggested_constraints()
result = {
    "baselining_job": {"status": baselining["ProcessingJobStatus"], "image": baselining["AppSpecification"]["ImageUri"],
                       "environment": baselining["Environment"]},
    "baseline_statistics": statistics.body_dict,
    "baseline_constraints": constraints.body_dict,
}
if params.get("baseline_only"):
    emit(result)
    raise SystemExit(0)

monitor.create_monitoring_schedule(
    monitor_schedule_name=params["schedule"],
    endpoint_input=EndpointInput(endpoint_name=params["endpoint"], destination="/opt/ml/processing/input_data",
                                 inference_attribute="0", probability_attribute="1",
                                 probability_threshold_attribute=0.5),
    ground_truth_input=params["ground_truth"], problem_type="BinaryClassification",
    output_s3_uri=params["reports"], constraints=constraints,
    schedule_cron_expression=CronExpressionGenerator.now(),
    data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H", enable_cloudwatch_metrics=True)
created = monitor.describe_schedule()
job_definition = session.sagemaker_client.describe_model_quality_job_definition(
    JobDefinitionName=monitor.job_definition_name)
summary = wait_for_execution(session, params["schedule"])
executions = monitor.list_executions()
if not executions:  # the SDK lists only executions that have a processing job
    raise SystemExit(f"the SDK lists no execution of the schedule; its latest execution summary: {summary}")
execution_job = executions[-1].describe()
latest_statistics = monitor.latest_monitoring_statistics()
violations = monitor.latest_monitoring_constraint_violations()
described = monitor.describe_schedule()

monitor.delete_monitoring_schedule()
try:
    session.sagemaker_client.describe_model_quality_job_definition(JobDefinitionName=job_definition[
        "JobDefinitionName"])
    definition_after_delete = "still there"
except ClientError as error:
    definition_after_delete = error.response["Error"]["Code"]

result.update({
    "created": {"status": created["MonitoringScheduleStatus"], "type": created.get("MonitoringType"),
                "expression": created["MonitoringScheduleConfig"]["ScheduleConfig"]},
    "job_definition": {"endpoint_input": job_definition["ModelQualityJobInput"]["EndpointInput"],
                       "ground_truth": job_definition["ModelQualityJobInput"]["GroundTruthS3Input"]["S3Uri"],
                       "app": job_definition["ModelQualityAppSpecification"]},
    "execution_summary": {"status": summary["MonitoringExecutionStatus"], "failure": summary.get("FailureReason")},
    "executions": len(executions),
    "execution_status": execution_job["ProcessingJobStatus"],
    "execution_exit_message": execution_job.get("ExitMessage"),
    "execution_failure": execution_job.get("FailureReason"),
    "execution_output": execution_job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"],
    "statistics": latest_statistics.body_dict if latest_statistics else None,
    "violations": violation_summary(violations),
    "last_execution": (described.get("LastMonitoringExecutionSummary") or {}).get("MonitoringExecutionStatus"),
    "definition_after_delete": definition_after_delete,
})
emit(result)
