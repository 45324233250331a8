"""What processing jobs and monitoring executions need from the other AWS services, as one small interface.

:class:`InternalAws` talks to LocalStack's own S3, CloudWatch Logs, CloudWatch and EventBridge through
``localstack.aws.connect.connect_to`` (the internal clients, so the account and region of the job are kept);
tests can pass any object with the same methods.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

LOG = logging.getLogger(__name__)

LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
_MAX_LOG_BATCH = 5000
_MAX_LOG_BYTES = 900_000
_MAX_METRICS_BATCH = 500


class AwsAccess(Protocol):
    account_id: str
    region: str

    def list_objects(self, bucket: str, prefix: str) -> list[tuple[str, int]]: ...
    def list_folders(self, bucket: str, prefix: str) -> list[str]: ...
    def any_object(self, bucket: str, prefix: str) -> bool: ...
    def download(self, bucket: str, key: str, destination: Path) -> None: ...
    def read_text(self, bucket: str, key: str) -> str: ...
    def upload(self, source: Path, bucket: str, key: str) -> None: ...
    def ensure_log_stream(self, group: str, stream: str) -> None: ...
    def put_log_events(self, group: str, stream: str, events: Sequence[Mapping[str, Any]]) -> None: ...
    def put_metric_data(self, namespace: str, metric_data: Sequence[Mapping[str, Any]]) -> None: ...
    def describe_endpoint(self, name: str) -> dict[str, Any] | None: ...
    def describe_endpoint_config(self, name: str) -> dict[str, Any] | None: ...


class InternalAws:
    """:class:`AwsAccess` through LocalStack's internal clients for one account and region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self._factory: Any = None
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                if self._factory is None:
                    from botocore.config import Config
                    from localstack.aws.connect import connect_to

                    self._factory = connect_to(aws_access_key_id=self.account_id, region_name=self.region,
                                               config=Config(max_pool_connections=32, retries={"max_attempts": 2}))
                self._clients[service] = getattr(self._factory, service)
            return self._clients[service]

    # --- S3 ------------------------------------------------------------------------------------------------

    def _pages(self, bucket: str, prefix: str, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            arguments["Delimiter"] = delimiter
        yield from self._client("s3").get_paginator("list_objects_v2").paginate(**arguments)

    def list_objects(self, bucket: str, prefix: str) -> list[tuple[str, int]]:
        """``(key, size)`` of every object whose key starts with *prefix*."""
        return [(item["Key"], int(item.get("Size", 0)))
                for page in self._pages(bucket, prefix) for item in page.get("Contents", [])]

    def list_folders(self, bucket: str, prefix: str) -> list[str]:
        """The next ``/``-separated level below *prefix* (common prefixes, each ending with ``/``)."""
        return [item["Prefix"] for page in self._pages(bucket, prefix, "/") for item in page.get("CommonPrefixes", [])]

    def any_object(self, bucket: str, prefix: str) -> bool:
        answer = self._client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        return bool(answer.get("Contents"))

    def download(self, bucket: str, key: str, destination: Path) -> None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        answer = self._client("s3").get_object(Bucket=bucket, Key=key)
        with open(destination, "wb") as handle:
            for chunk in answer["Body"].iter_chunks(1 << 20):
                handle.write(chunk)

    def read_text(self, bucket: str, key: str) -> str:
        return self._client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")

    def upload(self, source: Path, bucket: str, key: str) -> None:
        with open(source, "rb") as handle:
            self._client("s3").put_object(Bucket=bucket, Key=key, Body=handle.read())

    # --- CloudWatch Logs -----------------------------------------------------------------------------------

    def ensure_log_stream(self, group: str, stream: str) -> None:
        logs = self._client("logs")
        for create, arguments in ((logs.create_log_group, {"logGroupName": group}),
                                  (logs.create_log_stream, {"logGroupName": group, "logStreamName": stream})):
            try:
                create(**arguments)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass

    def put_log_events(self, group: str, stream: str, events: Sequence[Mapping[str, Any]]) -> None:
        logs = self._client("logs")
        batch: list[Mapping[str, Any]] = []
        size = 0
        for event in sorted(events, key=lambda e: e["timestamp"]):
            cost = len(event["message"].encode("utf-8")) + 26
            if batch and (len(batch) >= _MAX_LOG_BATCH or size + cost > _MAX_LOG_BYTES):
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
                batch, size = [], 0
            batch.append(event)
            size += cost
        if batch:
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)

    # --- CloudWatch ----------------------------------------------------------------------------------------

    def put_metric_data(self, namespace: str, metric_data: Sequence[Mapping[str, Any]]) -> None:
        cloudwatch = self._client("cloudwatch")
        for start in range(0, len(metric_data), _MAX_METRICS_BATCH):
            cloudwatch.put_metric_data(Namespace=namespace,
                                       MetricData=list(metric_data[start:start + _MAX_METRICS_BATCH]))

    # --- SageMaker (whoever answers it: moto or sagewatch's endpoint emulation) ------------------------------

    def _describe(self, operation: str, **arguments: Any) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            answer = getattr(self._client("sagemaker"), operation)(**arguments)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("ValidationException", "ResourceNotFound"):
                return None
            raise
        answer.pop("ResponseMetadata", None)
        return answer

    def describe_endpoint(self, name: str) -> dict[str, Any] | None:
        return self._describe("describe_endpoint", EndpointName=name)

    def describe_endpoint_config(self, name: str) -> dict[str, Any] | None:
        return self._describe("describe_endpoint_config", EndpointConfigName=name)
