"""The ground-truth merge (contract §2.3): capture records joined to ground-truth records, in bulk with pyarrow.

The join key of a capture is ``eventMetadata.inferenceId`` when it has one, else ``eventMetadata.eventId``; a
ground-truth record names it in ``eventMetadata.eventId``. Nothing is dropped silently; every record that does not
become a merged record is counted in :class:`MergeCounts`:

======================  ===========================================================================
count                   records
======================  ===========================================================================
bad_capture_lines       capture lines that are not a JSON object with a string ``eventMetadata``
captures_without_id     captures with neither ``inferenceId`` nor ``eventId``
duplicate_capture_ids   captures whose key an earlier capture already had (the first one is kept)
bad_label_lines         ground-truth lines that are not a record of contract §2.1 with a label (text, or
                        a JSON number, read as its text: ``1`` is the label ``"1"``, ``1.5`` is ``"1.5"``;
                        ``true``, objects and lists are bad)
duplicate_label_ids     labels whose key a later label also has (the last one read is kept: files are
                        read in path order, so a label uploaded in a later hour corrects an earlier one)
unmatched_captures      captures with no label (yet)
unmatched_labels        labels with no capture
======================  ===========================================================================

A merged record is the capture record with a top-level ``groundTruthData`` appended (contract §2.3, INFERRED),
as ``sagemakerMergeJson`` datasets are read by :mod:`sagewatch.capture.flatten`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from sagewatch.capture.tabular import read_json_texts
from sagewatch.quality.labels import label_text
from sagewatch.datasets.files import open_stream
from sagewatch.errors import DatasetError

__all__ = ["MergeCounts", "MergeResult", "merge_ground_truth", "merged_lines", "write_merged"]

_CAPTURE_SCHEMA = pa.schema([("eventMetadata", pa.struct([("eventId", pa.string()),
                                                          ("inferenceId", pa.string())]))])
_LABEL_SCHEMA = pa.schema([("groundTruthData", pa.struct([("data", pa.string()), ("encoding", pa.string())])),
                           ("eventMetadata", pa.struct([("eventId", pa.string())]))])
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_NUMERIC_LABEL_SCHEMA = pa.schema([("groundTruthData", pa.struct([("data", pa.float64()),
                                                                    ("encoding", pa.string())])),
                                   ("eventMetadata", pa.struct([("eventId", pa.string())]))])


@dataclass(frozen=True)
class MergeCounts:
    captures: int = 0
    labels: int = 0
    merged: int = 0
    bad_capture_lines: int = 0
    captures_without_id: int = 0
    duplicate_capture_ids: int = 0
    bad_label_lines: int = 0
    duplicate_label_ids: int = 0
    unmatched_captures: int = 0
    unmatched_labels: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class MergeResult:
    """``table``: one row per merged record, in capture order: ``event_id``, ``capture`` (the capture line as read,
    ending with its line break), ``ground_truth`` (the label text) and ``ground_truth_encoding``."""

    table: pa.Table
    counts: MergeCounts


_LINE_BREAK, _OPEN, _CLOSE = 10, ord("{"), ord("}")


@dataclass(frozen=True)
class _Records:
    """The non-blank lines of some JSON Lines files, each ending with ``\n``, and their parse: one table row per
    line whose ``status`` is 0."""

    lines: pa.Array
    table: pa.Table
    status: np.ndarray


def _read_bytes(path: Path) -> bytes:
    try:
        with open_stream(Path(path)) as stream:
            return stream.read()
    except (OSError, pa.ArrowException) as e:
        raise DatasetError(f"cannot read {Path(path).name}: {e}") from e


def _not_utf8(path: Path, data: bytes) -> DatasetError | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return DatasetError(f"{Path(path).name} is not UTF-8 text (byte offset {e.start})")
    return None


def _split_lines(path: Path, data: bytes) -> pa.Array:
    """The non-blank lines of ``data`` (``\r\n`` line ends accepted)."""
    error = _not_utf8(path, data)
    if error is not None:
        raise error
    lines = pc.list_flatten(pc.split_pattern(pa.array([data.decode("utf-8")]), "\n"))
    lines = pc.utf8_rtrim(lines, "\r")
    return lines.filter(pc.invert(pc.match_substring_regex(lines, r"^\s*$")))


def _parse_clean(path: Path, data: bytes, schema: pa.Schema) -> _Records | None:
    """One ``pyarrow.json`` pass over a whole file whose every non-empty line is ``{...}`` (no ``\r\n``, no
    lines of blanks): the file's own bytes are parsed and its lines are views into them, nothing is split or
    joined per line. ``None`` when the file is not that clean, or the parse fails or does not give one row per
    line: the caller then reads the file line by line (:func:`read_json_texts` sets bad lines aside)."""
    if not data.endswith(b"\n"):
        data += b"\n"
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = _line_breaks(buf)
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0], offsets[1:] = 0, ends + 1
    with_breaks = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        with_breaks.validate(full=True)  # UTF-8, as data.decode() would check, in a fraction of its time
    except pa.ArrowInvalid:
        raise _not_utf8(path, data) or DatasetError(f"{Path(path).name} is not UTF-8 text")
    starts = offsets[:-1]
    filled = ends > starts
    if not filled.all():
        starts, ends = starts[filled], ends[filled]
    if len(starts) == 0:
        return _Records(pa.array([], pa.large_string()), schema.empty_table(), np.zeros(0, np.int8))
    # the shape pyarrow.json reads one row per line from (read_json_texts relies on the same)
    if not ((buf[starts] == _OPEN).all() and (buf[ends - 1] == _CLOSE).all()):
        return None
    longest = int((ends - starts).max())
    try:
        table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=max(1 << 20, longest + 2)),
                             parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows != len(starts):
        return None
    lines = with_breaks if filled.all() else with_breaks.filter(pa.array(filled))
    return _Records(lines, table, np.zeros(len(starts), np.int8))


def _line_breaks(buf: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
    """Positions of every ``\n``, found 4 MiB at a time (the comparison stays in the CPU's cache)."""
    parts = [np.flatnonzero(buf[i:i + chunk] == _LINE_BREAK) + i for i in range(0, len(buf), chunk)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _records(files: Sequence[Path], schema: pa.Schema) -> _Records:
    """Every file's lines and their parse, concatenated in file order."""
    pieces = []
    for path in files:
        data = _read_bytes(path)
        records = _parse_clean(path, data, schema)
        if records is None:
            lines = _split_lines(path, data)
            parsed = read_json_texts(lines, schema=schema)
            with_breaks = pc.binary_join_element_wise(lines.cast(pa.large_string()), pa.scalar("\n", pa.large_string()),
                                                      pa.scalar("", pa.large_string()))
            records = _Records(with_breaks, parsed.table.cast(schema), parsed.status)
        pieces.append(records)
    if not pieces:
        return _Records(pa.array([], pa.large_string()), schema.empty_table(), np.zeros(0, np.int8))
    return _Records(pa.concat_arrays([p.lines for p in pieces]),
                    pa.concat_tables([p.table for p in pieces]).combine_chunks(),
                    np.concatenate([p.status for p in pieces]))



def _with_numeric_labels(labels: _Records) -> tuple[pa.Table, np.ndarray]:
    """The ground-truth records (rows in line order) and the parse status of every line, where a label written as
    a JSON number is read as its text (contract §2.1 writes it as a string; sagewatch's decision: a number is
    unambiguous, so it is accepted rather than lost)."""
    failed = np.flatnonzero(labels.status != 0)
    if len(failed) == 0:
        return labels.table, labels.status
    lines = pc.utf8_trim_whitespace(labels.lines.take(pa.array(failed, pa.int64())).cast(pa.string()))
    retry = read_json_texts(lines, schema=_NUMERIC_LABEL_SCHEMA)
    ok = retry.status == 0
    if not ok.any():
        return labels.table, labels.status
    truth = retry.table.column("groundTruthData").combine_chunks()
    text = label_text(pc.struct_field(truth, "data"))
    truth = pa.StructArray.from_arrays([text, pc.struct_field(truth, "encoding")], names=["data", "encoding"],
                                       mask=truth.is_null())
    numeric = pa.table({"groundTruthData": truth, "eventMetadata": retry.table.column("eventMetadata")},
                       schema=_LABEL_SCHEMA)
    status = labels.status.copy()
    status[failed[ok]] = 0
    positions = np.concatenate([np.flatnonzero(labels.status == 0), failed[ok]])
    table = pa.concat_tables([labels.table.select(_LABEL_SCHEMA.names).cast(_LABEL_SCHEMA), numeric])
    return table.take(pa.array(np.argsort(positions, kind="stable"))).combine_chunks(), status

def _column(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks() if table.num_rows else \
        pa.array([], table.schema.field(name).type)


def _first_and_last(capture_codes: np.ndarray, label_codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per key code: the row of its first capture (``len(capture_codes)`` when none) and of its last label (-1)."""
    first = np.full(n_codes, len(capture_codes), dtype=np.int64)
    np.minimum.at(first, capture_codes, np.arange(len(capture_codes), dtype=np.int64))
    last = np.full(n_codes, -1, dtype=np.int64)
    np.maximum.at(last, label_codes, np.arange(len(label_codes), dtype=np.int64))
    return first, last


def _take(values: pa.Array, rows: np.ndarray) -> pa.Array:
    if len(rows) == len(values) and (len(rows) == 0 or (rows[0] == 0 and rows[-1] == len(rows) - 1)):
        return values  # rows are sorted and unique: all of them, in order
    return values.take(pa.array(rows, pa.int64()))


def _needs_escaping(values: pa.Array) -> bool:
    """Whether any value holds a quote, a backslash or a control character (a look at the bytes, no regex)."""
    values = values.cast(pa.large_string())
    _, offsets, data = values.buffers()
    if data is None or len(values) == 0:
        return False
    bounds = np.frombuffer(offsets, dtype=np.int64)[values.offset:values.offset + len(values) + 1]
    raw = np.frombuffer(data, dtype=np.uint8)[int(bounds[0]):int(bounds[-1])]
    return bool(((raw < 0x20) | (raw == ord('"')) | (raw == ord("\\"))).any())


def _json_strings(values: pa.Array) -> pa.Array:
    """JSON string literals of ``values`` (escaping done in bulk; the rare control characters one by one)."""
    if not _needs_escaping(values):
        return pc.binary_join_element_wise('"', values, '"', "")  # nothing to escape (the usual label)
    escaped = pc.replace_substring(values, "\\", "\\\\")
    for raw, code in (('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, raw, code)
    literals = pc.binary_join_element_wise('"', escaped, '"', "")
    odd = np.flatnonzero(pc.match_substring_regex(values, _CONTROL).to_numpy(zero_copy_only=False))
    if len(odd):
        fixed = literals.to_pylist()
        for i in odd:  # only rows holding raw control characters
            fixed[i] = json.dumps(values[int(i)].as_py())
        literals = pa.array(fixed, values.type)
    return literals


def merge_ground_truth(capture_files: Iterable[str | Path], ground_truth_files: Iterable[str | Path]) -> MergeResult:
    """Join the capture records of ``capture_files`` to the labels of ``ground_truth_files``.

    Both sides' keys are encoded against one dictionary; the first capture and the last label of every key are
    found with ``numpy.minimum.at`` / ``maximum.at``, and the merged rows come out in capture order without a sort.
    Raises :class:`DatasetError` when a file cannot be read; the caller decides whether an empty merge is an
    error (a monitoring execution with nothing to merge fails, contract §2.3).
    """
    captures = _records([Path(p) for p in capture_files], _CAPTURE_SCHEMA)
    ok = captures.status == 0
    meta = _column(captures.table, "eventMetadata")
    inference_id = pc.struct_field(meta, "inferenceId")
    event_id = pc.struct_field(meta, "eventId")
    has_inference = pc.fill_null(pc.not_equal(inference_id, ""), False)
    key = pc.if_else(has_inference, inference_id, event_id)
    valid_key = np.asarray(pc.fill_null(pc.not_equal(key, ""), False).to_numpy(zero_copy_only=False), dtype=bool)
    texts = captures.lines.filter(pa.array(ok)) if not ok.all() else captures.lines
    if not valid_key.all():
        key, texts = key.filter(pa.array(valid_key)), texts.filter(pa.array(valid_key))

    labels = _records([Path(p) for p in ground_truth_files], _LABEL_SCHEMA)
    label_table, label_status = _with_numeric_labels(labels)
    if label_table.num_rows:
        truth = _column(label_table, "groundTruthData")
        label_ids = pc.struct_field(_column(label_table, "eventMetadata"), "eventId")
        data = pc.struct_field(truth, "data")
        encoding = pc.fill_null(pc.struct_field(truth, "encoding"), "CSV")
    else:
        label_ids = data = encoding = pa.array([], pa.string())
    good_label = np.asarray(pc.and_(pc.fill_null(pc.not_equal(label_ids, ""), False),
                                    data.is_valid()).to_numpy(zero_copy_only=False), dtype=bool)
    bad_labels = int((label_status != 0).sum()) + int((~good_label).sum())
    if not good_label.all():
        label_ids, data, encoding = (a.filter(pa.array(good_label)) for a in (label_ids, data, encoding))

    n_captures = len(key)
    encoded = pc.dictionary_encode(pa.concat_arrays([key.cast(pa.string()), label_ids.cast(pa.string())]))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    capture_codes, label_codes = codes[:n_captures], codes[n_captures:]
    first, last = _first_and_last(capture_codes, label_codes, len(encoded.dictionary))
    kept_captures = np.sort(first[first < n_captures])
    label_of = last[capture_codes[kept_captures]]
    matched = kept_captures[label_of >= 0]
    label_rows = label_of[label_of >= 0]
    distinct_labels = int((last >= 0).sum())
    merged = len(matched)
    table = pa.table({"event_id": _take(key, matched).cast(pa.string()), "capture": _take(texts, matched),
                      "ground_truth": data.take(pa.array(label_rows, pa.int64())),
                      "ground_truth_encoding": encoding.take(pa.array(label_rows, pa.int64()))})
    counts = MergeCounts(
        captures=len(captures.lines), labels=len(labels.lines), merged=merged,
        bad_capture_lines=int((~ok).sum()), captures_without_id=int((~valid_key).sum()),
        duplicate_capture_ids=n_captures - len(kept_captures), bad_label_lines=bad_labels,
        duplicate_label_ids=len(label_ids) - distinct_labels,
        unmatched_captures=len(kept_captures) - merged, unmatched_labels=distinct_labels - merged)
    return MergeResult(table, counts)


def _merged(result: MergeResult, end: str) -> pa.Array:
    table = result.table
    capture = table.column("capture").combine_chunks()
    if pc.all(pc.ends_with(capture, "}\n")).as_py():
        body = pc.binary_slice(capture.cast(pa.large_binary()), 0, -2).cast(capture.type)
    else:  # a line with blanks after its closing brace
        body = pc.utf8_slice_codeunits(pc.utf8_rtrim_whitespace(capture), 0, -1)
    text = pa.large_string()  # merged files may pass the 2 GiB of 32-bit offsets
    parts = [body.cast(text), ',"groundTruthData":{"data":',
             _json_strings(table.column("ground_truth").combine_chunks()).cast(text), ',"encoding":',
             _json_strings(table.column("ground_truth_encoding").combine_chunks()).cast(text), "}}" + end, ""]
    return pc.binary_join_element_wise(*[pa.scalar(p, text) if isinstance(p, str) else p for p in parts])


def merged_lines(result: MergeResult) -> pa.Array:
    """The merged records as JSON lines: each capture object with ``groundTruthData`` appended."""
    if result.table.num_rows == 0:
        return pa.array([], pa.string())
    return _merged(result, "")


def write_merged(result: MergeResult, path: str | Path) -> int:
    """Write the merged records as one JSON Lines file; returns the number of records."""
    if result.table.num_rows == 0:
        Path(path).write_bytes(b"")
        return 0
    lines = _merged(result, "\n")  # each record ends with its line break: the values buffer is the file
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64 if pa.types.is_large_string(lines.type) else np.int32,
                            count=len(lines) + 1, offset=lines.offset * (8 if pa.types.is_large_string(lines.type)
                                                                         else 4))
    with open(path, "wb") as out:
        out.write(memoryview(lines.buffers()[2])[int(offsets[0]):int(offsets[-1])])
    return len(lines)
