#!/usr/bin/env python3
"""Data-capture benchmark of the emulator: added latency, concurrency without loss, crash recovery.

Usage (from the repository root, with sagewatch installed with its ``localstack`` extra)::

    .venv/bin/python benchmarks/bench_capture.py [--latency-invocations N] [--invocations N] [--clients C]
                                                 [--kill-invocations K] [--port P]

What it does
------------
It starts its own LocalStack (with the sagewatch plugin) on a free port in 20000-29999 (or ``--port``) with a state folder in a
temporary directory and ``SAGEWATCH_CAPTURE_ROLL_SECONDS=3600``, so capture files stay open until an endpoint
change or a crash, and stops it at the end. A scikit-learn model trained here is deployed.

1. **Added latency, capture on vs off on the same endpoint.** One endpoint samples 50 % of its requests
   (Input and Output). ``--latency-invocations`` sequential InvokeEndpoint calls (after 100 warm-up calls), each
   with its own InferenceId, are timed on the client; the records in S3 then say which requests were captured.
   Because sampling is random per request, both groups share the endpoint, the model server and the moment,
   so a busy machine's drift cancels out. Reported: p50, p99 and mean of both groups, their differences (what
   capture adds) and ratios. The capture writer alone (``EndpointCapture.capture``: sampling, record, one
   ``write``) is also timed in this process, without LocalStack, for 20,000 records.
2. **Concurrency.** ``--invocations`` calls from ``--clients`` threads (one boto3 client each), each with its own
   InferenceId; then DeleteEndpoint (which closes and uploads the open files) and the records in S3 are counted
   and matched by InferenceId.
3. **Crash recovery.** ``--kill-invocations`` acknowledged calls, then ``kill -9`` of LocalStack while every
   record is still in the local spool only; LocalStack is started again on the same state folder, the bucket is
   created again (no persistence: S3 starts empty), one SageMaker call loads the plugin, and S3 is polled until
   every acknowledged record is there.

Targets: capture adds at most 1 ms at p50 and 3 ms at p99 to InvokeEndpoint; no record lost under 16
concurrent clients; every acknowledged record uploaded after ``kill -9`` and restart.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import signal
import statistics
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

TARGET_P50_MS, TARGET_P99_MS = 1.0, 3.0
ROLE = "arn:aws:iam::000000000000:role/sagewatch-bench"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
BUCKET = "sagewatch-bench-capture"
BODY = b"0.52,-1.3,0.77,2.1"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
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


class Emulator:
    """boto3 clients for one LocalStack, and the ways to wait on it."""

    def __init__(self, port: int) -> None:
        import boto3
        from botocore.config import Config

        self.url = f"http://127.0.0.1:{port}"
        self.session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
        self.config = Config(retries={"max_attempts": 1}, read_timeout=90, max_pool_connections=64)
        self.s3 = self.client("s3")
        self.sagemaker = self.client("sagemaker")

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.url, config=self.config)

    def wait_in_service(self, name: str, config_name: str | None = None, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            described = self.sagemaker.describe_endpoint(EndpointName=name)
            status = described["EndpointStatus"]
            if status == "Failed":
                raise RuntimeError(f"endpoint {name} failed: {described.get('FailureReason')}")
            if status == "InService" and (config_name is None or described["EndpointConfigName"] == config_name):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"endpoint {name} still {status} after {timeout} s")
            time.sleep(0.2)

    def capture_ids(self, prefix: str) -> list[str]:
        import json

        ids = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", []):
                body = self.s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
                ids += [json.loads(line)["eventMetadata"].get("inferenceId") for line in body.splitlines()]
        return ids

    def wait_capture(self, prefix: str, count: int, timeout: float = 120) -> tuple[list[str], float]:
        started = time.monotonic()
        while True:
            ids = self.capture_ids(prefix)
            if len(ids) >= count or time.monotonic() - started > timeout:
                time.sleep(1.0)  # stragglers (there must be none beyond count)
                return self.capture_ids(prefix), time.monotonic() - started
            time.sleep(0.5)


def setup(emulator: Emulator) -> None:
    emulator.s3.create_bucket(Bucket=BUCKET)
    emulator.s3.put_object(Bucket=BUCKET, Key="model/model.tar.gz", Body=model_tarball())
    emulator.sagemaker.create_model(ModelName="bench", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/model/model.tar.gz"})


def capture_config(prefix: str, enabled: bool = True, percentage: int = 100) -> dict:
    return {"EnableCapture": enabled, "InitialSamplingPercentage": percentage, "DestinationS3Uri": f"s3://{BUCKET}/{prefix}",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}


def create_endpoint(emulator: Emulator, name: str, capture: dict | None) -> None:
    variant = {"VariantName": "AllTraffic", "ModelName": "bench", "InitialInstanceCount": 1,
               "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}
    extra = {"DataCaptureConfig": capture} if capture else {}
    emulator.sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant], **extra)
    emulator.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    emulator.wait_in_service(name)


def timed_invocations(runtime, endpoint: str, count: int, tag: str) -> list[float]:
    latencies = []
    for index in range(count):
        started = time.perf_counter()
        runtime.invoke_endpoint(EndpointName=endpoint, Body=BODY, ContentType="text/csv", Accept="text/csv",
                                InferenceId=f"{tag}-{index}")["Body"].read()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def bench_latency(emulator: Emulator, invocations: int, percentage: int) -> dict:
    """Captured vs not captured requests of one endpoint sampling *percentage* %; client-side latencies in ms.

    The sampling decision is random per request, so the two groups share the same endpoint, model server,
    connections and moment: the difference of their latencies is what capturing a record adds, without the
    drift of a busy machine between two separate runs.
    """
    endpoint = "bench-latency"
    create_endpoint(emulator, endpoint, capture_config("latency", percentage=percentage))
    runtime = emulator.client("sagemaker-runtime")
    timed_invocations(runtime, endpoint, 100, "warm")
    latencies = dict(zip((f"ab-{index}" for index in range(invocations)),
                         timed_invocations(runtime, endpoint, invocations, "ab")))
    emulator.sagemaker.delete_endpoint(EndpointName=endpoint)  # closes and uploads the open capture files
    expected = (invocations + 100) * percentage / 100
    captured, _ = emulator.wait_capture(f"latency/{endpoint}/", int(expected * 0.8), timeout=120)
    captured_ids = set(captured)
    return {"on": [ms for key, ms in latencies.items() if key in captured_ids],
            "off": [ms for key, ms in latencies.items() if key not in captured_ids],
            "captured": len(captured), "duplicates": len(captured) - len(captured_ids)}


def bench_writer(records: int = 20000) -> dict:
    """The capture writer alone, in this process: sampling, record, serialization, one write per record."""
    from sagewatch.localstack.capture import CaptureConfig, CapturedInvocation, EndpointCapture

    config = CaptureConfig(enabled=True, sampling_percentage=100, destination_s3_uri="s3://b/p",
                           csv_content_types=("text/csv",))
    with tempfile.TemporaryDirectory() as folder:
        writer = EndpointCapture("000000000000", "us-east-1", "bench", config, Path(folder), 3600.0, lambda s: None)
        times = []
        for index in range(records):
            invocation = CapturedInvocation(datetime.now(timezone.utc), BODY, "text/csv", b"1", "text/csv",
                                            inference_id=f"w-{index}")
            started = time.perf_counter()
            writer.capture("AllTraffic", invocation)
            times.append((time.perf_counter() - started) * 1000)
        writer.close()
    return {"p50": percentile(times, 50), "p99": percentile(times, 99), "mean": statistics.fmean(times)}


def bench_concurrency(emulator: Emulator, invocations: int, clients: int) -> dict:
    endpoint = "bench-concurrent"
    create_endpoint(emulator, endpoint, capture_config("concurrent"))
    runtimes = [emulator.client("sagemaker-runtime") for _ in range(clients)]
    local = threading.local()
    counter = iter(range(clients))
    lock = threading.Lock()

    def one(index: int) -> str:
        if not hasattr(local, "runtime"):
            with lock:
                local.runtime = runtimes[next(counter)]
        local.runtime.invoke_endpoint(EndpointName=endpoint, Body=BODY, ContentType="text/csv",
                                      InferenceId=f"c-{index}")["Body"].read()
        return f"c-{index}"

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        acknowledged = list(pool.map(one, range(invocations)))
    elapsed = time.perf_counter() - started
    emulator.sagemaker.delete_endpoint(EndpointName=endpoint)
    ids, waited = emulator.wait_capture(f"concurrent/{endpoint}/", len(acknowledged))
    return {"acknowledged": len(acknowledged), "captured": len(ids), "missing": len(set(acknowledged) - set(ids)),
            "duplicates": len(ids) - len(set(ids)), "seconds": elapsed, "upload_wait": waited}


def bench_kill_restart(emulator: Emulator, port: int, state_dir: Path, invocations: int) -> dict:
    from sagewatch.localstack import launcher

    endpoint = "bench-crash"
    create_endpoint(emulator, endpoint, capture_config("crash"))
    runtime = emulator.client("sagemaker-runtime")
    acknowledged = []
    for index in range(invocations):
        runtime.invoke_endpoint(EndpointName=endpoint, Body=BODY, ContentType="text/csv",
                                InferenceId=f"k-{index}")["Body"].read()
        acknowledged.append(f"k-{index}")
    before = len(emulator.capture_ids(f"crash/{endpoint}/"))
    pid = launcher.status(state_dir=state_dir)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_released(pid, port)
    started = time.monotonic()
    launcher.up(port=port, state_dir=state_dir, timeout=180)
    restarted = time.monotonic() - started
    emulator.s3.create_bucket(Bucket=BUCKET)
    emulator.sagemaker.list_endpoints()  # the first SageMaker call loads the plugin, which uploads the spool
    ids, waited = emulator.wait_capture(f"crash/{endpoint}/", len(acknowledged), timeout=180)
    return {"acknowledged": len(acknowledged), "in_s3_before_kill": before, "recovered": len(ids),
            "missing": len(set(acknowledged) - set(ids)), "restart_s": restarted, "upload_wait_s": waited}


def wait_released(pid: int, port: int, timeout: float = 60) -> None:
    """Wait until the killed LocalStack is reaped and its port is free (its sockets live until its last thread
    is gone)."""
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


def quiet_port() -> int:
    """A free port below the ephemeral range: no outgoing connection takes it while LocalStack is killed."""
    import random

    from sagewatch.localstack.hostmode import is_port_free

    for _ in range(200):
        port = random.randrange(20000, 30000)  # noqa: S311 - not security related
        if port not in {4566, 4596, 4597, 4598, 4599} and is_port_free(port):
            return port
    raise RuntimeError("no free port between 20000 and 30000; pass --port")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invocations", type=int, default=1000,
                        help="invocations of the concurrency phase (default 1000)")
    parser.add_argument("--latency-invocations", type=int, default=4000,
                        help="sequential invocations of the latency phase (default 4000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--kill-invocations", type=int, default=500, help="acknowledged calls before kill -9")
    parser.add_argument("--port", type=int, default=None, help="LocalStack port (default: a free one)")
    args = parser.parse_args(argv)

    from sagewatch.localstack import launcher

    port = args.port or quiet_port()
    print(f"sagewatch capture benchmark: python {platform.python_version()} on {platform.system()} "
          f"{platform.machine()}, {os.cpu_count()} CPU(s)")
    with tempfile.TemporaryDirectory(prefix="sagewatch-bench-capture-") as folder:
        state_dir = Path(folder) / "localstack"
        os.environ["SAGEWATCH_CAPTURE_ROLL_SECONDS"] = "3600"
        os.environ.pop("SAGEWATCH_STATE_DIR", None)
        print(f"starting LocalStack on port {port} ...", flush=True)
        launcher.up(port=port, state_dir=state_dir, timeout=180)
        try:
            emulator = Emulator(port)
            setup(emulator)
            print(f"\n[1] latency: {args.latency_invocations} sequential calls, 50 % captured at random", flush=True)
            latency = bench_latency(emulator, args.latency_invocations, 50)
            writer = bench_writer()
            print(f"\n[2] concurrency: {args.invocations} calls from {args.clients} clients", flush=True)
            concurrency = bench_concurrency(emulator, args.invocations, args.clients)
            print(f"\n[3] kill -9 after {args.kill_invocations} acknowledged calls, restart", flush=True)
            crash = bench_kill_restart(emulator, port, state_dir, args.kill_invocations)
        finally:
            launcher.down(state_dir=state_dir)

    off, on = latency["off"], latency["on"]
    p50_off, p50_on, p99_off, p99_on = (percentile(off, 50), percentile(on, 50), percentile(off, 99),
                                        percentile(on, 99))
    added50, added99 = p50_on - p50_off, p99_on - p99_off
    print("\n## Results\n")
    print("| InvokeEndpoint latency (client side) | not captured | captured | added | ratio |")
    print("|---|---:|---:|---:|---:|")
    print(f"| p50 | {p50_off:.3f} ms | {p50_on:.3f} ms | {added50:+.3f} ms | {p50_on / p50_off:.3f} |")
    print(f"| p99 | {p99_off:.3f} ms | {p99_on:.3f} ms | {added99:+.3f} ms | {p99_on / p99_off:.3f} |")
    mean_off, mean_on = statistics.fmean(off), statistics.fmean(on)
    print(f"| mean | {mean_off:.3f} ms | {mean_on:.3f} ms | {mean_on - mean_off:+.3f} ms | {mean_on / mean_off:.3f} |")
    print(f"\ncapture writer alone (in process, 20,000 records): p50 {writer['p50'] * 1000:.1f} us, "
          f"p99 {writer['p99'] * 1000:.1f} us, mean {writer['mean'] * 1000:.1f} us")
    print(f"latency phase: {len(on)} captured and {len(off)} not captured requests compared "
          f"({latency['captured']} records in S3 including warm-up, {latency['duplicates']} duplicated)")
    print(f"\nconcurrency: {concurrency['acknowledged']} acknowledged in {concurrency['seconds']:.1f} s "
          f"({concurrency['acknowledged'] / concurrency['seconds']:.0f}/s), {concurrency['captured']} records in S3, "
          f"{concurrency['missing']} missing, {concurrency['duplicates']} duplicated")
    print(f"kill -9: {crash['acknowledged']} acknowledged, {crash['in_s3_before_kill']} in S3 before the kill, "
          f"{crash['recovered']} in S3 after the restart ({crash['missing']} missing); restart "
          f"{crash['restart_s']:.1f} s, uploads within {crash['upload_wait_s']:.1f} s")
    checks = [
        (f"capture adds <= {TARGET_P50_MS:g} ms at p50", f"{added50:+.3f} ms", added50 <= TARGET_P50_MS),
        (f"capture adds <= {TARGET_P99_MS:g} ms at p99", f"{added99:+.3f} ms", added99 <= TARGET_P99_MS),
        (f"no record lost, {args.clients} concurrent clients",
         f"{concurrency['missing']} missing, {concurrency['duplicates']} duplicated",
         concurrency["missing"] == 0 and concurrency["duplicates"] == 0
         and concurrency["captured"] == concurrency["acknowledged"]),
        ("every acknowledged record uploaded after kill -9 + restart", f"{crash['missing']} missing",
         crash["missing"] == 0 and crash["recovered"] == crash["acknowledged"]),
    ]
    print("\n## Targets\n")
    print("| target | measured | |")
    print("|---|---:|---|")
    for name, measured, ok in checks:
        print(f"| {name} | {measured} | {verdict(ok)} |")
    return 0 if all(ok for _, _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
