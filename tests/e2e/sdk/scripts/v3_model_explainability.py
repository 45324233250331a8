"""SageMaker Python SDK v3 line (sagemaker-core): the ModelExplainabilityMonitor workflow, as written for AWS.

Parameters (JSON): role, model (answers one probability per CSV row), endpoint (capture on, traffic in place),
dataset (S3 URI of a headerless CSV whose columns are ``headers``), headers, label, shap_baseline (one row of
feature values), baseline_output, reports (S3 URIs), schedule and cron_schedule (names). Result (JSON): what
the SDK read back at each step.
"""

from __future__ import annotations

from botocore.exceptions import ClientError
from sagemaker.core.clarify import DataConfig, ModelConfig, SHAPConfig
from sagemaker.core.helper.session_helper import Session
from sagemaker.core.model_monitor import (Constraints, CronExpressionGenerator, EndpointInput,
                                         ExplainabilityAnalysisConfig, ModelExplainabilityMonitor, ModelMonitor)
from sagemaker.core.s3 import S3Downloader
from sdk_script import clarify_job_summary, emit, model_endpoints, parameters, read_json, wait_for_execution

params = parameters()
session = Session()
monitor = ModelExplainabilityMonitor(role=params["role"], instance_count=1, instance_type="ml.m5.xlarge",
                                     max_runtime_in_seconds=1800, sagemaker_session=session)
data_config = DataConfig(s3_data_input_path=params["dataset"], s3_output_path=params["baseline_output"],
                         label=params["label"], headers=params["headers"], dataset_type="text/csv")
model_config = ModelConfig(model_name=params["model"], instance_type="ml.m5.xlarge", instance_count=1,
                           content_type="text/csv", accept_type="text/csv")
shap_config = SHAPConfig(baseline=[params["shap_baseline"]], num_samples=100, agg_method="mean_abs",
                         save_local_shap_values=False, seed=0)

before = model_endpoints(session)
suggest_error = None
try:
    monitor.suggest_baseline(data_config=data_config, explainability_config=shap_config,
                             model_config=model_config, wait=True, logs=True)
except AttributeError as error:
    # sagemaker-core 2.27.0 (on AWS too): after the baselining job has run, ClarifyBaseliningJob reads
    # ``processing_job.sagemaker_session``, which sagemaker-core's ProcessingJob resource does not have. The
    # monitor has recorded the job's name and config by then, so the schedule below still reuses them.
    suggest_error = str(error)
baselining = clarify_job_summary(session, monitor.latest_baselining_job_name, S3Downloader.read_file)
# the baselining job's analysis.json (monitor.suggested_constraints() needs the object the SDK failed to make)
constraints = Constraints.from_s3_uri(f"{params['baseline_output']}/analysis.json", sagemaker_session=session)

# A one-time schedule (NOW) over the last hour, reusing the baselining job's config and result.
monitor.create_monitoring_schedule(
    monitor_schedule_name=params["schedule"], endpoint_input=params["endpoint"], output_s3_uri=params["reports"],
    schedule_cron_expression=CronExpressionGenerator.now(),
    data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H", enable_cloudwatch_metrics=True)
created = monitor.describe_schedule()
job_definition = session.sagemaker_client.describe_model_explainability_job_definition(
    JobDefinitionName=monitor.job_definition_name)
summary = wait_for_execution(session, params["schedule"], timeout=170.0)
try:
    executions = monitor.list_executions()
    list_error = None
except AttributeError as error:
    # sagemaker-core 2.27.0 (on AWS too): ClarifyModelMonitor.list_executions re-wraps each execution through
    # ``execution.job_name``, which sagemaker-core's MonitoringExecution (a ProcessingJob resource) does not have;
    # the base class's list works, and each of its executions reads its own files.
    list_error = str(error)
    executions = ModelMonitor.list_executions(monitor)
if not executions:  # the SDK lists only executions that have a processing job
    raise SystemExit(f"the SDK lists no execution of the schedule; its latest execution summary: {summary}")
execution_job = executions[-1].describe()
execution_output = execution_job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].rstrip("/")
# the SDK reads files only of a Completed job; a failed one is reported through the result instead
completed = execution_job["ProcessingJobStatus"] == "Completed"
violations = (monitor.latest_monitoring_constraint_violations() if list_error is None
              else executions[-1].constraint_violations()) if completed else None
described = monitor.describe_schedule()

# A daily schedule with the analysis config and constraints given explicitly: created, listed, deleted.
cron_monitor = ModelExplainabilityMonitor(role=params["role"], instance_count=1, instance_type="ml.m5.xlarge",
                                          sagemaker_session=session)
cron_monitor.create_monitoring_schedule(
    monitor_schedule_name=params["cron_schedule"],
    endpoint_input=EndpointInput(endpoint_name=params["endpoint"], destination="/opt/ml/processing/input/endpoint"),
    analysis_config=ExplainabilityAnalysisConfig(shap_config, model_config,
                                                 headers=[h for h in params["headers"] if h != params["label"]]),
    output_s3_uri=params["reports"], constraints=constraints,
    schedule_cron_expression=CronExpressionGenerator.daily(hour=6))
cron_described = cron_monitor.describe_schedule()
cron_definition = session.sagemaker_client.describe_model_explainability_job_definition(
    JobDefinitionName=cron_monitor.job_definition_name)
listed = sorted(s["MonitoringScheduleName"] for s in session.sagemaker_client.list_monitoring_schedules(
    EndpointName=params["endpoint"])["MonitoringScheduleSummaries"])
attached = ModelExplainabilityMonitor.attach(params["cron_schedule"], sagemaker_session=session)

attached_name = attached.monitoring_schedule_name  # delete_monitoring_schedule() sets it to None

definitions = [monitor.job_definition_name, cron_monitor.job_definition_name]
monitor.delete_monitoring_schedule()
attached.delete_monitoring_schedule()
after_delete = []
for name in definitions:
    try:
        session.sagemaker_client.describe_model_explainability_job_definition(JobDefinitionName=name)
        after_delete.append("still there")
    except ClientError as error:
        after_delete.append(error.response["Error"]["Code"])

emit({
    "suggest_error": suggest_error,
    "list_executions_error": list_error,
    "baselining_job": baselining,
    "baseline_constraints": constraints.body_dict,
    "created": {"status": created["MonitoringScheduleStatus"], "type": created.get("MonitoringType"),
                "expression": created["MonitoringScheduleConfig"]["ScheduleConfig"]},
    "job_definition": {key: value for key, value in job_definition.items()
                       if key.startswith("ModelExplainability")},
    "config": read_json(S3Downloader.read_file, session,
                        job_definition["ModelExplainabilityAppSpecification"]["ConfigUri"]),
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
             "baseline": cron_definition.get("ModelExplainabilityBaselineConfig"),
             "endpoint_input": cron_definition["ModelExplainabilityJobInput"]["EndpointInput"],
             "config": read_json(S3Downloader.read_file, session,
                                 cron_definition["ModelExplainabilityAppSpecification"]["ConfigUri"]),
             "attached": attached_name},
    "listed": listed,
    "definitions_after_delete": after_delete,
    "resources_before": before,
    "resources_after": model_endpoints(session),
})
