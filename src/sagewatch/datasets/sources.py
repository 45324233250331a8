"""One generator of ``pyarrow.Table`` pieces per dataset format, reading one file each.

Each generator adds what it skipped to the shared :class:`ReadState`; tables may have any
number of rows (the reader re-cuts them into chunks).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

from sagewatch.capture import skips as R
from sagewatch.capture.flatten import CaptureLayout, flatten_capture_lines
from sagewatch.capture.skips import SkipCounts
from sagewatch.capture.tabular import flatten_columns, is_positional, parse_json_values, path_name
from sagewatch.datasets.csvfile import read_csv_file
from sagewatch.datasets.jsonfile import read_json_array_file, read_json_lines_file
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

_CSV_BLOCK = 1 << 22


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


def read_parquet_file(path: Path, state: ReadState) -> Iterator[pa.Table]:
    """Stream a Parquet file batch by batch, columns as they are."""
    with pq.ParquetFile(str(path)) as parquet:
        for batch in parquet.iter_batches(batch_size=state.chunk_rows):
            state.records += batch.num_rows
            yield pa.Table.from_batches([batch])


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


def _text_lines(path: Path) -> Iterator[str]:
    with open_stream(path) as stream:
        yield from io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


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


def preprocess_csv_file(path: Path, fmt: CsvFormat, state: ReadState, pre: Preprocessor) -> Iterator[pa.Table]:
    """Call the pre-processor on every raw line of a CSV file (the header line is not passed)."""
    lines = (line.rstrip("\r\n") for line in _text_lines(path))
    if fmt.header:
        next(lines, None)
    items = ((line, None) for line in lines if line.strip())
    for batch in _batched(items, state.chunk_rows):
        state.records += len(batch)
        rows, skips = apply_preprocessor(pre, batch)
        yield from _emit(rows, state, skips)


def _json_items(path: Path, lines: bool) -> Iterator[tuple[object, str | None]]:
    if not lines:
        with open_stream(path) as stream:
            text = stream.read().decode("utf-8-sig").strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError as exc:
                raise SchemaError(f"not a JSON array: {exc}", source=str(path)) from exc
            for item in items:
                yield item, None
            return
    for line in _text_lines(path):
        if not line.strip():
            continue
        try:
            yield json.loads(line), None
        except ValueError:
            yield None, R.BAD_JSON


def preprocess_json_file(path: Path, lines: bool, state: ReadState, pre: Preprocessor) -> Iterator[pa.Table]:
    """Call the pre-processor on every parsed JSON record of a file."""
    for batch in _batched(_json_items(path, lines), state.chunk_rows):
        state.records += len(batch)
        rows, skips = apply_preprocessor(pre, batch)
        yield from _emit(rows, state, skips)
