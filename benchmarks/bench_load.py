#!/usr/bin/env python3
"""Load benchmark of the emulator's endpoints: InvokeEndpoint with 100 % capture, then ``kill -9`` mid-run.

Start-up
--------
Run it against a running emulator started with a short capture roll interval, from the repository root, with
sagewatch installed with its ``localstack`` extra::

    export SAGEWATCH_CAPTURE_ROLL_SECONDS=5       # capture files reach S3 within seconds
    .venv/bin/python -m sagewatch.localstack up   # or: make up  (port 4566; SAGEWATCH_LOCALSTACK_PORT to change)
    .venv/bin/python benchmarks/bench_load.py [--seconds 60] [--processes 2] [--clients 16] [--kill-seconds 20]
    .venv/bin/python -m sagewatch.localstack down

The emulator is found as ``sagewatch local status`` finds it (``SAGEWATCH_LOCALSTACK_DIR``, or ``--state-dir``).
The kill phase kills that LocalStack with ``SIGKILL`` and starts it again with :func:`sagewatch.localstack.launcher.up`
on the same port and state folder, from this script's environment: run the script with the environment the
emulator was started with. ``--no-kill`` skips that phase.

What it does
------------
A scikit-learn model trained here is deployed behind an endpoint that captures 100 % of its requests (Input
and Output). Each InferenceId is unique.

1. **Load.** ``--processes`` client processes with ``--clients`` threads each call InvokeEndpoint for ``--seconds``
   seconds, as fast as the emulator answers, each thread on one keep-alive HTTP connection. The clients speak
   the REST protocol directly (a fixed, unverified SigV4 header, as LocalStack does not check signatures) so
   that their own CPU time (botocore's signing and parsing take about 1 ms per call) does not come out of the
   emulator's share of the machine. Reported: requests/s, p50/p99 latency, errors. Then S3 is polled until
   every acknowledged (HTTP 200) request's record is there; each must be there exactly once.
2. **kill -9.** The same load runs for ``--kill-seconds``; half-way LocalStack is killed with SIGKILL (the
   clients then see connection errors: not acknowledged). LocalStack runs without persistence, so its S3
   forgets at the kill what was uploaded before it; just before the kill the benchmark therefore copies the
   capture objects uploaded so far and deletes them and the bucket (repeating until the bucket is empty when
   deleted), so that from then on uploads fail and capture files stay in the spool (an S3 outage). Then
   LocalStack is started again on the same state folder, the bucket is created again, one SageMaker call loads
   the plugin (which uploads what the killed instance left in its spool), and S3 is polled until every
   request acknowledged before the kill is there. The copies from before the kill and the objects after it,
   merged by key as a persistent S3 would hold them (a file uploaded again replaces its first copy), must hold
   every acknowledged record exactly once.

Targets (issue 10): at least 300 requests/s with a trivial model; zero lost acknowledged captures; after
``kill -9`` and a restart, every acknowledged record in S3 exactly once.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import io
import json
import multiprocessing
import os
import platform
import signal
import sys
import tarfile
import threading
import time
import uuid
from pathlib import Path

TARGET_RPS = 300
ROLE = "arn:aws:iam::000000000000:role/sagewatch-bench"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
BODY = b"0.52,-1.3,0.77,2.1"
# LocalStack reads the account (access key "test") and region from the credential scope; it does not verify it.
AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sagemaker/aws4_request, "
                 "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def model_tarball() -> bytes:
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    features = rng.normal(size=(400, 4))
    labels = (features[:, 0] + 2 * features[:, 1] - features[:, 2] > 0).astype(int)
    model_bytes = io.BytesIO()
    joblib.dump(LogisticRegression().fit(features, labels), model_bytes)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = len(model_bytes.getvalue())
        tar.addfile(info, io.BytesIO(model_bytes.getvalue()))
    return archive.getvalue()


# --- the load: processes of threads, one keep-alive connection each ------------------------------------------


def _client_thread(port: int, endpoint: str, tag: str, until: float, results: list) -> None:
    """Call InvokeEndpoint until *until* (monotonic); append ``(inference_id, status, seconds)`` per call
    (status 0: no answer)."""
    connection = None
    path = f"/endpoints/{endpoint}/invocations"
    index = 0
    while time.monotonic() < until:
        inference_id = f"{tag}-{index}"
        index += 1
        headers = {"Content-Type": "text/csv", "Accept": "text/csv", "Authorization": AUTHORIZATION,
                   "X-Amz-Date": "20240101T000000Z", "X-Amzn-SageMaker-Inference-Id": inference_id}
        started = time.perf_counter()
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", path, body=BODY, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.05)  # the emulator is gone: do not spin
        results.append((inference_id, status, time.perf_counter() - started))


def _client_process(port: int, endpoint: str, tag: str, clients: int, start_at: float, seconds: float,
                    queue: multiprocessing.Queue) -> None:
    while time.time() < start_at:
        time.sleep(0.001)
    until = time.monotonic() + seconds
    results: list[list] = [[] for _ in range(clients)]
    threads = [threading.Thread(target=_client_thread, args=(port, endpoint, f"{tag}-{n}", until, results[n]))
               for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put([item for per_thread in results for item in per_thread])


def run_load(port: int, endpoint: str, tag: str, processes: int, clients: int, seconds: float,
             during=None) -> tuple[list[tuple[str, int, float]], float]:
    """Run the load; ``(results, wall seconds)``. *during(elapsed)* is called every 0.1 s while it runs."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 2.0  # every process is up before the clock starts
    workers = [context.Process(target=_client_process, args=(port, endpoint, f"{tag}{p}", clients, start_at,
                                                             seconds, queue)) for p in range(processes)]
    for worker in workers:
        worker.start()
    while time.time() < start_at:
        time.sleep(0.01)
    began = time.monotonic()
    if during is not None:
        while time.monotonic() - began < seconds:
            during(time.monotonic() - began)
            time.sleep(0.1)
    results = [item for _ in workers for item in queue.get()]
    wall = time.monotonic() - began
    for worker in workers:
        worker.join()
    return results, wall


def summary(results: list[tuple[str, int, float]], wall: float) -> dict:
    ok = [seconds * 1000 for _, status, seconds in results if status == 200]
    statuses = collections.Counter(status for _, status, _ in results)
    return {"requests": len(results), "acknowledged": len(ok), "rps": len(ok) / wall if wall else 0.0,
            "p50_ms": percentile(ok, 50), "p99_ms": percentile(ok, 99),
            "errors": {str(code): count for code, count in sorted(statuses.items()) if code != 200}}


# --- the emulator ---------------------------------------------------------------------------------------------


class Emulator:
    """boto3 clients for the running LocalStack, and the checks on its capture files."""

    def __init__(self, port: int, bucket: str) -> None:
        import boto3
        from botocore.config import Config

        self.port, self.bucket = port, bucket
        session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
        config = Config(retries={"max_attempts": 3}, read_timeout=90, max_pool_connections=32)
        url = f"http://127.0.0.1:{port}"
        self.s3 = session.client("s3", endpoint_url=url, config=config)
        self.sagemaker = session.client("sagemaker", endpoint_url=url, config=config)

    def deploy(self, endpoint: str) -> None:
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.put_object(Bucket=self.bucket, Key="model/model.tar.gz", Body=model_tarball())
        self.sagemaker.create_model(ModelName=endpoint, ExecutionRoleArn=ROLE, PrimaryContainer={
            "Image": IMAGE, "ModelDataUrl": f"s3://{self.bucket}/model/model.tar.gz"})
        self.sagemaker.create_endpoint_config(
            EndpointConfigName=endpoint,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": endpoint, "InitialInstanceCount": 1,
                                 "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}],
            DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                               "DestinationS3Uri": f"s3://{self.bucket}/capture",
                               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                               "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
        self.sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
        deadline = time.monotonic() + 180
        while True:
            described = self.sagemaker.describe_endpoint(EndpointName=endpoint)
            if described["EndpointStatus"] == "InService":
                return
            if described["EndpointStatus"] == "Failed" or time.monotonic() > deadline:
                raise RuntimeError(f"endpoint {endpoint}: {described['EndpointStatus']} "
                                   f"{described.get('FailureReason', '')}")
            time.sleep(0.3)

    def objects(self) -> dict[str, bytes]:
        """Every capture file in the bucket: key -> body."""
        found = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="capture/"):
            for item in page.get("Contents", []):
                found[item["Key"]] = self.s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
        return found

    def fence(self) -> dict[str, bytes]:
        """Copy and delete every object, then the bucket (again while new uploads make it non-empty); the copies."""
        from botocore.exceptions import ClientError

        copies: dict[str, bytes] = {}
        while True:
            everything = {}
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    everything[item["Key"]] = self.s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
            for key, body in everything.items():
                if key.startswith("capture/"):
                    copies[key] = body
                self.s3.delete_object(Bucket=self.bucket, Key=key)
            try:
                self.s3.delete_bucket(Bucket=self.bucket)
                return copies
            except ClientError as error:
                if error.response["Error"]["Code"] != "BucketNotEmpty":
                    raise

    def check(self, acknowledged: set[str], tag: str, timeout: float, settle: float = 3.0,
              before: dict[str, bytes] | None = None) -> dict:
        """Poll S3 until every acknowledged id is there (or *timeout*); then count missing and duplicated ids
        (of the phase whose ids start with *tag*), over *before* and S3's objects merged by key."""
        before = before or {}
        started = time.monotonic()
        while True:
            counts = _count_ids({**before, **self.objects()}, tag)
            if acknowledged <= set(counts) or time.monotonic() - started > timeout:
                break
            time.sleep(1.0)
        waited = time.monotonic() - started
        time.sleep(settle)  # stragglers: a second copy of a record would arrive now
        after = self.objects()
        counts = _count_ids({**before, **after}, tag)
        return {"acknowledged": len(acknowledged), "missing": len(acknowledged - set(counts)),
                "duplicated": sum(1 for count in counts.values() if count > 1),
                "in_s3": sum(counts.values()), "upload_wait_s": waited,
                "uploaded_twice": len(set(before) & set(after))}


def _count_ids(objects: dict[str, bytes], tag: str) -> collections.Counter:
    """InferenceId (of the phase whose ids start with *tag*) -> how many records carry it."""
    counts: collections.Counter = collections.Counter()
    for body in objects.values():
        counts.update(json.loads(line)["eventMetadata"].get("inferenceId") for line in body.splitlines())
    return collections.Counter({key: count for key, count in counts.items() if key and key.startswith(tag)})


def wait_released(pid: int, port: int, timeout: float = 60) -> None:
    """Wait until the killed LocalStack is gone and its port is free."""
    import psutil

    from sagewatch.localstack.hostmode import is_port_free

    deadline = time.monotonic() + timeout
    while True:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not psutil.pid_exists(pid) and is_port_free(port):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the killed LocalStack (pid {pid}) still holds port {port}")
        time.sleep(0.1)


def print_load(label: str, figures: dict) -> None:
    print(f"  {label}: {figures['requests']} requests, {figures['acknowledged']} acknowledged, "
          f"{figures['rps']:.0f} requests/s, p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
          f"errors {figures['errors'] or 'none'}", flush=True)


def print_check(label: str, check: dict, after_kill: bool = False) -> None:
    twice = f", {check['uploaded_twice']} file(s) uploaded both before and after the kill" if after_kill else ""
    print(f"  {label}: {check['acknowledged']} acknowledged, {check['missing']} missing in S3, "
          f"{check['duplicated']} duplicated, {check['in_s3']} records of the phase in S3 "
          f"(waited {check['upload_wait_s']:.1f} s for uploads){twice}", flush=True)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load phase (default 60)")
    parser.add_argument("--processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--clients", type=int, default=16, help="client threads per process (default 16)")
    parser.add_argument("--kill-seconds", type=float, default=20.0,
                        help="length of the kill phase; the kill is half-way (default 20)")
    parser.add_argument("--no-kill", action="store_true", help="skip the kill -9 phase")
    parser.add_argument("--state-dir", default=None, help="the running emulator's state folder "
                                                           "(default: as `sagewatch local status`)")
    args = parser.parse_args(argv)

    from sagewatch.localstack import launcher

    status = launcher.status(state_dir=args.state_dir)
    if not (status.get("running") and status.get("plugin")):
        print("No running emulator with the sagewatch plugin was found (see the start-up notes: "
              "`python -m sagewatch.localstack up`).", file=sys.stderr)
        return 2
    port, state_dir, pid = int(status["port"]), status["state_dir"], int(status["pid"])
    print(f"sagewatch load benchmark: python {platform.python_version()} on {platform.system()} "
          f"{platform.machine()}, {os.cpu_count()} CPU(s); emulator pid {pid} on port {port}; "
          f"SAGEWATCH_CAPTURE_ROLL_SECONDS={os.environ.get('SAGEWATCH_CAPTURE_ROLL_SECONDS', '(unset: 60)')}",
          flush=True)
    run = uuid.uuid4().hex[:8]
    emulator = Emulator(port, f"sagewatch-bench-load-{run}")
    endpoint = f"bench-load-{run}"
    emulator.deploy(endpoint)
    run_load(port, endpoint, "warm", 1, 4, 3.0)  # connections, the model server's first calls

    print(f"\n[1] load: {args.processes} x {args.clients} clients for {args.seconds:g} s, 100 % capture", flush=True)
    results, wall = run_load(port, endpoint, "load", args.processes, args.clients, args.seconds)
    load = summary(results, wall)
    print_load("load", load)
    acknowledged = {inference_id for inference_id, status, _ in results if status == 200}
    load_check = emulator.check(acknowledged, "load", timeout=180)
    print_check("capture", load_check)

    crash = crash_check = None
    if not args.no_kill:
        print(f"\n[2] kill -9 of LocalStack half-way through {args.kill_seconds:g} s of the same load, restart",
              flush=True)
        killed: dict[str, float] = {}
        before: dict[str, bytes] = {}

        def kill_half_way(elapsed: float) -> None:
            if not killed and elapsed >= args.kill_seconds / 2:
                fenced = time.monotonic()
                before.update(emulator.fence())
                os.kill(pid, signal.SIGKILL)
                killed["fence_s"] = time.monotonic() - fenced
                killed["at"] = elapsed + killed["fence_s"]

        results, wall = run_load(port, endpoint, "kill", args.processes, args.clients, args.kill_seconds,
                                 during=kill_half_way)
        crash = summary(results, wall)
        print_load(f"load (killed at {killed['at']:.1f} s, after {killed['fence_s']:.1f} s copying {len(before)} "
                   "capture files out of S3 and deleting the bucket)", crash)
        wait_released(pid, port)
        started = time.monotonic()
        launcher.up(port=port, state_dir=state_dir, timeout=180)
        print(f"  restarted in {time.monotonic() - started:.1f} s", flush=True)
        emulator = Emulator(port, emulator.bucket)
        emulator.s3.create_bucket(Bucket=emulator.bucket)
        emulator.sagemaker.list_endpoints()  # loads the plugin: the killed instance's spool is uploaded
        acknowledged = {inference_id for inference_id, status, _ in results if status == 200}
        crash_check = emulator.check(acknowledged, "kill", timeout=180, before=before)
        print_check("after restart", crash_check, after_kill=True)
    else:
        emulator.sagemaker.delete_endpoint(EndpointName=endpoint)

    print("\nverdicts")
    print(f"  >= {TARGET_RPS} requests/s with 100 % capture: {verdict(load['rps'] >= TARGET_RPS)} "
          f"({load['rps']:.0f}/s)")
    print(f"  zero lost or duplicated acknowledged captures under load: "
          f"{verdict(load_check['missing'] == 0 and load_check['duplicated'] == 0)}")
    if crash_check is not None:
        print(f"  every acknowledged record in S3 exactly once after kill -9 and restart: "
              f"{verdict(crash_check['missing'] == 0 and crash_check['duplicated'] == 0)}")
    ok = load_check["missing"] == 0 and load_check["duplicated"] == 0 and (
        crash_check is None or (crash_check["missing"] == 0 and crash_check["duplicated"] == 0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
