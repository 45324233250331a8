"""``s3://bucket/key`` URIs: the one parser (standard library only)."""

from __future__ import annotations

import re

from sagewatch.errors import InvalidParameterError

__all__ = ["split_s3_uri", "join_s3_uri"]

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<key>.*)$")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``; the key keeps a trailing slash and may be empty.

    Raises
    ------
    InvalidParameterError
        If *uri* is not an ``s3://`` URI with a bucket.

    Examples
    --------
    >>> split_s3_uri("s3://reports/monitoring/data-quality/")
    ('reports', 'monitoring/data-quality/')
    >>> split_s3_uri("s3://reports")
    ('reports', '')
    >>> split_s3_uri("https://reports/x")
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: not an s3://<bucket>/<key> URI: 'https://reports/x'
    """
    match = _S3_URI.match(uri) if isinstance(uri, str) else None
    if match is None:
        raise InvalidParameterError(f"not an s3://<bucket>/<key> URI: {uri!r}")
    return match.group("bucket"), match.group("key")


def join_s3_uri(uri: str, *parts: str) -> str:
    """Append key parts to an ``s3://`` URI (or a key prefix) with exactly one ``/`` between them.

    Examples
    --------
    >>> join_s3_uri("s3://reports/out/", "ep", "2024/05/01/11")
    's3://reports/out/ep/2024/05/01/11'
    """
    text = uri.rstrip("/")
    for part in parts:
        part = part.strip("/")
        if part:
            text = f"{text}/{part}" if text else part
    return text
