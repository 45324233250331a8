"""Data capture under load and faults: every acknowledged record in S3 exactly once, or its loss counted.

CI-sized versions of ``benchmarks/bench_load.py`` and of the fault runs of issue 10:

- load with 100 % capture, then ``kill -9`` of LocalStack in the middle of it, and a restart;
- S3 unavailable while capture files are uploaded (the capture bucket is deleted, then created again);
- the spool folder full (``SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES``, which behaves like a full disk): InvokeEndpoint
  still answers, the lost records are counted in the ``CaptureRecordsLost`` metric.

The load and full-spool tests start their own LocalStack (with settings of their own, or to kill it); the S3
outage test runs against the shared one.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError
from sw_endpoints import (
    ROLE,
    SKLEARN_IMAGE,
    capture_config,
    deploying,
    read_capture,
    server_processes,
    trained_model_tarball,
    variant,
    wait_for_endpoint,
    wait_until,
)
from sw_own_localstack import Load, capture_files, clients, fence_bucket, inference_ids, kill_9, own_localstack

pytestmark = pytest.mark.e2e


def _deploy(sagemaker, s3, bucket: str, name: str, percentage: int = 100) -> None:
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=trained_model_tarball())
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"})
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant(name)],
                                     DataCaptureConfig=capture_config(bucket, "capture", percentage))
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = wait_for_endpoint(sagemaker, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")


def _wait_for_ids(s3, bucket: str, wanted: set[str], before: dict[str, bytes] | None = None,
                  timeout: float = 90.0) -> dict[str, bytes]:
    """Poll S3 until every id of *wanted* is in *before* + the bucket (merged by key); the merged files."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            files = {**(before or {}), **capture_files(s3, bucket, "capture/")}
        except ClientError:
            files = dict(before or {})
        found = set(inference_ids(files))
        if wanted <= found:
            time.sleep(2.0)  # a second copy of a file would arrive now
            return {**(before or {}), **capture_files(s3, bucket, "capture/")}
        assert time.monotonic() < deadline, f"{len(wanted - found)} of {len(wanted)} acknowledged records not in S3"
        time.sleep(0.5)


def _exactly_once(files: dict[str, bytes], acknowledged: list[str], tag: str) -> None:
    """Every acknowledged id of the phase *tag* in *files* once; other ids of the phase (calls whose answer never
    reached the client, killed in between) at most once."""
    counts = {key: count for key, count in inference_ids(files).items() if key and key.startswith(f"{tag}-")}
    assert len(acknowledged) == len(set(acknowledged))
    missing = set(acknowledged) - set(counts)
    duplicated = {key: count for key, count in counts.items() if count > 1}
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged records lost"
    assert not duplicated, f"records in S3 more than once: {list(duplicated.items())[:5]}"


def test_load_then_kill_9_mid_run_loses_no_acknowledged_capture(tmp_path):
    state_dir = tmp_path / "localstack"
    bucket, name = f"sw-load-{uuid.uuid4().hex[:8]}", "load"
    with own_localstack(state_dir, CAPTURE_ROLL_SECONDS="1") as port:
        aws = clients(port)
        s3, sagemaker, runtime = aws["s3"], aws["sagemaker"], aws["sagemaker-runtime"]
        s3.create_bucket(Bucket=bucket)
        _deploy(sagemaker, s3, bucket, name)
        servers = server_processes(f"s3://{bucket}/model/model.tar.gz")

        with Load(runtime, name, "steady", threads=8) as load:  # rolled and uploaded files while it runs
            time.sleep(4.0)
        assert load.failed == 0 and len(load.acknowledged) > 50
        files = _wait_for_ids(s3, bucket, set(load.acknowledged))
        _exactly_once(files, load.acknowledged, "steady")
        assert len(files) > 1  # several files were rolled during the load

        with Load(runtime, name, "killed", threads=8) as load:
            time.sleep(2.0)
            # LocalStack's S3 forgets everything at the kill: keep what was uploaded so far, and make every later
            # upload fail (the bucket is gone), so what is acknowledged from here on is only in the spool
            before = fence_bucket(s3, bucket)
            time.sleep(1.0)
            kill_9(state_dir, port)
            acknowledged_before_kill = list(load.acknowledged)
        assert load.acknowledged == acknowledged_before_kill and load.failed > 0  # calls went on into the kill

        from sagewatch.localstack import launcher

        launcher.up(port=port, state_dir=state_dir, timeout=180)
        s3.create_bucket(Bucket=bucket)
        sagemaker.list_endpoints()  # loads the plugin: the killed instance's spool is uploaded
        files = _wait_for_ids(s3, bucket, set(acknowledged_before_kill), before=before)
        _exactly_once(files, acknowledged_before_kill, "killed")
        wait_until(lambda: not any(server.is_running() and server.status() != "zombie" for server in servers), 30,
                   "the killed emulator's model server to be stopped")


@pytest.fixture
def deployer(aws_client, bucket, unique_name):
    """Models, configs and endpoints of one test, deleted afterwards (before its bucket)."""
    yield from deploying(aws_client, bucket, unique_name)


def test_s3_outage_during_upload_delays_capture_files_but_drops_none(aws_client, deployer, unique_name):
    """The capture bucket is deleted before the first upload and created again later: nothing is lost."""
    s3, sagemaker, runtime = aws_client("s3"), aws_client("sagemaker"), aws_client("sagemaker-runtime")
    bucket = unique_name("outage")
    s3.create_bucket(Bucket=bucket)
    try:
        model = deployer.model(trained_model_tarball())
        endpoint = deployer.endpoint(deployer.config([variant(model)], capture_config(bucket, "capture")))
        s3.delete_bucket(Bucket=bucket)  # S3 "down" for this destination: every upload fails from now on
        acknowledged = []
        for index in range(40):
            runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4", ContentType="text/csv",
                                    InferenceId=f"outage-{index}")
            acknowledged.append(f"outage-{index}")
        sagemaker.delete_endpoint(EndpointName=endpoint)  # closes the open files: uploads start, and fail
        time.sleep(4.0)  # a few failed tries, with back-off
        with pytest.raises(ClientError):
            s3.head_bucket(Bucket=bucket)
        s3.create_bucket(Bucket=bucket)  # S3 is back
        records = _wait_for_ids(s3, bucket, set(acknowledged), timeout=120)
        _exactly_once(records, acknowledged, "outage")
        assert all(key.startswith(f"capture/{endpoint}/AllTraffic/") for key in records)
    finally:
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
            s3.delete_bucket(Bucket=bucket)
        except ClientError:
            pass


def test_full_spool_answers_invocations_and_counts_lost_records(tmp_path):
    state_dir = tmp_path / "localstack"
    bucket, name = f"sw-full-{uuid.uuid4().hex[:8]}", "full"
    settings = {"CAPTURE_ROLL_SECONDS": "3600", "CAPTURE_SPOOL_MAX_BYTES": "4000", "METRICS_INTERVAL": "1"}
    with own_localstack(state_dir, **settings) as port:
        aws = clients(port)
        s3, sagemaker, runtime, cloudwatch = aws["s3"], aws["sagemaker"], aws["sagemaker-runtime"], aws["cloudwatch"]
        s3.create_bucket(Bucket=bucket)
        _deploy(sagemaker, s3, bucket, name)
        started = datetime.now(timezone.utc) - timedelta(minutes=1)
        answers = [runtime.invoke_endpoint(EndpointName=name, Body=b"1,2,3,4", ContentType="text/csv",
                                           Accept="text/csv", InferenceId=f"full-{index}")["Body"].read()
                   for index in range(40)]
        assert all(answer.strip() in (b"0", b"1") for answer in answers)  # every call answered

        sagemaker.delete_endpoint(EndpointName=name)  # closes and uploads what was spooled
        wait_until(lambda: read_capture(s3, bucket, "capture/"), 60, "the spooled records in S3")
        time.sleep(1.0)
        kept = [record.inference_id for _, record in read_capture(s3, bucket, "capture/")]
        assert 0 < len(kept) < 40
        assert kept == [f"full-{index}" for index in range(len(kept))]  # the first ones, each once
        lost = 40 - len(kept)

        def lost_metric() -> float:
            answer = cloudwatch.get_metric_statistics(
                Namespace="sagewatch/DataCapture", MetricName="CaptureRecordsLost",
                Dimensions=[{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}],
                StartTime=started, EndTime=datetime.now(timezone.utc) + timedelta(minutes=1), Period=3600,
                Statistics=["Sum"])
            return sum(point["Sum"] for point in answer["Datapoints"])

        wait_until(lambda: lost_metric() == lost, 30, f"CaptureRecordsLost to reach {lost}")
        log = (state_dir / "localstack.log").read_text(encoding="utf-8", errors="replace")
        assert "capture record(s) of endpoint full (variant AllTraffic) lost" in log
        assert "capture spool is full" in log
