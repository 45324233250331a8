"""SageMaker Python SDK v3 line (sagemaker-core): the DefaultModelMonitor workflow, exactly as written for AWS.

Parameters (JSON): role, endpoint, baseline_dataset (S3 URI of a CSV with a header), baseline_output,
reports (S3 URIs), schedule (name). Result (JSON): what the SDK read back at each step.
"""

from __future__ import annotations

from botocore.exceptions import ClientError
from sagemaker.core.helper.session_helper import Session
from sagemaker.core.model_monitor import CronExpressionGenerator, DatasetFormat, DefaultModelMonitor
from sdk_script import emit, parameters, violation_summary, wait_for_execution

params = parameters()
session = Session()
monitor = DefaultModelMonitor(role=params["role"], instance_count=1, instance_type="ml.m5.xlarge",
                              volume_size_in_gb=20, max_runtime_in_seconds=1800, sagemaker_session=session)

monitor.suggest_baseline(baseline_dataset=params["baseline_dataset"], dataset_format=DatasetFormat.csv(header=True),
                         output_s3_uri=params["baseline_output"], wait=True, logs=True)
baselining = monitor.describe_latest_baselining_job()
statistics = monitor.baseline_statistics()
constraints = monitor.suggested_constraints()

monitor.create_monitoring_schedule(monitor_schedule_name=params["schedule"], endpoint_input=params["endpoint"],
                                   output_s3_uri=params["reports"], statistics=statistics, constraints=constraints,
                                   schedule_cron_expression=CronExpressionGenerator.now(),
                                   data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H",
                                   enable_cloudwatch_metrics=True)
created = monitor.describe_schedule()
summary = wait_for_execution(session, params["schedule"])
executions = monitor.list_executions()
if not executions:  # the SDK lists only executions that have a processing job
    raise SystemExit(f"the SDK lists no execution of the schedule; its latest execution summary: {summary}")
execution_job = executions[-1].describe()
latest_statistics = monitor.latest_monitoring_statistics()
violations = monitor.latest_monitoring_constraint_violations()
described = monitor.describe_schedule()
job_definition = session.sagemaker_client.describe_data_quality_job_definition(
    JobDefinitionName=monitor.job_definition_name)
attached = DefaultModelMonitor.attach(monitor_schedule_name=params["schedule"], sagemaker_session=session)
attached_facts = {"job_definition": attached.job_definition_name == monitor.job_definition_name,
                  "role": attached.role, "executions": len(attached.list_executions())}

monitor.delete_monitoring_schedule()
try:
    session.sagemaker_client.describe_monitoring_schedule(MonitoringScheduleName=params["schedule"])
    after_delete = "still there"
except ClientError as error:
    after_delete = error.response["Error"]["Code"]

emit({
    "baselining_job": {"status": baselining["ProcessingJobStatus"], "image": baselining["AppSpecification"]["ImageUri"],
                       "environment": baselining["Environment"]},
    "baseline_item_count": statistics.body_dict["dataset"]["item_count"],
    "baseline_features": sorted(f["name"] for f in statistics.body_dict["features"]),
    "constraint_features": sorted(f["name"] for f in constraints.body_dict["features"]),
    "created": {"status": created["MonitoringScheduleStatus"], "type": created.get("MonitoringType"),
                "expression": created["MonitoringScheduleConfig"]["ScheduleConfig"]},
    "execution_summary": {"status": summary["MonitoringExecutionStatus"], "failure": summary.get("FailureReason")},
    "executions": len(executions),
    "execution_status": execution_job["ProcessingJobStatus"],
    "execution_exit_message": execution_job.get("ExitMessage"),
    "execution_output": execution_job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"],
    "statistics_item_count": latest_statistics.body_dict["dataset"]["item_count"] if latest_statistics else None,
    "violations": violation_summary(violations),
    "last_execution": (described.get("LastMonitoringExecutionSummary") or {}).get("MonitoringExecutionStatus"),
    "job_definition_endpoint": job_definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"],
    "attached": attached_facts,
    "after_delete": after_delete,
})
