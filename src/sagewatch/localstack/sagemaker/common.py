"""Shared pieces of sagewatch's processing-job, job-definition and monitoring-schedule APIs.

The one ARN helper, request checks worded like the service's (raising
:class:`sagewatch.localstack.errors.ValidationException`) (``1 validation error detected: ...``), times, list filtering,
sorting and ``NextToken`` pagination. Nothing here keeps state.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from sagewatch.localstack.errors import ValidationException

T = TypeVar("T")

NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$"
ENV_KEY_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
S3_URI_PATTERN = r"^(https|s3)://([^/]+)/?(.*)$"
DEFAULT_MAX_RESULTS = 10
SORT_ORDERS = ("Ascending", "Descending")

_NAME_RE = re.compile(NAME_PATTERN)
_ROLE_RE = re.compile(ROLE_ARN_PATTERN)
_ENV_KEY_RE = re.compile(ENV_KEY_PATTERN)


# --- ARNs and names -------------------------------------------------------------------------------------------


def partition(region: str) -> str:
    """The AWS partition of a region (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def sagemaker_arn(resource_type: str, name: str, account_id: str, region: str) -> str:
    """The ARN of a SageMaker resource; SageMaker writes the name in lower case.

    Examples
    --------
    >>> sagemaker_arn("processing-job", "My-Job", "000000000000", "us-east-1")
    'arn:aws:sagemaker:us-east-1:000000000000:processing-job/my-job'
    >>> sagemaker_arn("monitoring-schedule", "s", "000000000000", "cn-north-1")
    'arn:aws-cn:sagemaker:cn-north-1:000000000000:monitoring-schedule/s'
    """
    return f"arn:{partition(region)}:sagemaker:{region}:{account_id}:{resource_type}/{name.lower()}"


def check_name(value: Any, field: str) -> str:
    """Check a SageMaker resource name (``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``) and return it."""
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ValidationException.constraint(field, value, f"Member must satisfy regular expression pattern: {NAME_PATTERN}")
    return value


def check_role_arn(value: Any, field: str = "roleArn") -> str:
    if not isinstance(value, str) or not _ROLE_RE.match(value):
        raise ValidationException.constraint(field, value, f"Member must satisfy regular expression pattern: {ROLE_ARN_PATTERN}")
    return value


def check_s3_uri(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.startswith("s3://") or len(value) <= len("s3://"):
        raise ValidationException.constraint(field, value, f"Member must satisfy regular expression pattern: {S3_URI_PATTERN}")
    return value


def check_int_range(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationException.constraint(field, value, f"Member must have value between {low} and {high}")
    return value


def check_enum(value: Any, field: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValidationException.constraint(field, value, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def check_environment(environment: Any, field: str, max_entries: int) -> dict[str, str]:
    """Check an ``Environment`` map: at most *max_entries*, keys ``[a-zA-Z_][a-zA-Z0-9_]*``, strings ≤ 256."""
    if environment is None:
        return {}
    if not isinstance(environment, Mapping):
        raise ValidationException(f"{field} must be a map of strings.")
    if len(environment) > max_entries:
        raise ValidationException.constraint(field, f"<{len(environment)} entries>", f"Member must have length less than or equal "
                                                                      f"to {max_entries}")
    for key, value in environment.items():
        if not isinstance(key, str) or len(key) > 256 or not _ENV_KEY_RE.match(key):
            raise ValidationException.constraint(f"{field}.key", key, f"Member must satisfy regular expression pattern: "
                                                         f"{ENV_KEY_PATTERN}")
        if not isinstance(value, str) or len(value) > 256:
            raise ValidationException.constraint(f"{field}.{key}", value, "Member must have length less than or equal to 256")
    return dict(environment)


def check_cluster_config(cluster: Any, field: str) -> dict[str, Any]:
    """Check a ``ClusterConfig`` (instance count, type and volume size are required)."""
    if not isinstance(cluster, Mapping):
        raise ValidationException(f"{field} is required.")
    check_int_range(cluster.get("InstanceCount"), f"{field}.instanceCount", 1, 100)
    if not isinstance(cluster.get("InstanceType"), str) or not cluster["InstanceType"].startswith("ml."):
        raise ValidationException.constraint(f"{field}.instanceType", cluster.get("InstanceType"),
                               "Member must be an ml.* instance type")
    check_int_range(cluster.get("VolumeSizeInGB"), f"{field}.volumeSizeInGB", 1, 16384)
    return dict(cluster)


# --- times -------------------------------------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (naive values are taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso_z(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (the contract's time format).

    Examples
    --------
    >>> iso_z(datetime(2024, 5, 1, 11, 0, 5, 123))
    '2024-05-01T11:00:05Z'
    """
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 time (``Z`` or an offset; naive means UTC) into an aware UTC datetime.

    Examples
    --------
    >>> parse_iso("2024-05-01T11:00:00Z").isoformat()
    '2024-05-01T11:00:00+00:00'
    """
    return to_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds, as EventBridge event details carry times."""
    return int(round(to_utc(moment).timestamp() * 1000))


def floor_hour(moment: datetime) -> datetime:
    return to_utc(moment).replace(minute=0, second=0, microsecond=0)


# --- responses ---------------------------------------------------------------------------------------------------


def without_none(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A copy without the keys whose value is None (optional response members)."""
    return {key: value for key, value in mapping.items() if value is not None}


def deep_copy(value: T) -> T:
    return copy.deepcopy(value)


def jsonable(value: Any) -> Any:
    """A JSON-serializable copy: datetimes become ``YYYY-MM-DDTHH:MM:SSZ``, bytes become text."""
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


# --- list operations ---------------------------------------------------------------------------------------------


def time_filters(request: Mapping[str, Any], pairs: Mapping[str, str]) -> list[Callable[[Mapping[str, Any]], bool]]:
    """Predicates for ``<Field>Before`` / ``<Field>After`` request members.

    *pairs* maps a request prefix (``CreationTime``) to the item key holding that time.
    """
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for prefix, key in pairs.items():
        before, after = request.get(f"{prefix}Before"), request.get(f"{prefix}After")
        if before is not None:
            bound = to_utc(before)
            checks.append(lambda item, k=key, b=bound: item.get(k) is not None and item[k] < b)
        if after is not None:
            bound = to_utc(after)
            checks.append(lambda item, k=key, a=bound: item.get(k) is not None and item[k] > a)
    return checks


def sort_items(items: Iterable[Mapping[str, Any]], request: Mapping[str, Any], keys: Mapping[str, str],
               default_sort: str, name_key: str) -> list[Mapping[str, Any]]:
    """Sort list items by ``SortBy`` (a key of *keys*, naming the item key) and ``SortOrder``.

    The default order is ``Descending``, as in every SageMaker list operation; ties are broken by the
    item's *name_key*, so that pages are stable.
    """
    sort_by = request.get("SortBy") or default_sort
    check_enum(sort_by, "sortBy", list(keys))
    order = request.get("SortOrder") or "Descending"
    check_enum(order, "sortOrder", SORT_ORDERS)
    key = keys[sort_by]
    return sorted(items, key=lambda item: (_sortable(item.get(key)), str(item.get(name_key, ""))),
                  reverse=order == "Descending")


def _sortable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_utc(value).timestamp()
    return "" if value is None else value


def paginate(items: Sequence[T], request: Mapping[str, Any]) -> tuple[list[T], str | None]:
    """One page of *items* for ``MaxResults`` (1–100, default 10) and ``NextToken``.

    Examples
    --------
    >>> page, token = paginate(list(range(25)), {"MaxResults": 10})
    >>> page[-1], paginate(list(range(25)), {"MaxResults": 10, "NextToken": token})[0][0]
    (9, 10)
    """
    limit = request.get("MaxResults")
    limit = DEFAULT_MAX_RESULTS if limit is None else check_int_range(limit, "maxResults", 1, 100)
    start = _decode_token(request.get("NextToken"))
    page = list(items[start:start + limit])
    following = start + limit
    return page, (_encode_token(following) if following < len(items) else None)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"sagewatch:{offset}".encode()).decode()


def _decode_token(token: Any) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(str(token).encode()).decode()
        label, _, number = text.partition(":")
        if label != "sagewatch":
            raise ValueError(label)
        return max(0, int(number))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationException(f"Invalid pagination token {token!r}.") from None
