"""S3 key layouts of captured data and ground truth (contract §1.3, §1.4, §2.2).

Real-time capture::

    <prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/MM-SS-mmm-<uuid4>.jsonl

Ground truth::

    <prefix>/yyyy/mm/dd/hh/<name>.jsonl

Batch-transform capture manifests::

    <prefix>/input|output/yyyy/mm/dd/hh/<name>
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import NamedTuple

from sagewatch.schemas.capture import to_utc
from sagewatch.errors import InvalidParameterError

__all__ = [
    "CaptureKey",
    "hour_path",
    "join_key",
    "capture_object_key",
    "parse_capture_key",
    "parse_capture_file_time",
    "ground_truth_object_key",
    "parse_hour_path",
    "batch_manifest_key",
]

_FILE_RE = re.compile(
    r"^(?P<minute>\d{2})-(?P<second>\d{2})-(?P<milli>\d{3})-(?P<uuid>[0-9A-Za-z-]+)\.jsonl$"
)


class CaptureKey(NamedTuple):
    """What a capture object key says: endpoint, variant and the UTC hour folder."""

    endpoint: str
    variant: str
    hour: datetime


def hour_path(when: datetime) -> str:
    """Return the ``yyyy/mm/dd/hh`` folder of a time, in UTC.

    Examples
    --------
    >>> from datetime import datetime
    >>> hour_path(datetime(2022, 4, 18, 0, 21, 48))
    '2022/04/18/00'
    """
    return to_utc(when).strftime("%Y/%m/%d/%H")


def join_key(prefix: str, *parts: str) -> str:
    """Join an S3 prefix (with or without trailing slash, or empty) and key parts with ``/``.

    An ``s3://bucket/prefix`` URI stays a URI.

    Examples
    --------
    >>> join_key("a/b/", "c", "d.jsonl")
    'a/b/c/d.jsonl'
    >>> join_key("", "c")
    'c'
    >>> join_key("s3://bkt/pre", "x")
    's3://bkt/pre/x'
    """
    head = prefix.rstrip("/") if prefix else ""
    return "/".join([head, *parts]) if head else "/".join(parts)


def _check_segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value or "/" in value:
        raise InvalidParameterError(f"{what} must be a non-empty string without '/', got {value!r}")
    return value


def capture_object_key(
    prefix: str, endpoint: str, variant: str, opened_at: datetime, file_uuid: str
) -> str:
    """Return the key of a capture file (contract §1.3).

    Parameters
    ----------
    prefix : str
        The ``DestinationS3Uri`` key prefix (with or without a trailing slash) or a full
        ``s3://bucket/prefix`` URI, in which case a URI is returned.
    endpoint, variant : str
        Endpoint and production-variant names.
    opened_at : datetime
        When the file was opened; gives the UTC hour folder and ``MM-SS-mmm``.
    file_uuid : str
        A UUID4 string.

    Examples
    --------
    >>> from datetime import datetime
    >>> capture_object_key("datacapture/", "ep", "AllTraffic", datetime(2022, 4, 18, 0, 20, 48, 871999),
    ...                    "0b7bfd33-c8a7-4adf-a09a-98fd0af79974")
    'datacapture/ep/AllTraffic/2022/04/18/00/20-48-871-0b7bfd33-c8a7-4adf-a09a-98fd0af79974.jsonl'
    """
    _check_segment(endpoint, "endpoint")
    _check_segment(variant, "variant")
    _check_segment(file_uuid, "file_uuid")
    when = to_utc(opened_at)
    name = f"{when:%M-%S}-{when.microsecond // 1000:03d}-{file_uuid}.jsonl"
    return join_key(prefix, endpoint, variant, hour_path(when), name)


def parse_hour_path(parts: list[str] | tuple[str, ...], *, key: str = "") -> datetime:
    """Turn ``["yyyy", "mm", "dd", "hh"]`` into an aware UTC datetime at that hour."""
    try:
        year, month, day, hour = (int(p) for p in parts)
        if not all(len(p) == n for p, n in zip(parts, (4, 2, 2, 2))):
            raise ValueError("bad width")
        return datetime(year, month, day, hour, tzinfo=timezone.utc)
    except (ValueError, TypeError) as exc:
        raise InvalidParameterError(f"no yyyy/mm/dd/hh folder in key {key!r}") from exc


def parse_capture_key(key: str) -> CaptureKey:
    """Read endpoint, variant and hour back from a capture object key or URI.

    The key is parsed from its end, so any prefix (or none) is accepted.

    Examples
    --------
    >>> parse_capture_key("s3://b/dc/ep/AllTraffic/2022/04/18/00/20-48-871-0b7bfd33.jsonl")
    CaptureKey(endpoint='ep', variant='AllTraffic', hour=datetime.datetime(2022, 4, 18, 0, 0, tzinfo=datetime.timezone.utc))
    """
    parts = key.split("/")
    if len(parts) < 7 or not _FILE_RE.match(parts[-1]):
        raise InvalidParameterError(
            f"not a capture key (<endpoint>/<variant>/yyyy/mm/dd/hh/MM-SS-mmm-<uuid>.jsonl): {key!r}"
        )
    hour = parse_hour_path(parts[-5:-1], key=key)
    endpoint, variant = parts[-7], parts[-6]
    if not endpoint or not variant:
        raise InvalidParameterError(f"empty endpoint or variant in capture key {key!r}")
    return CaptureKey(endpoint, variant, hour)


def parse_capture_file_time(key: str) -> datetime:
    """Return the full open time (to the millisecond) encoded in a capture key.

    Examples
    --------
    >>> parse_capture_file_time("ep/v/2022/04/18/00/20-48-871-abc.jsonl").isoformat()
    '2022-04-18T00:20:48.871000+00:00'
    """
    hour = parse_capture_key(key).hour
    match = _FILE_RE.match(key.rsplit("/", 1)[-1])
    assert match is not None  # checked by parse_capture_key
    try:
        return hour.replace(
            minute=int(match.group("minute")),
            second=int(match.group("second")),
            microsecond=int(match.group("milli")) * 1000,
        )
    except ValueError as exc:
        raise InvalidParameterError(f"bad MM-SS-mmm in capture key {key!r}") from exc


def ground_truth_object_key(prefix: str, collected_at: datetime, name: str) -> str:
    """Return the key of a ground-truth file: ``<prefix>/yyyy/mm/dd/hh/<name>.jsonl`` (contract §2.2).

    ``collected_at`` is when the labels were collected (not the inference time);
    ``.jsonl`` is added unless ``name`` already ends with it.

    Examples
    --------
    >>> from datetime import datetime
    >>> ground_truth_object_key("gt", datetime(2021, 5, 6, 22, 33, 42), "2233")
    'gt/2021/05/06/22/2233.jsonl'
    """
    _check_segment(name, "name")
    file_name = name if name.endswith(".jsonl") else f"{name}.jsonl"
    return join_key(prefix, hour_path(collected_at), file_name)


def batch_manifest_key(prefix: str, kind: str, started_at: datetime, name: str) -> str:
    """Return the key of a batch-transform capture manifest (contract §1.4).

    ``kind`` is ``"input"`` or ``"output"``; the hour is the job's start hour (UTC).

    Examples
    --------
    >>> from datetime import datetime
    >>> batch_manifest_key("s3://b/capture", "input", datetime(2022, 8, 26, 13, 5), "m.jsonl")
    's3://b/capture/input/2022/08/26/13/m.jsonl'
    """
    if kind not in ("input", "output"):
        raise InvalidParameterError(f"kind must be 'input' or 'output', got {kind!r}")
    _check_segment(name, "name")
    return join_key(prefix, kind, hour_path(started_at), name)
