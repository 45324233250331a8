"""Read one CSV file as string columns, streaming, with every failure named or counted.

- the encoding is checked first (:func:`~sagewatch.datasets.textfiles.sniff_text_file`):
  UTF-16/32 files with a byte-order mark are decoded, binary files are refused;
- blank lines before the header are skipped (as Spark does), the header is parsed by the
  same parser as the rows (no field-size limit) and may end in ``\\n``, ``\\r\\n`` or a lone
  ``\\r``; a header-only file, with or without a final line break, has no rows;
- values are read as bytes and checked as UTF-8 batch by batch: a record holding bytes that
  are not UTF-8 is skipped and counted (``not_utf8``), the rest of the file is kept;
- a quoted field that is never closed (it would swallow the rest of the file into one
  value) is an error naming the line where it opens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

import sagewatch.capture.skips as R
from sagewatch.datasets.files import open_stream
from sagewatch.datasets.formats import CsvFormat
from sagewatch.datasets.textfiles import NOT_UTF8, TextSniff, invalid_utf8_positions, read_error, sniff_text_file
from sagewatch.errors import SchemaError

__all__ = ["read_csv_file", "open_text_stream", "CsvHead", "read_csv_head", "MAX_HEADER_BYTES"]

CSV_BLOCK_BYTES = 1 << 22
MAX_HEADER_BYTES = 1 << 26  # a first record longer than this is not a header
_BLANK_LINES = re.compile(rb"\A(?:[ \t]*(?:\r\n|\r|\n))*")
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def open_text_stream(path: Path, encoding: str) -> pa.NativeFile:
    """Open ``path`` (decompressing it) as a stream of UTF-8 bytes."""
    stream = open_stream(path)
    if encoding == "utf-8":
        return stream
    return pa.transcoding_input_stream(stream, encoding, "utf-8")


def _record_end(data: bytes, start: int) -> int:
    """Offset of the line break that ends the record starting at ``start``, or -1 (vectorised)."""
    raw = np.frombuffer(data, dtype=np.uint8, offset=start)
    quoted = (np.cumsum(raw == ord('"')) & 1).astype(bool)
    breaks = np.flatnonzero(((raw == ord("\n")) | (raw == ord("\r"))) & ~quoted)
    return start + int(breaks[0]) if len(breaks) else -1


def _parse_record(data: bytes, path: Path, line: int) -> list[str]:
    """Fields of one CSV record, parsed by pyarrow exactly as the rows will be."""
    buf = pa.py_buffer(data + b"\n")
    options = pcsv.ReadOptions(autogenerate_column_names=True, block_size=max(1 << 20, buf.size + 1))
    try:
        width = pcsv.read_csv(pa.BufferReader(buf), read_options=options).num_columns
        table = pcsv.read_csv(
            pa.BufferReader(buf), read_options=options,
            convert_options=pcsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(width)}),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        reason = "is not UTF-8 text" if "utf8" in str(exc).lower() else f"cannot be parsed ({exc})"
        raise SchemaError(f"the first record {reason}", source=str(path), line=line) from exc
    return [col[0].as_py() or "" for col in table.columns]


class CsvHead:
    """The first record of a CSV file and where the rows start.

    Attributes
    ----------
    fields : list of str or None
        The first non-blank record; ``None`` for a file without one.
    skip_rows : int
        Rows (blank lines, and the header when there is one) before the data.
    line : int
        1-based line of the first record.
    has_rows : bool
        Something follows the header.
    length : int
        Bytes up to the end of the first record.
    """

    def __init__(self, fields: list[str] | None, skip_rows: int, line: int, has_rows: bool, length: int) -> None:
        self.fields, self.skip_rows, self.line, self.has_rows, self.length = fields, skip_rows, line, has_rows, length


def read_csv_head(path: Path, sniff: TextSniff, *, header: bool) -> CsvHead:
    """Find the first non-blank record of a CSV file (reading more than the sniffed block if needed)."""
    data, complete = sniff.head, sniff.complete
    if not complete or not sniff.utf8:
        size = len(data)
        data, complete = b"", False
        try:
            with open_text_stream(path, sniff.encoding) as stream:
                while True:
                    piece = stream.read(max(size, 1 << 16))
                    if not piece:
                        complete = True
                        break
                    data += piece
                    blanks = _BLANK_LINES.match(data).end()
                    if _record_end(data, blanks) >= 0 and len(data) > blanks:
                        break
                    if len(data) > MAX_HEADER_BYTES:
                        raise SchemaError(f"the first record is longer than {MAX_HEADER_BYTES} bytes",
                                          source=str(path))
                    size *= 2
        except (OSError, pa.ArrowInvalid) as exc:
            raise read_error(path, exc) from exc
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
    blank = _BLANK_LINES.match(data)
    start = blank.end()
    blank_rows = len(_LINE_BREAK.findall(blank.group()))
    if not data[start:].strip():
        return CsvHead(None, 0, blank_rows + 1, False, len(data))
    end = _record_end(data, start)
    if end < 0:
        if not complete:
            raise SchemaError(f"the first record is longer than {MAX_HEADER_BYTES} bytes", source=str(path))
        if data.count(b'"', start) % 2:
            raise SchemaError("a quoted field in the first record is never closed", source=str(path),
                              line=blank_rows + 1)
        end = len(data.rstrip(b"\r\n"))
    fields = _parse_record(data[start:end], path, blank_rows + 1)
    rest = data[end:]
    has_rows = bool(rest.strip()) or not complete if header else True
    return CsvHead(fields, blank_rows + (1 if header else 0), blank_rows + 1, has_rows, end)


def _column_names(head: CsvHead, fmt: CsvFormat, path: Path) -> list[str]:
    fields = head.fields or []
    if not fmt.header:
        return [f"_c{i}" for i in range(len(fields))]
    seen: dict[str, int] = {}
    for i, name in enumerate(fields):
        if name in seen:
            raise SchemaError(f"duplicate column name {name!r} (columns {seen[name] + 1} and {i + 1} of the header)",
                              source=str(path), line=head.line, field=name)
        seen[name] = i
    return fields


def _bad_utf8_rows(column: pa.Array) -> np.ndarray:
    """Row positions of a binary column whose values are not UTF-8 (vectorised but for bad bytes)."""
    n = len(column)
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset: column.offset + n + 1]
    data = column.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return np.empty(0, dtype=np.int64)
    raw = memoryview(data)[int(offsets[0]): int(offsets[-1])]
    positions = invalid_utf8_positions(raw) + int(offsets[0])
    rows = np.searchsorted(offsets, positions, side="right") - 1
    # a value starting with a continuation byte is invalid alone even if its neighbour completes it
    lengths = np.diff(offsets)
    firsts = np.frombuffer(data, dtype=np.uint8)[np.minimum(offsets[:-1], len(data) - 1)]
    lonely = np.flatnonzero((lengths > 0) & ((firsts & 0xC0) == 0x80))
    return np.union1d(rows, lonely)


def _as_text(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, int]:
    """Cast the binary columns of ``batch`` to strings; drop (and count) rows that are not UTF-8."""
    dropped = 0
    for _ in range(8):  # one round in practice; more only when bad values sit next to each other
        try:
            return pa.RecordBatch.from_arrays([c.cast(pa.string()) for c in batch.columns],
                                              names=batch.schema.names), dropped
        except pa.ArrowInvalid:
            pass
        bad = np.zeros(batch.num_rows, dtype=bool)
        for column in batch.columns:
            bad[_bad_utf8_rows(column)] = True
        if not bad.any():
            break
        dropped += int(bad.sum())
        batch = batch.filter(pa.array(~bad))
    raise SchemaError("values are not UTF-8 text and could not be set apart")


def _swallowing_field(batch: pa.RecordBatch) -> int | None:
    """Line breaks inside the last row's values, if any (``None`` when there are none)."""
    if batch.num_rows == 0:
        return None
    last = batch.slice(batch.num_rows - 1)
    for column in last.columns:  # one row
        value = column[0].as_py()
        if value and ("\n" in value or "\r" in value):
            return value.count("\n") or value.count("\r")
    return None


def _check_unclosed_quote(path: Path, sniff: TextSniff, breaks_in_last: int) -> None:
    """Raise when the file ends inside a quoted field (an odd number of quotes in the whole file)."""
    quotes = newlines = returns = 0
    with open_text_stream(path, sniff.encoding) as stream:
        while piece := stream.read(1 << 22):
            quotes += piece.count(b'"')
            newlines += piece.count(b"\n")
            returns += piece.count(b"\r")
    if quotes % 2 == 0:
        return
    lines = newlines if newlines else returns
    line = max(1, lines - breaks_in_last + 1)
    raise SchemaError(
        f"a quoted field opened on this line is never closed: the rest of the file ({breaks_in_last} line "
        "breaks) would be read as one value; close the quote, or double it (\"\") inside a quoted field",
        source=str(path), line=line)


def read_csv_file(path: Path, fmt: CsvFormat, state) -> Iterator[pa.Table]:
    """Stream a CSV file with ``pyarrow.csv.open_csv``; every column is a string column.

    Empty fields are null. Rows with a different number of fields than the header (or the
    first row) are skipped as ``wrong_width``; rows that are not UTF-8 text as ``not_utf8``.

    Raises
    ------
    SchemaError
        Binary data, an unreadable or duplicated header, an unclosed quote, a record longer
        than the parse block; the message names the file (and line).
    DatasetError
        The file cannot be read or decompressed.
    """
    sniff = sniff_text_file(path, what="CSV")
    head = read_csv_head(path, sniff, header=fmt.header)
    if head.fields is None or not head.has_rows:
        return
    names = _column_names(head, fmt, path)
    block = max(CSV_BLOCK_BYTES, 2 * head.length + (1 << 20))

    def bad_row(row: pcsv.InvalidRow) -> str:  # called by pyarrow for bad rows only
        state.skip(R.WRONG_WIDTH)
        return "skip"

    records = 0
    last: pa.RecordBatch | None = None
    try:
        with open_text_stream(path, sniff.encoding) as stream:
            reader = pcsv.open_csv(
                stream,
                read_options=pcsv.ReadOptions(column_names=names, skip_rows=head.skip_rows, block_size=block),
                parse_options=pcsv.ParseOptions(invalid_row_handler=bad_row),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pa.binary() for n in names},
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )
            for raw in reader:
                records += raw.num_rows
                state.records += raw.num_rows
                try:
                    batch, dropped = _as_text(raw)
                except SchemaError as exc:
                    raise SchemaError(str(exc), source=str(path)) from exc
                state.skip(NOT_UTF8, dropped)
                last = batch
                if batch.num_rows:
                    yield pa.Table.from_batches([batch])
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        text = str(exc)
        if "straddling" in text or "block size" in text:
            raise SchemaError(f"a record after record {records} is longer than {block} bytes, or a quoted "
                              "field is never closed", source=str(path)) from exc
        if "parse error" in text.lower():
            raise SchemaError(f"cannot parse the CSV after record {records}: {text}", source=str(path)) from exc
        raise read_error(path, exc, records=records) from exc
    except OSError as exc:
        raise read_error(path, exc, records=records) from exc
    if last is not None:
        breaks = _swallowing_field(last)
        if breaks:
            _check_unclosed_quote(path, sniff, breaks)
