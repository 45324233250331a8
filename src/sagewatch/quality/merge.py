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

from sagewatch.capture._arrow import join_lines
from sagewatch.capture.tabular import read_json_texts
from sagewatch.datasets.files import open_stream
from sagewatch.errors import DatasetError
from sagewatch.quality.labels import label_text

__all__ = ["MergeCounts", "MergeResult", "merge_ground_truth", "merged_lines", "write_merged"]

_CAPTURE_SCHEMA = pa.schema([("eventMetadata", pa.struct([("eventId", pa.string()),
                                                          ("inferenceId", pa.string())]))])
_LABEL_SCHEMA = pa.schema([("groundTruthData", pa.struct([("data", pa.string()), ("encoding", pa.string())])),
                           ("eventMetadata", pa.struct([("eventId", pa.string())]))])
_NUMERIC_LABEL_SCHEMA = pa.schema([("groundTruthData", pa.struct([("data", pa.float64()),
                                                                    ("encoding", pa.string())])),
                                   ("eventMetadata", pa.struct([("eventId", pa.string())]))])
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


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
    """``table``: one row per merged record, in capture order: ``event_id``, ``capture`` (the capture line),
    ``ground_truth`` (the label text) and ``ground_truth_encoding``."""

    table: pa.Table
    counts: MergeCounts


def _lines(files: Sequence[Path]) -> pa.Array:
    pieces = []
    for path in files:  # one bulk split per file
        try:
            with open_stream(Path(path)) as stream:
                data = stream.read()
        except (OSError, pa.ArrowException) as e:
            raise DatasetError(f"cannot read {Path(path).name}: {e}") from e
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DatasetError(f"{Path(path).name} is not UTF-8 text (byte offset {e.start})") from e
        lines = pc.list_flatten(pc.split_pattern(pa.array([text]), "\n"))
        lines = pc.utf8_rtrim(lines, "\r")
        pieces.append(lines.filter(pc.invert(pc.match_substring_regex(lines, r"^\s*$"))))
    return pa.concat_arrays(pieces) if pieces else pa.array([], pa.string())


def _keep_one(codes: np.ndarray, n_codes: int, *, last: bool) -> np.ndarray:
    """Row indexes of the first (or last) row of every code."""
    rows = np.arange(len(codes), dtype=np.int64)
    if last:
        chosen = np.full(n_codes, -1, dtype=np.int64)
        np.maximum.at(chosen, codes, rows)
    else:
        chosen = np.full(n_codes, len(codes), dtype=np.int64)
        np.minimum.at(chosen, codes, rows)
    return np.sort(chosen)


def _dedupe(keys: pa.Array, *, last: bool) -> tuple[np.ndarray, int]:
    encoded = pc.dictionary_encode(keys)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    kept = _keep_one(codes, len(encoded.dictionary), last=last)
    return kept, len(codes) - len(kept)


def _json_strings(values: pa.Array) -> pa.Array:
    """JSON string literals of ``values`` (escaping done in bulk; the rare control characters one by one)."""
    escaped = pc.replace_substring(values, "\\", "\\\\")
    for raw, code in (('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, raw, code)
    literals = pc.binary_join_element_wise('"', escaped, '"', "")
    odd = np.flatnonzero(pc.match_substring_regex(values, _CONTROL).to_numpy(zero_copy_only=False))
    if len(odd):
        fixed = literals.to_pylist()
        for i in odd:  # only rows holding raw control characters
            fixed[i] = json.dumps(values[int(i)].as_py())
        literals = pa.array(fixed, pa.string())
    return literals


def _read_labels(lines: pa.Array) -> tuple[pa.Table, np.ndarray]:
    """The ground-truth records (rows in line order) and the parse status of every line; a label written as a
    JSON number is read as its text (contract §2.1 writes it as a string; sagewatch's decision: a number is
    unambiguous, so it is accepted rather than lost)."""
    parsed = read_json_texts(lines, schema=_LABEL_SCHEMA)
    failed = np.flatnonzero(parsed.status != 0)
    if len(failed) == 0:
        return parsed.table, parsed.status
    retry = read_json_texts(lines.take(pa.array(failed, pa.int64())), schema=_NUMERIC_LABEL_SCHEMA)
    ok = retry.status == 0
    if not ok.any():
        return parsed.table, parsed.status
    truth = retry.table.column("groundTruthData").combine_chunks()
    text = label_text(pc.struct_field(truth, "data"))
    truth = pa.StructArray.from_arrays([text, pc.struct_field(truth, "encoding")], names=["data", "encoding"],
                                       mask=truth.is_null())
    numeric = pa.table({"groundTruthData": truth, "eventMetadata": retry.table.column("eventMetadata")},
                       schema=_LABEL_SCHEMA)
    status = parsed.status.copy()
    status[failed[ok]] = 0
    positions = np.concatenate([np.flatnonzero(parsed.status == 0), failed[ok]])
    table = pa.concat_tables([parsed.table.select(_LABEL_SCHEMA.names).cast(_LABEL_SCHEMA), numeric])
    return table.take(pa.array(np.argsort(positions, kind="stable"))), status


def merge_ground_truth(capture_files: Iterable[str | Path], ground_truth_files: Iterable[str | Path]) -> MergeResult:
    """Join the capture records of ``capture_files`` to the labels of ``ground_truth_files``.

    Raises :class:`DatasetError` when a file cannot be read; the caller decides whether an empty merge is an
    error (a monitoring execution with nothing to merge fails, contract §2.3).
    """
    capture_lines = _lines(list(capture_files))
    label_lines = _lines(list(ground_truth_files))

    captures = read_json_texts(capture_lines, schema=_CAPTURE_SCHEMA)
    ok = captures.status == 0
    meta = captures.table.column("eventMetadata").combine_chunks() if captures.table.num_rows else \
        pa.array([], _CAPTURE_SCHEMA.field("eventMetadata").type)
    inference_id = pc.struct_field(meta, "inferenceId")
    event_id = pc.struct_field(meta, "eventId")
    has_inference = pc.fill_null(pc.not_equal(inference_id, ""), False)
    key = pc.if_else(has_inference, inference_id, event_id)
    key = pc.if_else(pc.fill_null(pc.equal(key, ""), True), pa.scalar(None, pa.string()), key)
    valid_key = key.is_valid().to_numpy(zero_copy_only=False)
    texts = capture_lines.filter(pa.array(ok))
    key, texts = key.filter(pa.array(valid_key)), texts.filter(pa.array(valid_key))
    capture_rows, duplicate_captures = _dedupe(key, last=False)
    capture_table = pa.table({"event_id": key.take(capture_rows), "capture": texts.take(capture_rows),
                              "capture_row": pa.array(np.arange(len(capture_rows), dtype=np.int64))})

    label_records, label_status = _read_labels(label_lines)
    if label_records.num_rows:
        truth = label_records.column("groundTruthData").combine_chunks()
        label_ids = pc.struct_field(label_records.column("eventMetadata").combine_chunks(), "eventId")
        data = pc.struct_field(truth, "data")
        encoding = pc.fill_null(pc.struct_field(truth, "encoding"), "CSV")
    else:
        label_ids = data = encoding = pa.array([], pa.string())
    good_label = np.asarray(pc.and_(pc.fill_null(pc.not_equal(label_ids, ""), False),
                                    data.is_valid()).to_numpy(zero_copy_only=False), dtype=bool)
    bad_labels = int((label_status != 0).sum()) + int((~good_label).sum())
    label_ids, data, encoding = (a.filter(pa.array(good_label)) for a in (label_ids, data, encoding))
    label_rows, duplicate_labels = _dedupe(label_ids, last=True)
    label_table = pa.table({"event_id": label_ids.take(label_rows), "ground_truth": data.take(label_rows),
                            "ground_truth_encoding": encoding.take(label_rows)})

    joined = capture_table.join(label_table, keys="event_id", join_type="inner", use_threads=False)
    joined = joined.sort_by("capture_row").drop_columns(["capture_row"])
    merged = joined.num_rows
    counts = MergeCounts(
        captures=len(capture_lines), labels=len(label_lines), merged=merged,
        bad_capture_lines=int((~ok).sum()), captures_without_id=int((~valid_key).sum()),
        duplicate_capture_ids=duplicate_captures, bad_label_lines=bad_labels, duplicate_label_ids=duplicate_labels,
        unmatched_captures=capture_table.num_rows - merged, unmatched_labels=label_table.num_rows - merged)
    return MergeResult(joined.select(["event_id", "capture", "ground_truth", "ground_truth_encoding"]), counts)


def merged_lines(result: MergeResult) -> pa.Array:
    """The merged records as JSON lines: each capture object with ``groundTruthData`` appended."""
    table = result.table
    if table.num_rows == 0:
        return pa.array([], pa.string())
    capture = pc.utf8_rtrim_whitespace(table.column("capture").combine_chunks())
    body = pc.utf8_slice_codeunits(capture, 0, -1)  # the object without its closing brace
    suffix = pc.binary_join_element_wise(',"groundTruthData":{"data":',
                                         _json_strings(table.column("ground_truth").combine_chunks()),
                                         ',"encoding":',
                                         _json_strings(table.column("ground_truth_encoding").combine_chunks()),
                                         "}}", "")
    return pc.binary_join_element_wise(body, suffix, "")


def write_merged(result: MergeResult, path: str | Path) -> int:
    """Write the merged records as one JSON Lines file; returns the number of records."""
    lines = merged_lines(result)
    Path(path).write_bytes(join_lines(lines).to_pybytes() if len(lines) else b"")
    return len(lines)
