"""lambda/start_monitoring and lambda/retraining through real boto3 clients against moto (no network)."""

import importlib.util
import json
import subprocess
import sys
import uuid

import pytest

from sw_cdkhelpers import ROOT

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

REGION = "us-east-1"
ENDPOINT = "churn-endpoint"
SCHEDULE = "sagewatch-dq-1a2b3c4d"
ROLE = "arn:aws:iam::123456789012:role/sagewatch-monitoring"


def load_handler(name):
    """lambda/<name>/handler.py as a module (``lambda`` is a keyword, so the folders are not a package)."""
    spec = importlib.util.spec_from_file_location(f"sagewatch_handler_{name}", ROOT / "lambda" / name / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("captures", "baselines", "reports"):
            s3.create_bucket(Bucket=bucket)
        yield s3


def monitoring_settings(**changes):
    settings = {
        "endpoint_name": ENDPOINT, "schedule_name": SCHEDULE, "variants": ["AllTraffic"],
        "capture_s3_uri": "s3://captures/datacapture",
        "baseline_constraints_uri": "s3://baselines/baselines/data-quality/constraints.json",
        "baseline_statistics_uri": "s3://baselines/baselines/data-quality/statistics.json",
        "output_s3_uri": "s3://reports/monitoring/data-quality",
        "image_uri": "111122223333.dkr.ecr.us-east-1.amazonaws.com/sagewatch-analyzer:3f2c1ab",
        "role_arn": ROLE, "instance_type": "ml.m5.xlarge", "instance_count": 1, "volume_size_gb": 20,
        "max_runtime_seconds": 3600, "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/abcd", "window_hours": 1,
        "run_engine_in_lambda": False, "publish_cloudwatch_metrics": True,
        "metrics_namespace": "aws/sagemaker/Endpoints/data-metrics", "job_name_prefix": SCHEDULE,
        "event_source": "sagewatch.monitoring", "event_detail_type": "Sagewatch Monitoring Execution State Change",
    }
    settings.update(changes)
    return json.dumps(settings)


# --- start_monitoring ---------------------------------------------------------------------------------------

def _record_requests(monkeypatch, operation):
    """Record the parameters of every ``operation`` call made through boto3 clients (moto keeps only some)."""
    calls, real = [], boto3.client

    def client(name, *args, **kwargs):
        made = real(name, *args, **kwargs)
        made.meta.events.register(f"provide-client-params.*.{operation}",
                                  lambda params, **_: calls.append(json.loads(json.dumps(params, default=str))))
        return made
    monkeypatch.setattr(boto3, "client", client)
    return calls


def test_scheduled_event_starts_a_processing_job_like_a_monitoring_execution(aws, monkeypatch):
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", monitoring_settings())
    requests = _record_requests(monkeypatch, "CreateProcessingJob")
    answer = load_handler("start_monitoring").handler(
        {"detail-type": "Scheduled Event", "source": "aws.events", "time": "2024-05-01T11:00:07Z", "detail": {}},
        None)
    assert answer["ProcessingJobName"].startswith(f"{SCHEDULE}-202405011100-")
    job = boto3.client("sagemaker", region_name=REGION).describe_processing_job(
        ProcessingJobName=answer["ProcessingJobName"])
    inputs = {i["InputName"]: i["S3Input"] for i in job["ProcessingInputs"]}
    assert inputs["endpoint_input_1"]["S3Uri"] == f"s3://captures/datacapture/{ENDPOINT}/AllTraffic/2024/05/01/10"
    assert inputs["endpoint_input_1"]["LocalPath"] == \
        f"/opt/ml/processing/input/endpoint/{ENDPOINT}/AllTraffic/2024/05/01/10"
    assert inputs["constraints"]["LocalPath"] == "/opt/ml/processing/baseline/constraints"
    assert inputs["baseline"]["LocalPath"] == "/opt/ml/processing/baseline/stats"
    outputs = {o["OutputName"]: o["S3Output"] for o in job["ProcessingOutputConfig"]["Outputs"]}
    assert outputs["result"] == {"S3Uri": f"s3://reports/monitoring/data-quality/{ENDPOINT}/{SCHEDULE}/2024/05/01/11",
                                 "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}
    assert len(requests) == 1
    env = requests[0]["Environment"]
    assert (env["start_time"], env["end_time"], env["metric_time"]) == (
        "2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z", "2024-05-01T10:00:00Z")
    assert env["dataset_source"] == "/opt/ml/processing/input/endpoint"
    assert env["baseline_constraints"] == "/opt/ml/processing/baseline/constraints/constraints.json"
    assert env["baseline_statistics"] == "/opt/ml/processing/baseline/stats/statistics.json"
    assert env["sagemaker_monitoring_schedule_name"] == SCHEDULE and env["publish_cloudwatch_metrics"] == "Enabled"
    assert json.loads(env["dataset_format"]) == {
        "sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
    assert job["AppSpecification"]["ImageUri"].endswith("/sagewatch-analyzer:3f2c1ab")
    assert job["RoleArn"] == ROLE


def test_completed_job_event_publishes_its_metric_file(aws, monkeypatch):
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", monitoring_settings())
    prefix = f"monitoring/data-quality/{ENDPOINT}/{SCHEDULE}/2024/05/01/11/cloudwatch_metrics"
    lines = [{"MetricName": "feature_baseline_drift_age", "Timestamp": "2024-05-01T10:00:00Z", "Value": 0.42,
              "Dimensions": [{"Name": "Endpoint", "Value": ENDPOINT}, {"Name": "MonitoringSchedule", "Value": SCHEDULE}]},
             {"MetricName": "feature_non_null_age", "Timestamp": "2024-05-01T10:00:00Z",
              "StatisticValues": {"SampleCount": 10, "Sum": 10, "Minimum": 1, "Maximum": 1},
              "Dimensions": [{"Name": "Endpoint", "Value": ENDPOINT}, {"Name": "MonitoringSchedule", "Value": SCHEDULE}]}]
    aws.put_object(Bucket="reports", Key=f"{prefix}/cloudwatch_metrics.jsonl",
                   Body="\n".join(json.dumps(line) for line in lines).encode())
    event = {"detail-type": "SageMaker Processing Job State Change", "source": "aws.sagemaker",
             "detail": {"ProcessingJobName": f"{SCHEDULE}-202405011100-abc", "ProcessingJobStatus": "Completed",
                        "ProcessingOutputConfig": {"Outputs": [
                            {"OutputName": "cloudwatch_metrics", "S3Output": {"S3Uri": f"s3://reports/{prefix}"}}]}}}
    assert load_handler("start_monitoring").handler(event, None)["published"] == 2
    metrics = boto3.client("cloudwatch", region_name=REGION).list_metrics(
        Namespace="aws/sagemaker/Endpoints/data-metrics")["Metrics"]
    assert {m["MetricName"] for m in metrics} == {"feature_baseline_drift_age", "feature_non_null_age"}


MQ_SCHEDULE = "sagewatch-mq-5e6f7a8b"
SAGEMAKER_ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


def model_quality_settings(**changes):
    settings = json.loads(monitoring_settings(
        schedule_name=MQ_SCHEDULE, job_name_prefix=MQ_SCHEDULE, monitoring_type="ModelQuality",
        baseline_constraints_uri="s3://baselines/baselines/model-quality/constraints.json",
        baseline_statistics_uri=None, output_s3_uri="s3://reports/monitoring/model-quality",
        metrics_namespace="aws/sagemaker/Endpoints/model-metrics", problem_type="BinaryClassification",
        ground_truth_s3_uri="s3://ground-truth/labels", probability_attribute="0",
        probability_threshold_attribute=0.5))
    settings.update(changes)
    return json.dumps(settings)


def _job_event(name, status="Completed", outputs=()):
    return {"detail-type": "SageMaker Processing Job State Change", "source": "aws.sagemaker",
            "detail": {"ProcessingJobName": name, "ProcessingJobStatus": status,
                       "ProcessingOutputConfig": {"Outputs": list(outputs)}}}


def test_model_quality_schedule_starts_the_merge_then_the_analysis(aws, monkeypatch):
    """The execution contract's chain (contract §2.3): the merge job on the scheduled event, the analysis job when
    the merge completed, rebuilt from the merge job's name."""
    aws.create_bucket(Bucket="ground-truth")
    for hour in ("09", "11"):  # labels collected at 09:xx (outside the window) and 11:xx; none at 10:xx
        aws.put_object(Bucket="ground-truth", Key=f"labels/2024/05/01/{hour}/labels.jsonl", Body=b"{}\n")
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", model_quality_settings(image_uri=SAGEMAKER_ANALYZER))
    requests = _record_requests(monkeypatch, "CreateProcessingJob")
    handler = load_handler("start_monitoring").handler

    merge = handler({"detail-type": "Scheduled Event", "source": "aws.events", "time": "2024-05-01T11:00:07Z"}, None)
    assert merge["ProcessingJobName"].startswith(f"{MQ_SCHEDULE}-merge-202405011100-")
    token = merge["ProcessingJobName"].rsplit("-", 1)[1]
    [merge_request] = requests
    assert merge_request["AppSpecification"] == {
        "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"}
    inputs = {i["InputName"]: i["S3Input"] for i in merge_request["ProcessingInputs"]}
    assert {name: (i["S3Uri"], i["LocalPath"]) for name, i in inputs.items()} == {
        "groundtruth_input_1": ("s3://ground-truth/labels/2024/05/01/11", "/opt/ml/processing/groundtruth/2024/05/01/11"),
        "endpoint_input_1": (f"s3://captures/datacapture/{ENDPOINT}/AllTraffic/2024/05/01/10",
                             f"/opt/ml/processing/input_data/{ENDPOINT}/AllTraffic/2024/05/01/10")}
    assert merge_request["Environment"]["ground_truth_source"] == "/opt/ml/processing/groundtruth"
    assert merge_request["ProcessingOutputConfig"]["Outputs"] == [{"OutputName": "result", "S3Output": {
        "S3Uri": "s3://reports/monitoring/model-quality/merge", "LocalPath": "/opt/ml/processing/output",
        "S3UploadMode": "EndOfJob"}}]

    analysis = handler(_job_event(merge["ProcessingJobName"]), None)
    assert analysis["ProcessingJobName"] == f"{MQ_SCHEDULE}-202405011100-{token}"
    analysis_request = requests[1]
    env = analysis_request["Environment"]
    assert (env["analysis_type"], env["problem_type"], env["probability_attribute"],
            env["probability_threshold_attribute"]) == ("MODEL_QUALITY", "BinaryClassification", "0", "0.5")
    assert (env["start_time"], env["end_time"]) == ("2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z")
    assert json.loads(env["dataset_format"]) == {"sagemakerMergeJson": {"captureIndexNames": ["endpointOutput"]}}
    assert env["baseline_constraints"] == "/opt/ml/processing/baseline/constraints/constraints.json"
    assert env["CLOUDWATCH_METRICS_DIRECTORY"] == "/opt/ml/processing/cloudwatch_metrics"
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in analysis_request["ProcessingInputs"]}
    assert inputs["endpoint_input_1"] == (f"s3://reports/monitoring/model-quality/merge/{ENDPOINT}/AllTraffic/"
                                          f"2024/05/01/10/{merge['ProcessingJobName']}")
    assert inputs["merge_report"] == (f"s3://reports/monitoring/model-quality/merge/sagewatch-merge-reports/"
                                      f"{merge['ProcessingJobName']}.json")
    outputs = {o["OutputName"]: o["S3Output"]["S3Uri"] for o in analysis_request["ProcessingOutputConfig"]["Outputs"]}
    report = f"s3://reports/monitoring/model-quality/{ENDPOINT}/{MQ_SCHEDULE}/2024/05/01/11"
    assert outputs == {"result": report, "cloudwatch_metrics": f"{report}/cloudwatch_metrics"}
    assert "baseline" not in inputs and "baseline_statistics" not in env

    # a failed merge starts nothing
    assert handler(_job_event(merge["ProcessingJobName"], status="Failed"), None)["started"] is None
    assert len(requests) == 2


def test_model_quality_analysis_completion_publishes_model_metrics(aws, monkeypatch):
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", model_quality_settings())
    prefix = f"monitoring/model-quality/{ENDPOINT}/{MQ_SCHEDULE}/2024/05/01/11/cloudwatch_metrics"
    dimensions = [{"Name": "Endpoint", "Value": ENDPOINT}, {"Name": "MonitoringSchedule", "Value": MQ_SCHEDULE}]
    aws.put_object(Bucket="reports", Key=f"{prefix}/cloudwatch_metrics.jsonl", Body=json.dumps(
        {"MetricName": "f2", "Timestamp": "2024-05-01T10:00:00Z", "Value": 0.71, "Dimensions": dimensions}).encode())
    requests = _record_requests(monkeypatch, "CreateProcessingJob")
    event = _job_event(f"{MQ_SCHEDULE}-202405011100-0123456789abcdef", outputs=[
        {"OutputName": "cloudwatch_metrics", "S3Output": {"S3Uri": f"s3://reports/{prefix}"}}])
    assert load_handler("start_monitoring").handler(event, None)["published"] == 1
    assert requests == []  # the last job of the chain starts nothing
    metrics = boto3.client("cloudwatch", region_name=REGION).list_metrics(
        Namespace="aws/sagemaker/Endpoints/model-metrics")["Metrics"]
    assert [(m["MetricName"], m["Dimensions"]) for m in metrics] == [("f2", dimensions)]


def test_processing_mode_merge_runs_on_the_sagewatch_image(aws, monkeypatch):
    """Processing mode on AWS runs the sagewatch-analyzer image, which has no groundtruth-merger sibling in the
    account: the merge job runs the same image with the merge entry point."""
    aws.create_bucket(Bucket="ground-truth")
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", model_quality_settings())
    requests = _record_requests(monkeypatch, "CreateProcessingJob")
    load_handler("start_monitoring").handler({"time": "2024-05-01T11:00:00Z"}, None)
    assert requests[0]["AppSpecification"] == {
        "ImageUri": "111122223333.dkr.ecr.us-east-1.amazonaws.com/sagewatch-analyzer:3f2c1ab",
        "ContainerEntrypoint": ["python", "-m", "sagewatch.job.merge"]}
    assert "groundtruth_input_1" not in {i["InputName"] for i in requests[0]["ProcessingInputs"]}  # no labels yet


@pytest.mark.parametrize("changes, message", [
    ({"run_engine_in_lambda": True}, r"run_engine_in_lambda runs data quality only"),
    ({"problem_type": None}, r"lacks \['problem_type'\], which model quality needs"),
    ({"monitoring_type": "BatchQuality"}, r"monitoring_type must be one of \['DataQuality', 'ModelQuality', "
                                          r"'ModelBias', 'ModelExplainability'\]"),
])
def test_model_quality_settings_are_checked(aws, monkeypatch, changes, message):
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", model_quality_settings(**changes))
    with pytest.raises(ValueError, match=message):
        load_handler("start_monitoring").handler({"time": "2024-05-01T11:00:00Z"}, None)


def _capture_line(age, plan, charges, prediction, minute):
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": f"{age},{plan},{charges}",
                          "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": str(prediction),
                           "encoding": "CSV"}},
        "eventMetadata": {"eventId": str(uuid.uuid4()), "inferenceTime": f"2024-05-01T10:{minute:02d}:00Z"},
        "eventVersion": "0"})


def test_in_lambda_engine_analyses_the_window_and_reports(aws, monkeypatch, tmp_path):
    # a baseline made by the analyzer itself
    opt_ml = tmp_path / "opt-ml"
    data = opt_ml / "processing" / "input" / "data"
    data.mkdir(parents=True)
    rows = ["churn,age,plan,charges"] + [f"{i % 2},{20 + i % 40},{'basic' if i % 3 else 'pro'},{10.0 + i % 7}"
                                         for i in range(300)]
    (data / "train.csv").write_text("\n".join(rows) + "\n")
    done = subprocess.run([sys.executable, "-m", "sagewatch.job"], capture_output=True, text=True, timeout=300, env={
        "PATH": "/usr/bin:/bin", "SAGEWATCH_OPT_ML": str(opt_ml), "dataset_format": '{"csv": {"header": true}}',
        "dataset_source": "/opt/ml/processing/input/data", "output_path": "/opt/ml/processing/output"})
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("constraints.json", "statistics.json"):
        aws.upload_file(str(opt_ml / "processing" / "output" / name), "baselines", f"baselines/data-quality/{name}")
    # an hour of captured traffic that has drifted (ages 70+, a new plan)
    body = "\n".join(_capture_line(70 + i % 5, "gold", 99.0, 1, i % 60) for i in range(120))
    aws.put_object(Bucket="captures", Key=f"datacapture/{ENDPOINT}/AllTraffic/2024/05/01/10/00-00-000-x.jsonl",
                   Body=body.encode())
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", monitoring_settings(run_engine_in_lambda=True))

    answer = load_handler("start_monitoring").handler({"time": "2024-05-01T11:00:00Z"}, None)

    assert answer["ProcessingJobStatus"] == "Completed", answer
    assert answer["ExitMessage"].startswith("CompletedWithViolations: Job completed successfully with ")
    assert answer["MetricsPublished"] > 0
    report = f"monitoring/data-quality/{ENDPOINT}/{SCHEDULE}/2024/05/01/11"
    keys = {o["Key"] for o in aws.list_objects_v2(Bucket="reports", Prefix=report)["Contents"]}
    assert {f"{report}/statistics.json", f"{report}/constraint_violations.json"} <= keys
    metrics = boto3.client("cloudwatch", region_name=REGION).list_metrics(
        Namespace="aws/sagemaker/Endpoints/data-metrics", MetricName="feature_baseline_drift_age")["Metrics"]
    assert metrics and {d["Name"]: d["Value"] for d in metrics[0]["Dimensions"]} == {
        "Endpoint": ENDPOINT, "MonitoringSchedule": SCHEDULE}


# --- retraining ---------------------------------------------------------------------------------------------

@pytest.fixture
def alerts(aws):
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def messages():
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return sorted(json.loads(m["Body"])["Subject"] for m in got)
    return topic, messages


def retraining_settings(topic, **changes):
    return json.dumps({"action": "sns", "topic_arn": topic, "reports_bucket": "reports",
                       "record_prefix": "retraining", **changes})


def alarm_event(state="ALARM"):
    return {"id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "CloudWatch Alarm State Change",
            "source": "aws.cloudwatch", "time": "2024-05-01T11:05:00Z",
            "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:drift-age"],
            "detail": {"alarmName": "drift-age", "state": {"value": state, "reason": "Threshold Crossed"},
                       "previousState": {"value": "OK"}}}


def _records(s3):
    return [json.loads(s3.get_object(Bucket="reports", Key=o["Key"])["Body"].read())
            for o in s3.list_objects_v2(Bucket="reports", Prefix="retraining/").get("Contents", [])]


def test_alarm_is_recorded_published_and_requests_retraining(aws, alerts, monkeypatch):
    topic, messages = alerts
    monkeypatch.setenv("SAGEWATCH_RETRAINING_SETTINGS", retraining_settings(topic))
    answer = load_handler("retraining").handler(alarm_event(), None)
    assert answer["retraining_requested"] is True
    assert answer["record"] == "s3://reports/retraining/2024/05/01/110500-alarm-7bf73129-1428-4cd3-a780-95db273d1602.json"
    [record] = _records(aws)
    assert (record["kind"], record["name"], record["state"], record["action"]) == ("alarm", "drift-age", "ALARM", "sns")
    assert messages() == ["sagewatch: alarm drift-age is ALARM", "sagewatch: retraining requested"]


def test_completed_execution_without_violations_is_only_recorded(aws, alerts, monkeypatch):
    topic, messages = alerts
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_processing_job(  # moto's job has no ExitMessage: the handler asks DescribeProcessingJob
        ProcessingJobName="sagewatch-dq-1-202405011100-ab", RoleArn=ROLE,
        AppSpecification={"ImageUri": "111122223333.dkr.ecr.us-east-1.amazonaws.com/sagewatch-analyzer:1"},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                               "VolumeSizeInGB": 20}},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})
    monkeypatch.setenv("SAGEWATCH_RETRAINING_SETTINGS", retraining_settings(topic))
    event = {"id": "e1", "detail-type": "SageMaker Processing Job State Change", "source": "aws.sagemaker",
             "time": "2024-05-01T11:20:00Z", "detail": {"ProcessingJobName": "sagewatch-dq-1-202405011100-ab",
                                                         "ProcessingJobStatus": "Completed"}}
    answer = load_handler("retraining").handler(event, None)
    assert answer["retraining_requested"] is False
    assert [r["kind"] for r in _records(aws)] == ["processing-job"]
    assert messages() == []


def test_execution_with_violations_starts_the_pipeline(aws, alerts, monkeypatch):
    topic, messages = alerts
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_pipeline(PipelineName="churn-retraining", RoleArn=ROLE,
                              PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": []}))
    monkeypatch.setenv("SAGEWATCH_RETRAINING_SETTINGS",
                       retraining_settings(topic, action="start-pipeline", pipeline_name="churn-retraining"))
    event = {"id": "e2", "detail-type": "Sagewatch Monitoring Execution State Change",
             "source": "sagewatch.monitoring", "time": "2024-05-01T11:01:00Z",
             "detail": {"ProcessingJobName": "sagewatch-dq-1-202405011100-cd", "ProcessingJobStatus": "Completed",
                        "ExitMessage": "CompletedWithViolations: Job completed successfully with 4 violations."}}
    answer = load_handler("retraining").handler(event, None)
    assert answer["retraining_requested"] is True
    assert answer["action_result"]["PipelineExecutionArn"].startswith("arn:aws:sagemaker:")
    [subject] = messages()
    assert subject.startswith("sagewatch: monitoring run sagewatch-dq-1-202405011100-cd: CompletedWithViolations")
    assert len(subject) == 100  # SNS subjects are cut to 100 characters


def test_training_job_from_template(aws, alerts, monkeypatch):
    topic, _ = alerts
    template = {"TrainingJobName": "churn", "RoleArn": ROLE,
                "AlgorithmSpecification": {"TrainingImage": "111122223333.dkr.ecr.us-east-1.amazonaws.com/train:1",
                                           "TrainingInputMode": "File"},
                "OutputDataConfig": {"S3OutputPath": "s3://baselines/models/"},
                "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}
    aws.put_object(Bucket="baselines", Key="templates/train.json", Body=json.dumps(template).encode())
    monkeypatch.setenv("SAGEWATCH_RETRAINING_SETTINGS", retraining_settings(
        topic, action="start-training-job-from-template", training_template_uri="s3://baselines/templates/train.json",
        training_role_arn=ROLE))
    answer = load_handler("retraining").handler(alarm_event(), None)
    name = answer["action_result"]["TrainingJobName"]
    assert name.startswith("churn-") and len(name) <= 63
    job = boto3.client("sagemaker", region_name=REGION).describe_training_job(TrainingJobName=name)
    assert job["RoleArn"] == ROLE


def test_ok_alarm_state_does_not_retrain(aws, alerts, monkeypatch):
    topic, messages = alerts
    monkeypatch.setenv("SAGEWATCH_RETRAINING_SETTINGS", retraining_settings(topic))
    assert load_handler("retraining").handler(alarm_event("OK"), None)["retraining_requested"] is False
    assert messages() == []
