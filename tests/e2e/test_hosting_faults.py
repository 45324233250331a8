"""Hosting faults: a model server that crashes is replaced; a processing job that hangs is stopped.

Against the shared LocalStack, as a boto3 user sees it.
"""

from __future__ import annotations

import time
import uuid

import psutil
import pytest
from botocore.config import Config
from sw_endpoints import CLEAR_ROWS, deploying, server_processes, trained_model_tarball, variant, wait_until
from test_processing_jobs import CLUSTER, ROLE, wait_for_job

pytestmark = pytest.mark.e2e


@pytest.fixture
def deployer(aws_client, bucket, unique_name):
    """Models, configs and endpoints of one test, deleted afterwards (before its bucket)."""
    yield from deploying(aws_client, bucket, unique_name)


def test_crashed_model_server_is_replaced_without_user_action(aws_client, endpoint_url, deployer, bucket):
    import boto3

    sagemaker = aws_client("sagemaker")
    # no retries: botocore would retry a 503 on its own, and this test wants to see it
    runtime = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1").client(
        "sagemaker-runtime", endpoint_url=endpoint_url, config=Config(retries={"total_max_attempts": 1}))
    model = deployer.model(trained_model_tarball())
    endpoint = deployer.endpoint(deployer.config([variant(model)]))
    (server,) = server_processes(f"s3://{bucket}/{model}/model.tar.gz")

    server.kill()  # the model server dies (kill -9), as a container killed by the OOM killer would
    server.wait(10)
    with pytest.raises(runtime.exceptions.ServiceUnavailable) as error:
        runtime.invoke_endpoint(EndpointName=endpoint, Body=CLEAR_ROWS.encode(), ContentType="text/csv")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert "a new one is being started" in error.value.response["Error"]["Message"]

    statuses = []

    def serves_again() -> bool:
        described = sagemaker.describe_endpoint(EndpointName=endpoint)
        statuses.append((described["EndpointStatus"], described["ProductionVariants"][0].get("VariantStatus")))
        try:
            answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=CLEAR_ROWS.encode(), ContentType="text/csv",
                                            Accept="text/csv")
        except runtime.exceptions.ServiceUnavailable:
            return False
        return answer["Body"].read().decode().split() == ["1", "0", "1"]

    wait_until(serves_again, 120, "the endpoint to serve again")
    assert {status for status, _ in statuses} == {"InService"}  # the endpoint itself never leaves InService
    reported = [variant_status[0] for _, variant_status in statuses if variant_status]
    assert reported, "DescribeEndpoint never showed the variant being replaced"
    assert reported[0]["Status"] == "Updating" and "was killed by signal 9" in reported[0]["StatusMessage"]
    assert "VariantStatus" not in sagemaker.describe_endpoint(EndpointName=endpoint)["ProductionVariants"][0]
    (replacement,) = server_processes(f"s3://{bucket}/{model}/model.tar.gz")
    assert replacement.pid != server.pid


def test_hung_processing_job_is_stopped_by_max_runtime(aws_client, bucket, unique_name):
    """A job that ignores SIGTERM, with a child that hangs too, ends Failed at MaxRuntimeInSeconds; none survives."""
    sagemaker = aws_client("sagemaker")
    name = unique_name("hung")
    marker = f"sagewatch-hung-{uuid.uuid4().hex[:8]}"
    hang = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: time.sleep(1)"
    script = ("import subprocess, sys, signal, time; "
              f"subprocess.Popen([sys.executable, '-c', {hang!r}, {marker!r}]); "
              "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('hanging', flush=True)\n"
              "while True: time.sleep(1)")
    started = time.monotonic()
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=CLUSTER,
        AppSpecification={"ImageUri": "registry.example.com/team/sagewatch-analyzer:0.1",
                          "ContainerEntrypoint": ["python3", "-c", script, marker]},
        StoppingCondition={"MaxRuntimeInSeconds": 3})
    wait_until(lambda: any(marker in " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])),
               30, "the job's processes to start")
    described = wait_for_job(sagemaker, name, timeout=60)
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"] == ("MaxRuntimeInSeconds exceeded: the job ran longer than its "
                                          "StoppingCondition of 3 seconds and was stopped.")
    assert time.monotonic() - started < 40  # the limit plus the SIGTERM grace, not "never"
    survivors = [p for p in psutil.process_iter(["cmdline", "status"])
                 if marker in " ".join(p.info["cmdline"] or []) and p.info["status"] != psutil.STATUS_ZOMBIE]
    assert survivors == []
