"""The Lambda handlers' AWS calls against moto: S3 reads and writes, PutMetricData, EventBridge, SNS.

Fast unit tests (no LocalStack, no network): real boto3 clients, ``moto.mock_aws``; LocalStack stays the e2e tier.
The request contents of CreateProcessingJob and the retraining actions are pinned in
``tests/cdk/test_cdk_lambda_handlers.py``; these tests pin what reaches the other services.
"""

import importlib.util
import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sagewatch.api import suggest_baseline

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
ENDPOINT = "churn-endpoint"
SCHEDULE = "sagewatch-dq-9f8e7d6c"
NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
ROLE = "arn:aws:iam::123456789012:role/sagewatch-monitoring"


def load_handler(name):
    """lambda/<name>/handler.py as a fresh module (``lambda`` is a keyword: the folders are not a package)."""
    spec = importlib.util.spec_from_file_location(f"sagewatch_unit_handler_{name}",
                                                  ROOT / "lambda" / name / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def s3(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with moto.mock_aws():
        client = boto3.client("s3", region_name=REGION)
        for bucket in ("captures", "baselines", "reports"):
            client.create_bucket(Bucket=bucket)
        yield client


def _queue_for(pattern):
    """An SQS queue behind an EventBridge rule on the default bus: what the rule matches lands here."""
    events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="capture", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="capture", Targets=[{"Id": "q", "Arn": arn}])

    def received():
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]
    return received


def monitoring_settings(**changes):
    settings = {
        "endpoint_name": ENDPOINT, "schedule_name": SCHEDULE, "variants": ["AllTraffic"],
        "capture_s3_uri": "s3://captures/datacapture",
        "baseline_constraints_uri": "s3://baselines/dq/constraints.json",
        "baseline_statistics_uri": "s3://baselines/dq/statistics.json",
        "output_s3_uri": "s3://reports/monitoring", "image_uri": "111122223333.dkr.ecr.us-east-1.amazonaws.com/a:1",
        "role_arn": ROLE, "instance_type": "ml.m5.xlarge", "instance_count": 1, "volume_size_gb": 20,
        "max_runtime_seconds": 3600, "kms_key_id": None, "window_hours": 1, "run_engine_in_lambda": True,
        "publish_cloudwatch_metrics": True, "metrics_namespace": NAMESPACE, "job_name_prefix": SCHEDULE,
        "event_source": "sagewatch.monitoring", "event_detail_type": "Sagewatch Monitoring Execution State Change",
    }
    settings.update(changes)
    return json.dumps(settings)


def _capture_line(age, plan, minute):
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": f"{age},{plan}",
                          "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "1", "encoding": "CSV"}},
        "eventMetadata": {"eventId": str(uuid.uuid4()), "inferenceTime": f"2024-05-01T10:{minute:02d}:00Z"},
        "eventVersion": "0"})


@pytest.fixture
def baseline_in_s3(s3):
    """A baseline suggested with the Python API from a DataFrame, stored where the settings point."""
    rng = np.random.default_rng(4)
    # captured rows are named by position, model output first (output_columns_position START)
    train = pd.DataFrame({"prediction": rng.integers(0, 2, 400), "age": rng.integers(20, 60, 400),
                          "plan": rng.choice(["basic", "pro"], 400)})
    statistics, constraints = suggest_baseline(train)
    s3.put_object(Bucket="baselines", Key="dq/statistics.json", Body=statistics.to_json().encode())
    s3.put_object(Bucket="baselines", Key="dq/constraints.json", Body=constraints.to_json().encode())
    return s3


def test_in_lambda_run_reads_captures_writes_the_report_and_announces_it_on_eventbridge(baseline_in_s3,
                                                                                         monkeypatch):
    s3 = baseline_in_s3
    body = "\n".join(_capture_line(70 + i % 5, "gold", i % 60) for i in range(90))  # drifted traffic
    s3.put_object(Bucket="captures", Key=f"datacapture/{ENDPOINT}/AllTraffic/2024/05/01/10/a.jsonl", Body=body.encode())
    received = _queue_for({"source": ["sagewatch.monitoring"]})
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", monitoring_settings())

    answer = load_handler("start_monitoring").handler({"time": "2024-05-01T11:00:00Z"}, None)

    report = f"s3://reports/monitoring/{ENDPOINT}/{SCHEDULE}/2024/05/01/11"
    assert (answer["ProcessingJobStatus"], answer["ReportS3Uri"]) == ("Completed", report)
    violations = json.loads(s3.get_object(Bucket="reports", Key=report[len("s3://reports/"):]
                                          + "/constraint_violations.json")["Body"].read())["violations"]
    assert {(v["feature_name"], v["constraint_check_type"]) for v in violations} >= {
        ("age", "baseline_drift_check"), ("plan", "categorical_values_check")}
    statistics = json.loads(s3.get_object(Bucket="reports", Key=report[len("s3://reports/"):]
                                          + "/statistics.json")["Body"].read())
    assert statistics["dataset"]["item_count"] == 90
    [event] = received()
    assert (event["source"], event["detail-type"]) == ("sagewatch.monitoring",
                                                       "Sagewatch Monitoring Execution State Change")
    assert event["detail"]["ExitMessage"] == answer["ExitMessage"]
    assert event["detail"]["ExitMessage"].startswith("CompletedWithViolations: ")
    assert (event["detail"]["ReportS3Uri"], event["detail"]["EndpointName"]) == (report, ENDPOINT)
    metrics = boto3.client("cloudwatch", region_name=REGION).list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {"feature_baseline_drift_age", "feature_non_null_plan"} <= {m["MetricName"] for m in metrics}
    assert len({m["MetricName"] for m in metrics}) == answer["MetricsPublished"]


def test_in_lambda_run_without_metrics_publishes_none(baseline_in_s3, monkeypatch):
    baseline_in_s3.put_object(Bucket="captures", Key=f"datacapture/{ENDPOINT}/AllTraffic/2024/05/01/10/a.jsonl",
                              Body="\n".join(_capture_line(30, "basic", m) for m in range(10)).encode())
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", monitoring_settings(publish_cloudwatch_metrics=False))
    answer = load_handler("start_monitoring").handler({"time": "2024-05-01T11:00:00Z"}, None)
    assert (answer["ProcessingJobStatus"], answer["MetricsPublished"]) == ("Completed", 0)
    assert boto3.client("cloudwatch", region_name=REGION).list_metrics(Namespace=NAMESPACE)["Metrics"] == []


def test_metric_files_of_many_lines_are_published_in_chunks_and_all_arrive(s3, monkeypatch):
    dimensions = [{"Name": "Endpoint", "Value": ENDPOINT}, {"Name": "MonitoringSchedule", "Value": SCHEDULE}]
    lines = [{"MetricName": f"feature_non_null_f{i:02d}", "Timestamp": "2024-05-01T10:00:00Z", "Value": i / 50,
              "Dimensions": dimensions} for i in range(45)]
    prefix = f"monitoring/{ENDPOINT}/{SCHEDULE}/2024/05/01/11/cloudwatch_metrics"
    for part in range(3):  # several metric files under the output, read in key order
        s3.put_object(Bucket="reports", Key=f"{prefix}/part-{part}.jsonl",
                      Body="\n".join(json.dumps(line) for line in lines[part * 15:(part + 1) * 15]).encode())
    calls = []
    real = boto3.client

    def client(name, *args, **kwargs):
        made = real(name, *args, **kwargs)
        made.meta.events.register("provide-client-params.cloudwatch.PutMetricData",
                                  lambda params, **_: calls.append(len(params["MetricData"])))
        return made
    monkeypatch.setattr(boto3, "client", client)
    monkeypatch.setenv("SAGEWATCH_MONITORING_SETTINGS", monitoring_settings(run_engine_in_lambda=False))
    event = {"detail-type": "SageMaker Processing Job State Change", "source": "aws.sagemaker",
             "detail": {"ProcessingJobName": f"{SCHEDULE}-202405011100-0123456789abcdef",
                        "ProcessingJobStatus": "Completed", "ProcessingOutputConfig": {"Outputs": [
                            {"OutputName": "cloudwatch_metrics", "S3Output": {"S3Uri": f"s3://reports/{prefix}"}}]}}}

    assert load_handler("start_monitoring").handler(event, None)["published"] == 45
    assert calls == [20, 20, 5]
    stored = boto3.client("cloudwatch", region_name=REGION).get_metric_data(
        MetricDataQueries=[{"Id": f"m{i}", "MetricStat": {"Metric": {
            "Namespace": NAMESPACE, "MetricName": f"feature_non_null_f{i:02d}", "Dimensions": dimensions},
            "Period": 60, "Stat": "Average"}} for i in (0, 44)],
        StartTime="2024-05-01T09:00:00Z", EndTime="2024-05-01T11:00:00Z")["MetricDataResults"]
    assert [r["Values"] for r in stored] == [[0.0], [0.88]]


def test_download_prefix_follows_list_pages(s3, tmp_path):
    from sagewatch.lambda_support.inline import download_prefix

    class SmallPages:
        """The moto client with pages of 2 keys (S3's are 1000): the continuation tokens are moto's."""

        def __init__(self):
            self.pages = 0

        def list_objects_v2(self, **params):
            self.pages += 1
            return s3.list_objects_v2(MaxKeys=2, **params)

        def __getattr__(self, name):
            return getattr(s3, name)

    for i in range(5):
        s3.put_object(Bucket="captures", Key=f"in/2024/{i:04d}.jsonl", Body=str(i).encode())
    s3.put_object(Bucket="captures", Key="in/folder/", Body=b"")  # a folder marker is not a file
    s3.put_object(Bucket="captures", Key="other/x.jsonl", Body=b"x")
    client = SmallPages()
    assert download_prefix(client, "s3://captures/in", tmp_path) == 5
    assert client.pages == 3
    assert sorted(p.read_text() for p in (tmp_path / "2024").iterdir()) == ["0", "1", "2", "3", "4"]
    assert not (tmp_path / "folder").exists() and not (tmp_path / "x.jsonl").exists()


@pytest.fixture
def topic(s3):
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    arn = sns.create_topic(Name="alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)

    def received():
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]
    return arn, received


def test_retraining_action_none_records_and_alerts_but_starts_nothing(s3, topic, monkeypatch):
    arn, received = topic
    monkeypatch.setenv("SAGEWATCH_RETRAINING_SETTINGS", json.dumps(
        {"action": "none", "topic_arn": arn, "reports_bucket": "reports", "record_prefix": "retraining"}))
    event = {"id": "e9", "detail-type": "Sagewatch Monitoring Execution State Change",
             "source": "sagewatch.monitoring", "time": "2024-05-01T11:01:00Z",
             "detail": {"ProcessingJobName": f"{SCHEDULE}-202405011100-ef", "ProcessingJobStatus": "Completed",
                        "ExitMessage": "CompletedWithViolations: Job completed successfully with 2 violations."}}
    answer = load_handler("retraining").handler(event, None)
    assert answer["retraining_requested"] is True and answer["action_result"] is None
    key = answer["record"][len("s3://reports/"):]
    stored = s3.get_object(Bucket="reports", Key=key)
    assert stored["ContentType"] == "application/json"
    record = json.loads(stored["Body"].read())
    assert (record["name"], record["exit_message"], record["action"]) == (
        f"{SCHEDULE}-202405011100-ef", event["detail"]["ExitMessage"], "none")
    [message] = received()  # the alert only: no "retraining requested" message for action none
    assert message["Subject"].startswith(f"sagewatch: monitoring run {SCHEDULE}-202405011100-ef")
    assert "2 violations" in message["Message"]
