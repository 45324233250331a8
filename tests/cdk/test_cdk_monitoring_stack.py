"""MonitoringStack: job definitions and schedules, the processing mode, alarms, event rules, alerts, dashboard."""

import json

import pytest
from aws_cdk.assertions import Match, Template

from stacks.components.monitors.common import ANALYZER_IMAGE_ACCOUNTS
from sw_cdkhelpers import ANALYZER_IMAGE, resources_of_type, stage_for, synthesized

ENDPOINT_NAME_IMPORT = {"Fn::ImportValue": Match.string_like_regexp("sagewatch-endpoint:ExportsOutput.*EndpointName.*")}


def _template(name):
    return Template.from_stack(synthesized(name)[1].monitoring)


@pytest.fixture(scope="module")
def local():
    return _template("local")


@pytest.fixture(scope="module")
def aws():
    return _template("aws")


@pytest.fixture(scope="module")
def all_monitors():
    return _template("aws-all-monitors")


@pytest.fixture(scope="module")
def local_processing():
    return _template("local-processing")


@pytest.fixture(scope="module")
def aws_processing():
    return _template("aws-processing")


def _settings(template, variable):
    """The JSON settings of a Lambda, with CloudFormation tokens replaced by stand-in strings."""
    for function in template.find_resources("AWS::Lambda::Function").values():
        value = function["Properties"]["Environment"]["Variables"].get(variable)
        if value is not None:
            parts = value["Fn::Join"][1] if isinstance(value, dict) else [value]
            return json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))
    raise AssertionError(f"no function has {variable}")


# --- model-monitor mode -------------------------------------------------------------------------------------

def test_model_monitor_mode_has_one_data_quality_definition_and_schedule(local):
    local.resource_count_is("AWS::SageMaker::DataQualityJobDefinition", 1)
    local.resource_count_is("AWS::SageMaker::MonitoringSchedule", 1)
    local.resource_count_is("AWS::SageMaker::ModelQualityJobDefinition", 0)
    local.resource_count_is("AWS::Lambda::Function", 1)  # the retraining handler only


def test_data_quality_job_definition(local):
    local.has_resource_properties("AWS::SageMaker::DataQualityJobDefinition", {
        "JobDefinitionName": Match.string_like_regexp("^sagewatch-dq-job-[0-9a-f]{8}$"),
        "DataQualityAppSpecification": {
            "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
            "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        "DataQualityBaselineConfig": {
            "ConstraintsResource": {"S3Uri": {"Fn::Join": ["", ["s3://", Match.any_value(),
                                                                "/baselines/data-quality/constraints.json"]]}},
            "StatisticsResource": {"S3Uri": {"Fn::Join": ["", ["s3://", Match.any_value(),
                                                               "/baselines/data-quality/statistics.json"]]}}},
        "DataQualityJobInput": {"EndpointInput": {
            "EndpointName": ENDPOINT_NAME_IMPORT, "LocalPath": "/opt/ml/processing/input/endpoint",
            "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}},
        "DataQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "Continuous",
            "S3Uri": {"Fn::Join": ["", ["s3://", Match.any_value(), "/monitoring/data-quality"]]}}}],
            "KmsKeyId": Match.any_value()},
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20,
                                           "VolumeKmsKeyId": Match.any_value()}},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    })


def test_schedule_runs_the_definition_hourly(local):
    definition = next(iter(local.find_resources("AWS::SageMaker::DataQualityJobDefinition").items()))
    schedule = next(iter(local.find_resources("AWS::SageMaker::MonitoringSchedule").values()))
    properties = schedule["Properties"]
    assert properties["MonitoringScheduleConfig"] == {
        "MonitoringJobDefinitionName": definition[1]["Properties"]["JobDefinitionName"],
        "MonitoringType": "DataQuality",
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}
    assert properties["MonitoringScheduleName"].startswith("sagewatch-dq-")
    assert definition[0] in schedule["DependsOn"]


def test_generated_names_are_deterministic_and_differ_per_target(local, aws):
    def names(template):
        return sorted(r["Properties"]["MonitoringScheduleName"]
                      for r in template.find_resources("AWS::SageMaker::MonitoringSchedule").values())
    assert names(local) == names(_template("local"))
    assert names(local) != names(aws)


def test_env_agnostic_aws_stack_maps_the_analyzer_image_by_region(aws):
    mapping = aws.to_json()["Mappings"]["SageMakerAnalyzerImageAccounts"]
    assert {region: row["account"] for region, row in mapping.items()} == ANALYZER_IMAGE_ACCOUNTS
    aws.has_resource_properties("AWS::SageMaker::DataQualityJobDefinition", {"DataQualityAppSpecification": {
        "ImageUri": {"Fn::Join": ["", [{"Fn::FindInMap": ["SageMakerAnalyzerImageAccounts", {"Ref": "AWS::Region"},
                                                          "account"]}, ".dkr.ecr.",
                                       {"Ref": "AWS::Region"}, ".amazonaws.com/sagemaker-model-monitor-analyzer"]]},
    }})


def test_all_four_monitor_types_when_enabled(all_monitors):
    for kind in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"):
        all_monitors.resource_count_is(f"AWS::SageMaker::{kind}JobDefinition", 1)
    all_monitors.resource_count_is("AWS::SageMaker::MonitoringSchedule", 4)
    types = sorted(r["Properties"]["MonitoringScheduleConfig"]["MonitoringType"]
                   for r in all_monitors.find_resources("AWS::SageMaker::MonitoringSchedule").values())
    assert types == ["DataQuality", "ModelBias", "ModelExplainability", "ModelQuality"]
    all_monitors.has_resource_properties("AWS::SageMaker::ModelQualityJobDefinition", {
        "ModelQualityAppSpecification": {"ProblemType": "BinaryClassification", "ImageUri": Match.any_value(),
                                         "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        "ModelQualityJobInput": {
            "EndpointInput": Match.object_like({"InferenceAttribute": "0", "ProbabilityAttribute": "1",
                                                "ProbabilityThresholdAttribute": 0.5, "StartTimeOffset": "-P1D",
                                                "EndTimeOffset": "-PT1H"}),
            "GroundTruthS3Input": {"S3Uri": {"Fn::Join": ["", ["s3://", Match.any_value(), "/ground-truth"]]}}},
    })
    clarify = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
    all_monitors.has_resource_properties("AWS::SageMaker::ModelBiasJobDefinition", {
        "ModelBiasAppSpecification": {"ImageUri": clarify, "ConfigUri": Match.any_value(),
                                      "Environment": Match.any_value()}})
    all_monitors.has_resource_properties("AWS::SageMaker::ModelExplainabilityJobDefinition", {
        "ModelExplainabilityAppSpecification": Match.object_like({"ImageUri": clarify}),
        "ModelExplainabilityJobInput": {"EndpointInput": Match.object_like({"FeaturesAttribute": "features"})}})


@pytest.fixture(scope="module")
def local_model_quality():
    app, stacks = synthesized("local-model-quality")
    return Template.from_stack(stacks.monitoring), Template.from_stack(stacks.storage)


def _ref_of(storage, resource_type, logical_prefix):
    ids = [k for k in storage.find_resources(resource_type) if k.startswith(logical_prefix)]
    assert len(ids) == 1, ids
    return ids[0]


def test_model_quality_job_definition_enabled_from_the_command_line(local_model_quality):
    """-c modelQuality=true: a definition with everything a model-quality execution reads (contract §9.2)."""
    monitoring, storage = local_model_quality
    monitoring.resource_count_is("AWS::SageMaker::ModelQualityJobDefinition", 1)
    monitoring.resource_count_is("AWS::SageMaker::MonitoringSchedule", 2)
    definition = next(iter(monitoring.find_resources("AWS::SageMaker::ModelQualityJobDefinition").values()))
    p = definition["Properties"]
    assert p["JobDefinitionName"].startswith("sagewatch-mq-job-")
    assert p["ModelQualityAppSpecification"] == {
        "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        "ProblemType": "BinaryClassification", "Environment": {"publish_cloudwatch_metrics": "Enabled"}}
    endpoint_input = dict(p["ModelQualityJobInput"]["EndpointInput"])
    assert "EndpointName" in endpoint_input["EndpointName"]["Fn::ImportValue"]
    del endpoint_input["EndpointName"]
    assert endpoint_input == {  # no InferenceAttribute: the demo model answers with the churn probability only
        "LocalPath": "/opt/ml/processing/input/endpoint", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated", "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5,
        "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H"}

    def bucket_and_key(uri):
        parts = uri["Fn::Join"][1]
        assert parts[0] == "s3://" and len(parts) == 3, uri
        return parts[1]["Fn::ImportValue"], parts[2]

    ground_truth = bucket_and_key(p["ModelQualityJobInput"]["GroundTruthS3Input"]["S3Uri"])
    assert ground_truth[1] == "/ground-truth" and "GroundTruth" in ground_truth[0]
    constraints = bucket_and_key(p["ModelQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"])
    assert constraints[1] == "/baselines/model-quality/constraints.json" and "Baselines" in constraints[0]
    assert "StatisticsResource" not in p["ModelQualityBaselineConfig"]
    output = p["ModelQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]
    assert bucket_and_key(output["S3Uri"])[1] == "/monitoring/model-quality" and "Reports" in bucket_and_key(
        output["S3Uri"])[0]
    assert (output["LocalPath"], output["S3UploadMode"]) == ("/opt/ml/processing/output", "Continuous")
    schedules = {r["Properties"]["MonitoringScheduleConfig"]["MonitoringType"]: r
                 for r in monitoring.find_resources("AWS::SageMaker::MonitoringSchedule").values()}
    mq = schedules["ModelQuality"]["Properties"]
    assert mq["MonitoringScheduleName"].startswith("sagewatch-mq-")
    assert mq["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == p["JobDefinitionName"]
    outputs = monitoring.to_json()["Outputs"]
    assert outputs["ModelQualityMonitorScheduleName"]["Value"] == mq["MonitoringScheduleName"]


def test_model_quality_role_reads_the_ground_truth_bucket(local_model_quality, local):
    monitoring, _ = local_model_quality

    def ground_truth_reads(template):
        found = []
        for policy in template.find_resources("AWS::IAM::Policy").values():
            if not any("MonitoringRole" in r["Ref"] for r in policy["Properties"].get("Roles", [])):
                continue
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if "s3:GetObject*" in statement["Action"] and "GroundTruth" in json.dumps(statement["Resource"]):
                    found.append(statement)
        return found
    assert ground_truth_reads(monitoring)
    assert ground_truth_reads(local) == []  # data quality alone reads no labels


def test_model_quality_alarm_watches_the_model_quality_schedule(local_model_quality):
    monitoring, _ = local_model_quality
    schedule = next(r["Properties"]["MonitoringScheduleName"]
                    for r in monitoring.find_resources("AWS::SageMaker::MonitoringSchedule").values()
                    if r["Properties"]["MonitoringScheduleConfig"]["MonitoringType"] == "ModelQuality")
    quality = [a["Properties"] for a in monitoring.find_resources("AWS::CloudWatch::Alarm").values()
               if a["Properties"]["Namespace"] == "aws/sagemaker/Endpoints/model-metrics"]
    assert len(quality) == 1
    alarm = quality[0]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "f2", 0.625, "LessThanThreshold")
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions["MonitoringSchedule"] == schedule and set(dimensions) == {"Endpoint", "MonitoringSchedule"}


# --- alarms, alerts, retraining, dashboard ------------------------------------------------------------------

def test_drift_alarms_use_sagemaker_namespace_and_dimensions(local):
    schedule = next(iter(local.find_resources("AWS::SageMaker::MonitoringSchedule").values()))
    schedule_name = schedule["Properties"]["MonitoringScheduleName"]
    alarms = local.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 3
    names = set()
    for alarm in alarms.values():
        p = alarm["Properties"]
        names.add(p["MetricName"])
        assert p["Namespace"] == "aws/sagemaker/Endpoints/data-metrics"
        dimensions = {d["Name"]: d["Value"] for d in p["Dimensions"]}
        assert set(dimensions) == {"Endpoint", "MonitoringSchedule"}
        assert dimensions["MonitoringSchedule"] == schedule_name
        endpoint = dimensions["Endpoint"]["Fn::ImportValue"]
        assert endpoint.startswith("sagewatch-endpoint:ExportsOutput") and "EndpointName" in endpoint
        assert (p["Threshold"], p["EvaluationPeriods"], p["DatapointsToAlarm"], p["Period"], p["Statistic"]) == (
            0.2, 1, 1, 3600, "Maximum")
        assert p["ComparisonOperator"] == "GreaterThanThreshold" and p["TreatMissingData"] == "notBreaching"
        assert len(p["AlarmActions"]) == 1 and p["AlarmActions"][0]["Ref"].startswith("AlertsTopic")
    assert names == {"feature_baseline_drift_monthly_charges", "feature_baseline_drift_support_calls",
                     "feature_baseline_drift_data_gb"}


def test_quality_alarm_on_model_metrics(all_monitors):
    all_monitors.has_resource_properties("AWS::CloudWatch::Alarm", {
        "Namespace": "aws/sagemaker/Endpoints/model-metrics", "MetricName": "f2", "Threshold": 0.625,
        "ComparisonOperator": "LessThanOrEqualToThreshold"})


def test_alert_topic_is_kms_encrypted_and_tls_only(local):
    local.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [
        Match.string_like_regexp("AlertsKey"), "Arn"]}})
    local.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    local.resource_count_is("AWS::SNS::Subscription", 0)
    policy = next(iter(local.find_resources("AWS::SNS::TopicPolicy").values()))
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy["Properties"]["PolicyDocument"]["Statement"])


def test_email_subscriptions_come_from_context():
    template = _template("aws-ab-test")
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email",
                                                                "Endpoint": "ml-oncall@example.com"})


def test_retraining_rules_event_patterns(local):
    rules = {r["Properties"]["Description"]: r["Properties"] for r in local.find_resources("AWS::Events::Rule").values()}
    alarm = next(p for d, p in rules.items() if "ALARM" in d)["EventPattern"]
    assert alarm["source"] == ["aws.cloudwatch"] and alarm["detail-type"] == ["CloudWatch Alarm State Change"]
    assert alarm["detail"] == {"state": {"value": ["ALARM"]}}
    assert len(alarm["resources"]) == 3 and all("Fn::GetAtt" in r for r in alarm["resources"])
    job = next(p for d, p in rules.items() if "monitoring execution completed" in d)["EventPattern"]
    assert job["source"] == ["aws.sagemaker"] and job["detail-type"] == ["SageMaker Processing Job State Change"]
    assert job["detail"]["ProcessingJobStatus"] == ["Completed"]
    prefix = job["detail"]["ProcessingOutputConfig"]["Outputs"]["S3Output"]["S3Uri"][0]["prefix"]
    assert prefix["Fn::Join"][1][0] == "s3://" and prefix["Fn::Join"][1][-1] == "/monitoring/"
    for p in rules.values():
        assert p["Targets"][0]["Arn"]["Fn::GetAtt"][0].startswith("RetrainingHandlerFunction")


def test_retraining_handler_settings(local):
    settings = _settings(local, "SAGEWATCH_RETRAINING_SETTINGS")
    assert settings == {"action": "sns", "topic_arn": "TOKEN", "reports_bucket": "TOKEN",
                        "record_prefix": "retraining"}
    pipeline = _settings(_template("aws-ab-test"), "SAGEWATCH_RETRAINING_SETTINGS")
    assert pipeline["action"] == "start-pipeline" and pipeline["pipeline_name"] == "churn-retraining"


def test_retraining_pipeline_permission_is_scoped():
    statements = [s for p in _template("aws-ab-test").find_resources("AWS::IAM::Policy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    start = [s for s in statements if s["Action"] == "sagemaker:StartPipelineExecution"]
    assert len(start) == 1 and json.dumps(start[0]["Resource"]).endswith(':pipeline/churn-retraining"]]}')


def test_dashboard_on_both_targets(local, aws):
    """On locally too: the sagewatch plugin provides AWS::CloudWatch::Dashboard, which LocalStack 4.13.1 lacks."""
    for template in (local, aws):
        template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
        body = json.dumps(next(iter(template.find_resources("AWS::CloudWatch::Dashboard").values()))["Properties"])
        for metric in ("Invocations", "ModelLatency", "CPUUtilization", "MemoryUtilization",
                       "feature_baseline_drift_monthly_charges"):
            assert metric in body


def test_dashboard_only_where_enabled():
    import aws_cdk as cdk

    from sw_cdkhelpers import cdk_app, file_context

    stage = stage_for("local", overrides={"cloudWatchDashboard": "false"})
    assert stage.cloudwatch_dashboard.enabled is False
    app = cdk.App(context={k: v for k, v in file_context().items() if k.startswith("@aws-cdk")})
    Template.from_stack(cdk_app.build(app, stage).monitoring).resource_count_is("AWS::CloudWatch::Dashboard", 0)


# --- processing mode ----------------------------------------------------------------------------------------

def test_processing_mode_has_no_model_monitor_resources(local_processing, aws_processing):
    for template in (local_processing, aws_processing):
        assert not [r for r in template.to_json()["Resources"].values() if r["Type"].startswith("AWS::SageMaker::")]
        template.resource_count_is("AWS::Lambda::Function", 2)
        template.resource_count_is("AWS::Lambda::LayerVersion", 1)


def test_processing_schedule_rule_triggers_start_monitoring(aws_processing):
    rules = resources_of_type(aws_processing.to_json(), "AWS::Events::Rule")
    scheduled = [r["Properties"] for r in rules.values() if "ScheduleExpression" in r["Properties"]]
    assert len(scheduled) == 1 and scheduled[0]["ScheduleExpression"] == "cron(0 * ? * * *)"
    assert scheduled[0]["Targets"][0]["Arn"]["Fn::GetAtt"][0].startswith("ProcessingMonitorStartMonitoring")
    completed = [r["Properties"]["EventPattern"] for r in rules.values()
                 if "ProcessingJobName" in json.dumps(r["Properties"].get("EventPattern", {}))]
    assert completed[0]["detail"]["ProcessingJobName"][0]["prefix"].startswith("sagewatch-dq-")


def test_processing_settings_match_the_monitoring_contract(aws_processing):
    settings = _settings(aws_processing, "SAGEWATCH_MONITORING_SETTINGS")
    assert settings["image_uri"] == ANALYZER_IMAGE
    assert settings["variants"] == ["AllTraffic"] and settings["window_hours"] == 1
    assert settings["run_engine_in_lambda"] is False
    assert settings["metrics_namespace"] == "aws/sagemaker/Endpoints/data-metrics"
    assert settings["baseline_constraints_uri"] == "s3://TOKEN/baselines/data-quality/constraints.json"
    assert settings["job_name_prefix"] == settings["schedule_name"]
    statements = [s for p in aws_processing.find_resources("AWS::IAM::Policy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    create = [s for s in statements if "sagemaker:CreateProcessingJob" in s["Action"]]
    assert json.dumps(create[0]["Resource"]).endswith(f':processing-job/{settings["schedule_name"]}-*"]]}}')
    assert any(s["Action"] == "iam:PassRole" for s in statements)


def test_in_lambda_engine_adds_the_inline_violations_rule(local_processing):
    settings = _settings(local_processing, "SAGEWATCH_MONITORING_SETTINGS")
    assert settings["run_engine_in_lambda"] is True
    patterns = [r["Properties"].get("EventPattern", {}) for r in
                local_processing.find_resources("AWS::Events::Rule").values()]
    inline = [p for p in patterns if p.get("source") == ["sagewatch.monitoring"]]
    assert inline == [{"source": ["sagewatch.monitoring"],
                       "detail-type": ["Sagewatch Monitoring Execution State Change"],
                       "detail": {"ExitMessage": [{"prefix": "CompletedWithViolations"}]}}]
    local_processing.has_resource_properties("AWS::Lambda::Function", {
        "Runtime": "python3.11", "Handler": "handler.handler", "MemorySize": 1024, "Timeout": 300,
        "Layers": [{"Ref": Match.string_like_regexp("EngineLayer")}]})


def _all_settings(template):
    """The SAGEWATCH_MONITORING_SETTINGS of every start_monitoring function, by logical id (tokens as TOKEN)."""
    found = {}
    for logical_id, function in template.find_resources("AWS::Lambda::Function").items():
        value = function["Properties"]["Environment"]["Variables"].get("SAGEWATCH_MONITORING_SETTINGS")
        if value is not None:
            parts = value["Fn::Join"][1] if isinstance(value, dict) else [value]
            found[logical_id] = json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))
    return found


@pytest.fixture(scope="module")
def processing_model_quality():
    return _template("local-processing-model-quality")


def test_processing_mode_runs_model_quality_as_processing_jobs(processing_model_quality):
    """-c monitoring=processing -c modelQuality=true: a second start_monitoring Lambda whose settings the
    Lambda's MonitoringSettings reads, starting the merge and analysis jobs (never the in-Lambda engine)."""
    from sagewatch.lambda_support.monitoring import MonitoringSettings

    settings = _all_settings(processing_model_quality)
    assert len(settings) == 2
    [mq_id] = [k for k, v in settings.items() if v.get("monitoring_type") == "ModelQuality"]
    mq = settings[mq_id]
    assert mq_id.startswith("ModelQualityProcessingMonitorStartMonitoring")
    names = ("problem_type", "ground_truth_s3_uri", "inference_attribute", "probability_attribute",
             "probability_threshold_attribute", "start_time_offset", "end_time_offset", "run_engine_in_lambda",
             "metrics_namespace", "baseline_statistics_uri")
    assert {k: mq.get(k) for k in names} == {  # CloudFormation drops the None values
        "problem_type": "BinaryClassification", "ground_truth_s3_uri": "s3://TOKEN/ground-truth",
        "inference_attribute": None, "probability_attribute": "0", "probability_threshold_attribute": 0.5,
        "start_time_offset": "-PT1H", "end_time_offset": "-PT0H", "run_engine_in_lambda": False,
        "metrics_namespace": "aws/sagemaker/Endpoints/model-metrics", "baseline_statistics_uri": None}
    assert mq["baseline_constraints_uri"] == "s3://TOKEN/baselines/model-quality/constraints.json"
    assert mq["output_s3_uri"] == "s3://TOKEN/monitoring/model-quality"
    assert mq["job_name_prefix"] == mq["schedule_name"] and mq["schedule_name"].startswith("sagewatch-mq-")
    parsed = MonitoringSettings.from_json(json.dumps(mq))
    assert (parsed.monitoring_type, parsed.extra) == ("ModelQuality", {})
    [dq] = [v for v in settings.values() if v.get("monitoring_type") is None]
    assert dq["run_engine_in_lambda"] is True  # cdk.json's local block: data quality keeps the in-Lambda engine

    rules = processing_model_quality.find_resources("AWS::Events::Rule")
    completed = [r["Properties"] for r in rules.values()
                 if {"prefix": f"{mq['schedule_name']}-"} in r["Properties"].get("EventPattern", {}).get(
                     "detail", {}).get("ProcessingJobName", [])]
    assert len(completed) == 1 and completed[0]["Targets"][0]["Arn"]["Fn::GetAtt"][0] == mq_id
    assert completed[0]["EventPattern"]["detail"]["ProcessingJobStatus"] == ["Completed"]
    outputs = processing_model_quality.to_json()["Outputs"]
    assert outputs["ModelQualityProcessingMonitorScheduleName"]["Value"] == mq["schedule_name"]
    assert outputs["ProcessingMonitorScheduleName"]["Value"] == dq["schedule_name"]

    alarms = [a["Properties"] for a in processing_model_quality.find_resources("AWS::CloudWatch::Alarm").values()
              if a["Properties"]["Namespace"] == "aws/sagemaker/Endpoints/model-metrics"]
    assert [{d["Name"]: d["Value"] for d in a["Dimensions"]}["MonitoringSchedule"] for a in alarms] == [
        mq["schedule_name"]]


def test_processing_model_quality_lambda_may_list_ground_truth_and_start_its_jobs(processing_model_quality):
    policies = [p["Properties"] for p in processing_model_quality.find_resources("AWS::IAM::Policy").values()
                if any(r["Ref"].startswith("ModelQualityProcessingMonitor") for r in p["Properties"]["Roles"])]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    reads = [s for s in statements if "s3:List*" in s["Action"] and "GroundTruth" in json.dumps(s["Resource"])]
    assert reads and "/ground-truth/*" in json.dumps(reads[0]["Resource"])
    create = [s for s in statements if "sagemaker:CreateProcessingJob" in s["Action"]]
    assert json.dumps(create[0]["Resource"]).endswith('-*"]]}')  # <schedule>-* covers <schedule>-merge-*
    metrics = [s for s in statements if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics[0]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "aws/sagemaker/Endpoints/model-metrics"}}


def test_lambdas_log_to_their_own_groups_with_retention(local_processing):
    groups = local_processing.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == 2 and all(g["Properties"]["RetentionInDays"] == 7 for g in groups.values())
    for function in local_processing.find_resources("AWS::Lambda::Function").values():
        assert "LoggingConfig" in function["Properties"]
    roles = local_processing.find_resources("AWS::IAM::Role")
    assert all("ManagedPolicyArns" not in r["Properties"] for r in roles.values())


def test_stage_config_is_what_app_py_builds():
    assert stage_for("local").monitoring.schedule_expression == "cron(0 * ? * * *)"
