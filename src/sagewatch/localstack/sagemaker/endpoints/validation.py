"""Request checks of the endpoint operations, worded as SageMaker words them.

- :func:`shape_errors` checks a request member against its botocore shape (required members, lengths, ranges,
  patterns, enums) and words each problem the way AWS's request validation does::

      1 validation error detected: Value '101' at 'dataCaptureConfig.initialSamplingPercentage' failed to
      satisfy constraint: Member must have value less than or equal to 100

  boto3 checks some of these (required members, minimums) before sending; the emulator checks all of them,
  for clients that do not (other SDKs, CloudFormation, ``parameter_validation=False``).
- the ``*_message`` helpers word the errors, raised as :class:`sagewatch.localstack.errors.ValidationException`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["shape_errors"]


@lru_cache(maxsize=None)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct (\p{...}): not checked
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def shape_errors(value: Any, shape: Any, path: str) -> list[str]:
    """The constraint violations of *value* against a botocore *shape*, as AWS words them.

    Parameters
    ----------
    value : Any
        The request member (``None`` when absent).
    shape : botocore.model.Shape
    path : str
        The member's path in AWS's camelCase form (``dataCaptureConfig``).

    Examples
    --------
    >>> from localstack.aws.spec import load_service
    >>> shape = load_service("sagemaker").shape_for("DataCaptureConfig")
    >>> config = {"InitialSamplingPercentage": 101, "DestinationS3Uri": "s3://b/p",
    ...           "CaptureOptions": [{"CaptureMode": "Both"}]}
    >>> shape_errors(config, shape, "dataCaptureConfig")  # doctest: +NORMALIZE_WHITESPACE
    ["Value '101' at 'dataCaptureConfig.initialSamplingPercentage' failed to satisfy constraint: Member must
      have value less than or equal to 100",
     "Value 'Both' at 'dataCaptureConfig.captureOptions.1.member.captureMode' failed to satisfy constraint:
      Member must satisfy enum value set: [Input, Output, InputAndOutput]"]
    """
    if value is None:
        return []
    errors: list[str] = []
    metadata = shape.metadata
    kind = shape.type_name

    def fail(constraint: str) -> None:
        errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must {constraint}")

    if kind == "structure":
        if not isinstance(value, Mapping):
            return [f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must be a structure"]
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(f"Value null at '{path}.{_camel(name)}' failed to satisfy constraint: "
                              "Member must not be null")
        for name, member in shape.members.items():
            errors.extend(shape_errors(value.get(name), member, f"{path}.{_camel(name)}"))
        return errors
    if kind == "list":
        if "min" in metadata and len(value) < metadata["min"]:
            fail(f"have length greater than or equal to {metadata['min']}")
        if "max" in metadata and len(value) > metadata["max"]:
            fail(f"have length less than or equal to {metadata['max']}")
        for index, item in enumerate(value, start=1):
            errors.extend(shape_errors(item, shape.member, f"{path}.{index}.member"))
        return errors
    if kind == "string":
        text = str(value)
        if "min" in metadata and len(text) < metadata["min"]:
            fail(f"have length greater than or equal to {metadata['min']}")
        if "max" in metadata and len(text) > metadata["max"]:
            fail(f"have length less than or equal to {metadata['max']}")
        pattern = _pattern(metadata["pattern"]) if "pattern" in metadata else None
        if pattern is not None and pattern.fullmatch(text) is None:
            fail(f"satisfy regular expression pattern: {metadata['pattern']}")
        if shape.enum and text not in shape.enum:
            fail(f"satisfy enum value set: [{', '.join(shape.enum)}]")
        return errors
    if kind in ("integer", "long", "float", "double"):
        if "min" in metadata and value < metadata["min"]:
            fail(f"have value greater than or equal to {_number(metadata['min'])}")
        if "max" in metadata and value > metadata["max"]:
            fail(f"have value less than or equal to {_number(metadata['max'])}")
    return errors
