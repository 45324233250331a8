"""Ground-truth records (contract §2.1).

::

    {"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"..."},"eventVersion":"0"}

``eventMetadata.eventId`` must equal the capture record's ``inferenceId`` when it has one,
otherwise its ``eventId``. ``inferenceTime`` is optional and not used for the join.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sagewatch.schemas.capture import (
    ENCODING_CSV,
    ENCODINGS,
    EVENT_VERSION,
    _load_record,
    format_inference_time,
    parse_inference_time,
)
from sagewatch.errors import InvalidParameterError, SchemaError

__all__ = [
    "GroundTruthRecord",
    "make_ground_truth_record",
    "serialize_ground_truth_record",
    "parse_ground_truth_record",
]


@dataclass(frozen=True)
class GroundTruthRecord:
    """A parsed ground-truth record.

    Attributes
    ----------
    data : str
        The label, as text.
    encoding : str
        ``"CSV"`` (the only documented value); ``"JSON"`` and ``"BASE64"`` are accepted.
    event_id : str
        Join key: the capture record's ``inferenceId``, else its ``eventId``.
    inference_time : datetime or None
        Optional ``eventMetadata.inferenceTime``.
    event_version : str
        ``"0"``.
    """

    data: str
    encoding: str
    event_id: str
    inference_time: datetime | None = None
    event_version: str = EVENT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a dict in the documented key order."""
        meta: dict[str, Any] = {"eventId": self.event_id}
        if self.inference_time is not None:
            meta["inferenceTime"] = format_inference_time(self.inference_time)
        return {
            "groundTruthData": {"data": self.data, "encoding": self.encoding},
            "eventMetadata": meta,
            "eventVersion": self.event_version,
        }


def make_ground_truth_record(
    label: str | int | float | bool,
    *,
    event_id: str,
    inference_time: datetime | None = None,
    encoding: str = ENCODING_CSV,
) -> dict[str, Any]:
    """Build a ground-truth record dict (key order as in contract §2.1).

    Parameters
    ----------
    label : str, int, float or bool
        The true label; numbers are written with ``str()``, booleans as ``0``/``1``.
    event_id : str
        The capture record's ``inferenceId``, else its ``eventId``.
    inference_time : datetime, optional
        Written as ``eventMetadata.inferenceTime`` when given.
    encoding : str
        ``"CSV"`` by default.

    Examples
    --------
    >>> serialize_ground_truth_record(make_ground_truth_record(1, event_id="74b0dd56"))
    '{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"74b0dd56"},"eventVersion":"0"}'
    """
    if not isinstance(event_id, str) or not event_id:
        raise InvalidParameterError("event_id must be a non-empty string")
    if encoding not in ENCODINGS:
        raise InvalidParameterError(f"encoding must be one of {list(ENCODINGS)}, got {encoding!r}")
    if isinstance(label, bool):
        text = "1" if label else "0"
    elif isinstance(label, (str, int, float)):
        text = str(label)
    else:
        raise InvalidParameterError(f"label must be str, int, float or bool, got {type(label).__name__}")
    meta: dict[str, Any] = {"eventId": event_id}
    if inference_time is not None:
        meta["inferenceTime"] = format_inference_time(inference_time)
    return {
        "groundTruthData": {"data": text, "encoding": encoding},
        "eventMetadata": meta,
        "eventVersion": EVENT_VERSION,
    }


def serialize_ground_truth_record(record: Mapping[str, Any] | GroundTruthRecord) -> str:
    """Serialize one ground-truth record as one compact JSON line (no trailing newline)."""
    if isinstance(record, GroundTruthRecord):
        record = record.to_dict()
    # json.dumps default escaping, as for capture records (see records.serialize_capture_record).
    return json.dumps(record, separators=(",", ":"))


def parse_ground_truth_record(
    text: str | bytes, *, source: str | None = None, line_number: int | None = None
) -> GroundTruthRecord:
    """Parse one ground-truth JSON line.

    Raises
    ------
    SchemaError
        Invalid JSON, missing ``groundTruthData`` or ``eventMetadata.eventId``, a ``data``
        that is not a string or number, an unknown encoding or a bad ``inferenceTime``.

    Examples
    --------
    >>> r = parse_ground_truth_record('{"groundTruthData":{"data":"1","encoding":"CSV"},'
    ...                               '"eventMetadata":{"eventId":"e"},"eventVersion":"0"}')
    >>> r.data, r.event_id, r.inference_time
    ('1', 'e', None)
    """
    src, ln = source, line_number
    obj, gt = _load_record(text, kind="ground-truth", field="groundTruthData", source=src, line=ln)
    data = gt.get("data")
    if isinstance(data, bool) or not isinstance(data, (str, int, float)):
        raise SchemaError("missing or not a string", source=src, line=ln, field="groundTruthData.data")
    encoding = gt.get("encoding", ENCODING_CSV)
    if encoding not in ENCODINGS:
        raise SchemaError(
            f"unknown encoding {encoding!r}, expected one of {list(ENCODINGS)}",
            source=src, line=ln, field="groundTruthData.encoding",
        )
    meta = obj.get("eventMetadata")
    if not isinstance(meta, Mapping) or not isinstance(meta.get("eventId"), str):
        raise SchemaError("missing or not a string", source=src, line=ln, field="eventMetadata.eventId")
    when = None
    if meta.get("inferenceTime") is not None:
        try:
            when = parse_inference_time(meta["inferenceTime"])
        except (ValueError, TypeError) as exc:
            raise SchemaError(
                f"not an ISO-8601 UTC time: {meta['inferenceTime']!r}", source=src, line=ln,
                field="eventMetadata.inferenceTime",
            ) from exc
    return GroundTruthRecord(
        data=data if isinstance(data, str) else str(data),
        encoding=encoding,
        event_id=meta["eventId"],
        inference_time=when,
        event_version=str(obj.get("eventVersion", EVENT_VERSION)),
    )
