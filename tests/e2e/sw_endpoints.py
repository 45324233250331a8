"""Helpers of the endpoint, invocation and capture e2e tests: models, endpoint factories, capture readers.

Everything goes through boto3 against LocalStack, as a user would do it. Tests that need capture files before
the roll interval (``SAGEWATCH_CAPTURE_ROLL_SECONDS``) is over delete or update the endpoint, which closes and
uploads the open files.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import joblib
import numpy as np
from botocore.exceptions import ClientError
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from sagewatch.schemas.capture import CaptureRecord, parse_capture_record

ROLE = "arn:aws:iam::000000000000:role/sagewatch-e2e"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1"
READY_TIMEOUT = 120.0

# Rows far from the decision boundary of y = [x0 + 2 x1 - x2 > 0]: the trained model predicts 1, 0, 1.
CLEAR_ROWS = "3,3,-3,0\n-3,-3,3,0\n2,2,0,1"


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A ``.tar.gz`` archive of *files* (name -> content)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _joblib_bytes(model: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def trained_model_tarball() -> bytes:
    """``model.tar.gz`` of a scikit-learn LogisticRegression trained here (4 features, labels 0/1)."""
    rng = np.random.default_rng(7)
    features = rng.normal(size=(400, 4))
    labels = (features[:, 0] + 2 * features[:, 1] - features[:, 2] > 0).astype(int)
    return tar_gz({"model.joblib": _joblib_bytes(LogisticRegression().fit(features, labels))})


def constant_model_tarball(value: int) -> bytes:
    """``model.tar.gz`` of a classifier that always answers *value* (tells deployments apart)."""
    model = DummyClassifier(strategy="constant", constant=value).fit([[0, 0, 0, 0], [1, 1, 1, 1]], [0, 1])
    return tar_gz({"model.joblib": _joblib_bytes(model)})


def wait_for_endpoint(sagemaker: Any, name: str, timeout: float = READY_TIMEOUT,
                      done: Sequence[str] = ("InService", "Failed")) -> dict[str, Any]:
    """Poll DescribeEndpoint until the status is one of *done*; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        described = sagemaker.describe_endpoint(EndpointName=name)
        if described["EndpointStatus"] in done:
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"endpoint {name} still {described['EndpointStatus']} after {timeout:g} s")
        time.sleep(0.2)


def capture_objects(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Keys of the ``.jsonl`` capture files under *prefix*."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".jsonl")]
    return sorted(keys)


def read_capture(s3: Any, bucket: str, prefix: str) -> list[tuple[str, CaptureRecord]]:
    """Every capture record under *prefix*, parsed, with the key of its file."""
    records = []
    for key in capture_objects(s3, bucket, prefix):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        for number, line in enumerate(body.splitlines(), start=1):
            records.append((key, parse_capture_record(line, source=key, line_number=number)))
    return records


def wait_for_capture(s3: Any, bucket: str, prefix: str, count: int, timeout: float = 150.0,
                     settle: float = 0.0) -> list[tuple[str, CaptureRecord]]:
    """Poll S3 until at least *count* records are under *prefix* (then wait *settle* s for stragglers)."""
    deadline = time.monotonic() + timeout
    while True:
        records = read_capture(s3, bucket, prefix)
        if len(records) >= count:
            if settle:
                time.sleep(settle)
                records = read_capture(s3, bucket, prefix)
            return records
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(records)} of {count} capture records under s3://{bucket}/{prefix} after "
                                 f"{timeout:g} s")
        time.sleep(0.5)


def capture_config(bucket: str, prefix: str, percentage: int = 100, **extra: Any) -> dict[str, Any]:
    """A ``DataCaptureConfig`` as the SageMaker SDK sends it (Input and Output, CSV and JSON types)."""
    config = {
        "EnableCapture": True,
        "InitialSamplingPercentage": percentage,
        "DestinationS3Uri": f"s3://{bucket}/{prefix}",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]},
    }
    config.update(extra)
    return config


def variant(model: str, name: str = "AllTraffic", weight: float = 1.0) -> dict[str, Any]:
    return {"VariantName": name, "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large",
            "InitialVariantWeight": weight}


class Deployer:
    """Creates models, endpoint configs and endpoints with unique names, and deletes them all afterwards."""

    def __init__(self, aws_client: Callable[[str], Any], bucket: str, unique_name: Callable[[str], str]) -> None:
        self.sagemaker = aws_client("sagemaker")
        self.s3 = aws_client("s3")
        self.bucket = bucket
        self.unique_name = unique_name
        self.models: list[str] = []
        self.configs: list[str] = []
        self.endpoints: list[str] = []

    def upload(self, key: str, body: bytes, **extra: Any) -> str:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
        return f"s3://{self.bucket}/{key}"

    def model(self, tarball: bytes | None = None, *, image: str = SKLEARN_IMAGE,
              environment: dict[str, str] | None = None, name: str | None = None) -> str:
        name = name or self.unique_name("model")
        container: dict[str, Any] = {"Image": image}
        if tarball is not None:
            container["ModelDataUrl"] = self.upload(f"{name}/model.tar.gz", tarball)
        if environment:
            container["Environment"] = environment
        self.sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
        self.models.append(name)
        return name

    def config(self, variants: list[dict[str, Any]], capture: dict[str, Any] | None = None) -> str:
        name = self.unique_name("config")
        extra = {"DataCaptureConfig": capture} if capture else {}
        self.sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants, **extra)
        self.configs.append(name)
        return name

    def endpoint(self, config: str, *, wait: bool = True, name: str | None = None) -> str:
        name = name or self.unique_name("endpoint")
        self.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)
        self.endpoints.append(name)
        if wait:
            described = wait_for_endpoint(self.sagemaker, name)
            assert described["EndpointStatus"] == "InService", described.get("FailureReason")
        return name

    def deploy(self, tarball: bytes | None = None, *, capture: dict[str, Any] | None = None) -> str:
        """Model + single-variant config + endpoint, InService; the endpoint name."""
        model = self.model(tarball if tarball is not None else trained_model_tarball())
        return self.endpoint(self.config([variant(model)], capture))

    def cleanup(self) -> None:
        for name in self.endpoints:
            _quietly(lambda: self.sagemaker.delete_endpoint(EndpointName=name))
        for name in self.configs:
            _quietly(lambda: self.sagemaker.delete_endpoint_config(EndpointConfigName=name))
        for name in self.models:
            _quietly(lambda: self.sagemaker.delete_model(ModelName=name))


def _quietly(call: Callable[[], Any]) -> None:
    try:
        call()
    except ClientError:
        pass


def deploying(aws_client: Callable[[str], Any], bucket: str, unique_name: Callable[[str], str]) -> Iterator[Deployer]:
    """Body of a ``deployer`` fixture: a :class:`Deployer` whose resources are deleted after the test."""
    kit = Deployer(aws_client, bucket, unique_name)
    yield kit
    kit.cleanup()


def server_processes(marker: str) -> list[Any]:
    """Running ``sagewatch.serving`` processes whose command line contains *marker* (a model-data URI)."""
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if "sagewatch.serving" in cmdline and any(marker in part for part in cmdline):
            found.append(process)
    return found


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def csv_rows(count: int, seed: int = 3) -> list[str]:
    """*count* CSV request bodies of one 4-feature row each."""
    rng = np.random.default_rng(seed)
    return [",".join(f"{v:.3f}" for v in row) for row in rng.normal(size=(count, 4))]


def json_body(rows: list[list[float]]) -> bytes:
    return json.dumps(rows).encode()
