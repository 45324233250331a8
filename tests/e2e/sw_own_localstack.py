"""A LocalStack of one test (started with settings of its own, killed with ``kill -9``), and a load generator.

The port is ``SAGEWATCH_E2E_OWN_PORT`` when set (a port the caller owns), else a free port below the ephemeral
range, so that no outgoing connection takes it while the killed instance is down.
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import psutil
from botocore.config import Config
from sw_endpoints import wait_until

from sagewatch.localstack import launcher
from sagewatch.localstack.hostmode import is_port_free

RESERVED_PORTS = {4566, 4596, 4597, 4598, 4599}


def own_port() -> int:
    """``SAGEWATCH_E2E_OWN_PORT``, or a free port between 20000 and 30000."""
    fixed = os.environ.get("SAGEWATCH_E2E_OWN_PORT", "").strip()
    if fixed:
        return int(fixed)
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 30000)
        if port not in RESERVED_PORTS and is_port_free(port):
            return port
    raise RuntimeError("no free port between 20000 and 30000")


@contextmanager
def own_localstack(state_dir: Path, **settings: str) -> Iterator[int]:
    """Start a LocalStack with the ``SAGEWATCH_*`` *settings* (names without the prefix); yield its port; stop it."""
    saved = {key: os.environ.get(key) for key in [f"SAGEWATCH_{name}" for name in settings] + ["SAGEWATCH_STATE_DIR"]}
    os.environ.pop("SAGEWATCH_STATE_DIR", None)
    os.environ.update({f"SAGEWATCH_{name}": value for name, value in settings.items()})
    port = own_port()
    try:
        launcher.up(port=port, state_dir=state_dir, timeout=180)
        yield port
    finally:
        launcher.down(state_dir=state_dir)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def clients(port: int) -> dict[str, Any]:
    """boto3 clients of the services these tests use, without retries (every answer counts)."""
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    config = Config(retries={"max_attempts": 1}, read_timeout=60, connect_timeout=5, max_pool_connections=32)
    return {name: session.client(name, endpoint_url=f"http://127.0.0.1:{port}", config=config)
            for name in ("s3", "sagemaker", "sagemaker-runtime", "cloudwatch")}


def kill_9(state_dir: Path, port: int) -> None:
    """``kill -9`` the LocalStack of *state_dir* and wait until it is gone and its port is free."""
    pid = launcher.status(state_dir=state_dir)["pid"]
    os.kill(pid, signal.SIGKILL)

    def gone() -> bool:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return not psutil.pid_exists(pid) and is_port_free(port)

    wait_until(gone, 60, "the killed LocalStack to release its port")


class Load:
    """*threads* clients calling InvokeEndpoint in a loop, each id unique (``<tag>-<thread>-<n>``), until stopped.

    ``acknowledged``: the ids answered 200; ``failed``: the calls that got an error or no answer.
    """

    def __init__(self, runtime: Any, endpoint: str, tag: str, threads: int) -> None:
        self.runtime, self.endpoint, self.tag = runtime, endpoint, tag
        self.acknowledged: list[str] = []
        self.failed = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def _run(self, number: int) -> None:
        index = 0
        while not self._stop.is_set():
            inference_id = f"{self.tag}-{number}-{index}"
            index += 1
            try:
                self.runtime.invoke_endpoint(EndpointName=self.endpoint, Body=b"1,2,3,4", ContentType="text/csv",
                                             InferenceId=inference_id)["Body"].read()
            except Exception:  # noqa: BLE001 - an unanswered call is not acknowledged, nothing more
                with self._lock:
                    self.failed += 1
                time.sleep(0.05)
                continue
            with self._lock:
                self.acknowledged.append(inference_id)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(90)


def capture_files(s3: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every ``.jsonl`` object under *prefix*: key -> body."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(".jsonl"):
                found[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return found


def inference_ids(files: dict[str, bytes]) -> collections.Counter:
    """InferenceId -> how many records carry it, over *files*."""
    return collections.Counter(json.loads(line)["eventMetadata"].get("inferenceId")
                               for body in files.values() for line in body.splitlines())


def fence_bucket(s3: Any, bucket: str) -> dict[str, bytes]:
    """Copy and delete every object of *bucket*, then the bucket itself (again while uploads refill it); the
    copies of the ``.jsonl`` objects. From then on, uploads to the bucket fail."""
    from botocore.exceptions import ClientError

    copies: dict[str, bytes] = {}
    while True:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                if item["Key"].endswith(".jsonl"):
                    copies[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                s3.delete_object(Bucket=bucket, Key=item["Key"])
        try:
            s3.delete_bucket(Bucket=bucket)
            return copies
        except ClientError as error:
            if error.response["Error"]["Code"] != "BucketNotEmpty":
                raise
