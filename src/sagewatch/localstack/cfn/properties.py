"""From CloudFormation properties to SageMaker API requests, and back to CloudFormation attributes.

CloudFormation's property names for the ``AWS::SageMaker::*`` types are the API's, but the values arrive as the
template (or the CDK) wrote them: numbers and booleans as strings, the CDK's camelCase dicts
(``{"enableCapture": ...}``), a model's ``Environment`` as a JSON string, ``Parquet: true`` where the API wants an
empty structure. :func:`to_api` walks the operation's botocore input shape and converts each value to the type the
shape wants, so what reaches the emulator is what a boto3 user would send; a key the shape does not have is an
error worded like CloudFormation's schema validation.

:func:`physical_name` makes the names CloudFormation generates when a template gives none, and :func:`iso_time`
turns API timestamps into the strings ``Fn::GetAtt`` returns.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from botocore.model import Shape

__all__ = ["PropertyError", "iso_time", "physical_name", "tags_diff", "to_api"]

NAME_LIMIT = 63
SUFFIX_LENGTH = 12
LOGICAL_ID_LIMIT = 24
_SUFFIX_ALPHABET = string.ascii_uppercase + string.digits
_NOT_IN_NAME = re.compile(r"[^a-zA-Z0-9-]+")
_TRUE, _FALSE = frozenset({"true"}), frozenset({"false"})


class PropertyError(ValueError):
    """A property value the API cannot take; ``path`` is its JSON-pointer-like location (``#/A/0/B``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def to_api(properties: Mapping[str, Any], input_shape: Shape, *, ignore: Iterable[str] = ()) -> dict[str, Any]:
    """Convert CloudFormation *properties* into the parameters of the operation whose input is *input_shape*.

    Parameters
    ----------
    properties : mapping
        The resource's properties (desired state).
    input_shape : botocore.model.StructureShape
        The operation's input shape.
    ignore : iterable of str
        Top-level properties that exist only in CloudFormation (read-only attributes, write-only switches such
        as ``RetainAllVariantProperties`` when creating); they are left out.

    Raises
    ------
    PropertyError
        A key the API does not know, or a value that cannot be converted.

    Examples
    --------
    >>> from localstack.aws.spec import load_service
    >>> shape = load_service("sagemaker").operation_model("CreateEndpointConfig").input_shape
    >>> to_api({"EndpointConfigName": "c", "ProductionVariants": [{"VariantName": "A", "ModelName": "m",
    ...         "InitialInstanceCount": "1", "InitialVariantWeight": "0.5"}],
    ...         "DataCaptureConfig": {"enableCapture": "true", "initialSamplingPercentage": 20,
    ...         "destinationS3Uri": "s3://b/p", "captureOptions": [{"captureMode": "Input"}]}}, shape)
    ... # doctest: +NORMALIZE_WHITESPACE
    {'EndpointConfigName': 'c',
     'ProductionVariants': [{'VariantName': 'A', 'ModelName': 'm', 'InitialInstanceCount': 1,
                             'InitialVariantWeight': 0.5}],
     'DataCaptureConfig': {'EnableCapture': True, 'InitialSamplingPercentage': 20,
                           'DestinationS3Uri': 's3://b/p', 'CaptureOptions': [{'CaptureMode': 'Input'}]}}
    """
    skipped = {name.lower() for name in ignore}
    chosen = {key: value for key, value in properties.items() if key.lower() not in skipped}
    return _structure(chosen, input_shape, "#")


def _convert(value: Any, shape: Shape, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not shape.members and not isinstance(value, Mapping):  # Parquet: true -> {} (an empty structure)
            return {} if _boolean(value, path) else None
        if isinstance(value, str):
            value = _json(value, path)
        if not isinstance(value, Mapping):
            raise PropertyError(path, f"expected type: JSONObject, found: {_json_type(value)}")
        return _structure(value, shape, path)
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            raise PropertyError(path, f"expected type: JSONArray, found: {_json_type(value)}")
        items = [_convert(item, shape.member, f"{path}/{index}") for index, item in enumerate(value)]
        return [item for item in items if item is not None]
    if kind == "map":
        if isinstance(value, str):
            value = _json(value, path)
        if not isinstance(value, Mapping):
            raise PropertyError(path, f"expected type: JSONObject, found: {_json_type(value)}")
        return {str(key): _convert(item, shape.value, f"{path}/{key}") for key, item in value.items()}
    if kind in ("integer", "long"):
        return _integer(value, path)
    if kind in ("float", "double"):
        return _number(value, path)
    if kind == "boolean":
        return _boolean(value, path)
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise PropertyError(path, f"expected type: String, found: {_json_type(value)}")
        return value
    return value  # timestamp, blob: passed as given


def _structure(value: Mapping[str, Any], shape: Shape, path: str) -> dict[str, Any]:
    members = {name.lower(): name for name in shape.members}
    result: dict[str, Any] = {}
    extraneous = []
    for key, item in value.items():
        name = members.get(str(key).lower())
        if name is None:
            extraneous.append(str(key))
            continue
        if item is None:
            continue
        converted = _convert(item, shape.members[name], f"{path}/{name}")
        if converted is not None:
            result[name] = converted
    if extraneous:
        raise PropertyError(path, f"extraneous key [{', '.join(sorted(extraneous))}] is not permitted")
    return result


def _json(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise PropertyError(path, "expected type: JSONObject, found: String") from None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, (int, float)):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, Mapping):
        return "JSONObject"
    if isinstance(value, (list, tuple)):
        return "JSONArray"
    return type(value).__name__


def _integer(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise PropertyError(path, "expected type: Integer, found: Boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is not None and number.is_integer():
                return int(number)
    raise PropertyError(path, f"expected type: Integer, found: {_json_type(value)} ({value!r})")


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise PropertyError(path, "expected type: Number, found: Boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise PropertyError(path, f"expected type: Number, found: {_json_type(value)} ({value!r})")


def _boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise PropertyError(path, f"expected type: Boolean, found: {_json_type(value)} ({value!r})")


def physical_name(stack_name: str, logical_id: str, *, limit: int = NAME_LIMIT,
                  rng: random.Random | None = None) -> str:
    """A generated physical name in CloudFormation's style, ``<stack>-<logicalId>-<RANDOM>``.

    The name fits SageMaker's rules (``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``): at most *limit* characters, letters,
    digits and hyphens only. The 12-character random suffix is always whole; the logical ID is cut to 24
    characters and the stack name to what is left.

    Examples
    --------
    >>> physical_name("monitoring-dev", "EndpointConfig", rng=random.Random(1))
    'monitoring-dev-EndpointConfig-IEQH524YNG5B'
    >>> name = physical_name("s" * 80, "VeryLongLogicalIdOfSomeResource", rng=random.Random(1))
    >>> len(name), name[-38:]
    (63, '-VeryLongLogicalIdOfSomeR-IEQH524YNG5B')
    """
    chooser = rng or random.SystemRandom()
    suffix = "".join(chooser.choice(_SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    logical = _NOT_IN_NAME.sub("-", logical_id)[:LOGICAL_ID_LIMIT].strip("-")
    room = limit - len(suffix) - len(logical) - 2
    stack = _NOT_IN_NAME.sub("-", stack_name)[:max(room, 0)].strip("-")
    return "-".join(part for part in (stack, logical, suffix) if part)


def iso_time(value: Any) -> str | None:
    """An API timestamp as the string ``Fn::GetAtt`` returns (UTC, milliseconds, ``Z``).

    Examples
    --------
    >>> iso_time(datetime(2024, 5, 1, 12, 30, 5, 123456, tzinfo=timezone.utc))
    '2024-05-01T12:30:05.123Z'
    >>> iso_time("2024-05-01T12:30:05.123Z"), iso_time(None)
    ('2024-05-01T12:30:05.123Z', None)
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def tags_diff(before: Iterable[Mapping[str, Any]] | None,
              after: Iterable[Mapping[str, Any]] | None) -> tuple[list[str], list[dict[str, str]]]:
    """``(keys to remove, tags to add or change)`` between two CloudFormation ``Tags`` lists.

    Examples
    --------
    >>> tags_diff([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
    ...           [{"Key": "b", "Value": "3"}, {"Key": "c", "Value": "4"}])
    (['a'], [{'Key': 'b', 'Value': '3'}, {'Key': 'c', 'Value': '4'}])
    """
    old = {str(tag["Key"]): str(tag.get("Value", "")) for tag in before or []}
    new = {str(tag["Key"]): str(tag.get("Value", "")) for tag in after or []}
    removed = sorted(key for key in old if key not in new)
    changed = [{"Key": key, "Value": value} for key, value in new.items() if old.get(key) != value]
    return removed, changed
