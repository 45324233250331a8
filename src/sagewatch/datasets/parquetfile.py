"""Open Parquet files with errors that name the file, and refuse ambiguous column names.

Shared by the streaming reader (:func:`read_parquet_file`) and the column-by-column
profiler (:mod:`sagewatch.profile.columnar`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sagewatch.datasets.textfiles import read_error
from sagewatch.errors import SchemaError

__all__ = ["open_parquet", "read_parquet_file", "parquet_read_error"]


def parquet_read_error(path: Path, exc: BaseException, *, records: int | None = None) -> Exception:
    """The error naming ``path`` for a failure while reading a Parquet file."""
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return read_error(path, exc, records=records)
    after = f" after {records} rows" if records else ""  # damaged pages, bad compression, bad encodings
    return SchemaError(f"cannot read the Parquet data{after}: {exc}", source=str(path))


def open_parquet(path: Path) -> pq.ParquetFile:
    """Open a Parquet file; check that it is one and that its column names are unique.

    Raises
    ------
    SchemaError
        Not a Parquet file (or a damaged one), or two top-level columns with one name
        (pyarrow would silently read only the first of them by name).
    DatasetError
        The file cannot be read.
    """
    try:
        parquet = pq.ParquetFile(str(path))
        names = parquet.schema_arrow.names
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise SchemaError(f"not a Parquet file, or a damaged one ({exc})", source=str(path)) from exc
    except OSError as exc:
        raise read_error(path, exc) from exc
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            parquet.close()
            raise SchemaError(f"two columns have this name (columns {seen[name] + 1} and {i + 1}); "
                              "rename one of them", source=str(path), field=name)
        seen[name] = i
    return parquet


def read_parquet_file(path: Path, state) -> Iterator[pa.Table]:
    """Stream a Parquet file batch by batch, columns as they are."""
    records = 0
    with open_parquet(path) as parquet:
        try:
            for batch in parquet.iter_batches(batch_size=state.chunk_rows):
                records += batch.num_rows
                state.records += batch.num_rows
                yield pa.Table.from_batches([batch])
        except (OSError, pa.ArrowException) as exc:
            raise parquet_read_error(path, exc, records=records) from exc
