"""The declared schema of the row sample in ``sagewatch_report.json`` (our own file, read back as a baseline).

Only the ``sample`` block is read back (by the multivariate MMD test); the rest of the report is
ignored when reading. ``data`` holds one row per sampled record, one finite number or ``null`` per
column, in the order of ``columns``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import PlainValidator, model_validator

from sagewatch.schemas.validation import Count, Document, Name, expected

__all__ = ["ReportFile", "SampleBlock"]


def _rows(value: Any) -> tuple[tuple[float, ...], ...]:
    # one pass over plain lists: at most REPORT_SAMPLE_ROWS rows of a few numbers each
    if not isinstance(value, list):
        raise expected("a list of rows, each a list of numbers or nulls")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list):
            raise expected("a list of numbers or nulls", at=(i,), found=row)
        for j, item in enumerate(row):
            if item is not None and (isinstance(item, bool) or not isinstance(item, (int, float))
                                     or not math.isfinite(item)):
                raise expected("a finite number or null", at=(i, j), found=item)
        rows.append(tuple(math.nan if item is None else float(item) for item in row))
    return tuple(rows)


Rows = Annotated[tuple[tuple[float, ...], ...], PlainValidator(_rows)]


class SampleBlock(Document):
    columns: list[Name]
    rows_seen: Count | None = None
    data: Rows = ()

    @model_validator(mode="after")
    def _rectangular(self) -> SampleBlock:
        if len(set(self.columns)) != len(self.columns):
            repeated = next(n for i, n in enumerate(self.columns) if n in self.columns[:i])
            raise expected("column names used once", at=("columns",), found=repeated)
        for i, row in enumerate(self.data):
            if len(row) != len(self.columns):
                raise expected(f"a row of {len(self.columns)} values (one per column)", at=("data", i),
                               found=list(row))
        return self


class ReportFile(Document):
    sample: SampleBlock | None = None
