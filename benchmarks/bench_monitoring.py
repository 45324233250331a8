#!/usr/bin/env python3
"""Monitoring-execution benchmark: a schedule run now over 1,000,000 captured records, to reports in S3.

The target: at most 5 s, median of three (357 MB of capture files; ``--records 100000`` for a quicker run).

Usage (from the repository root, with LocalStack and the sagewatch plugin running, e.g. ``make up``)::

    .venv/bin/python benchmarks/bench_monitoring.py [--endpoint-url URL] [--records N] [--repeat R]

What it does
------------
1. Sets up, untimed, through boto3 as a user would: a bucket; a scikit-learn endpoint whose data capture goes to
   ``s3://<bucket>/capture``; a baselining job (the us-east-1 analyzer image) over 5,000 undrifted rows; and an
   hourly data-quality schedule with an inline job definition.
2. Writes ``--records`` captured invocations (3 input features and a score, two features drifted) into S3 in the
   capture layout, one file per minute of the hour 2024-05-01T10 (60 files, ~357 MB for 1,000,000 records).
3. Times, ``--repeat`` times: ``POST /_sagewatch/schedules/<name>/executions`` with ScheduledTime
   2024-05-01T11:00:00Z, then polling ListMonitoringExecutions every 20 ms until the execution ends; the
   reports (``constraint_violations.json``, ``statistics.json``) are checked in S3 afterwards. The execution's
   processing job is described to split the time into set-up (window lookup, job creation), the job itself
   (input download, analyzer, upload) and hand-back.
4. Prints each run with the machine's load average when it started and the CPU seconds it cost on the server
   (the LocalStack process and the job processes it ran, when LocalStack runs on this machine), then the
   median of the runs and whether the target (median ≤ 5 s) is met. Other work on the machine slows the runs
   down: compare the CPU seconds, and the load, before reading much into a wall time.

Everything it creates is deleted at the end. The endpoint URL defaults to ``$SAGEWATCH_ENDPOINT_URL``, else
``http://127.0.0.1:4566``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tarfile
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

TARGET_SECONDS = 5.0
RECORDS = 1_000_000
ROLE = "arn:aws:iam::000000000000:role/sagewatch-bench"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
HOUR = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
SCHEDULED = HOUR + timedelta(hours=1)
DONE = ("Completed", "CompletedWithViolations", "Failed", "Stopped")


def _clients(endpoint_url: str):
    import boto3
    from botocore.config import Config

    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    config = Config(retries={"max_attempts": 2}, read_timeout=120, max_pool_connections=16)
    return {name: session.client(name, endpoint_url=endpoint_url, config=config) for name in ("s3", "sagemaker")}


def _model_tarball() -> bytes:
    import joblib
    import numpy as np
    from sklearn.linear_model import LinearRegression

    x = np.random.default_rng(3).normal(size=(200, 3))
    model = io.BytesIO()
    joblib.dump(LinearRegression().fit(x, x.sum(axis=1)), model)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = len(model.getvalue())
        tar.addfile(info, io.BytesIO(model.getvalue()))
    return archive.getvalue()


def _wait_job(sagemaker, name: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sagemaker.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return described
        if time.monotonic() > deadline:
            raise RuntimeError(f"processing job {name} did not finish in {timeout:g} s")
        time.sleep(0.2)


def write_captures(s3, bucket: str, endpoint: str, records: int) -> float:
    """*records* capture records spread over HOUR, one file per minute; returns the MB written."""
    import numpy as np

    from sagewatch.capture.keys import capture_object_key

    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (records, 3)) + np.array([1.5, 0.0, -1.0])  # x0 and x2 drift
    score = 1 / (1 + np.exp(-x.sum(axis=1)))
    seconds = np.sort(rng.uniform(0, 3600, records)).astype(int)
    total = 0
    for minute in range(60):
        rows = np.nonzero(seconds // 60 == minute)[0]
        if rows.size == 0:
            continue
        lines = []
        for i in rows:
            when = HOUR + timedelta(seconds=int(seconds[i]))
            # the service's key order (contract §1.2), written directly for speed
            lines.append(
                '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"'
                f'{x[i, 0]:.4f},{x[i, 1]:.4f},{x[i, 2]:.4f}","encoding":"CSV"}},"endpointOutput":{{'
                '"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"'
                f'{score[i]:.5f}","encoding":"CSV"}}}},"eventMetadata":{{"eventId":"{uuid.uuid4()}",'
                f'"inferenceTime":"{when:%Y-%m-%dT%H:%M:%SZ}"}},"eventVersion":"0"}}')
        body = ("\n".join(lines) + "\n").encode()
        total += len(body)
        key = capture_object_key("capture", endpoint, "AllTraffic", HOUR + timedelta(minutes=minute, seconds=1),
                                 str(uuid.uuid4()))
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return total / 2**20


def setup(clients, records: int) -> dict:
    import numpy as np

    s3, sagemaker = clients["s3"], clients["sagemaker"]
    tag = uuid.uuid4().hex[:8]
    bucket, endpoint, schedule = f"sw-bench-{tag}", f"sw-bench-ep-{tag}", f"sw-bench-schedule-{tag}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=_model_tarball())
    sagemaker.create_model(ModelName=endpoint, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"})
    sagemaker.create_endpoint_config(
        EndpointConfigName=endpoint,
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": endpoint, "InitialInstanceCount": 1,
                             "InstanceType": "ml.m5.large"}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{bucket}/capture",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)

    x = np.random.default_rng(0).normal(0, 1, (5000, 3))
    score = 1 / (1 + np.exp(-x.sum(axis=1)))
    rows = ["score,x0,x1,x2"] + [f"{s:.5f},{a:.4f},{b:.4f},{c:.4f}" for s, (a, b, c) in zip(score, x)]
    s3.put_object(Bucket=bucket, Key="train/train.csv", Body=("\n".join(rows) + "\n").encode())
    baseline_job = f"sw-bench-baseline-{tag}"
    sagemaker.create_processing_job(
        ProcessingJobName=baseline_job, RoleArn=ROLE, ProcessingResources=CLUSTER, AppSpecification={"ImageUri": ANALYZER},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": f"s3://{bucket}/train", "S3DataType": "S3Prefix",
            "LocalPath": "/opt/ml/processing/input/baseline_dataset_input"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": f"s3://{bucket}/baseline", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        Environment={"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                     "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                     "output_path": "/opt/ml/processing/output"})
    described = _wait_job(sagemaker, baseline_job)
    if described["ProcessingJobStatus"] != "Completed":
        raise RuntimeError(f"the baselining job failed: {described.get('FailureReason')}")

    started = time.monotonic()
    megabytes = write_captures(s3, bucket, endpoint, records)
    print(f"  wrote {records:,} captured records ({megabytes:.1f} MB, 60 files) in {time.monotonic() - started:.1f} s")
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": {
            "BaselineConfig": {"ConstraintsResource": {"S3Uri": f"s3://{bucket}/baseline/constraints.json"},
                               "StatisticsResource": {"S3Uri": f"s3://{bucket}/baseline/statistics.json"}},
            "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint,
                                                    "LocalPath": "/opt/ml/processing/input/endpoint"}}],
            "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
            "MonitoringResources": CLUSTER, "MonitoringAppSpecification": {"ImageUri": ANALYZER}, "RoleArn": ROLE}})
    return {"bucket": bucket, "endpoint": endpoint, "schedule": schedule, "baseline_job": baseline_job}


def run_once(clients, endpoint_url: str, names: dict) -> dict:
    sagemaker, s3 = clients["sagemaker"], clients["s3"]
    request = urllib.request.Request(
        f"{endpoint_url}/_sagewatch/schedules/{names['schedule']}/executions", method="POST",
        data=json.dumps({"ScheduledTime": f"{SCHEDULED:%Y-%m-%dT%H:%M:%SZ}"}).encode(),
        headers={"Content-Type": "application/json"})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the LocalStack URL given
        created = json.loads(response.read())["CreationTime"]
    while True:
        summaries = sagemaker.list_monitoring_executions(
            MonitoringScheduleName=names["schedule"], SortBy="CreationTime")["MonitoringExecutionSummaries"]
        current = next((s for s in summaries if f"{s['CreationTime'].astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
                        == created), None)
        if current and current["MonitoringExecutionStatus"] in DONE:
            break
        if time.monotonic() - started > 300:
            raise RuntimeError("the execution did not finish within 300 s")
        time.sleep(0.02)
    wall = time.monotonic() - started
    if current["MonitoringExecutionStatus"] not in ("Completed", "CompletedWithViolations"):
        raise RuntimeError(f"the execution ended {current['MonitoringExecutionStatus']}: {current.get('FailureReason')}")
    prefix = f"reports/{names['endpoint']}/{names['schedule']}/{SCHEDULED:%Y/%m/%d/%H}/"
    keys = {o["Key"][len(prefix):] for o in s3.list_objects_v2(Bucket=names["bucket"], Prefix=prefix).get("Contents", [])}
    missing = {"constraint_violations.json", "statistics.json", "constraints.json"} - keys
    if missing:
        raise RuntimeError(f"reports missing in s3://{names['bucket']}/{prefix}: {sorted(missing)}")
    job = sagemaker.describe_processing_job(ProcessingJobName=current["ProcessingJobArn"].rsplit("/", 1)[1])
    violations = json.loads(s3.get_object(Bucket=names["bucket"], Key=prefix + "constraint_violations.json")["Body"].read())
    statistics_doc = json.loads(s3.get_object(Bucket=names["bucket"], Key=prefix + "statistics.json")["Body"].read())
    return {
        "wall": wall,
        "job": (job["ProcessingEndTime"] - job["ProcessingStartTime"]).total_seconds(),
        "before_job": (job["CreationTime"] - current["CreationTime"]).total_seconds(),
        "status": current["MonitoringExecutionStatus"],
        "violations": len(violations["violations"]),
        "items": statistics_doc["dataset"]["item_count"],
    }


def server_process(endpoint_url: str):
    """The local process listening at the endpoint's port (LocalStack), or None when it cannot be seen."""
    from urllib.parse import urlparse

    try:
        import psutil

        port = urlparse(endpoint_url).port or 80
        pids = {c.pid for c in psutil.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
        return psutil.Process(pids.pop()) if len(pids) == 1 else None
    except Exception:  # noqa: BLE001 - not local, not permitted, no psutil: the CPU figure is left out
        return None


def cpu_seconds(process) -> float | None:
    """CPU seconds of *process* and of the children it has waited for (the processing jobs)."""
    if process is None:
        return None
    try:
        times = process.cpu_times()
    except Exception:  # noqa: BLE001 - the process went away
        return None
    return times.user + times.system + times.children_user + times.children_system


def cleanup(clients, names: dict) -> None:
    s3, sagemaker = clients["s3"], clients["sagemaker"]
    for call in (lambda: sagemaker.delete_monitoring_schedule(MonitoringScheduleName=names["schedule"]),
                 lambda: sagemaker.delete_endpoint(EndpointName=names["endpoint"]),
                 lambda: sagemaker.delete_endpoint_config(EndpointConfigName=names["endpoint"]),
                 lambda: sagemaker.delete_model(ModelName=names["endpoint"])):
        try:
            call()
        except Exception:  # noqa: BLE001 - best effort
            pass
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=names["bucket"]):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=names["bucket"], Key=item["Key"])
    s3.delete_bucket(Bucket=names["bucket"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", default=os.environ.get("SAGEWATCH_ENDPOINT_URL", "http://127.0.0.1:4566"))
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    endpoint_url = args.endpoint_url.rstrip("/")
    try:
        with urllib.request.urlopen(f"{endpoint_url}/_sagewatch/health", timeout=5) as response:  # noqa: S310
            json.loads(response.read())
    except (OSError, ValueError) as error:
        print(f"LocalStack with the sagewatch plugin does not answer at {endpoint_url} ({error}); start it with "
              "`sagewatch local up` or pass --endpoint-url.", file=sys.stderr)
        return 2
    print(f"sagewatch monitoring benchmark: {args.records:,} captured records, run-now to reports in S3 "
          f"({endpoint_url}, {os.cpu_count()} CPUs)")
    clients = _clients(endpoint_url)
    server = server_process(endpoint_url)
    names = setup(clients, args.records)
    try:
        runs = []
        for number in range(1, args.repeat + 1):
            load = os.getloadavg()[0]
            cpu_before = cpu_seconds(server)
            result = run_once(clients, endpoint_url, names)
            cpu_after = cpu_seconds(server)
            result["cpu"] = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
            runs.append(result)
            cpu = "CPU n/a" if result["cpu"] is None else f"server CPU {result['cpu']:.2f} s"
            print(f"  run {number}: {result['wall']:.2f} s run-now to {result['status']} with reports in S3 "
                  f"(before the job {result['before_job']:.2f} s, processing job {result['job']:.2f} s; {cpu}; "
                  f"load average {load:.2f} at the start; {result['items']:,} records, "
                  f"{result['violations']} violations)")
    finally:
        cleanup(clients, names)
    median = statistics.median(r["wall"] for r in runs)
    verdict = "met" if median <= TARGET_SECONDS else "not met"
    cpus = [r["cpu"] for r in runs if r["cpu"] is not None]
    cpu = f", median server CPU {statistics.median(cpus):.2f} s" if cpus else ""
    print(f"\nmedian {median:.2f} s of {len(runs)} (best {min(r['wall'] for r in runs):.2f} s{cpu}) for "
          f"{args.records:,} records on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} now; "
          f"target <= {TARGET_SECONDS:g} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
