"""The emulator's SageMaker state survives ``down`` + ``up`` and a ``kill -9`` of LocalStack; ``local reset`` clears it.

This test starts (and stops) its own LocalStack on a free port with its own state folder, because it restarts and
kills it: the shared instance of the other e2e tests is not touched. Community LocalStack keeps S3 in memory, so
after each restart the test puts its baseline files and captured traffic back into S3 (the emulator itself puts
back the endpoint's model artefact, from its copy in the state folder).
"""

from __future__ import annotations

import io
import json
import os
import signal
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import joblib
import numpy as np
import psutil
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sklearn.linear_model import LinearRegression
from sw_endpoints import capture_objects, wait_until
from test_capture_recovery import _reaped, quiet_port

from sagewatch.capture.keys import capture_object_key
from sagewatch.localstack import launcher
from sagewatch.localstack.hostmode import is_port_free
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::000000000000:role/sagewatch-e2e"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
PAST_HOUR = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
RESTART_REASON = "The emulator (LocalStack) restarted while this job was running"


def _model_tarball() -> bytes:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3))
    model, archive = io.BytesIO(), io.BytesIO()
    joblib.dump(LinearRegression().fit(x, x.sum(axis=1)), model)
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = len(model.getvalue())
        tar.addfile(info, io.BytesIO(model.getvalue()))
    return archive.getvalue()


def _captures(s3, bucket, endpoint, rows=600):
    """Drifted traffic captured during PAST_HOUR, written straight to S3 in the capture layout."""
    rng = np.random.default_rng(rows)
    lines = []
    for i, row in enumerate(rng.normal(2.0, 1, (rows, 3))):
        when = PAST_HOUR + timedelta(minutes=2) + timedelta(minutes=50) * i / rows
        record = make_capture_record(event_id=str(uuid.uuid4()), inference_time=when,
                                     input_data=",".join(f"{v:.4f}" for v in row),
                                     output_data=f"{1 / (1 + np.exp(-row.sum())):.5f}")
        lines.append(serialize_capture_record(record))
    key = capture_object_key("capture", endpoint, "AllTraffic", PAST_HOUR + timedelta(minutes=2), str(uuid.uuid4()))
    s3.put_object(Bucket=bucket, Key=key, Body="".join(line + "\n" for line in lines).encode())


def _sleeper(name, marker):
    """A processing job that hangs (a Python one-liner that sleeps); *marker* finds its process."""
    return {"ProcessingJobName": name, "RoleArn": ROLE, "ProcessingResources": CLUSTER,
            "AppSpecification": {"ImageUri": "registry.example.com/team/sagewatch-analyzer:0.1",
                                 "ContainerEntrypoint": ["python3", "-c",
                                                         f"import time; '{marker}'; time.sleep(3600)"]}}


def _processes(marker):
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(marker in part for part in process.info["cmdline"] or []):
            found.append(process)
    return found


def _post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Emulator:
    """The test's own LocalStack and its clients."""

    def __init__(self, port, state_dir):
        self.port, self.state_dir = port, state_dir
        self.url = f"http://127.0.0.1:{port}"
        session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
        config = Config(retries={"max_attempts": 1}, read_timeout=90)
        self.s3, self.sagemaker, self.runtime = (session.client(name, endpoint_url=self.url, config=config)
                                                 for name in ("s3", "sagemaker", "sagemaker-runtime"))

    def up(self):
        launcher.up(port=self.port, state_dir=self.state_dir, timeout=180)

    def down(self):
        pid = launcher.status(state_dir=self.state_dir)["pid"]
        launcher.down(state_dir=self.state_dir)
        # a stopped multi-threaded process keeps its sockets until its last thread is gone and it is reaped
        wait_until(lambda: _reaped(pid) and is_port_free(self.port), 120, "the stopped LocalStack's port to be free",
                   interval=0.5)

    def kill(self):
        pid = launcher.status(state_dir=self.state_dir)["pid"]
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: _reaped(pid) and is_port_free(self.port), 60, "the killed LocalStack to release its port")

    def artefact_copies(self):
        folders = self.state_dir.glob("fs/**/sagewatch/durable/artefacts")
        return [path for folder in folders for path in folder.iterdir()]


@pytest.fixture
def emulator(tmp_path, monkeypatch):
    monkeypatch.setenv("SAGEWATCH_CAPTURE_ROLL_SECONDS", "2")
    monkeypatch.delenv("SAGEWATCH_STATE_DIR", raising=False)
    monkeypatch.delenv("SAGEWATCH_DURABLE_STATE", raising=False)
    instance = Emulator(quiet_port(), tmp_path / "localstack")
    instance.up()
    yield instance
    launcher.down(state_dir=instance.state_dir)
    for process in _processes("sw-durable-"):
        process.kill()


def _described(emulator, names):
    sm = emulator.sagemaker
    strip = lambda answer: {k: v for k, v in answer.items() if k != "ResponseMetadata"}  # noqa: E731
    schedule = strip(sm.describe_monitoring_schedule(MonitoringScheduleName=names["schedule"]))
    schedule.pop("LastMonitoringExecutionSummary", None)
    return {
        "model": strip(sm.describe_model(ModelName=names["model"])),
        "config": strip(sm.describe_endpoint_config(EndpointConfigName=names["model"])),
        "endpoint": strip(sm.describe_endpoint(EndpointName=names["model"])),
        "definition": strip(sm.describe_data_quality_job_definition(JobDefinitionName=names["definition"])),
        "schedule": schedule,
        "alerts": sm.list_monitoring_alerts(MonitoringScheduleName=names["schedule"])["MonitoringAlertSummaries"],
        "baseline job": strip(sm.describe_processing_job(ProcessingJobName=names["baseline"])),
        "model tags": sm.list_tags(ResourceArn=names["model arn"])["Tags"],
        "schedule tags": sm.list_tags(ResourceArn=names["schedule arn"])["Tags"],
    }


def _create_everything(emulator, bucket):
    sm, s3 = emulator.sagemaker, emulator.s3
    s3.create_bucket(Bucket=bucket)
    names = {"model": f"sw-durable-{uuid.uuid4().hex[:6]}", "definition": "sw-durable-dq",
             "schedule": "sw-durable-schedule", "baseline": f"sw-durable-baseline-{uuid.uuid4().hex[:6]}"}
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=_model_tarball())
    names["model arn"] = sm.create_model(ModelName=names["model"], ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"},
        Tags=[{"Key": "team", "Value": "ml"}])["ModelArn"]
    sm.create_endpoint_config(
        EndpointConfigName=names["model"],
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": names["model"], "InitialInstanceCount": 1,
                             "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{bucket}/capture",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    sm.create_endpoint(EndpointName=names["model"], EndpointConfigName=names["model"])

    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (2000, 3))
    rows = ["score,x0,x1,x2"] + [f"{1 / (1 + np.exp(-sum(r))):.5f},{r[0]:.4f},{r[1]:.4f},{r[2]:.4f}" for r in x]
    s3.put_object(Bucket=bucket, Key="baseline-data/train.csv", Body=("\n".join(rows) + "\n").encode())
    results = f"s3://{bucket}/baselining/results"
    sm.create_processing_job(
        ProcessingJobName=names["baseline"], RoleArn=ROLE, ProcessingResources=CLUSTER,
        AppSpecification={"ImageUri": ANALYZER},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": f"s3://{bucket}/baseline-data", "S3DataType": "S3Prefix",
            "LocalPath": "/opt/ml/processing/input/baseline_dataset_input"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": results, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        Environment={"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                     "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                     "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled"})
    wait_until(lambda: sm.describe_processing_job(ProcessingJobName=names["baseline"])["ProcessingJobStatus"]
               != "InProgress", 120, "the baselining job")
    assert sm.describe_processing_job(ProcessingJobName=names["baseline"])["ProcessingJobStatus"] == "Completed"
    baseline = {key: s3.get_object(Bucket=bucket, Key=f"baselining/results/{key}")["Body"].read()
                for key in ("constraints.json", "statistics.json")}

    sm.create_data_quality_job_definition(
        JobDefinitionName=names["definition"], RoleArn=ROLE, JobResources=CLUSTER,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityBaselineConfig={"ConstraintsResource": {"S3Uri": f"{results}/constraints.json"},
                                   "StatisticsResource": {"S3Uri": f"{results}/statistics.json"}},
        DataQualityJobInput={"EndpointInput": {"EndpointName": names["model"],
                                               "LocalPath": "/opt/ml/processing/input/endpoint"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    names["schedule arn"] = sm.create_monitoring_schedule(
        MonitoringScheduleName=names["schedule"], Tags=[{"Key": "owner", "Value": "durable"}],
        MonitoringScheduleConfig={"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                                  "MonitoringJobDefinitionName": names["definition"],
                                  "MonitoringType": "DataQuality"})["MonitoringScheduleArn"]
    sm.update_monitoring_alert(MonitoringScheduleName=names["schedule"], MonitoringAlertName="monitoring-alert",
                               DatapointsToAlert=2, EvaluationPeriod=3)
    return names, baseline


def _check_restored(emulator, bucket, names, baseline, before, hung):
    sm, s3 = emulator.sagemaker, emulator.s3
    assert _described(emulator, names) == before
    job = sm.describe_processing_job(ProcessingJobName=hung)
    assert job["ProcessingJobStatus"] == "Failed" and RESTART_REASON in job["FailureReason"], job
    wait_until(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in _processes(hung)), 30,
               "the hung job's process to be stopped")

    # the endpoint serves again, with its capture on
    def answers():
        try:
            emulator.runtime.invoke_endpoint(EndpointName=names["model"], Body=b"0.1,0.2,0.3", ContentType="text/csv")
        except ClientError:
            return False
        return True

    wait_until(answers, 120, "the restored endpoint to answer")
    assert sm.describe_endpoint(EndpointName=names["model"])["EndpointStatus"] == "InService"
    wait_until(lambda: capture_objects(s3, bucket, f"capture/{names['model']}/AllTraffic/"), 60,
               "a capture file of the restored endpoint")

    # the schedule runs now, over traffic put back into S3 (community S3 forgets it at a restart)
    for key, body in baseline.items():
        s3.put_object(Bucket=bucket, Key=f"baselining/results/{key}", Body=body)
    _captures(s3, bucket, names["model"])
    scheduled = PAST_HOUR + timedelta(hours=1)
    status, summary = _post_json(f"{emulator.url}/_sagewatch/schedules/{names['schedule']}/executions",
                                 {"ScheduledTime": f"{scheduled:%Y-%m-%dT%H:%M:%SZ}"})
    assert status == 200, summary

    def finished():
        found = [e for e in sm.list_monitoring_executions(MonitoringScheduleName=names["schedule"])[
            "MonitoringExecutionSummaries"] if e["ScheduledTime"] == scheduled]
        return found and found[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress") and found[0]

    wait_until(finished, 120, "the run-now execution")
    assert finished()["MonitoringExecutionStatus"] == "CompletedWithViolations", finished()


def test_state_survives_down_up_and_kill_9(emulator):
    bucket = f"sw-durable-{uuid.uuid4().hex[:8]}"
    names, baseline = _create_everything(emulator, bucket)
    sm = emulator.sagemaker
    assert sm.describe_endpoint(EndpointName=names["model"])["EndpointStatus"] in ("Creating", "InService")
    wait_until(lambda: sm.describe_endpoint(EndpointName=names["model"])["EndpointStatus"] == "InService", 120,
               "the endpoint")
    wait_until(lambda: emulator.artefact_copies(), 30, "the emulator's copy of the model artefact")
    first_hung = "sw-durable-hung-1"
    sm.create_processing_job(**_sleeper(first_hung, first_hung))
    wait_until(lambda: _processes(first_hung), 30, "the hung job's process")
    wait_until(lambda: sm.describe_monitoring_schedule(MonitoringScheduleName=names["schedule"])[
        "MonitoringScheduleStatus"] == "Scheduled", 60, "the schedule to be Scheduled")
    before = _described(emulator, names)

    # (a) down + up
    emulator.down()
    emulator.up()
    _check_restored(emulator, bucket, names, baseline, before, first_hung)
    executions_before_kill = sm.list_monitoring_executions(MonitoringScheduleName=names["schedule"])[
        "MonitoringExecutionSummaries"]

    # (b) kill -9 + up, with a job hanging at the kill
    second_hung = "sw-durable-hung-2"
    sm.create_processing_job(**_sleeper(second_hung, second_hung))
    wait_until(lambda: _processes(second_hung), 30, "the second hung job's process")
    time.sleep(1.5)  # the execution's own status changes are saved within a second
    emulator.kill()
    assert _processes(second_hung)  # a killed emulator leaves its job running ...
    emulator.up()
    _check_restored(emulator, bucket, names, baseline, before, second_hung)  # ... the next one stops it
    after = sm.list_monitoring_executions(MonitoringScheduleName=names["schedule"])["MonitoringExecutionSummaries"]
    assert [e for e in after if e in executions_before_kill] == executions_before_kill  # history kept
    assert sm.describe_processing_job(ProcessingJobName=first_hung)["ProcessingJobStatus"] == "Failed"


def test_local_reset_clears_the_state(emulator, capsys):
    sm = emulator.sagemaker
    sm.create_data_quality_job_definition(
        JobDefinitionName="sw-durable-reset", RoleArn=ROLE, JobResources=CLUSTER,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityJobInput={"EndpointInput": {"EndpointName": "e", "LocalPath": "/opt/ml/processing/input"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": "s3://b/reports", "LocalPath": "/opt/ml/processing/output"}}]})
    assert launcher.main(["reset", "--state-dir", str(emulator.state_dir)]) == 1
    assert "reset does not stop it" in capsys.readouterr().err
    emulator.down()
    emulator.up()
    assert [d["MonitoringJobDefinitionName"] for d in sm.list_data_quality_job_definitions()[
        "JobDefinitionSummaries"]] == ["sw-durable-reset"]
    emulator.down()
    assert launcher.main(["reset", "--state-dir", str(emulator.state_dir)]) == 0
    assert "Emulator state cleared" in capsys.readouterr().out
    emulator.up()
    assert sm.list_data_quality_job_definitions()["JobDefinitionSummaries"] == []
