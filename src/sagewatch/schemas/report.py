"""``sagewatch_report.json``: sagewatch's own report next to SageMaker's files — the one home of its layout.

Writing: :func:`report_document` lays out the top-level blocks in their fixed order (the engine fills
them: ``report/extra.py``). Reading: :func:`load_report` checks a file against :class:`ReportFile`
without numpy or sketches (for the HTML report and the coming web dashboard); the multivariate MMD test
reads the ``sample`` block of a baseline's report. ``data`` holds one row per sampled record, one finite
number or ``null`` per column, in the order of ``columns``.

Layout (version ``1.0``)::

    version, generator,
    dataset: {item_count, skipped_records: {reason: count}, skipped_total},
    violations, baseline_drift: {feature: {distance, ...}}      (monitoring runs)
    features: [{name, kind, measures: [...]}], multivariate     (monitoring runs with baseline statistics)
    sample: {columns, rows_seen, data}
    feature_attribution: {explainer, agg_method, records_explained,                  (explainability runs)
                          threshold, labels: {label: {ndcg, violated, shift}}}      (monitoring runs)
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import PlainValidator, model_validator

from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.validation import Count, Document, Name, expected, validate_document

__all__ = ["REPORT_FILE", "REPORT_VERSION", "ReportFile", "SampleBlock", "DatasetBlock", "report_document",
           "check_report", "load_report"]

REPORT_FILE = "sagewatch_report.json"
REPORT_VERSION = "1.0"


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


class DatasetBlock(Document):
    item_count: Count
    skipped_records: dict[str, Count] = {}
    skipped_total: Count = 0


class ReportFile(Document):
    version: str | None = None
    generator: str | None = None
    dataset: DatasetBlock | None = None
    violations: Count | None = None
    baseline_drift: dict[str, dict[str, Any]] | None = None
    features: list[dict[str, Any]] | None = None
    multivariate: dict[str, Any] | None = None
    sample: SampleBlock | None = None
    feature_attribution: dict[str, Any] | None = None


def report_document(*, generator: str, item_count: int, skips: dict[str, int], violations: int | None = None,
                    baseline_drift: dict[str, Any] | None = None, features: list[dict[str, Any]] | None = None,
                    multivariate: dict[str, Any] | None = None, sample: dict[str, Any] | None = None,
                    feature_attribution: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report's top-level layout, blocks in their fixed order; absent blocks are left out.

    >>> list(report_document(generator="sagewatch 0", item_count=3, skips={"bad_json": 1}, violations=0))
    ['version', 'generator', 'dataset', 'violations']
    """
    document: dict[str, Any] = {
        "version": REPORT_VERSION,
        "generator": generator,
        "dataset": {"item_count": item_count, "skipped_records": dict(skips),
                    "skipped_total": int(sum(skips.values()))},
    }
    for key, value in (("violations", violations), ("baseline_drift", baseline_drift), ("features", features),
                       ("multivariate", multivariate), ("sample", sample),
                       ("feature_attribution", feature_attribution)):
        if value is not None:
            document[key] = value
    return document


def check_report(document: Any, *, source: str = REPORT_FILE) -> ReportFile:
    """Check a parsed ``sagewatch_report.json``; :class:`~sagewatch.errors.SchemaError` names ``source`` and the field."""
    return validate_document(ReportFile, document, source=source)


def load_report(path: Any, what: str = "sagewatch report") -> ReportFile:
    """Read and check a ``sagewatch_report.json`` file."""
    return check_report(read_json_file(path, what), source=str(path))
