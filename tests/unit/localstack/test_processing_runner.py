"""Processing jobs run as local processes against an in-memory stand-in for S3, Logs, CloudWatch and EventBridge."""

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sagewatch.localstack.sagemaker.processing.service import ProcessingService
from sagewatch.localstack.sagemaker.processing.images import ImageMap
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings

ACCOUNT, REGION = "000000000000", "us-east-1"
CONTEXT = SimpleNamespace(account_id=ACCOUNT, region=REGION)
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
ROLE = "arn:aws:iam::000000000000:role/r"

# A stand-in container: writes a metric line and the message file, prints, and exits with $EXIT_CODE.
SCRIPT = """
import json, os, pathlib, sys, time
root = pathlib.Path(os.environ["SAGEWATCH_OPT_ML"])
time.sleep(float(os.environ.get("SLEEP", "0")))
metrics = root / "output" / "metrics" / "cloudwatch"
metrics.mkdir(parents=True, exist_ok=True)
dims = [{"Name": "MonitoringSchedule", "Value": "s"}] + ([{"Name": "Endpoint", "Value": "e"}] if os.environ.get("ENDPOINT") else [])
(metrics / "m.jsonl").write_text(json.dumps({"MetricName": "feature_baseline_drift_x", "Timestamp": "2024-05-01T10:00:00Z",
                                             "Dimensions": dims, "Value": 0.4, "Unit": "None"}) + "\\n")
out = root / "processing" / "output"
out.mkdir(parents=True, exist_ok=True)
(out / "result.txt").write_text(os.environ.get("GREETING", "hi"))
if os.environ.get("MESSAGE"):
    (root / "output" / "message").write_text(os.environ["MESSAGE"] * int(os.environ.get("REPEAT", "1")))
print("stand-in container ran", flush=True)
print("to stderr", file=sys.stderr, flush=True)
sys.exit(int(os.environ.get("EXIT_CODE", "0")))
"""


class FakeAws:
    """An in-memory AwsAccess."""

    def __init__(self):
        self.account_id, self.region = ACCOUNT, REGION
        self.objects, self.logs, self.metrics, self.lock = {}, {}, [], threading.Lock()

    def put(self, bucket, key, body):
        self.objects[(bucket, key)] = body if isinstance(body, bytes) else body.encode()

    def list_objects(self, bucket, prefix):
        return [(k, len(v)) for (b, k), v in sorted(self.objects.items()) if b == bucket and k.startswith(prefix)]

    def list_folders(self, bucket, prefix):
        return sorted({prefix + k[len(prefix):].split("/", 1)[0] + "/" for (b, k) in self.objects
                       if b == bucket and k.startswith(prefix) and "/" in k[len(prefix):]})

    def any_object(self, bucket, prefix):
        return bool(self.list_objects(bucket, prefix))

    def download(self, bucket, key, destination):
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(self.objects[(bucket, key)])

    def read_text(self, bucket, key):
        return self.objects[(bucket, key)].decode()

    def upload(self, source, bucket, key):
        with self.lock:
            self.objects[(bucket, key)] = Path(source).read_bytes()

    def ensure_log_stream(self, group, stream):
        self.logs.setdefault((group, stream), [])

    def put_log_events(self, group, stream, events):
        self.logs[(group, stream)].extend(events)

    def put_metric_data(self, namespace, data):
        self.metrics.extend((namespace, d) for d in data)

    def describe_endpoint(self, name):
        return None

    def describe_endpoint_config(self, name):
        return None


@pytest.fixture
def fake():
    return FakeAws()


@pytest.fixture
def events():
    return []


@pytest.fixture
def service(tmp_path, fake, events):
    image_map = ImageMap.from_environ({"SAGEWATCH_IMAGE_MAP": json.dumps({"stand-in": ["python", "-c", SCRIPT]})})
    settings = ProcessingSettings(work_root=tmp_path / "jobs", image_map=image_map, continuous_upload_seconds=0.2,
                                  stop_grace_seconds=1.0)
    return ProcessingService(settings, aws_factory=lambda account, region: fake,
                             publish=lambda entries, account, region: events.extend(entries))


def _wait(service, name, timeout=60):
    job = service.get(ACCOUNT, REGION, name)
    assert job.finished.wait(timeout), f"{name} still {job.status}"
    return job.describe()


def _stand_in(name, environment=None, **extra):
    request = {"ProcessingJobName": name, "RoleArn": ROLE, "ProcessingResources": CLUSTER,
               "AppSpecification": {"ImageUri": "registry.example.com/stand-in:1"},
               "ProcessingOutputConfig": {"Outputs": [{"OutputName": "out", "S3Output": {
                   "S3Uri": "s3://bkt/out", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
               "Environment": environment or {}}
    request.update(extra)
    return request


def _statuses(events, name):
    return [json.loads(e["Detail"])["ProcessingJobStatus"] for e in events
            if json.loads(e["Detail"])["ProcessingJobName"] == name]


def test_analyzer_baseline_job_runs_end_to_end(service, fake, events, tmp_path):
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f}" for a, b in rng.normal(size=(500, 2)))
    fake.put("bkt", "data/part/train.csv", "a,b\n" + rows + "\n")
    request = {
        "ProcessingJobName": "baseline-1", "RoleArn": ROLE, "ProcessingResources": CLUSTER,
        "AppSpecification": {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"},
        "ProcessingInputs": [{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": "s3://bkt/data", "S3DataType": "S3Prefix", "S3InputMode": "Pipe",
            "LocalPath": "/opt/ml/processing/input/baseline_dataset_input"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "o", "S3Output": {
            "S3Uri": "s3://bkt/results/", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        "Environment": {"dataset_format": '{"csv": {"header": true}}',
                        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                        "output_path": "/opt/ml/processing/output"},
    }
    assert service.handle_create(CONTEXT, request) == {
        "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:000000000000:processing-job/baseline-1"}
    described = _wait(service, "baseline-1")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ExitMessage"] == "Completed: Job completed successfully with no violations."
    assert {"results/statistics.json", "results/constraints.json"} <= {k for b, k in fake.objects if b == "bkt"}
    folder = tmp_path / "jobs" / ACCOUNT / REGION / "baseline-1"
    config = json.loads((folder / "config" / "processingjobconfig.json").read_text())
    assert config["ProcessingJobArn"] == described["ProcessingJobArn"]
    assert config["Environment"] == request["Environment"]
    assert not (folder / "processing" / "input" / "baseline_dataset_input").exists()  # inputs removed afterwards
    ((group, stream), log_events), = fake.logs.items()
    assert group == "/aws/sagemaker/ProcessingJobs"
    assert stream == f"baseline-1/algo-1-{int(described['ProcessingStartTime'].timestamp())}"
    assert any("Completed: Job completed" in e["message"] for e in log_events)
    assert _statuses(events, "baseline-1") == ["InProgress", "Completed"]
    assert fake.metrics == []  # publish_cloudwatch_metrics unset


@pytest.mark.parametrize("endpoint, namespace", [
    ("1", "aws/sagemaker/Endpoints/data-metrics"), ("", "aws/sagemaker/ModelMonitoring/data-metrics")])
def test_metrics_are_published_when_enabled(service, fake, endpoint, namespace):
    name = f"metrics-{bool(endpoint)}".lower()
    service.create_job(ACCOUNT, REGION, _stand_in(name, {"publish_cloudwatch_metrics": "Enabled",
                                                         "ENDPOINT": endpoint}))
    assert _wait(service, name)["ProcessingJobStatus"] == "Completed"
    ((published_namespace, datum),) = fake.metrics
    assert published_namespace == namespace
    assert datum["MetricName"] == "feature_baseline_drift_x" and datum["Value"] == 0.4
    assert datum["Timestamp"].isoformat() == "2024-05-01T10:00:00+00:00"
    assert fake.objects[("bkt", "out/result.txt")] == b"hi"


def test_exit_codes_map_to_statuses(service, fake, events):
    service.create_job(ACCOUNT, REGION, _stand_in("fails-with-message", {
        "EXIT_CODE": "255", "MESSAGE": "ClientError: bad. ", "REPEAT": "200"}))
    service.create_job(ACCOUNT, REGION, _stand_in("fails-silently", {"EXIT_CODE": "3"}))
    service.create_job(ACCOUNT, REGION, _stand_in("violations", {
        "MESSAGE": "CompletedWithViolations: Job completed successfully with 2 violations."}))
    with_message = _wait(service, "fails-with-message")
    assert with_message["ProcessingJobStatus"] == "Failed"
    assert with_message["FailureReason"] == ("ClientError: bad. " * 200).strip()[:1024]
    silent = _wait(service, "fails-silently")
    assert silent["FailureReason"].startswith("AlgorithmError: See job logs for more information (the process "
                                              "exited with code 3")
    violations = _wait(service, "violations")
    assert violations["ProcessingJobStatus"] == "Completed"
    assert violations["ExitMessage"].startswith("CompletedWithViolations")
    assert fake.objects[("bkt", "out/result.txt")] == b"hi"  # outputs are uploaded for failed jobs too
    assert _statuses(events, "fails-silently") == ["InProgress", "Failed"]


def test_max_runtime_and_stop(service, fake, events):
    service.create_job(ACCOUNT, REGION, _stand_in("slow", {"SLEEP": "30"}, StoppingCondition={"MaxRuntimeInSeconds": 1}))
    service.create_job(ACCOUNT, REGION, _stand_in("stopped", {"SLEEP": "30"}))
    service.handle_stop(CONTEXT, {"ProcessingJobName": "stopped"})
    slow, stopped = _wait(service, "slow", 20), _wait(service, "stopped", 20)
    assert slow["ProcessingJobStatus"] == "Failed" and "MaxRuntimeInSeconds exceeded" in slow["FailureReason"]
    assert stopped["ProcessingJobStatus"] == "Stopped" and "FailureReason" not in stopped
    assert _statuses(events, "stopped") == ["InProgress", "Stopping", "Stopped"]


def test_manifest_input_and_missing_objects(service, fake):
    fake.put("bkt", "manifests/m.json", json.dumps([{"prefix": "s3://src/data/"}, "a.csv", "nested/b.csv"]))
    fake.put("src", "data/a.csv", "1")
    fake.put("src", "data/nested/b.csv", "2")
    script = ("import os, pathlib; root = pathlib.Path(os.environ['SAGEWATCH_OPT_ML'], 'processing'); "
              "found = sorted(str(p.relative_to(root)) for p in root.rglob('*.csv')); "
              "(root / 'output').mkdir(exist_ok=True); (root / 'output' / 'found.txt').write_text(','.join(found))")
    request = _stand_in("manifest", ProcessingInputs=[{"InputName": "m", "S3Input": {
        "S3Uri": "s3://bkt/manifests/m.json", "S3DataType": "ManifestFile", "LocalPath": "/opt/ml/processing/in"}}],
        AppSpecification={"ImageUri": "sagewatch-analyzer", "ContainerEntrypoint": ["python3", "-c", script]})
    service.create_job(ACCOUNT, REGION, request)
    assert _wait(service, "manifest")["ProcessingJobStatus"] == "Completed"
    assert fake.objects[("bkt", "out/found.txt")] == b"in/a.csv,in/nested/b.csv"

    empty = _stand_in("empty-input", ProcessingInputs=[{"InputName": "m", "S3Input": {
        "S3Uri": "s3://bkt/nothing/here", "S3DataType": "S3Prefix", "LocalPath": "/opt/ml/processing/in"}}])
    service.create_job(ACCOUNT, REGION, empty)
    assert _wait(service, "empty-input")["FailureReason"].startswith(
        'ClientError: No S3 objects found under S3 URL "s3://bkt/nothing/here"')


def test_list_and_errors(service):
    from localstack.aws.api import CommonServiceException

    for name in ("b-job", "a-job", "c-other"):
        service.create_job(ACCOUNT, REGION, _stand_in(name, AppSpecification={"ImageUri": "unknown:1"}))
    for name in ("b-job", "a-job", "c-other"):
        assert "unknown:1" in _wait(service, name)["FailureReason"]
    page = service.handle_list(CONTEXT, {"NameContains": "JOB", "SortBy": "Name", "SortOrder": "Ascending",
                                         "MaxResults": 1})
    assert [s["ProcessingJobName"] for s in page["ProcessingJobSummaries"]] == ["a-job"]
    rest = service.handle_list(CONTEXT, {"NameContains": "job", "SortBy": "Name", "SortOrder": "Ascending",
                                         "NextToken": page["NextToken"]})
    assert [s["ProcessingJobName"] for s in rest["ProcessingJobSummaries"]] == ["b-job"]
    with pytest.raises(CommonServiceException) as error:
        service.handle_create(CONTEXT, _stand_in("a-job"))
    assert error.value.code == "ResourceInUse"
    with pytest.raises(CommonServiceException) as error:
        service.handle_describe(CONTEXT, {"ProcessingJobName": "nope"})
    assert error.value.code == "ResourceNotFound"
    with pytest.raises(CommonServiceException) as error:
        service.handle_list(CONTEXT, {"NextToken": "garbage"})
    assert error.value.code == "ValidationException"
    with pytest.raises(CommonServiceException) as error:
        service.handle_stop(CONTEXT, {"ProcessingJobName": "a-job"})
    assert error.value.code == "ValidationException"


# --------------------------------------------------------------------------- the analyzer started while inputs download
def _standbys(folder: Path) -> list:
    import psutil

    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "sagewatch.job.standby" in child.cmdline() and Path(child.cwd()) == folder:
                found.append(child)
        except psutil.Error:
            pass
    return found


class _GatedAws(FakeAws):
    """Downloads wait until the test has looked at the job's processes; then they succeed or fail."""

    def __init__(self, fail=False):
        super().__init__()
        self.downloading, self.release, self.fail = threading.Event(), threading.Event(), fail

    def download(self, bucket, key, destination):
        self.downloading.set()
        assert self.release.wait(60)
        if self.fail:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "gone"}}, "GetObject")
        super().download(bucket, key, destination)


def _gated_service(tmp_path, aws, **settings):
    return ProcessingService(ProcessingSettings(work_root=tmp_path / "jobs", **settings),
                             aws_factory=lambda account, region: aws, publish=lambda entries, account, region: None)


def _analyzer_job(name):
    return {
        "ProcessingJobName": name, "RoleArn": ROLE, "ProcessingResources": CLUSTER,
        "AppSpecification": {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"},
        "ProcessingInputs": [{"InputName": "d", "S3Input": {"S3Uri": "s3://bkt/data", "S3DataType": "S3Prefix",
                                                            "LocalPath": "/opt/ml/processing/input/d"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "o", "S3Output": {
            "S3Uri": "s3://bkt/results", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        "Environment": {"dataset_format": '{"csv": {"header": true}}', "dataset_source": "/opt/ml/processing/input/d",
                        "output_path": "/opt/ml/processing/output"},
    }


def test_the_analyzer_starts_while_the_inputs_download_and_runs_once_they_are_in(tmp_path):
    aws = _GatedAws()
    aws.put("bkt", "data/d.csv", "a,b\n1,2\n3,4\n")
    service = _gated_service(tmp_path, aws)
    service.create_job(ACCOUNT, REGION, _analyzer_job("warm"))
    folder = tmp_path / "jobs" / ACCOUNT / REGION / "warm"
    assert aws.downloading.wait(30)
    try:
        waiting = _standbys(folder)
        assert len(waiting) == 1  # started in the job's folder before its inputs are there
        assert not (folder / "output" / "message").exists()
    finally:
        aws.release.set()
    described = _wait(service, "warm")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ExitMessage"] == "Completed: Job completed successfully with no violations."
    assert {"results/statistics.json", "results/constraints.json"} <= {k for _, k in aws.objects}
    assert any("Completed: Job completed" in e["message"] for events in aws.logs.values() for e in events)
    assert not waiting[0].is_running() or waiting[0].status() == "zombie"


def test_a_job_that_fails_before_its_process_runs_dismisses_the_standby(tmp_path):
    aws = _GatedAws(fail=True)
    aws.put("bkt", "data/d.csv", "a\n1\n")
    service = _gated_service(tmp_path, aws)
    service.create_job(ACCOUNT, REGION, _analyzer_job("broken"))
    folder = tmp_path / "jobs" / ACCOUNT / REGION / "broken"
    assert aws.downloading.wait(30)
    waiting = _standbys(folder)
    aws.release.set()
    described = _wait(service, "broken")
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("ClientError: Cannot download s3://bkt/data/d.csv")
    assert len(waiting) == 1 and not _standbys(folder)
    assert not (folder / "output" / "message").exists() and not (folder / "processing" / "output").exists()


def test_without_warm_analyzer_the_job_starts_cold(tmp_path):
    aws = _GatedAws()
    aws.put("bkt", "data/d.csv", "a\n1\n")
    service = _gated_service(tmp_path, aws, warm_analyzer=False)
    service.create_job(ACCOUNT, REGION, _analyzer_job("cold"))
    assert aws.downloading.wait(30)
    try:
        assert _standbys(tmp_path / "jobs" / ACCOUNT / REGION / "cold") == []
    finally:
        aws.release.set()
    assert _wait(service, "cold")["ProcessingJobStatus"] == "Completed"


def test_warm_analyzer_setting():
    assert ProcessingSettings.from_environ({}).warm_analyzer is True
    assert ProcessingSettings.from_environ({"SAGEWATCH_WARM_ANALYZER": "0"}).warm_analyzer is False
