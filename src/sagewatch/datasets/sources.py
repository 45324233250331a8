"""One generator of ``pyarrow.Table`` pieces per dataset format, reading one file each.

Each generator adds what it skipped to the shared :class:`ReadState`; tables may have any
number of rows (the reader re-cuts them into chunks).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

import sagewatch.capture.skips as R
from sagewatch.capture.flatten import CaptureLayout, flatten_capture_lines
from sagewatch.capture.skips import SkipCounts
from sagewatch.datasets.csvfile import open_text_stream, read_csv_file
from sagewatch.datasets.jsonfile import array_items, read_json_array_file, read_json_lines_file
from sagewatch.datasets.textfiles import NOT_UTF8, TOO_DEEP, invalid_utf8_positions, sniff_text_file
from sagewatch.datasets.parquetfile import read_parquet_file
from sagewatch.datasets.files import iter_line_blocks, open_stream
from sagewatch.datasets.formats import CaptureJsonFormat, CsvFormat, MergeJsonFormat
from sagewatch.datasets.preprocessor import (
    Preprocessor,
    apply_preprocessor,
    capture_inference_records,
    rows_to_table,
)
from sagewatch.errors import SchemaError

__all__ = [
    "ReadState",
    "read_csv_file",
    "read_json_lines_file",
    "read_json_array_file",
    "read_parquet_file",
    "read_capture_file",
    "preprocess_capture_file",
    "preprocess_csv_file",
    "preprocess_json_file",
]


@dataclass
class ReadState:
    """Options and running totals shared by the per-file generators of one read."""

    chunk_rows: int
    block_bytes: int
    start: datetime | None = None
    end: datetime | None = None
    skips: SkipCounts = field(default_factory=SkipCounts.zero)
    layout: CaptureLayout | None = None
    records: int = 0

    def skip(self, reason: str, n: int = 1) -> None:
        self.skips = self.skips.add(reason, n)


def read_capture_file(path: Path, fmt: CaptureJsonFormat, state: ReadState) -> Iterator[pa.Table]:
    """Flatten a capture (or merged) JSON Lines file in blocks, keeping one layout for the read."""
    for block in iter_line_blocks(path, state.block_bytes):
        result = flatten_capture_lines(
            block,
            capture_index_names=fmt.capture_index_names,
            start_time=state.start,
            end_time=state.end,
            ground_truth=isinstance(fmt, MergeJsonFormat),
            layout=state.layout,
        )
        state.records += result.records
        state.skips = state.skips + result.skips
        if result.layout is not None and state.layout is None:
            state.layout = result.layout
        if result.table.num_rows:
            yield result.table


def _text_lines(path: Path) -> Iterator[str | bytes]:
    """The lines of a JSON Lines file; a line that is not UTF-8 comes as its bytes, which the JSON reader
    refuses (``bad_json``, as the bulk flattener counts it) instead of ending the read."""
    with open_stream(path) as stream:
        for line in io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline=""):
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes came back as lone surrogates
                yield line.encode("utf-8", "surrogateescape")
                continue
            yield line


def _emit(rows: list[dict], state: ReadState, skips: SkipCounts) -> Iterator[pa.Table]:
    state.skips = state.skips + skips
    if rows:
        yield rows_to_table(rows)


def _batched(items, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def preprocess_capture_file(
    path: Path, fmt: CaptureJsonFormat, state: ReadState, pre: Preprocessor
) -> Iterator[pa.Table]:
    """Call the pre-processor on every usable capture record of a file."""
    records = capture_inference_records(_text_lines(path), start=state.start, end=state.end)
    for batch in _batched(records, state.chunk_rows):
        state.records += len(batch)
        rows, skips = apply_preprocessor(pre, batch)
        yield from _emit(rows, state, skips)


def _checked_lines(path: Path, encoding: str) -> Iterator[tuple[str | None, str | None]]:
    """``(line, None)`` per line without its line break (any of CR, LF, CRLF), or ``(None, not_utf8)``."""
    with open_text_stream(path, encoding) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline=None)
        for line in text:
            line = line.rstrip("\n")
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes came back as lone surrogates
                yield None, NOT_UTF8
                continue
            yield line, None


def preprocess_csv_file(path: Path, fmt: CsvFormat, state: ReadState, pre: Preprocessor) -> Iterator[pa.Table]:
    """Call the pre-processor on every raw line of a CSV file (the header line is not passed).

    Blank lines are left out; lines that are not UTF-8 are skipped as ``not_utf8``.
    """
    sniff = sniff_text_file(path, what="CSV")
    lines = ((line, reason) for line, reason in _checked_lines(path, sniff.encoding)
             if reason is not None or line.strip())
    if fmt.header:
        next(lines, None)
    for batch in _batched(lines, state.chunk_rows):
        state.records += len(batch)
        rows, skips = apply_preprocessor(pre, batch)
        yield from _emit(rows, state, skips)


def _parsed(text: str) -> tuple[object, str | None]:
    try:
        return json.loads(text), None
    except RecursionError:  # nested too deep for Python's parser: refused, not a crash
        return None, TOO_DEEP
    except ValueError:
        return None, R.BAD_JSON


def _json_items(path: Path, lines: bool) -> Iterator[tuple[object, str | None]]:
    sniff = sniff_text_file(path, what="JSON")
    if not sniff.utf8:
        raise SchemaError(f"JSON text must be UTF-8 (RFC 8259), this file is {sniff.encoding.upper()}",
                          source=str(path))
    if not lines and sniff.head.lstrip().startswith(b"["):
        with open_stream(path) as stream:
            data = stream.read()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if len(invalid_utf8_positions(data)):
            raise SchemaError("not UTF-8 text", source=str(path))
        for text in array_items(data, path).to_pylist():  # the pre-processor is called per record anyway
            yield _parsed(text)
        return
    for line, reason in _checked_lines(path, "utf-8"):
        if reason is not None:
            yield None, reason
        elif line.strip():
            yield _parsed(line)


def preprocess_json_file(path: Path, lines: bool, state: ReadState, pre: Preprocessor) -> Iterator[pa.Table]:
    """Call the pre-processor on every parsed JSON record of a file."""
    for batch in _batched(_json_items(path, lines), state.chunk_rows):
        state.records += len(batch)
        rows, skips = apply_preprocessor(pre, batch)
        yield from _emit(rows, state, skips)
