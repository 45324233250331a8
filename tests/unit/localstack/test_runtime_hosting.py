"""Endpoint hosting without LocalStack: real model servers, routing, blue/green updates, capture, registry.

The model servers are real ``python -m sagewatch.serving`` processes serving scikit-learn models from local
``model.tar.gz`` files; S3, CloudWatch and the capture uploads are fakes.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone

import joblib
import psutil
import pytest
from sklearn.dummy import DummyClassifier

from sagewatch.localstack.capture import CapturedInvocation
from sagewatch.localstack.metrics import VariantKey
from sagewatch.localstack.runtime.deployment import Deployment, VariantDeployment
from sagewatch.localstack.runtime.hosting import AwsClients, EndpointRuntime, Hosting
from sagewatch.localstack.runtime.servers import ServerRegistry
from sagewatch.localstack.runtime.settings import HostingSettings

ACCOUNT, REGION = "000000000000", "us-east-1"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def _tarball(path, value):
    model = DummyClassifier(strategy="constant", constant=value).fit([[0, 0], [1, 1]], [0, 1])
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = len(buffer.getvalue())
        tar.addfile(info, io.BytesIO(buffer.getvalue()))
    return str(path)


class Fakes:
    def __init__(self):
        self.objects = {}
        self.metrics = []

    def clients(self):
        return AwsClients(put_object=lambda target, body: self.objects.update({target.key: body}),
                          put_metric_data=lambda a, r, namespace, data: self.metrics.append((namespace, data)),
                          server_environment=lambda account, region: {})


@pytest.fixture
def fakes():
    return Fakes()


@pytest.fixture
def hosting(tmp_path, fakes):
    settings = HostingSettings(startup_timeout=60, capture_roll_seconds=60, metrics_interval=3600, drain_timeout=10)
    instance = Hosting(settings, tmp_path / "state", tmp_path / "work", fakes.clients())
    instance.start()
    yield instance
    instance.shutdown(timeout=5)


def _model(name, url, image=IMAGE):
    return {"ModelName": name, "PrimaryContainer": {"Image": image, "ModelDataUrl": url}}


def _config(name, *variants, capture=None):
    config = {"EndpointConfigName": name, "ProductionVariants": [
        {"VariantName": variant, "ModelName": model, "InitialInstanceCount": 1, "InitialVariantWeight": weight}
        for variant, model, weight in variants]}
    if capture:
        config["DataCaptureConfig"] = capture
    return config


def _wait(endpoint, statuses=("InService", "Failed"), timeout=60):
    deadline = time.monotonic() + timeout
    while endpoint.status not in statuses or endpoint.pending is not None:
        assert time.monotonic() < deadline, endpoint.status
        time.sleep(0.05)


def _invoke(endpoint, target=None):
    deployment = endpoint.enter()
    assert deployment is not None
    try:
        variant = deployment.choose(target)
        return variant.name, variant.server.invoke(b"1,1", "text/csv", "text/csv").body
    finally:
        deployment.exit()


def test_create_invoke_update_delete(hosting, tmp_path):
    zero, one = _tarball(tmp_path / "zero.tar.gz", 0), _tarball(tmp_path / "one.tar.gz", 1)
    models = {"zero": _model("zero", zero), "one": _model("one", one)}
    endpoint = hosting.create(ACCOUNT, REGION, "ep", "arn:ep", "c1", _config("c1", ("A", "zero", 1.0)), models)
    assert endpoint.status == "Creating" and endpoint.enter() is None
    _wait(endpoint)
    assert endpoint.status == "InService", endpoint.failure_reason
    assert _invoke(endpoint) == ("A", b"0")
    old_pid = endpoint.deployment.variants["A"].server.pid

    answers, failures, stop = [], [], threading.Event()

    def traffic():
        while not stop.is_set():
            try:
                answers.append(_invoke(endpoint)[1])
            except Exception as error:  # noqa: BLE001 - there must be none
                failures.append(error)

    thread = threading.Thread(target=traffic)
    thread.start()
    hosting.update(endpoint, "c2", _config("c2", ("A", "one", 1.0)), models)
    assert endpoint.status == "Updating" and endpoint.config_name == "c1"
    _wait(endpoint)
    time.sleep(0.2)
    stop.set()
    thread.join()
    assert failures == [] and answers[0] == b"0" and answers[-1] == b"1"
    assert endpoint.config_name == "c2"
    deadline = time.monotonic() + 10
    while psutil.pid_exists(old_pid) and psutil.Process(old_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the old server still runs"
        time.sleep(0.05)

    new_pid = endpoint.deployment.variants["A"].server.pid
    hosting.delete(endpoint)
    assert hosting.get(ACCOUNT, REGION, "ep") is None and endpoint.enter() is None
    deadline = time.monotonic() + 10
    while psutil.pid_exists(new_pid) and psutil.Process(new_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the server still runs after delete"
        time.sleep(0.05)


def test_model_that_cannot_load_fails_the_endpoint(hosting, tmp_path):
    broken = tmp_path / "broken.tar.gz"
    with tarfile.open(broken, "w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"junk"))
    endpoint = hosting.create(ACCOUNT, REGION, "bad", "arn:bad", "c", _config("c", ("A", "m", 1.0)),
                              {"m": _model("m", str(broken))})
    _wait(endpoint)
    assert endpoint.status == "Failed"
    assert endpoint.failure_reason.startswith("The primary container for production variant A did not pass")
    assert "Cannot load model.joblib" in endpoint.failure_reason


def test_unservable_image_fails_the_endpoint(hosting, tmp_path):
    url = _tarball(tmp_path / "m.tar.gz", 0)
    endpoint = hosting.create(ACCOUNT, REGION, "img", "arn:img", "c", _config("c", ("A", "m", 1.0)),
                              {"m": _model("m", url, image="acme/custom:1")})
    _wait(endpoint)
    assert endpoint.status == "Failed" and "acme/custom:1" in endpoint.failure_reason


def test_failed_update_rolls_back(hosting, tmp_path):
    good = _tarball(tmp_path / "good.tar.gz", 1)
    models = {"good": _model("good", good), "gone": _model("gone", str(tmp_path / "missing.tar.gz"))}
    endpoint = hosting.create(ACCOUNT, REGION, "rb", "arn:rb", "c1", _config("c1", ("A", "good", 1.0)), models)
    _wait(endpoint)
    hosting.update(endpoint, "c2", _config("c2", ("A", "gone", 1.0)), models)
    _wait(endpoint)
    assert (endpoint.status, endpoint.config_name) == ("InService", "c1")
    assert "Update failed" in endpoint.failure_reason
    assert _invoke(endpoint) == ("A", b"1")


def test_weights_route_and_update(hosting, tmp_path):
    url = _tarball(tmp_path / "m.tar.gz", 0)
    endpoint = hosting.create(ACCOUNT, REGION, "w", "arn:w", "c", _config("c", ("A", "m", 1.0), ("B", "m", 3.0)),
                              {"m": _model("m", url)})
    _wait(endpoint)
    counts = Counter(endpoint.deployment.choose().name for _ in range(4000))
    assert abs(counts["B"] - 3000) < 4 * (4000 * 0.75 * 0.25) ** 0.5
    hosting.update_weights(endpoint, [{"VariantName": "B", "DesiredWeight": 0.0, "DesiredInstanceCount": 2}])
    assert {endpoint.deployment.choose().name for _ in range(100)} == {"A"}
    assert endpoint.deployment.variants["B"].current_instance_count == 2


def test_delete_uploads_open_capture_files(hosting, fakes, tmp_path):
    url = _tarball(tmp_path / "m.tar.gz", 0)
    capture = {"InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://bucket/dc",
               "CaptureOptions": [{"CaptureMode": "Input"}]}
    endpoint = hosting.create(ACCOUNT, REGION, "cap", "arn:cap", "c", _config("c", ("A", "m", 1.0), capture=capture),
                              {"m": _model("m", url)})
    _wait(endpoint)
    deployment = endpoint.enter()
    deployment.capture.capture("A", CapturedInvocation(datetime.now(timezone.utc), b"1,1", "text/csv", b"0",
                                                       "text/csv"))
    deployment.exit()
    hosting.delete(endpoint)
    assert hosting.capture.uploader.drain(10) or hosting.capture.uploader.drain(10)
    deadline = time.monotonic() + 10
    while not fakes.objects:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (key,) = fakes.objects
    assert key.startswith("dc/cap/A/")


def test_metrics_publish_counts_and_server_utilization(hosting, fakes, tmp_path):
    url = _tarball(tmp_path / "m.tar.gz", 0)
    endpoint = hosting.create(ACCOUNT, REGION, "met", "arn:met", "c", _config("c", ("A", "m", 1.0)),
                              {"m": _model("m", url)})
    _wait(endpoint)
    key = VariantKey(ACCOUNT, REGION, "met", "A")
    hosting.metrics.record(key, model_latency_us=1000.0, overhead_latency_us=100.0, model_status=200)
    hosting.publisher.publish()
    hosting.metrics.record(key, model_latency_us=500.0, overhead_latency_us=50.0, model_status=400)
    hosting.publisher.publish()
    namespaces = {namespace for namespace, _ in fakes.metrics}
    assert namespaces == {"AWS/SageMaker", "/aws/sagemaker/Endpoints"}
    second = [data for namespace, data in fakes.metrics if namespace == "AWS/SageMaker"][-1]
    by_name = {item["MetricName"]: item for item in second}
    assert by_name["Invocations"]["Value"] == 1.0 and by_name["Invocation4XXErrors"]["Value"] == 1.0
    assert by_name["ModelLatency"]["StatisticValues"]["Sum"] == 500.0
    assert by_name["ModelLatency"]["Unit"] == "Microseconds"
    assert by_name["Invocations"]["Dimensions"] == [{"Name": "EndpointName", "Value": "met"},
                                                    {"Name": "VariantName", "Value": "A"}]
    instance = [data for namespace, data in fakes.metrics if namespace == "/aws/sagemaker/Endpoints"][-1]
    assert {item["MetricName"] for item in instance} == {"CPUUtilization", "MemoryUtilization", "DiskUtilization"}
    assert all(item["Unit"] == "Percent" and item["Value"] >= 0 for item in instance)


def test_deployment_retire_waits_for_running_requests():
    deployment = Deployment("c", [VariantDeployment(VariantKey("a", "r", "e", "A"), "m", "i", None)])
    assert deployment.enter()
    finished = []
    thread = threading.Thread(target=lambda: finished.append(deployment.retire(5)))
    thread.start()
    time.sleep(0.1)
    assert not deployment.enter() and finished == []  # retired: no new requests, still waiting for the first
    deployment.exit()
    thread.join()
    assert finished == [True]
    assert not deployment.retire(0) or deployment.in_flight == 0


def test_endpoint_enter_moves_to_the_new_deployment():
    old = Deployment("old", [VariantDeployment(VariantKey("a", "r", "e", "A"), "m", "i", None)])
    new = Deployment("new", [VariantDeployment(VariantKey("a", "r", "e", "A"), "m", "i", None)])
    endpoint = EndpointRuntime("a", "r", "e", "arn", "old", status="InService", deployment=old)
    old.retire(0)
    endpoint.deployment = new
    assert endpoint.enter() is new


def test_registry_stops_servers_of_a_killed_emulator(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        registry = ServerRegistry(tmp_path)
        registry.add(sleeper.pid, "ep/A")
        assert ServerRegistry(tmp_path).stop_leftovers() == 1
        sleeper.wait(10)  # reaped by the registry already (it is our child here)
        assert not psutil.pid_exists(sleeper.pid)
        assert list(tmp_path.iterdir()) == []
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_crash_while_starting_a_variant_fails_the_endpoint(hosting, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom while starting")

    monkeypatch.setattr(hosting, "_launch", explode)
    endpoint = hosting.create(ACCOUNT, REGION, "crash", "arn:crash", "c", _config("c", ("A", "m", 1.0)),
                              {"m": _model("m", _tarball(tmp_path / "m.tar.gz", 0))})
    _wait(endpoint)
    assert endpoint.status == "Failed"
    assert "production variant A did not start: RuntimeError: boom while starting" in endpoint.failure_reason


def test_capture_records_lost_to_a_full_spool_are_published(tmp_path, fakes):
    """SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES fills up: records are lost, counted per variant, put as a metric."""
    settings = HostingSettings(startup_timeout=60, capture_roll_seconds=3600, metrics_interval=3600,
                               drain_timeout=10, capture_spool_max_bytes=1000)
    hosting = Hosting(settings, tmp_path / "state", tmp_path / "work", fakes.clients())
    hosting.start()
    try:
        url = _tarball(tmp_path / "m.tar.gz", 0)
        capture = {"InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://bucket/dc",
                   "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}
        endpoint = hosting.create(ACCOUNT, REGION, "full", "arn:full", "c",
                                  _config("c", ("A", "m", 1.0), capture=capture), {"m": _model("m", url)})
        _wait(endpoint)
        deployment = endpoint.enter()
        written = [deployment.capture.capture("A", CapturedInvocation(datetime.now(timezone.utc), b"1,1",
                                                                      "text/csv", b"0", "text/csv"))
                   for _ in range(20)]
        deployment.exit()
        lost = written.count(False)
        assert 0 < lost < 20
        hosting.publisher.publish()
        (data,) = [data for namespace, data in fakes.metrics if namespace == "sagewatch/DataCapture"]
        assert [(item["MetricName"], item["Value"], item["Unit"]) for item in data] == [
            ("CaptureRecordsLost", float(lost), "Count")]
        assert data[0]["Dimensions"] == [{"Name": "EndpointName", "Value": "full"},
                                         {"Name": "VariantName", "Value": "A"}]
        hosting.publisher.publish()  # nothing lost since: nothing put
        assert len([1 for namespace, _ in fakes.metrics if namespace == "sagewatch/DataCapture"]) == 1
    finally:
        hosting.shutdown(timeout=5)


def test_a_model_server_that_crashes_is_replaced(tmp_path, fakes):
    settings = HostingSettings(startup_timeout=60, capture_roll_seconds=60, metrics_interval=3600, drain_timeout=10)
    hosting = Hosting(settings, tmp_path / "state", tmp_path / "work", fakes.clients(), server_check_seconds=0.2)
    hosting.start()
    try:
        url = _tarball(tmp_path / "m.tar.gz", 1)
        endpoint = hosting.create(ACCOUNT, REGION, "crash", "arn:crash", "c", _config("c", ("A", "m", 1.0)),
                                  {"m": _model("m", url)})
        _wait(endpoint)
        variant = endpoint.deployment.variants["A"]
        server = variant.server
        old_pid = server.pid
        psutil.Process(old_pid).kill()
        seen_updating = False
        deadline = time.monotonic() + 60
        while not (server.ready and server.pid != old_pid):
            assert time.monotonic() < deadline, "no new model server"
            seen_updating = seen_updating or variant.replacing_since is not None
            time.sleep(0.02)
        assert seen_updating and server.restarts == 1
        assert endpoint.status == "InService"
        assert _invoke(endpoint) == ("A", b"1")
        assert variant.replacing_since is None  # DescribeEndpoint no longer shows it Updating
        hosting.delete(endpoint)
        new_pid = server.pid
        deadline = time.monotonic() + 10
        while psutil.pid_exists(new_pid) and psutil.Process(new_pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the new server still runs after delete"
            time.sleep(0.05)
        time.sleep(0.5)
        assert server.restarts == 1  # a server stopped on purpose is not replaced
    finally:
        hosting.shutdown(timeout=5)


def test_variant_summary_shows_a_server_being_replaced():
    from sagewatch.localstack.runtime.deployment import variant_summary

    variant = VariantDeployment(VariantKey("a", "r", "e", "A"), "m", "i", None)
    assert "VariantStatus" not in variant_summary(variant)
    variant.replacing_reason, variant.replacing_since = "pid 7 was killed by signal 9", datetime.now(timezone.utc)
    (status,) = variant_summary(variant)["VariantStatus"]
    assert (status["Status"], status["StatusMessage"]) == ("Updating", "pid 7 was killed by signal 9")


def test_a_replacement_that_does_not_start_is_tried_again_with_backoff(tmp_path, fakes, monkeypatch):
    from sagewatch.localstack.runtime import hosting as hosting_module
    from sagewatch.serving import ServerStartError

    class Broken:
        """A crashed server whose replacement never starts (its model is gone)."""

        crashed, ready, pid, exit_code, log_file = True, False, 4242, -9, tmp_path / "server.log"

        def __init__(self):
            self.tries = 0

        def restart(self, timeout):
            self.tries += 1
            raise ServerStartError("model.tar.gz does not exist")

    clock = {"now": 1000.0}
    monkeypatch.setattr(hosting_module.time, "monotonic", lambda: clock["now"])
    settings = HostingSettings(startup_timeout=5, metrics_interval=3600)
    instance = Hosting(settings, tmp_path / "state", tmp_path / "work", fakes.clients())
    monkeypatch.setattr(instance, "_background", lambda name, target, *args: target(*args))  # run inline
    server = Broken()
    variant = VariantDeployment(VariantKey(ACCOUNT, REGION, "ep", "A"), "m", IMAGE, server)
    endpoint = EndpointRuntime(ACCOUNT, REGION, "ep", "arn:ep", "c", status="InService",
                               deployment=Deployment("c", [variant]))
    instance._endpoints[(ACCOUNT, REGION, "ep")] = endpoint
    tries = []
    for _ in range(12):  # 12 checks over 12 s: tries at 0, 1, 3 and 7 s (back-off 1, 2, 4, 8 s)
        instance._replace_crashed()
        tries.append(server.tries)
        clock["now"] += 1.0
    assert tries == [1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4]
    assert variant.replacing_since is not None and "killed by signal 9" in variant.replacing_reason


def test_workers_left_by_a_killed_server_are_stopped_with_its_replacement(tmp_path, fakes):
    settings = HostingSettings(startup_timeout=60, metrics_interval=3600, drain_timeout=10, serving_workers=2)
    hosting = Hosting(settings, tmp_path / "state", tmp_path / "work", fakes.clients(), server_check_seconds=0.2)
    hosting.start()
    try:
        url = _tarball(tmp_path / "m.tar.gz", 1)
        endpoint = hosting.create(ACCOUNT, REGION, "workers", "arn:w", "c", _config("c", ("A", "m", 1.0)),
                                  {"m": _model("m", url)})
        _wait(endpoint)
        server = endpoint.deployment.variants["A"].server
        supervisor = psutil.Process(server.pid)
        workers = supervisor.children()
        assert len(workers) == 2
        supervisor.kill()  # its forked workers live on, serving the old port, children of init now
        deadline = time.monotonic() + 60
        while not (server.ready and server.pid != supervisor.pid):
            assert time.monotonic() < deadline, "no new model server"
            time.sleep(0.05)
        gone, alive = psutil.wait_procs(workers, timeout=5)
        assert alive == []
        assert _invoke(endpoint) == ("A", b"1")
    finally:
        hosting.shutdown(timeout=5)
