"""User pre-processor scripts: ``preprocess_handler(inference_record[, logger])`` (contract §4.3).

The handler is called once per record and returns a flat dict ``{column: value}`` (columns
keep the key order of the first record that has them) or ``[]`` / ``None`` to drop the
record. What it receives depends on the dataset format:

- ``sagemakerCaptureJson`` / ``sagemakerMergeJson``: an :class:`InferenceRecord`;
- ``csv``: the raw line (a string, without its line break; the header line is not passed);
- ``json``: the parsed JSON value.

This is the one place where a Python loop runs per record: the callback is user code.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa

import sagewatch.capture.skips as R
from sagewatch.capture.json_guard import JsonTooDeep, loads_bounded
from sagewatch.schemas.capture import SHADOW_EXPERIMENT, parse_inference_time
from sagewatch.capture.skips import SkipCounts
from sagewatch.defaults import MAX_RECORD_FIELDS
from sagewatch.errors import JobError

__all__ = [
    "SCRIPT_ERROR_MESSAGE",
    "script_failure",
    "EventMetadata",
    "PayloadView",
    "EventData",
    "InferenceRecord",
    "Preprocessor",
    "load_preprocessor",
    "inference_record_from_dict",
    "capture_inference_records",
    "rows_to_table",
    "apply_preprocessor",
]

SCRIPT_ERROR_MESSAGE = (
    "There is an exception raised in preprocessor script. Please double check the preprocessor script."
)
_LOGGER = logging.getLogger("sagewatch.preprocessor")


@dataclass(frozen=True)
class EventMetadata:
    """``inference_record.event_metadata``: raw ``eventMetadata`` values."""

    event_id: str | None
    event_time: str | None
    custom_attribute: Any
    inference_id: str | None = None


@dataclass(frozen=True)
class PayloadView:
    """``inference_record.endpoint_input`` / ``.endpoint_output``: the captured payload, raw.

    The camelCase ``observedContentType`` is the attribute name scripts use (contract §4.3).
    """

    encoding: str | None
    data: Any
    observedContentType: str | None  # noqa: N815 - the name user scripts read
    mode: str | None

    @property
    def observed_content_type(self) -> str | None:
        """Snake-case alias of ``observedContentType``."""
        return self.observedContentType


@dataclass(frozen=True)
class EventData:
    """``inference_record.event_data`` with camelCase parts, as the SDK's sample script reads it."""

    endpointInput: PayloadView | None  # noqa: N815
    endpointOutput: PayloadView | None  # noqa: N815


@dataclass(frozen=True)
class InferenceRecord:
    """The object a capture pre-processor receives (MMC ``CapturedData``)."""

    event_metadata: EventMetadata
    endpoint_input: PayloadView | None
    endpoint_output: PayloadView | None
    event_version: str | None
    batch_transform_output: PayloadView | None = None
    ground_truth: PayloadView | None = None

    @property
    def event_data(self) -> EventData:
        """``endpointInput`` / ``endpointOutput`` under their camelCase names."""
        return EventData(self.endpoint_input, self.endpoint_output)


class Preprocessor:
    """A loaded ``preprocess_handler``; call it with one record.

    Attributes
    ----------
    path : str
        The script file.
    takes_logger : bool
        Whether the handler accepts ``(inference_record, logger)``.
    """

    def __init__(self, handler: Callable[..., Any], path: str) -> None:
        self.handler = handler
        self.path = path
        self.takes_logger = _takes_logger(handler)

    def __call__(self, record: Any) -> list[dict[str, Any]]:
        """Run the handler on one record; return its rows (``[]`` when it drops the record).

        Raises
        ------
        JobError
            The handler raised (message starts with :data:`SCRIPT_ERROR_MESSAGE`) or
            returned something that is not a dict, a list of dicts, ``[]`` or ``None``.
        """
        try:
            result = self.handler(record, _LOGGER) if self.takes_logger else self.handler(record)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # user code: any error, sys.exit() included, is the script's
            raise JobError(f"{SCRIPT_ERROR_MESSAGE} {script_failure(exc)}") from exc
        if result is None:
            return []
        if isinstance(result, Mapping):
            return [dict(result)] if result else []
        if isinstance(result, list) and all(isinstance(r, Mapping) for r in result):
            return [dict(r) for r in result if r]
        raise JobError(
            f"preprocess_handler in {self.path} must return a dict, [] or None, "
            f"got {type(result).__name__}"
        )


def script_failure(exc: BaseException) -> str:
    """Describe what a user script raised, ``sys.exit(n)`` included.

    >>> script_failure(SystemExit(3)), script_failure(ValueError("bad"))
    ('it called sys.exit(3)', 'ValueError: bad')
    """
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}"


def _takes_logger(handler: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(handler)
    except (TypeError, ValueError):
        return False
    try:
        sig.bind(None, None)
        return True
    except TypeError:
        return False


def load_preprocessor(path: str | PathLike[str]) -> Preprocessor:
    """Import a user script and return its ``preprocess_handler``.

    Parameters
    ----------
    path : str or path-like
        A ``.py`` file defining ``preprocess_handler(inference_record)`` or
        ``preprocess_handler(inference_record, logger)``.

    Raises
    ------
    JobError
        The file is missing, raises while it is imported (message starts with
        :data:`SCRIPT_ERROR_MESSAGE`), or defines no callable ``preprocess_handler``.
    """
    script = Path(path)
    if not script.is_file():
        raise JobError(f"preprocessor script not found: {script}")
    name = f"sagewatch_user_preprocessor_{abs(hash(str(script.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, script)
    if spec is None or spec.loader is None:
        raise JobError(f"cannot import preprocessor script {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling in the script look their module up here
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # user code: any error, sys.exit() included, is the script's
        sys.modules.pop(name, None)
        raise JobError(f"{SCRIPT_ERROR_MESSAGE} {script_failure(exc)}") from exc
    handler = getattr(module, "preprocess_handler", None)
    if not callable(handler):
        raise JobError(
            f"preprocessor script {script} must define preprocess_handler(inference_record[, logger])"
        )
    return Preprocessor(handler, str(script))


def _payload(obj: Any) -> PayloadView | None:
    if not isinstance(obj, Mapping):
        return None
    return PayloadView(obj.get("encoding"), obj.get("data"), obj.get("observedContentType"), obj.get("mode"))


def inference_record_from_dict(obj: Mapping[str, Any]) -> InferenceRecord:
    """Build the object a capture pre-processor receives from a parsed capture (or merged) record."""
    capture = obj.get("captureData") or {}
    meta = obj.get("eventMetadata") or {}
    return InferenceRecord(
        event_metadata=EventMetadata(
            event_id=meta.get("eventId"),
            event_time=meta.get("inferenceTime"),
            custom_attribute=meta.get("customAttributes"),
            inference_id=meta.get("inferenceId"),
        ),
        endpoint_input=_payload(capture.get("endpointInput")),
        endpoint_output=_payload(capture.get("endpointOutput")),
        event_version=obj.get("eventVersion"),
        batch_transform_output=_payload(capture.get("batchTransformOutput")),
        ground_truth=_payload(obj.get("groundTruthData")),
    )


def capture_inference_records(
    lines: Iterable[str | bytes],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Iterator[tuple[InferenceRecord | None, str | None]]:
    """Yield ``(record, None)`` for each usable capture line, or ``(None, skip_reason)``.

    Applies the same filters as the bulk flattener: invalid or too deeply nested JSON, no
    ``captureData``, shadow traffic, an ``inferenceTime`` that is not a time, and the
    ``[start, end)`` window (both aware UTC datetimes or None).
    """
    for line in lines:
        if not line.strip():
            continue
        try:
            obj = loads_bounded(line)
        except JsonTooDeep:
            yield None, R.TOO_DEEP
            continue
        except ValueError:
            yield None, R.BAD_JSON
            continue
        if not isinstance(obj, Mapping):
            yield None, R.BAD_RECORD
            continue
        if not isinstance(obj.get("captureData"), Mapping) or not obj["captureData"]:
            yield None, R.MISSING_CAPTURE_DATA
            continue
        meta = obj.get("eventMetadata") if isinstance(obj.get("eventMetadata"), Mapping) else {}
        if meta.get("invocationSource") == SHADOW_EXPERIMENT:
            yield None, R.SHADOW_TRAFFIC
            continue
        raw_time = meta.get("inferenceTime")
        if raw_time is not None or start is not None or end is not None:
            try:
                when = parse_inference_time(raw_time)
            except (ValueError, TypeError, OverflowError):
                yield None, R.BAD_INFERENCE_TIME
                continue
            if (start is not None and when < start) or (end is not None and when >= end):
                yield None, R.OUTSIDE_WINDOW
                continue
        yield inference_record_from_dict(obj), None


def _scalar(value: Any) -> Any:
    if not isinstance(value, (dict, list, tuple)):
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError):  # not JSON (a set, an object inside): kept as its text
        return str(value)


def _flat_row(row: Mapping[Any, Any]) -> dict[str, Any] | None:
    """A pre-processor row with text keys and nested values as JSON text; None when a value is nested
    too deeply to write (the record is skipped as ``too_deep``)."""
    try:
        return {str(key): _scalar(value) for key, value in row.items()}
    except RecursionError:
        return None


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Build a table from pre-processor rows: columns in first-seen key order, missing keys null.

    Examples
    --------
    >>> rows_to_table([{"b": "1", "a": 2}, {"a": 3, "c": None}]).to_pydict()
    {'b': ['1', None], 'a': [2, 3], 'c': [None, None]}
    """
    order: dict[str, None] = {}
    for row in rows:
        order.update(dict.fromkeys(str(k) for k in row))
    columns, names = [], []
    for key in order:
        values = [_scalar(row.get(key)) for row in rows]
        try:
            arr = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            arr = pa.array([None if v is None else str(v) for v in values], pa.string())
        if pa.types.is_null(arr.type):
            arr = arr.cast(pa.string())
        columns.append(arr)
        names.append(key)
    return pa.Table.from_arrays(columns, names=names)


def apply_preprocessor(
    preprocessor: Preprocessor, items: Iterable[tuple[Any, str | None]]
) -> tuple[list[dict[str, Any]], SkipCounts]:
    """Run the handler over ``(record, skip_reason)`` pairs; return rows and skip counts."""
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for record, reason in items:
        if reason is not None:
            counts[reason] = counts.get(reason, 0) + 1
            continue
        produced = preprocessor(record)
        if not produced:
            counts[R.PREPROCESSOR_DROPPED] = counts.get(R.PREPROCESSOR_DROPPED, 0) + 1
        if any(len(row) > MAX_RECORD_FIELDS for row in produced):  # the bound the capture reader has too
            counts[R.TOO_WIDE] = counts.get(R.TOO_WIDE, 0) + 1
            continue
        flat = [_flat_row(row) for row in produced]
        if any(row is None for row in flat):
            counts[R.TOO_DEEP] = counts.get(R.TOO_DEEP, 0) + 1
            continue
        rows.extend(flat)
    return rows, SkipCounts(counts)
