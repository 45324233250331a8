"""Profile Parquet files one column at a time.

Profiles are per column, and Parquet stores columns apart: reading one column of one row group
at a time keeps memory at a single column (a file written as one huge row group would
otherwise be decoded whole) and skips building row tables at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sagewatch.defaults import SAMPLE_ROWS
from sagewatch.datasets.parquetfile import open_parquet, parquet_read_error
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.dataset import DatasetProfile, _numeric_or_nan, merge_profiles
from sagewatch.profile.infer import classify

__all__ = ["profile_parquet_files"]


def _row_group_profile(parquet: pq.ParquetFile, index: int) -> DatasetProfile:
    rows = parquet.metadata.row_group(index).num_rows
    names = parquet.schema_arrow.names
    rng = np.random.default_rng(rows)
    picked = pa.array(np.sort(rng.choice(rows, SAMPLE_ROWS, replace=False))) if rows > SAMPLE_ROWS else None
    columns, sample = {}, {}
    for name in names:
        column = parquet.read_row_group(index, columns=[name]).column(0)
        columns[name] = ColumnProfile.from_chunk(name, classify(column))
        sample[name] = _numeric_or_nan(column.take(picked) if picked is not None else column)
        del column
    return DatasetProfile(MappingProxyType(columns), rows, MappingProxyType(sample), rows)


def profile_parquet_files(paths: Iterable[Path], *, progress=None) -> DatasetProfile:
    """Profile every row group of every file, column by column, and merge.

    ``progress`` is called with the number of rows of each finished row group.
    """
    def profiles():
        for path in paths:
            with open_parquet(Path(path)) as parquet:
                for index in range(parquet.num_row_groups):
                    try:
                        profile = _row_group_profile(parquet, index)
                    except (OSError, pa.ArrowException) as e:
                        raise parquet_read_error(Path(path), e) from e
                    if progress is not None:
                        progress(profile.item_count)
                    yield profile

    return merge_profiles(profiles())
