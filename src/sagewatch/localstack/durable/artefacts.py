"""Copies of the endpoints' model artefacts, kept under the state folder.

Community LocalStack keeps S3 in memory: after a restart every bucket is gone, and an endpoint could not start
its model server again. While an endpoint runs, its ``model.tar.gz`` files are copied to
``<state folder>/durable/artefacts/``; at a restart an artefact missing from S3 is put back (its bucket created
if needed) from that copy. An artefact that is missing and was never copied makes the endpoint ``Failed``
with a reason saying so (:meth:`ArtefactStore.missing_reason`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sagewatch.localstack.durable.atomic import write_atomically

__all__ = ["ArtefactStore", "S3Calls", "localstack_s3"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class S3Calls:
    """The S3 calls the store makes, as ``(account_id, region, bucket, key[, body])``."""

    exists: Callable[[str, str, str, str], bool]
    get: Callable[[str, str, str, str], bytes]
    put: Callable[[str, str, str, str, bytes], None]


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


class ArtefactStore:
    """Model artefacts by URI, one file each (named by the SHA-256 of account and URI)."""

    def __init__(self, folder: Path, s3: S3Calls) -> None:
        self.folder = folder
        self.s3 = s3

    def path(self, account_id: str, uri: str) -> Path:
        return self.folder / hashlib.sha256(f"{account_id}\n{uri}".encode()).hexdigest()

    def keep(self, account_id: str, region: str, uri: str) -> bool:
        """Copy *uri* unless it is kept already; whether a copy exists afterwards."""
        path = self.path(account_id, uri)
        if path.exists():
            return True
        try:
            body = self.s3.get(account_id, region, *_split(uri))
        except Exception as error:  # noqa: BLE001 - S3 may be unavailable; the next pass tries again
            LOG.warning("sagewatch: could not keep a copy of model artefact %s: %s", uri, error)
            return False
        write_atomically(path, body)
        return True

    def missing_reason(self, account_id: str, region: str, uri: str) -> str | None:
        """None when *uri* is in S3 (put back from the kept copy if need be), else why it cannot be had."""
        bucket, key = _split(uri)
        try:
            if self.s3.exists(account_id, region, bucket, key):
                return None
        except Exception as error:  # noqa: BLE001
            return f"its model artefact {uri} could not be checked in S3: {error}"
        path = self.path(account_id, uri)
        if not path.exists():
            return (f"its model artefact {uri} no longer exists in S3 (community LocalStack keeps S3 in memory, and "
                    "the emulator had no copy of it); upload it again and create the endpoint again.")
        try:
            self.s3.put(account_id, region, bucket, key, path.read_bytes())
        except Exception as error:  # noqa: BLE001
            return f"its model artefact {uri} could not be put back in S3: {error}"
        LOG.info("sagewatch: put model artefact %s back in S3 from the state folder", uri)
        return None


def localstack_s3() -> S3Calls:
    """:class:`S3Calls` through LocalStack's internal clients (inside LocalStack only)."""

    def client(account_id: str, region: str) -> Any:
        from localstack.aws.connect import connect_to

        return connect_to(aws_access_key_id=account_id, region_name=region).s3

    def exists(account_id: str, region: str, bucket: str, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            client(account_id, region).head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
                return False
            raise
        return True

    def get(account_id: str, region: str, bucket: str, key: str) -> bytes:
        return client(account_id, region).get_object(Bucket=bucket, Key=key)["Body"].read()

    def put(account_id: str, region: str, bucket: str, key: str, body: bytes) -> None:
        from botocore.exceptions import ClientError

        s3 = client(account_id, region)
        try:
            extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket=bucket, **extra)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        s3.put_object(Bucket=bucket, Key=key, Body=body)

    return S3Calls(exists=exists, get=get, put=put)
