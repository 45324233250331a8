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
import pyarrow.csv as pcsv
import pyarrow.json as pj
import pyarrow.parquet as pq

from sagewatch.capture import skips as R
from sagewatch.capture.flatten import CaptureLayout, flatten_capture_lines
from sagewatch.capture.skips import SkipCounts
from sagewatch.capture.tabular import flatten_columns, is_positional, parse_json_values, path_name
from sagewatch.datasets.files import iter_line_blocks, open_stream, read_first_line
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


def _csv_names(path: Path, fmt: CsvFormat) -> list[str] | None:
    first = read_first_line(path)
    if not first.strip():
        return None
    fields = next(csv.reader([first]))
    if fmt.header:
        return fields
    return [f"_c{i}" for i in range(len(fields))]


def read_csv_file(path: Path, fmt: CsvFormat, state: ReadState) -> Iterator[pa.Table]:
    """Stream a CSV file with ``pyarrow.csv.open_csv``; every column is a string column.

    Empty fields are null. Rows with a different number of fields than the header (or the
    first row) are skipped as ``wrong_width``.
    """
    names = _csv_names(path, fmt)
    if names is None:
        return

    def bad_row(row: pcsv.InvalidRow) -> str:  # called by pyarrow for bad rows only
        state.skip(R.WRONG_WIDTH)
        return "skip"

    with open_stream(path) as stream:
        reader = pcsv.open_csv(
            stream,
            read_options=pcsv.ReadOptions(
                column_names=names, skip_rows=1 if fmt.header else 0, block_size=_CSV_BLOCK
            ),
            parse_options=pcsv.ParseOptions(invalid_row_handler=bad_row),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        for batch in reader:
            state.records += batch.num_rows
            yield pa.Table.from_batches([batch])


def _named_table(cols: list[tuple[tuple, pa.Array]]) -> pa.Table:
    names, arrays, position = [], [], 0
    for path, arr in cols:
        name = f"_c{position}" if is_positional(path) else path_name(path)
        names.append(name)
        arrays.append(arr)
        position += 1
    return pa.Table.from_arrays(arrays, names=names)


def _block_lines(block: bytes) -> pa.Array:
    """Split a block of text into a string array of its non-blank lines (vectorised)."""
    try:
        text = pa.array([block.decode("utf-8")], pa.string())
    except UnicodeDecodeError:
        text = pa.array([block.decode("utf-8", errors="replace")], pa.string())
    lines = pc.split_pattern(text, "\n").flatten()
    lines = pc.utf8_trim_whitespace(lines)
    return lines.filter(pc.not_equal(lines, ""))


def read_json_lines_file(path: Path, state: ReadState) -> Iterator[pa.Table]:
    """Read JSON Lines in blocks; every line is one record, flattened (see ``capture.tabular``)."""
    for block in iter_line_blocks(path, state.block_bytes):
        lines = _block_lines(block)
        state.records += len(lines)
        if len(lines) == 0:
            continue
        parsed = parse_json_values(lines)
        cols = parsed.columns
        state.skip(R.BAD_JSON, int((parsed.status != 0).sum()))
        if cols:
            yield _named_table(cols)


def read_json_array_file(path: Path, state: ReadState) -> Iterator[pa.Table]:
    """Read a file holding one JSON array of records (the whole file is in memory at once).

    A file that does not start with ``[`` is read as JSON Lines.
    """
    with open_stream(path) as stream:
        data = stream.read()
    text = data.decode("utf-8-sig", errors="strict").strip()
    if not text:
        return
    if not text.startswith("["):
        yield from read_json_lines_file(path, state)
        return
    flat = text.replace("\r", " ").replace("\n", " ")  # raw line breaks are JSON whitespace
    buf = pa.py_buffer(('{"v":' + flat + "}").encode("utf-8"))
    try:
        table = pj.read_json(pa.BufferReader(buf), read_options=pj.ReadOptions(block_size=buf.size + 1))
        values = table.column("v").combine_chunks().flatten()
        cols = flatten_columns(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise SchemaError(f"not a JSON array: {exc}", source=str(path)) from exc
        texts = pa.array([json.dumps(item) for item in items], pa.string())  # fallback only
        parsed = parse_json_values(texts)
        cols = parsed.columns
        state.skip(R.BAD_JSON, int((parsed.status != 0).sum()))
        values = texts
    state.records += len(values)
    if cols:
        yield _named_table(cols)


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
