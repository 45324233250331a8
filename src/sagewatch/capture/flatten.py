"""Flatten batches of capture records into columns, the way the analyzer does.

Column order and names
    For ``captureIndexNames`` ``["endpointInput", "endpointOutput"]`` (the default) the
    ``endpointOutput`` columns come first, then the ``endpointInput`` columns (the
    analyzer's convention for baselines with the label first, ``output_columns_position``
    START); other index names follow in the order given, and a merged record's top-level
    ``groundTruthData`` comes last. Positional columns (CSV fields, a bare JSON list or
    scalar) are named ``_c<N>`` where N is the column's position in the whole row; JSON
    object keys keep their (dotted) names, prefixed with the index name if two parts share
    a key.

Several lines in one CSV payload (sagewatch choice)
    A payload with several lines becomes several rows only when every captured part of
    the record is CSV with the same number of lines (e.g. a 3-line request answered by
    a 3-line response). Otherwise the record is one row and its line breaks are read as
    field separators, which usually makes it a wrong-width row. A trailing line break is
    ignored.

Skipped records
    Every record that does not become a row is counted in :class:`SkipCounts` under one
    reason (first that applies): bad_json, bad_record, missing_capture_data,
    shadow_traffic, bad_inference_time (an ``inferenceTime`` that is not a time; with a time
    window also a missing one), outside_window,
    bad_encoding, bad_base64, unsupported_content_type, bad_json / too_deep / too_wide
    (payload), wrong_width. Counts after the line split are per row.

Bounds
    A record (or a JSON payload) nested deeper than ``defaults.MAX_JSON_DEPTH`` is skipped
    as too_deep, a part with more than ``defaults.MAX_RECORD_FIELDS`` CSV fields or JSON
    values as too_wide; a line that is not a JSON object is bad_json or bad_record. Such
    lines never reach ``pyarrow.json`` (see :mod:`sagewatch.capture.json_guard`).

Width
    Each row has a layout: per part, its kind (absent, CSV, positional JSON, keyed JSON)
    and its number of positional fields. Rows whose layout differs from the most common
    layout of the batch (ties: the one seen first), or from a ``layout`` passed in, are
    skipped as ``wrong_width``. JSON objects are not checked key by key: missing keys
    give nulls.
"""

from __future__ import annotations

import codecs

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

import sagewatch.capture.skips as R
from sagewatch.capture._arrow import as_array, parse_time_array
from sagewatch.schemas.capture import (
    CaptureRecord,
    ENCODING_BASE64,
    ENCODING_CSV,
    ENCODING_JSON,
    SHADOW_EXPERIMENT,
    media_type,
    serialize_capture_record,
    to_utc,
)
from sagewatch.capture.json_guard import scan_lines
from sagewatch.capture.skips import SkipCounts
from sagewatch.capture.tabular import (
    STATUS_BAD_JSON,
    STATUS_BAD_RECORD,
    STATUS_OK,
    STATUS_TOO_DEEP,
    STATUS_TOO_WIDE,
    csv_widths,
    is_positional,
    mask_quoted_newlines,
    parse_csv_lines,
    parse_json_values,
    path_name,
    read_json_texts,
)
from sagewatch.defaults import MAX_RECORD_FIELDS
from sagewatch.errors import InvalidParameterError

__all__ = [
    "DEFAULT_CAPTURE_INDEX_NAMES",
    "GROUND_TRUTH_PART",
    "CaptureLayout",
    "FlattenResult",
    "flatten_capture_lines",
    "flatten_capture_records",
    "part_order",
    "capture_schema",
]

DEFAULT_CAPTURE_INDEX_NAMES = ("endpointInput", "endpointOutput")
GROUND_TRUTH_PART = "groundTruthData"
ABSENT, CSV, JSON_POSITIONAL, JSON_KEYED = 0, 1, 2, 3

_PAYLOAD = pa.struct(
    [("observedContentType", pa.string()), ("mode", pa.string()), ("data", pa.string()),
     ("encoding", pa.string())]
)
_META = pa.struct(
    [("eventId", pa.string()), ("inferenceId", pa.string()), ("inferenceTime", pa.string()),
     ("invocationSource", pa.string())]
)
_TS = pa.timestamp("s", tz="UTC")
_LINE_BREAKS = re.compile(rb"[\r\n]")  # JSON text holds no raw line break: \r alone ends a line too
_PAYLOAD_SKIPS = {STATUS_BAD_JSON: R.BAD_JSON, STATUS_TOO_DEEP: R.TOO_DEEP, STATUS_TOO_WIDE: R.TOO_WIDE}
_REASON_CODE = {reason: code for code, reason in enumerate(R.SKIP_REASONS, start=1)}
_META_SCHEMA = pa.schema([("event_id", pa.string()), ("inference_id", pa.string()), ("inference_time", _TS)])


@dataclass(frozen=True)
class CaptureLayout:
    """The column layout of flattened rows.

    Attributes
    ----------
    signature : tuple of (part, kind, width)
        Per part in column order: kind 0 absent, 1 CSV, 2 positional JSON, 3 keyed JSON;
        width is the number of positional fields (-1 for keyed JSON, 0 for absent).
    part_columns : tuple of (part, tuple of column names)
        Which columns of the table came from which part.
    """

    signature: tuple[tuple[str, int, int], ...]
    part_columns: tuple[tuple[str, tuple[str, ...]], ...]

    def columns_of(self, part: str) -> tuple[str, ...]:
        """Return the column names that came from ``part`` (empty if none)."""
        return dict(self.part_columns).get(part, ())


@dataclass(frozen=True)
class FlattenResult:
    """Rows flattened from capture records.

    Attributes
    ----------
    table : pyarrow.Table
        One row per kept record (or per line, see the module notes).
    metadata : pyarrow.Table
        Aligned with ``table``: ``event_id``, ``inference_id``, ``inference_time``.
    skips : SkipCounts
        Records (or rows) skipped, by reason.
    records : int
        Non-blank lines read.
    layout : CaptureLayout or None
        The layout of ``table`` (None when no row was kept).
    """

    table: pa.Table
    metadata: pa.Table
    skips: SkipCounts
    records: int
    layout: CaptureLayout | None


def part_order(capture_index_names: Sequence[str], *, ground_truth: bool = False) -> list[str]:
    """Return the parts in column order: ``endpointOutput`` first, then ``endpointInput``, then others.

    Examples
    --------
    >>> part_order(["endpointInput", "endpointOutput"])
    ['endpointOutput', 'endpointInput']
    >>> part_order(["endpointOutput"], ground_truth=True)
    ['endpointOutput', 'groundTruthData']
    """
    names = list(dict.fromkeys(capture_index_names))
    if not names or not all(isinstance(n, str) and n for n in names):
        raise InvalidParameterError(f"capture_index_names must be non-empty strings, got {capture_index_names!r}")
    first = [n for n in ("endpointOutput", "endpointInput") if n in names]
    ordered = first + [n for n in names if n not in first]
    return ordered + [GROUND_TRUTH_PART] if ground_truth else ordered


def capture_schema(parts: Sequence[str]) -> pa.Schema:
    """Explicit ``pyarrow.json`` schema for capture (and merged) records with these parts."""
    capture = [p for p in parts if p != GROUND_TRUTH_PART]
    fields = [
        ("captureData", pa.struct([(p, _PAYLOAD) for p in capture])),
        ("eventMetadata", _META),
    ]
    if GROUND_TRUTH_PART in parts:
        fields.append((GROUND_TRUTH_PART, pa.struct([("data", pa.string()), ("encoding", pa.string())])))
    return pa.schema(fields)


def _to_bytes(data: bytes | bytearray | memoryview | str | Iterable[str]) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8")
    return "\n".join(data).encode("utf-8")


def _read_records(data: bytes, schema: pa.Schema) -> tuple[pa.Table, int, SkipCounts]:
    """Bulk-parse JSON Lines; fall back to line by line only where the bulk parse fails."""
    end = len(data)
    while end and data[end - 1] in b" \t\r\n":
        end -= 1
    if end == 0:
        return schema.empty_table(), 0, SkipCounts.zero()
    scan = scan_lines(memoryview(data)[:end])
    expected = scan.line_feeds + 1
    bulk_failed = True
    # pyarrow.json does not check that strings are UTF-8: a block that is not goes line by line
    if _is_utf8(memoryview(data)[:end]) and scan.objects_only:
        # (else pyarrow.json may crash: json_guard)
        try:
            table = _pj_read(pa.py_buffer(memoryview(data)[:end]), schema)
            if table.num_rows == expected:
                return table, expected, SkipCounts.zero()
            bulk_failed = False  # blank lines or two objects on a line: the parse itself worked
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    texts: list[str] = []
    bad_utf8 = 0
    for raw in _LINE_BREAKS.split(data[:end]):  # slow path: some line failed, was blank or unsafe
        raw = raw.strip()
        if not raw:
            continue
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad_utf8 += 1
    parsed = read_json_texts(pa.array(texts, pa.string()), schema=schema, try_bulk=not bulk_failed)
    skips = SkipCounts.of(
        bad_json=int((parsed.status == STATUS_BAD_JSON).sum()) + bad_utf8,
        bad_record=int((parsed.status == STATUS_BAD_RECORD).sum()),
        too_deep=int((parsed.status == STATUS_TOO_DEEP).sum()),
    )
    return parsed.table, len(texts) + bad_utf8, skips


def _is_utf8(data: memoryview) -> bool:
    try:
        codecs.utf_8_decode(data, "strict", True)
    except UnicodeDecodeError:
        return False
    return True


def _pj_read(buf: pa.Buffer, schema: pa.Schema) -> pa.Table:
    """Read a JSON Lines buffer with an explicit schema (unknown fields ignored)."""
    return pj.read_json(
        pa.BufferReader(buf),
        read_options=pj.ReadOptions(block_size=1 << 22),
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )


def _np(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


class _Batch:
    """Working state of one flatten call: per-record arrays and a status vector."""

    def __init__(self, table: pa.Table, parts: list[str]) -> None:
        self.n = table.num_rows
        self.status = np.zeros(self.n, dtype=np.int8)  # 0 alive, else 1 + index in SKIP_REASONS
        capture = as_array(table.column("captureData"))
        meta = as_array(table.column("eventMetadata"))
        self.capture_valid = _np(capture.is_valid())
        meta_cols = dict(zip([f.name for f in _META], meta.flatten()))
        self.event_id = meta_cols["eventId"]
        self.inference_id = meta_cols["inferenceId"]
        self.raw_time = meta_cols["inferenceTime"]
        self.source = meta_cols["invocationSource"]
        self.data: dict[str, pa.Array] = {}
        self.encoding: dict[str, pa.Array] = {}
        self.ctype: dict[str, pa.Array] = {}
        self.part_given: dict[str, np.ndarray] = {}  # the part's object is there (its data may not be)
        cap_fields = {f.name: c for f, c in zip(capture.type, capture.flatten())}
        for part in parts:
            if part == GROUND_TRUTH_PART:
                gt = as_array(table.column(GROUND_TRUTH_PART))
                sub = dict(zip([f.name for f in gt.type], gt.flatten()))
                self.data[part], self.encoding[part] = sub["data"], sub["encoding"]
                self.ctype[part] = pa.nulls(self.n, pa.string())
            else:
                self.part_given[part] = _np(cap_fields[part].is_valid())
                sub = dict(zip([f.name for f in _PAYLOAD], cap_fields[part].flatten()))
                self.data[part], self.encoding[part] = sub["data"], sub["encoding"]
                self.ctype[part] = sub["observedContentType"]

    def mark(self, mask: np.ndarray, reason: str) -> None:
        """Give ``reason`` to the still-alive records in ``mask``."""
        self.status[mask & (self.status == 0)] = _REASON_CODE[reason]

    def alive(self) -> np.ndarray:
        return self.status == 0


def _decode_base64(batch: _Batch, part: str, kinds: np.ndarray) -> pa.Array:
    """Decode BASE64 payloads (Python, only those rows); set their kind from the content type."""
    enc = batch.encoding[part]
    rows = np.flatnonzero(_np(pc.fill_null(pc.equal(enc, ENCODING_BASE64), False)) & batch.alive())
    data = batch.data[part]
    if len(rows) == 0:
        return data
    replacements, mask = [], np.zeros(batch.n, dtype=bool)
    for i in rows:
        ctype = media_type(batch.ctype[part][int(i)].as_py())
        try:
            text = base64.b64decode(data[int(i)].as_py() or "", validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            batch.status[i] = _REASON_CODE[R.BAD_BASE64]
            continue
        if "csv" in ctype:
            kinds[i] = CSV
        elif "json" in ctype:
            kinds[i] = JSON_KEYED
        else:
            batch.status[i] = _REASON_CODE[R.UNSUPPORTED_CONTENT_TYPE]
            continue
        mask[i] = True
        replacements.append(text)
    if not replacements:
        return data
    return pc.replace_with_mask(data, pa.array(mask), pa.array(replacements, pa.string()))


def _majority(sig: np.ndarray) -> np.ndarray:
    if (sig == sig[0]).all():  # the usual batch: one layout, no sort needed
        return sig[0]
    uniq, first, counts = np.unique(sig, axis=0, return_index=True, return_counts=True)
    best = np.flatnonzero(counts == counts.max())
    return uniq[best[np.argmin(first[best])]]


def flatten_capture_lines(
    data: bytes | str | Iterable[str],
    *,
    capture_index_names: Sequence[str] = DEFAULT_CAPTURE_INDEX_NAMES,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    ground_truth: bool = False,
    layout: CaptureLayout | None = None,
) -> FlattenResult:
    """Flatten capture records (JSON Lines) into a table of string / JSON-typed columns.

    Parameters
    ----------
    data : bytes, str or iterable of str
        JSON Lines text (one record per line) or the lines themselves.
    capture_index_names : sequence of str
        Parts of ``captureData`` to read; see the module notes for the column order.
    start_time, end_time : datetime, optional
        Keep records with ``start_time <= inferenceTime < end_time`` (naive = UTC).
    ground_truth : bool
        Also read a top-level ``groundTruthData`` (merged records, ``sagemakerMergeJson``).
    layout : CaptureLayout, optional
        Force this layout instead of the batch majority (keeps chunks of one dataset alike).

    Returns
    -------
    FlattenResult

    Examples
    --------
    >>> line = ('{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
    ...         '"data":"1,2","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv",'
    ...         '"mode":"OUTPUT","data":"0.5","encoding":"CSV"}},"eventMetadata":{"eventId":"e",'
    ...         '"inferenceTime":"2022-04-18T00:21:48Z"},"eventVersion":"0"}')
    >>> res = flatten_capture_lines([line, "not json"])
    >>> res.table.to_pydict(), res.skips.to_dict()
    ({'_c0': ['0.5'], '_c1': ['1'], '_c2': ['2']}, {'bad_json': 1})
    """
    parts = part_order(capture_index_names, ground_truth=ground_truth)
    start = None if start_time is None else to_utc(start_time).timestamp()
    end = None if end_time is None else to_utc(end_time).timestamp()
    table, n_records, skips = _read_records(_to_bytes(data), capture_schema(parts))
    if table.num_rows == 0:
        return _empty(skips, n_records)
    b = _Batch(table, parts)

    present = {p: _np(b.data[p].is_valid()) for p in parts}
    capture_parts = [p for p in parts if p != GROUND_TRUTH_PART]
    b.mark(~b.capture_valid | ~np.logical_or.reduce([present[p] for p in capture_parts]), R.MISSING_CAPTURE_DATA)
    for p in capture_parts:  # a payload object without its data is malformed, as parse_capture_record says
        b.mark(b.part_given[p] & ~present[p], R.BAD_RECORD)
    b.mark(_np(pc.fill_null(pc.equal(b.source, SHADOW_EXPERIMENT), False)), R.SHADOW_TRAFFIC)
    times = parse_time_array(b.raw_time)
    # an inferenceTime that is there but is not a time (2024-02-30, T25:00) is always skipped
    b.mark(_np(b.raw_time.is_valid()) & ~_np(times.is_valid()), R.BAD_INFERENCE_TIME)
    if start is not None or end is not None:
        secs = _np(pc.cast(times, pa.int64())).astype("float64")  # null -> nan
        b.mark(np.isnan(secs), R.BAD_INFERENCE_TIME)
        with np.errstate(invalid="ignore"):
            outside = np.zeros(b.n, dtype=bool)
            if start is not None:
                outside |= secs < start
            if end is not None:
                outside |= secs >= end
        b.mark(outside, R.OUTSIDE_WINDOW)

    kinds: dict[str, np.ndarray] = {}
    for p in parts:
        enc = b.encoding[p]
        is_csv = _np(pc.fill_null(pc.equal(enc, ENCODING_CSV), False))
        is_json = _np(pc.fill_null(pc.equal(enc, ENCODING_JSON), False))
        is_b64 = _np(pc.fill_null(pc.equal(enc, ENCODING_BASE64), False))
        b.mark(present[p] & ~(is_csv | is_json | is_b64), R.BAD_ENCODING)
        kinds[p] = np.where(present[p], np.where(is_csv, CSV, np.where(is_json, JSON_KEYED, ABSENT)), ABSENT)
    for p in parts:
        b.data[p] = _decode_base64(b, p, kinds[p])

    keep = np.flatnonzero(b.alive())
    rows = _expand_rows(b, parts, kinds, keep)
    return _assemble(b, parts, rows, times, skips, n_records, layout)


def flatten_capture_records(
    records: Iterable[CaptureRecord | Mapping[str, Any]], **options: Any
) -> FlattenResult:
    """Flatten already-built capture records (dicts or :class:`CaptureRecord`).

    The records are serialized and read like :func:`flatten_capture_lines`, which takes the
    same keyword ``options``.

    Examples
    --------
    >>> from datetime import datetime
    >>> from sagewatch.schemas.capture import make_capture_record
    >>> rec = make_capture_record(event_id="e", inference_time=datetime(2022, 1, 1), input_data="1,2")
    >>> flatten_capture_records([rec]).table.to_pydict()
    {'_c0': ['1'], '_c1': ['2']}
    """
    return flatten_capture_lines((serialize_capture_record(r) for r in records), **options)


@dataclass
class _Rows:
    record: np.ndarray  # record index of every row
    text: dict[str, pa.Array]  # per part, one text per row ("" when absent)
    kind: dict[str, np.ndarray]  # per part, kind per row


def _normalise_breaks(t: pa.Array, k: np.ndarray, rows: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Fix the (few) texts holding line breaks; return the texts and their CSV line counts."""
    sub = pc.replace_substring(t.take(pa.array(rows, pa.int64())), "\r\n", "\n")
    sub_k = k[rows]
    is_csv = pa.array(sub_k == CSV)
    sub = pc.if_else(is_csv, pc.utf8_rtrim(sub, characters="\r\n"), pc.replace_substring_regex(sub, r"[\r\n]", " "))
    values = sub.to_pylist()
    for j in np.flatnonzero(sub_k == CSV):  # quoted fields may hold line breaks
        if '"' in values[j]:
            values[j] = mask_quoted_newlines(values[j])
    sub = pa.array(values, pa.string())
    n_lines = _np(pc.add(pc.count_substring(sub, "\n"), 1)).astype(np.int64)
    mask = np.zeros(len(t), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(t, pa.array(mask), sub), n_lines


def _expand_rows(b: _Batch, parts: list[str], kinds: dict[str, np.ndarray], keep: np.ndarray) -> _Rows:
    """Normalise line breaks and split multi-line CSV payloads into rows (see the module notes)."""
    idx = pa.array(keep, pa.int64())
    texts, counts, kind = {}, {}, {}
    any_json = np.zeros(len(keep), dtype=bool)
    for p in parts:
        k = kinds[p][keep]
        t = pc.fill_null(b.data[p].take(idx), "")
        counts[p] = np.where(k == ABSENT, 0, 1).astype(np.int64)
        breaks = np.flatnonzero(_np(pc.match_substring_regex(t, r"[\r\n]"))) if len(t) else keep[:0]
        if len(breaks):
            t, n_lines = _normalise_breaks(t, k, breaks)
            csv_breaks = k[breaks] == CSV
            counts[p][breaks[csv_breaks]] = n_lines[csv_breaks]
        any_json |= k == JSON_KEYED
        texts[p], kind[p] = t, k
    stacked = np.stack([counts[p] for p in parts])
    present_min = np.where(stacked == 0, np.iinfo(np.int64).max, stacked).min(axis=0)
    n_rows_max = stacked.max(axis=0)
    expand = ~any_json & (n_rows_max == present_min) & (n_rows_max > 1)
    n_rows = np.where(expand, n_rows_max, 1)
    for p in parts:
        t = texts[p]
        joined = (counts[p] > 1) & ~expand
        if joined.any():  # one row per record: line breaks separate fields
            t = pc.if_else(pa.array(joined), pc.replace_substring(t, "\n", ","), t)
        if expand.any():
            absent = kind[p] == ABSENT
            if absent.any():  # absent parts give one empty text per row of their record
                reps = pc.binary_repeat(pa.array(np.where(absent, "\n", ""), pa.string()), pa.array(n_rows - 1))
                t = pc.if_else(pa.array(absent), reps, t)
            split = pc.split_pattern(t, "\n")
            if not np.array_equal(_np(pc.list_value_length(split)), n_rows):
                raise AssertionError("line split misaligned")  # guarded by the expand rule
            t = split.flatten()
        texts[p] = t
        kind[p] = np.repeat(kind[p], n_rows)
    return _Rows(np.repeat(keep, n_rows), texts, kind)


def _assemble(
    b: _Batch, parts: list[str], rows: _Rows, times: pa.Array, skips: SkipCounts, n_records: int,
    layout: CaptureLayout | None,
) -> FlattenResult:
    n = len(rows.record)
    row_ok = np.ones(n, dtype=bool)
    row_status = np.zeros(n, dtype=np.int8)  # why a row is not ok (tabular STATUS_*)
    widths: dict[str, np.ndarray] = {}
    parsed_json: dict[str, tuple[np.ndarray, list]] = {}
    for p in parts:
        k = rows.kind[p]
        w = np.zeros(n, dtype=np.int64)
        csv_rows = np.flatnonzero(k == CSV)
        if len(csv_rows):
            w[csv_rows] = csv_widths(rows.text[p].take(pa.array(csv_rows)))
            wide = csv_rows[w[csv_rows] > MAX_RECORD_FIELDS]
            row_status[wide[row_ok[wide]]] = STATUS_TOO_WIDE
            row_ok[wide] = False
        json_rows = np.flatnonzero(k == JSON_KEYED)
        if len(json_rows):
            parsed = parse_json_values(rows.text[p].take(pa.array(json_rows)))
            failed = json_rows[parsed.status != STATUS_OK]
            first = row_ok[failed]
            row_status[failed[first]] = parsed.status[parsed.status != STATUS_OK][first]
            row_ok[failed] = False
            good = json_rows[parsed.status == STATUS_OK]
            cols = parsed.columns
            if (parsed.widths >= 0).all() and all(is_positional(path) for path, _ in cols):
                # bare scalars or lists of scalars: positional, width = list length
                w[good] = parsed.widths
                k[good] = JSON_POSITIONAL
            else:
                w[good] = -1
            parsed_json[p] = (good, cols)
        widths[p] = w
    skips = skips + _record_skips(b) + SkipCounts(
        {reason: int((row_status == code).sum()) for code, reason in _PAYLOAD_SKIPS.items()})
    if not row_ok.any():
        return _empty(skips, n_records)
    sig = np.stack([np.stack([rows.kind[p], widths[p]]) for p in parts]).reshape(2 * len(parts), n).T
    if layout is not None and [s[0] for s in layout.signature] == parts:
        target = np.array([v for _, kd, wd in layout.signature for v in (kd, wd)])
    else:
        target = _majority(sig[row_ok])
    fits = row_ok & (sig == target).all(axis=1)
    skips = skips + SkipCounts.of(wrong_width=int((row_ok & ~fits).sum()))
    kept = np.flatnonzero(fits)
    if len(kept) == 0:
        return _empty(skips, n_records)
    columns, names, part_columns, position = [], [], [], 0
    for j, p in enumerate(parts):
        kind, width = int(target[2 * j]), int(target[2 * j + 1])
        part_cols: list[tuple[str, pa.Array]] = []
        if kind == CSV:
            lines = rows.text[p].take(pa.array(kept))
            part_cols = [(f"_c{position + i}", c) for i, c in enumerate(parse_csv_lines(lines, width))]
        elif kind in (JSON_POSITIONAL, JSON_KEYED):
            good, cols = parsed_json[p]
            if len(good) != len(kept) or not np.array_equal(good, kept):
                cols = parse_json_values(rows.text[p].take(pa.array(kept))).columns
            if kind == JSON_POSITIONAL:
                cols = cols[:width]
            for i, (path, col) in enumerate(cols):
                name = f"_c{position + i}" if is_positional(path) else path_name(path)
                if name in names:
                    name = f"{p}.{name}"
                part_cols.append((name, col))
        for name, col in part_cols:
            names.append(name)
            columns.append(col)
        position += len(part_cols)
        part_columns.append((p, tuple(name for name, _ in part_cols)))
    rec = pa.array(rows.record[kept], pa.int64())
    metadata = pa.Table.from_arrays(
        [b.event_id.take(rec), b.inference_id.take(rec), times.take(rec)], schema=_META_SCHEMA
    )
    signature = tuple((p, int(target[2 * j]), int(target[2 * j + 1])) for j, p in enumerate(parts))
    return FlattenResult(
        table=pa.Table.from_arrays(columns, names=names),
        metadata=metadata,
        skips=skips,
        records=n_records,
        layout=CaptureLayout(signature, tuple(part_columns)),
    )


def _record_skips(b: _Batch) -> SkipCounts:
    counts = np.bincount(b.status, minlength=len(R.SKIP_REASONS) + 1)[1:]
    return SkipCounts(dict(zip(R.SKIP_REASONS, counts.tolist())))


def _empty(skips: SkipCounts, n_records: int) -> FlattenResult:
    return FlattenResult(pa.table({}), _META_SCHEMA.empty_table(), skips, n_records, None)
