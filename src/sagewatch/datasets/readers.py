"""Read a dataset (a file or a folder) as a stream of ``pyarrow.Table`` chunks.

:func:`iter_dataset` returns a :class:`DatasetReader`: iterate it to get tables of at most
``chunk_rows`` rows (every chunk but the last has exactly ``chunk_rows``); after the
iteration, ``reader.skips`` says which records were skipped and why, and
``reader.files_read`` how many files were read. Files are read one at a time and in
pieces, so memory stays bounded (except JSON array files, read whole one at a time).

Columns by format
    csv: the header names, or ``_c0``, ``_c1``, ... without a header; every column is a
    string column (type inference is the profiler's job); empty fields are null.
    json: flattened JSON objects (dotted keys, list positions), values keep their JSON types;
    a line or array item that is not an object is skipped (``not_a_record``).
    parquet: as stored.

What is skipped (and counted) and what is refused (with an error naming the file) is listed
in :mod:`sagewatch.datasets.csvfile`, :mod:`sagewatch.datasets.jsonfile` and
:mod:`sagewatch.datasets.parquetfile`. sagemakerCaptureJson / sagemakerMergeJson: see
    :mod:`sagewatch.capture.flatten`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa

from sagewatch.capture.flatten import CaptureLayout
from sagewatch.schemas.capture import format_inference_time, to_utc
from sagewatch.capture.skips import SkipCounts
import sagewatch.datasets.sources as S
from sagewatch.datasets.files import CAPTURE_SUFFIXES, find_data_files
from sagewatch.datasets.formats import (
    CaptureJsonFormat,
    CsvFormat,
    DatasetFormat,
    JsonFormat,
    ParquetFormat,
    parse_dataset_format,
)
from sagewatch.datasets.preprocessor import Preprocessor, load_preprocessor
from sagewatch.defaults import CHUNK_ROWS
from sagewatch.errors import DatasetError, InvalidParameterError

__all__ = ["DatasetReader", "iter_dataset", "DEFAULT_BLOCK_BYTES"]

DEFAULT_BLOCK_BYTES = 1 << 25  # bytes of JSON Lines parsed at once (32 MiB)


class _Rebatcher:
    """Cut a stream of tables into tables of exactly ``rows`` rows (the last may be shorter)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.pending: list[pa.Table] = []
        self.count = 0

    def push(self, table: pa.Table) -> Iterator[pa.Table]:
        if table.num_rows == 0:
            return
        if self.pending and not _compatible(self.pending[-1], table):
            yield from self.flush()
        self.pending.append(table)
        self.count += table.num_rows
        while self.count >= self.rows:
            whole = _concat(self.pending)
            yield whole.slice(0, self.rows)
            rest = whole.slice(self.rows)
            self.pending = [rest] if rest.num_rows else []
            self.count = rest.num_rows

    def flush(self) -> Iterator[pa.Table]:
        if self.pending:
            yield _concat(self.pending)
        self.pending, self.count = [], 0


def _compatible(a: pa.Table, b: pa.Table) -> bool:
    if a.schema.equals(b.schema):
        return True
    try:
        pa.unify_schemas([a.schema, b.schema], promote_options="permissive")
        return True
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False


def _concat(tables: list[pa.Table]) -> pa.Table:
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


class DatasetReader:
    """An iterable over the ``pyarrow.Table`` chunks of a dataset.

    Use :func:`iter_dataset` to build one. Each iteration reads the files again and
    resets the counters.

    Attributes
    ----------
    source : pathlib.Path
    format : DatasetFormat
    files : tuple of pathlib.Path
        The data files found (sorted).
    skips : SkipCounts
        Records skipped during the last iteration, by reason.
    files_read : int
        Files read during the last iteration.
    rows : int
        Rows yielded during the last iteration.
    records : int
        Records (lines, rows) seen during the last iteration, kept or not.
    layout : CaptureLayout or None
        For capture formats, the column layout of the yielded rows.
    """

    def __init__(
        self,
        source: str | PathLike[str],
        fmt: DatasetFormat | str | dict[str, Any],
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        chunk_rows: int = CHUNK_ROWS,
        preprocessor: Preprocessor | Callable[..., Any] | str | PathLike[str] | None = None,
        block_bytes: int = DEFAULT_BLOCK_BYTES,
    ) -> None:
        self.format = parse_dataset_format(fmt)
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
            raise InvalidParameterError(f"chunk_rows must be a positive int, got {chunk_rows!r}")
        if isinstance(block_bytes, bool) or not isinstance(block_bytes, int) or block_bytes < 1:
            raise InvalidParameterError(f"block_bytes must be a positive int, got {block_bytes!r}")
        self.start_time = None if start_time is None else to_utc(start_time)
        self.end_time = None if end_time is None else to_utc(end_time)
        if self.start_time and self.end_time and self.start_time >= self.end_time:
            raise InvalidParameterError(
                f"start_time {self.start_time.isoformat()} must be before end_time {self.end_time.isoformat()}"
            )
        self.preprocessor = _as_preprocessor(preprocessor)
        if self.preprocessor is not None and isinstance(self.format, ParquetFormat):
            raise DatasetError(
                "a preprocessor script is allowed only with the csv, json, sagemakerCaptureJson "
                "and sagemakerMergeJson dataset formats"
            )
        self.source = Path(source)
        self.chunk_rows = chunk_rows
        self.block_bytes = block_bytes
        suffixes = CAPTURE_SUFFIXES if isinstance(self.format, CaptureJsonFormat) else None
        self.files = tuple(find_data_files(self.source, suffixes=suffixes))
        self.skips = SkipCounts.zero()
        self.files_read = 0
        self.rows = 0
        self.records = 0
        self.layout: CaptureLayout | None = None

    def __repr__(self) -> str:
        return f"DatasetReader({str(self.source)!r}, {self.format!r}, files={len(self.files)})"

    def _file_tables(self, path: Path, state: S.ReadState) -> Iterator[pa.Table]:
        fmt, pre = self.format, self.preprocessor
        if isinstance(fmt, CaptureJsonFormat):
            if pre is not None:
                return S.preprocess_capture_file(path, fmt, state, pre)
            return S.read_capture_file(path, fmt, state)
        if isinstance(fmt, CsvFormat):
            if pre is not None:
                return S.preprocess_csv_file(path, fmt, state, pre)
            return S.read_csv_file(path, fmt, state)
        if isinstance(fmt, JsonFormat):
            if pre is not None:
                return S.preprocess_json_file(path, fmt.lines, state, pre)
            if fmt.lines:
                return S.read_json_lines_file(path, state)
            return S.read_json_array_file(path, state)
        return S.read_parquet_file(path, state)

    def __iter__(self) -> Iterator[pa.Table]:
        capture = isinstance(self.format, CaptureJsonFormat)
        state = S.ReadState(
            chunk_rows=self.chunk_rows,
            block_bytes=self.block_bytes,
            start=self.start_time if capture else None,
            end=self.end_time if capture else None,
        )
        self.skips, self.files_read, self.rows, self.records, self.layout = SkipCounts.zero(), 0, 0, 0, None
        batcher = _Rebatcher(self.chunk_rows)
        for path in self.files:
            for table in self._file_tables(path, state):
                self.skips, self.layout, self.records = state.skips, state.layout, state.records
                for chunk in batcher.push(table):
                    self.rows += chunk.num_rows
                    yield chunk
            self.files_read += 1
            self.skips, self.layout, self.records = state.skips, state.layout, state.records
        for chunk in batcher.flush():
            self.rows += chunk.num_rows
            yield chunk
        if self.rows == 0:
            raise DatasetError(self._empty_message(capture))

    def _empty_message(self, capture: bool) -> str:
        counts = self.skips.to_dict()
        skipped = (f"skipped {counts}" if counts else
                   "none skipped: the records hold no fields" if self.records else "none skipped")
        if capture and (self.start_time is not None or self.end_time is not None):
            start = format_inference_time(self.start_time) if self.start_time else "-inf"
            end = format_inference_time(self.end_time) if self.end_time else "+inf"
            return (
                f"no capture records with inferenceTime in [{start}, {end}) under {self.source}: "
                f"{self.records} records in {self.files_read} files, {skipped}"
            )
        return (
            f"no records could be read from {self.source}: {self.records} records in "
            f"{self.files_read} files, {skipped}"
        )


def _as_preprocessor(
    value: Preprocessor | Callable[..., Any] | str | PathLike[str] | None,
) -> Preprocessor | None:
    if value is None or isinstance(value, Preprocessor):
        return value
    if isinstance(value, (str, PathLike)):
        return load_preprocessor(value)
    if callable(value):
        return Preprocessor(value, getattr(value, "__name__", repr(value)))
    raise InvalidParameterError(f"preprocessor must be a path, a callable or None, got {type(value).__name__}")


def iter_dataset(
    source: str | PathLike[str],
    fmt: DatasetFormat | str | dict[str, Any],
    *,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
    preprocessor: Preprocessor | Callable[..., Any] | str | PathLike[str] | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> DatasetReader:
    """Open a dataset for streaming as ``pyarrow.Table`` chunks.

    Parameters
    ----------
    source : str or path-like
        A file, or a folder searched recursively (files sorted; hidden and ``_*`` names
        left out; capture formats read only ``*.jsonl`` / ``*.json`` files).
    fmt : DatasetFormat, str or dict
        The ``dataset_format`` (see :func:`~sagewatch.datasets.formats.parse_dataset_format`).
    start_time, end_time : datetime, optional
        Capture formats only: keep records with ``start_time <= inferenceTime < end_time``
        (naive values are UTC). Records without a parseable time are skipped
        (``bad_inference_time``) when a window is given.
    chunk_rows : int
        Rows per yielded table (the last may have fewer).
    preprocessor : Preprocessor, callable, path or None
        A ``preprocess_handler`` (or the path of its script) called once per record;
        not allowed with parquet.
    block_bytes : int
        Bytes of JSON Lines parsed at once; bounds memory.

    Returns
    -------
    DatasetReader
        Iterate it; ``.skips``, ``.files_read`` and ``.layout`` are filled as it goes.

    Raises
    ------
    DatasetError
        At once: unknown format, missing source, no data files found under ``source``.
        At the end of the iteration: no row at all (for capture formats with a window,
        the message names the window).
    JobError
        From the pre-processor script.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (pathlib.Path(folder) / "a.csv").write_text("x,y\\n1,\\n2,b\\n")
    ...     reader = iter_dataset(folder, '{"csv": {"header": true}}')
    ...     print([t.to_pydict() for t in reader], reader.files_read)
    [{'x': ['1', '2'], 'y': [None, 'b']}] 1
    """
    return DatasetReader(
        source,
        fmt,
        start_time=start_time,
        end_time=end_time,
        chunk_rows=chunk_rows,
        preprocessor=preprocessor,
        block_bytes=block_bytes,
    )
