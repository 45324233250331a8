"""Every acknowledged capture record survives ``kill -9`` of the emulator and is uploaded after a restart.

This test starts (and stops) its own LocalStack on a free port with its own state folder, because it kills it:
the shared instance of the other e2e tests is not touched. The capture files are kept open (roll interval of an
hour), so at the kill every record exists only in the local spool.
"""

from __future__ import annotations

import os
import random
import signal
import uuid

import boto3
import psutil
import pytest
from botocore.config import Config
from sw_endpoints import (
    ROLE,
    SKLEARN_IMAGE,
    capture_config,
    capture_objects,
    server_processes,
    trained_model_tarball,
    variant,
    wait_for_capture,
    wait_for_endpoint,
    wait_until,
)

from sagewatch.localstack import launcher
from sagewatch.localstack.hostmode import is_port_free

pytestmark = pytest.mark.e2e

INVOCATIONS = 300


def _clients(endpoint_url):
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    config = Config(retries={"max_attempts": 1}, read_timeout=90)
    return {name: session.client(name, endpoint_url=endpoint_url, config=config)
            for name in ("s3", "sagemaker", "sagemaker-runtime")}


def quiet_port() -> int:
    """A free port below the ephemeral range, so that no outgoing connection takes it while LocalStack is down."""
    reserved = {4566, 4596, 4597, 4598, 4599}
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 30000)
        if port not in reserved and is_port_free(port):
            return port
    raise RuntimeError("no free port between 20000 and 30000")


def _reaped(pid: int) -> bool:
    """Reap *pid* if it is our child and has exited; whether it is gone."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return not psutil.pid_exists(pid)


@pytest.fixture
def own_localstack(tmp_path, monkeypatch):
    """A LocalStack of this test only; yields ``(port, state_dir, bucket)`` and stops it afterwards."""
    monkeypatch.setenv("SAGEWATCH_CAPTURE_ROLL_SECONDS", "3600")
    monkeypatch.delenv("SAGEWATCH_STATE_DIR", raising=False)
    state_dir = tmp_path / "localstack"
    port = quiet_port()
    bucket = f"sw-recovery-{uuid.uuid4().hex[:8]}"
    launcher.up(port=port, state_dir=state_dir, timeout=180)
    yield port, state_dir, bucket
    launcher.down(state_dir=state_dir)
    for server in server_processes(f"s3://{bucket}/"):  # left by the killed instance if the test failed early
        server.kill()


def test_acknowledged_records_are_uploaded_after_kill_9(own_localstack):
    port, state_dir, bucket = own_localstack
    clients = _clients(f"http://127.0.0.1:{port}")
    s3, sagemaker, runtime = clients["s3"], clients["sagemaker"], clients["sagemaker-runtime"]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=trained_model_tarball())
    sagemaker.create_model(ModelName="recovery", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"})
    sagemaker.create_endpoint_config(EndpointConfigName="recovery", ProductionVariants=[variant("recovery")],
                                     DataCaptureConfig=capture_config(bucket, "capture"))
    sagemaker.create_endpoint(EndpointName="recovery", EndpointConfigName="recovery")
    assert wait_for_endpoint(sagemaker, "recovery")["EndpointStatus"] == "InService"
    servers = server_processes(f"s3://{bucket}/model/model.tar.gz")
    assert len(servers) == 1

    acknowledged = []
    for index in range(INVOCATIONS):
        runtime.invoke_endpoint(EndpointName="recovery", Body=b"1,2,3,4", ContentType="text/csv",
                                InferenceId=f"acked-{index}")
        acknowledged.append(f"acked-{index}")
    assert capture_objects(s3, bucket, "capture/") == []  # still open: only in the local spool

    pid = launcher.status(state_dir=state_dir)["pid"]
    os.kill(pid, signal.SIGKILL)
    # a killed multi-threaded process keeps its sockets until its last thread is gone and it is reaped
    wait_until(lambda: _reaped(pid) and is_port_free(port), 60, "the killed LocalStack to release its port")

    launcher.up(port=port, state_dir=state_dir, timeout=180)
    s3.create_bucket(Bucket=bucket)  # LocalStack runs without persistence: S3 starts empty again
    # The plugin's SageMaker providers load on the first SageMaker call; that starts the upload of the
    # spool files the killed instance left, and stops the model servers it left.
    sagemaker.list_endpoints()
    records = wait_for_capture(s3, bucket, "capture/recovery/AllTraffic/", INVOCATIONS, timeout=90, settle=1.0)
    assert sorted(record.inference_id for _, record in records) == sorted(acknowledged)
    wait_until(lambda: not any(server.is_running() and server.status() != psutil.STATUS_ZOMBIE
                               for server in servers), 30, "the killed emulator's model server to be stopped")
