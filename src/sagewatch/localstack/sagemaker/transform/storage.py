"""The S3 calls of a transform job, as one small interface (:class:`ObjectStore`).

:class:`InternalS3` goes through LocalStack's internal clients for the job's account and region; unit tests pass
any object with the same three methods.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

__all__ = ["InternalS3", "ObjectStore"]


class ObjectStore(Protocol):
    def list_objects(self, bucket: str, prefix: str) -> list[str]: ...
    def get(self, bucket: str, key: str) -> bytes: ...
    def put(self, bucket: str, key: str, body: bytes, kms_key_id: str | None = None) -> None: ...


class InternalS3:
    """:class:`ObjectStore` through LocalStack's internal S3 client of one account and region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id, self.region = account_id, region
        self._client: Any = None
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                from botocore.config import Config
                from localstack.aws.connect import connect_to

                self._client = connect_to(aws_access_key_id=self.account_id, region_name=self.region,
                                          config=Config(max_pool_connections=32, retries={"max_attempts": 2})).s3
            return self._client

    def list_objects(self, bucket: str, prefix: str) -> list[str]:
        """Keys of every object whose key starts with *prefix*, in S3's (lexicographic) order."""
        pages = self._s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def get(self, bucket: str, key: str) -> bytes:
        body: bytes = self._s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def put(self, bucket: str, key: str, body: bytes, kms_key_id: str | None = None) -> None:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
        self._s3().put_object(Bucket=bucket, Key=key, Body=body, **extra)
