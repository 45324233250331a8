"""Data-capture records exactly as SageMaker writes them (contract §1.1, §1.2).

One record is one compact JSON line::

    {"captureData":{"endpointInput":{...},"endpointOutput":{...}},
     "eventMetadata":{"eventId":...,"inferenceTime":...},"eventVersion":"0"}

:func:`make_capture_record` builds the dict in the service's key order,
:func:`serialize_capture_record` writes the line, :func:`parse_capture_record` reads it back
into a frozen :class:`CaptureRecord`. Bulk reading of many records is in
:mod:`sagewatch.capture.flatten`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sagewatch.errors import InvalidParameterError, SchemaError

__all__ = [
    "ENCODING_CSV",
    "ENCODING_JSON",
    "ENCODING_BASE64",
    "ENCODINGS",
    "MODE_INPUT",
    "MODE_OUTPUT",
    "EVENT_VERSION",
    "SHADOW_EXPERIMENT",
    "DEFAULT_CSV_CONTENT_TYPES",
    "DEFAULT_JSON_CONTENT_TYPES",
    "CapturedPayload",
    "CaptureRecord",
    "media_type",
    "select_encoding",
    "make_payload",
    "make_capture_record",
    "serialize_capture_record",
    "parse_capture_record",
    "format_inference_time",
    "parse_inference_time",
]

ENCODING_CSV = "CSV"
ENCODING_JSON = "JSON"
# The literal "BASE64" is not confirmed by an official record (contract §11.12, §12).
ENCODING_BASE64 = "BASE64"
ENCODINGS = (ENCODING_CSV, ENCODING_JSON, ENCODING_BASE64)
MODE_INPUT = "INPUT"
MODE_OUTPUT = "OUTPUT"
EVENT_VERSION = "0"
SHADOW_EXPERIMENT = "ShadowExperiment"
DEFAULT_CSV_CONTENT_TYPES = ("text/csv",)
DEFAULT_JSON_CONTENT_TYPES = ("application/json",)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# A date and a time of day (ASCII digits only: fromisoformat would take other scripts' digits),
# optional fraction and offset; whether the numbers make a real time is left to datetime.
_TIME_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?", re.ASCII)


def media_type(content_type: str | None) -> str:
    """Return the lower-case media type of a Content-Type header, without parameters.

    Examples
    --------
    >>> media_type("text/csv; charset=utf-8")
    'text/csv'
    >>> media_type(" Application/JSON ")
    'application/json'
    >>> media_type(None)
    ''
    """
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def select_encoding(
    content_type: str | None,
    *,
    csv_content_types: Sequence[str] = DEFAULT_CSV_CONTENT_TYPES,
    json_content_types: Sequence[str] = DEFAULT_JSON_CONTENT_TYPES,
) -> str:
    """Choose the capture ``encoding`` for a content type (DOCS "CaptureContentTypeHeader").

    The media type is compared without its parameters and case-insensitively; the
    ``CsvContentTypes`` list wins over ``JsonContentTypes``; anything else is ``BASE64``.

    Examples
    --------
    >>> select_encoding("text/csv; charset=utf-8")
    'CSV'
    >>> select_encoding("application/json")
    'JSON'
    >>> select_encoding("application/x-npy")
    'BASE64'
    >>> select_encoding("text/plain", csv_content_types=["text/plain"])
    'CSV'
    """
    mt = media_type(content_type)
    if mt and mt in {media_type(c) for c in csv_content_types}:
        return ENCODING_CSV
    if mt and mt in {media_type(c) for c in json_content_types}:
        return ENCODING_JSON
    return ENCODING_BASE64


def format_inference_time(when: datetime) -> str:
    """Format a time as SageMaker's ``inferenceTime``: UTC, whole seconds, ``Z`` suffix.

    A naive datetime is taken to be UTC; fractions of a second are truncated.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> format_inference_time(datetime(2022, 4, 18, 0, 21, 48, 999000))
    '2022-04-18T00:21:48Z'
    >>> format_inference_time(datetime(2022, 4, 18, 2, 21, 48, tzinfo=timezone(timedelta(hours=2))))
    '2022-04-18T00:21:48Z'
    """
    return to_utc(when).strftime(_TIME_FORMAT)


def to_utc(when: datetime) -> datetime:
    """Return ``when`` as an aware UTC datetime (naive values are taken to be UTC)."""
    if not isinstance(when, datetime):
        raise InvalidParameterError(f"expected a datetime, got {type(when).__name__}")
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def parse_inference_time(text: str) -> datetime:
    """Parse an ``inferenceTime`` (ISO-8601) into an aware UTC datetime.

    The service writes ``YYYY-MM-DDTHH:MM:SSZ``; fractions of a second and explicit
    offsets are accepted too (read liberally). A value without an offset is UTC.

    Raises
    ------
    ValueError
        If ``text`` is not an ISO-8601 time.

    Examples
    --------
    >>> parse_inference_time("2022-04-18T00:21:48Z")
    datetime.datetime(2022, 4, 18, 0, 21, 48, tzinfo=datetime.timezone.utc)
    """
    if not isinstance(text, str) or not _TIME_PATTERN.fullmatch(text):
        raise ValueError(f"not an ISO-8601 time: {text!r}")
    try:
        return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        pass
    try:
        return to_utc(datetime.fromisoformat(text))
    except OverflowError as exc:  # 9999-12-31T23:59:59-01:00 is after the last UTC time Python holds
        raise ValueError(f"not a time in the range of UTC times: {text!r}") from exc


@dataclass(frozen=True)
class CapturedPayload:
    """One side of a captured invocation (``endpointInput`` or ``endpointOutput``).

    Attributes
    ----------
    observed_content_type : str or None
        The Content-Type (input) or response type (output), verbatim.
    mode : str
        ``"INPUT"`` or ``"OUTPUT"``.
    data : str
        The payload text, or its base64 form when ``encoding == "BASE64"``.
    encoding : str
        ``"CSV"``, ``"JSON"`` or ``"BASE64"``.
    """

    observed_content_type: str | None
    mode: str
    data: str
    encoding: str

    def decode(self) -> str | bytes:
        """Return the payload: text for CSV/JSON, the decoded bytes for BASE64.

        Raises
        ------
        SchemaError
            If a BASE64 payload is not valid base64.

        Examples
        --------
        >>> CapturedPayload("application/x-npy", "INPUT", "AAE=", "BASE64").decode()
        b'\\x00\\x01'
        >>> CapturedPayload("text/csv", "INPUT", "1,2", "CSV").decode()
        '1,2'
        """
        if self.encoding == ENCODING_BASE64:
            try:
                return base64.b64decode(self.data, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SchemaError(f"invalid base64 data: {exc}", field="data") from exc
        return self.data

    def to_dict(self) -> dict[str, str]:
        """Return the payload in SageMaker's key order."""
        out: dict[str, str] = {}
        if self.observed_content_type is not None:
            out["observedContentType"] = self.observed_content_type
        out["mode"] = self.mode
        out["data"] = self.data
        out["encoding"] = self.encoding
        return out


@dataclass(frozen=True)
class CaptureRecord:
    """A parsed data-capture record (contract §1.2).

    Attributes
    ----------
    endpoint_input, endpoint_output : CapturedPayload or None
        Present according to the capture mode.
    event_id : str
        ``eventMetadata.eventId``.
    inference_id : str or None
        ``eventMetadata.inferenceId`` (only when the caller passed one).
    inference_time : datetime or None
        ``eventMetadata.inferenceTime`` as an aware UTC datetime.
    custom_attributes : tuple of str or None
        ``eventMetadata.customAttributes``.
    event_version : str
        ``eventVersion``, ``"0"``.
    invocation_source : str or None
        ``eventMetadata.invocationSource`` (``"ShadowExperiment"`` for shadow traffic).
    """

    endpoint_input: CapturedPayload | None
    endpoint_output: CapturedPayload | None
    event_id: str
    inference_id: str | None = None
    inference_time: datetime | None = None
    custom_attributes: tuple[str, ...] | None = None
    event_version: str = EVENT_VERSION
    invocation_source: str | None = None

    @property
    def join_key(self) -> str:
        """The ground-truth join key: ``inferenceId`` if present, else ``eventId`` (contract §2.1)."""
        return self.inference_id if self.inference_id is not None else self.event_id

    @property
    def is_shadow(self) -> bool:
        """True for shadow-variant traffic, which the analyzer skips."""
        return self.invocation_source == SHADOW_EXPERIMENT

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a dict in SageMaker's key order."""
        capture: dict[str, Any] = {}
        if self.endpoint_input is not None:
            capture["endpointInput"] = self.endpoint_input.to_dict()
        if self.endpoint_output is not None:
            capture["endpointOutput"] = self.endpoint_output.to_dict()
        meta: dict[str, Any] = {"eventId": self.event_id}
        if self.inference_id is not None:
            meta["inferenceId"] = self.inference_id
        if self.inference_time is not None:
            meta["inferenceTime"] = format_inference_time(self.inference_time)
        if self.custom_attributes is not None:
            meta["customAttributes"] = list(self.custom_attributes)
        if self.invocation_source is not None:
            meta["invocationSource"] = self.invocation_source
        return {"captureData": capture, "eventMetadata": meta, "eventVersion": self.event_version}


def make_payload(
    data: str | bytes,
    content_type: str | None,
    mode: str,
    *,
    csv_content_types: Sequence[str] = DEFAULT_CSV_CONTENT_TYPES,
    json_content_types: Sequence[str] = DEFAULT_JSON_CONTENT_TYPES,
) -> dict[str, str]:
    """Build one ``endpointInput``/``endpointOutput`` object in SageMaker's key order.

    ``observedContentType`` is kept verbatim; the encoding comes from
    :func:`select_encoding`. CSV/JSON data is stored as text, anything else as base64.

    Examples
    --------
    >>> make_payload("0.5", "text/csv; charset=utf-8", "OUTPUT")
    {'observedContentType': 'text/csv; charset=utf-8', 'mode': 'OUTPUT', 'data': '0.5', 'encoding': 'CSV'}
    >>> make_payload(b"\\x00\\x01", "application/x-npy", "INPUT")["data"]
    'AAE='
    """
    if mode not in (MODE_INPUT, MODE_OUTPUT):
        raise InvalidParameterError(f"mode must be 'INPUT' or 'OUTPUT', got {mode!r}")
    if not isinstance(data, (str, bytes, bytearray)):
        raise InvalidParameterError(f"data must be str or bytes, got {type(data).__name__}")
    encoding = select_encoding(
        content_type, csv_content_types=csv_content_types, json_content_types=json_content_types
    )
    text: str
    if encoding != ENCODING_BASE64:
        if isinstance(data, str):
            text = data
        else:
            try:
                text = bytes(data).decode("utf-8")
            except UnicodeDecodeError:
                # sagewatch choice: bytes that are not UTF-8 cannot be a JSON string; keep them as base64.
                encoding, text = ENCODING_BASE64, base64.b64encode(bytes(data)).decode("ascii")
    else:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        text = base64.b64encode(raw).decode("ascii")
    out: dict[str, str] = {}
    if content_type is not None:
        out["observedContentType"] = content_type
    out.update({"mode": mode, "data": text, "encoding": encoding})
    return out


def make_capture_record(
    *,
    event_id: str,
    inference_time: datetime,
    input_data: str | bytes | None = None,
    input_content_type: str | None = "text/csv",
    output_data: str | bytes | None = None,
    output_content_type: str | None = "text/csv",
    inference_id: str | None = None,
    custom_attributes: str | Sequence[str] | None = None,
    invocation_source: str | None = None,
    csv_content_types: Sequence[str] = DEFAULT_CSV_CONTENT_TYPES,
    json_content_types: Sequence[str] = DEFAULT_JSON_CONTENT_TYPES,
) -> dict[str, Any]:
    """Build a capture record dict with the service's exact key order (contract §1.2).

    Parameters
    ----------
    event_id : str
        The per-invocation UUID (``eventMetadata.eventId``).
    inference_time : datetime
        Invocation time; written in UTC with whole seconds and a ``Z`` suffix.
    input_data, output_data : str or bytes or None
        Payloads; ``None`` leaves ``endpointInput`` / ``endpointOutput`` out (capture mode).
    input_content_type, output_content_type : str or None
        Content-Type / Accept seen, recorded verbatim as ``observedContentType``.
    inference_id : str, optional
        Written as ``eventMetadata.inferenceId`` when given.
    custom_attributes : str or sequence of str, optional
        Written as the array ``eventMetadata.customAttributes`` when given.
    invocation_source : str, optional
        ``"ShadowExperiment"`` for shadow-variant traffic.
    csv_content_types, json_content_types : sequence of str
        ``CaptureContentTypeHeader`` lists that select the encoding.

    Returns
    -------
    dict
        Ready for :func:`serialize_capture_record`.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> rec = make_capture_record(event_id="e1", inference_time=datetime(2022, 4, 18, 0, 21, 48),
    ...                           input_data="1,2", output_data="0.5")
    >>> serialize_capture_record(rec)
    '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1,2","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.5","encoding":"CSV"}},"eventMetadata":{"eventId":"e1","inferenceTime":"2022-04-18T00:21:48Z"},"eventVersion":"0"}'
    """
    if not isinstance(event_id, str) or not event_id:
        raise InvalidParameterError("event_id must be a non-empty string")
    types = {"csv_content_types": csv_content_types, "json_content_types": json_content_types}
    capture: dict[str, Any] = {}
    if input_data is not None:
        capture["endpointInput"] = make_payload(input_data, input_content_type, MODE_INPUT, **types)
    if output_data is not None:
        capture["endpointOutput"] = make_payload(output_data, output_content_type, MODE_OUTPUT, **types)
    meta: dict[str, Any] = {"eventId": event_id}
    if inference_id is not None:
        meta["inferenceId"] = inference_id
    meta["inferenceTime"] = format_inference_time(inference_time)
    if custom_attributes is not None:
        attrs = [custom_attributes] if isinstance(custom_attributes, str) else list(custom_attributes)
        meta["customAttributes"] = [str(a) for a in attrs]
    if invocation_source is not None:
        meta["invocationSource"] = invocation_source
    return {"captureData": capture, "eventMetadata": meta, "eventVersion": EVENT_VERSION}


def serialize_capture_record(record: Mapping[str, Any] | CaptureRecord) -> str:
    """Serialize one record as one compact JSON line (no trailing newline).

    Separators are ``,`` and ``:`` with no spaces, as in the real record of contract §1.2.

    Examples
    --------
    >>> serialize_capture_record({"captureData": {}, "eventMetadata": {"eventId": "é"}, "eventVersion": "0"})
    '{"captureData":{},"eventMetadata":{"eventId":"\\\\u00e9"},"eventVersion":"0"}'
    """
    if isinstance(record, CaptureRecord):
        record = record.to_dict()
    # json.dumps default escaping (ensure_ascii=True): no real record with non-ASCII text was found to say otherwise.
    return json.dumps(record, separators=(",", ":"))


def _load_record(
    text: str | bytes, *, kind: str, field: str, source: str | None, line: int | None
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Parse one JSON line of a ``kind`` record; return the object and its ``field`` object.

    Shared by the capture and ground-truth parsers: raises :class:`SchemaError` for invalid JSON,
    a line that is not an object, or a ``field`` that is missing or not an object.
    """
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SchemaError(f"invalid JSON: {exc}", source=source, line=line) from exc
    except RecursionError as exc:
        raise SchemaError("invalid JSON: nested too deeply", source=source, line=line) from exc
    if not isinstance(obj, Mapping):
        raise SchemaError(f"a {kind} record must be a JSON object", source=source, line=line)
    value = obj.get(field)
    if not isinstance(value, Mapping):
        raise SchemaError("missing or not an object", source=source, line=line, field=field)
    return obj, value


def _payload(obj: Any, key: str, source: str | None, line: int | None) -> CapturedPayload | None:
    if obj is None:
        return None
    where = f"captureData.{key}"
    if not isinstance(obj, Mapping):
        raise SchemaError("must be an object", source=source, line=line, field=where)
    for name in ("mode", "data", "encoding"):
        if not isinstance(obj.get(name), str):
            raise SchemaError("missing or not a string", source=source, line=line, field=f"{where}.{name}")
    ctype = obj.get("observedContentType")
    if ctype is not None and not isinstance(ctype, str):
        raise SchemaError("not a string", source=source, line=line, field=f"{where}.observedContentType")
    encoding = obj["encoding"]
    if encoding not in ENCODINGS:
        raise SchemaError(
            f"unknown encoding {encoding!r}, expected one of {list(ENCODINGS)}",
            source=source, line=line, field=f"{where}.encoding",
        )
    payload = CapturedPayload(ctype, obj["mode"], obj["data"], encoding)
    if encoding == ENCODING_BASE64:
        try:
            payload.decode()
        except SchemaError as exc:
            raise SchemaError(str(exc.args[0]), source=source, line=line, field=f"{where}.data") from exc
    return payload


def parse_capture_record(
    text: str | bytes, *, source: str | None = None, line_number: int | None = None
) -> CaptureRecord:
    """Parse one JSON line into a :class:`CaptureRecord` (key order does not matter).

    Parameters
    ----------
    text : str or bytes
        One JSON object.
    source : str, optional
        File name or URI, used in error messages.
    line_number : int, optional
        1-based line number, used in error messages.

    Raises
    ------
    SchemaError
        Invalid JSON, missing ``captureData``, a payload that is not an object, an unknown
        ``encoding``, bad base64 data, a missing ``eventId`` or a bad ``inferenceTime``;
        the message names ``source``, the line and the field.

    Examples
    --------
    >>> rec = parse_capture_record('{"captureData":{"endpointOutput":{"observedContentType":"text/csv",'
    ...     '"mode":"OUTPUT","data":"0.5","encoding":"CSV"}},"eventMetadata":{"eventId":"e1",'
    ...     '"inferenceTime":"2022-04-18T00:21:48Z"},"eventVersion":"0"}')
    >>> rec.endpoint_output.data, rec.endpoint_input, rec.inference_time.hour
    ('0.5', None, 0)
    """
    src, ln = source, line_number
    obj, capture = _load_record(text, kind="capture", field="captureData", source=src, line=ln)
    meta = obj.get("eventMetadata")
    if not isinstance(meta, Mapping):
        raise SchemaError("missing or not an object", source=src, line=ln, field="eventMetadata")
    event_id = meta.get("eventId")
    if not isinstance(event_id, str):
        raise SchemaError("missing or not a string", source=src, line=ln, field="eventMetadata.eventId")
    when = None
    raw_time = meta.get("inferenceTime")
    if raw_time is not None:
        try:
            when = parse_inference_time(raw_time)
        except (ValueError, TypeError) as exc:
            raise SchemaError(
                f"not an ISO-8601 UTC time: {raw_time!r}", source=src, line=ln,
                field="eventMetadata.inferenceTime",
            ) from exc
    attrs = meta.get("customAttributes")
    if attrs is not None:
        attrs = (attrs,) if isinstance(attrs, str) else tuple(str(a) for a in attrs)
    inference_id = meta.get("inferenceId")
    source_kind = meta.get("invocationSource")
    version = obj.get("eventVersion", EVENT_VERSION)
    return CaptureRecord(
        endpoint_input=_payload(capture.get("endpointInput"), "endpointInput", src, ln),
        endpoint_output=_payload(capture.get("endpointOutput"), "endpointOutput", src, ln),
        event_id=event_id,
        inference_id=None if inference_id is None else str(inference_id),
        inference_time=when,
        custom_attributes=attrs,
        event_version=str(version),
        invocation_source=None if source_kind is None else str(source_kind),
    )
