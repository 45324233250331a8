"""SageMaker Python SDK v2: the ModelBiasMonitor workflow, exactly as written for AWS.

Parameters (JSON): role, model (answers one probability per CSV row), endpoint (capture on, traffic and ground
truth in place), dataset (S3 URI of a headerless CSV whose columns are ``headers``), headers, label, facet,
facet_values, baseline_output, ground_truth, reports (S3 URIs), schedule and cron_schedule (names). Result
(JSON): what the SDK read back at each step.
"""

from __future__ import annotations

from botocore.exceptions import ClientError
from sagemaker import Session
from sagemaker.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig
from sagemaker.model_monitor import BiasAnalysisConfig, CronExpressionGenerator, EndpointInput, ModelBiasMonitor
from sagemaker.s3 import S3Downloader
from sdk_script import clarify_job_summary, emit, model_endpoints, parameters, read_json, wait_for_execution

params = parameters()
session = Session()
monitor = ModelBiasMonitor(role=params["role"], instance_count=1, instance_type="ml.m5.xlarge",
                           max_runtime_in_seconds=1800, sagemaker_session=session)
data_config = DataConfig(s3_data_input_path=params["dataset"], s3_output_path=params["baseline_output"],
                         label=params["label"], headers=params["headers"], dataset_type="text/csv")
bias_config = BiasConfig(label_values_or_threshold=[1], facet_name=params["facet"],
                         facet_values_or_threshold=params["facet_values"])
model_config = ModelConfig(model_name=params["model"], instance_type="ml.m5.xlarge", instance_count=1,
                           content_type="text/csv", accept_type="text/csv")

before = model_endpoints(session)
monitor.suggest_baseline(data_config=data_config, bias_config=bias_config, model_config=model_config,
                         model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.5),
                         wait=True, logs=True)
baselining = clarify_job_summary(session, monitor.latest_baselining_job_name, S3Downloader.read_file)
constraints = monitor.suggested_constraints()  # the baselining job's analysis.json

# A one-time schedule (NOW) over the last hour, reusing the baselining job's config and result.
monitor.create_monitoring_schedule(
    monitor_schedule_name=params["schedule"],
    endpoint_input=EndpointInput(endpoint_name=params["endpoint"], destination="/opt/ml/processing/input/endpoint",
                                 probability_threshold_attribute=0.5),
    ground_truth_input=params["ground_truth"], output_s3_uri=params["reports"],
    schedule_cron_expression=CronExpressionGenerator.now(),
    data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H", enable_cloudwatch_metrics=True)
created = monitor.describe_schedule()
job_definition = session.sagemaker_client.describe_model_bias_job_definition(
    JobDefinitionName=monitor.job_definition_name)
summary = wait_for_execution(session, params["schedule"], timeout=170.0)
executions = monitor.list_executions()
if not executions:  # the SDK lists only executions that have a processing job
    raise SystemExit(f"the SDK lists no execution of the schedule; its latest execution summary: {summary}")
execution_job = executions[-1].describe()
execution_output = execution_job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].rstrip("/")
# the SDK reads files only of a Completed job; a failed one is reported through the result instead
completed = execution_job["ProcessingJobStatus"] == "Completed"
violations = monitor.latest_monitoring_constraint_violations() if completed else None
described = monitor.describe_schedule()

# An hourly schedule with the analysis config and constraints given explicitly: created, listed, deleted.
cron_monitor = ModelBiasMonitor(role=params["role"], instance_count=1, instance_type="ml.m5.xlarge",
                                sagemaker_session=session)
cron_monitor.create_monitoring_schedule(
    monitor_schedule_name=params["cron_schedule"],
    endpoint_input=EndpointInput(endpoint_name=params["endpoint"], destination="/opt/ml/processing/input/endpoint",
                                 probability_threshold_attribute=0.5, start_time_offset="-PT2H",
                                 end_time_offset="-PT1H"),
    ground_truth_input=params["ground_truth"],
    analysis_config=BiasAnalysisConfig(bias_config, headers=params["headers"], label=params["label"]),
    output_s3_uri=params["reports"], constraints=constraints,
    schedule_cron_expression=CronExpressionGenerator.hourly())
cron_described = cron_monitor.describe_schedule()
cron_definition = session.sagemaker_client.describe_model_bias_job_definition(
    JobDefinitionName=cron_monitor.job_definition_name)
listed = sorted(s["MonitoringScheduleName"] for s in session.sagemaker_client.list_monitoring_schedules(
    EndpointName=params["endpoint"])["MonitoringScheduleSummaries"])
attached = ModelBiasMonitor.attach(params["cron_schedule"], sagemaker_session=session)

attached_name = attached.monitoring_schedule_name  # delete_monitoring_schedule() sets it to None

definitions = [monitor.job_definition_name, cron_monitor.job_definition_name]
monitor.delete_monitoring_schedule()
attached.delete_monitoring_schedule()
after_delete = []
for name in definitions:
    try:
        session.sagemaker_client.describe_model_bias_job_definition(JobDefinitionName=name)
        after_delete.append("still there")
    except ClientError as error:
        after_delete.append(error.response["Error"]["Code"])

emit({
    "baselining_job": baselining,
    "baseline_constraints": constraints.body_dict,
    "created": {"status": created["MonitoringScheduleStatus"], "type": created.get("MonitoringType"),
                "expression": created["MonitoringScheduleConfig"]["ScheduleConfig"]},
    "job_definition": {key: value for key, value in job_definition.items() if key.startswith("ModelBias")},
    "config": read_json(S3Downloader.read_file, session, job_definition["ModelBiasAppSpecification"]["ConfigUri"]),
    "execution_summary": {"status": summary["MonitoringExecutionStatus"], "failure": summary.get("FailureReason")},
    "executions": len(executions),
    "execution_status": execution_job["ProcessingJobStatus"],
    "execution_exit_message": execution_job.get("ExitMessage"),
    "execution_failure": execution_job.get("FailureReason"),
    "execution_image": execution_job["AppSpecification"]["ImageUri"],
    "execution_output": execution_output,
    "execution_analysis": read_json(S3Downloader.read_file, session, f"{execution_output}/analysis.json")
    if completed else None,
    "violations": violations.body_dict if violations else None,
    "last_execution": (described.get("LastMonitoringExecutionSummary") or {}).get("MonitoringExecutionStatus"),
    "cron": {"status": cron_described["MonitoringScheduleStatus"],
             "expression": cron_described["MonitoringScheduleConfig"]["ScheduleConfig"],
             "baseline": cron_definition.get("ModelBiasBaselineConfig"),
             "endpoint_input": cron_definition["ModelBiasJobInput"]["EndpointInput"],
             "config": read_json(S3Downloader.read_file, session,
                                 cron_definition["ModelBiasAppSpecification"]["ConfigUri"]),
             "attached": attached_name},
    "listed": listed,
    "definitions_after_delete": after_delete,
    "resources_before": before,
    "resources_after": model_endpoints(session),
})
