"""Read a Clarify dataset for a bias analysis: ``dataset_type`` → a :mod:`sagewatch.datasets` reader, then
the columns named by ``headers`` (contract §7.1, §7.2).

===================================  ================================================================
``dataset_type``                     read as
===================================  ================================================================
``text/csv``                         CSV; with ``headers`` the files have no header line (a first line
                                     equal to ``headers`` is read as one all the same), without them
                                     the first line names the columns
``application/jsonlines``            JSON Lines of flat objects
``application/json``                 a JSON array of objects per file
``application/x-parquet``            Parquet
``application/sagemakercapturejson`` data-capture files (``endpointOutput`` columns first, then
                                     ``endpointInput``); ``headers`` name the columns in that order
===================================  ================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from sagewatch.clarify.bias.report import BiasReport, bias_report
from sagewatch.clarify.bias.model_labels import with_model_labels
from sagewatch.clarify.config import bias_methods, bias_spec
from sagewatch.clarify.predictions import Predictor
from sagewatch.datasets import CaptureJsonFormat, CsvFormat, DatasetFormat, JsonFormat, ParquetFormat, iter_dataset
from sagewatch.errors import DatasetError, SchemaError
from sagewatch.schemas.clarify_config import ANALYSIS_CONFIG_FILE, AnalysisConfig

__all__ = ["dataset_format_of", "read_table", "run_bias_analysis"]


def dataset_format_of(config: AnalysisConfig, *, source: str = ANALYSIS_CONFIG_FILE) -> DatasetFormat:
    """The :mod:`sagewatch.datasets` format of the config's ``dataset_type``.

    >>> from sagewatch.schemas.clarify_config import parse_analysis_config
    >>> dataset_format_of(parse_analysis_config({"dataset_type": "application/jsonlines"}))
    JsonFormat(lines=True)
    """
    kind = config.dataset_type
    if kind == "text/csv":
        return CsvFormat(header=config.headers is None)
    if kind == "application/jsonlines":
        return JsonFormat(lines=True)
    if kind == "application/json":
        return JsonFormat(lines=False)
    if kind == "application/x-parquet":
        return ParquetFormat()
    if kind == "application/sagemakercapturejson":
        return CaptureJsonFormat()
    raise SchemaError(f"dataset_type {kind} is not supported for a bias analysis (tabular data only)",
                      source=source, field="dataset_type")


def _drop_header_line(table: pa.Table, headers: tuple[str, ...]) -> pa.Table:
    if table.num_rows and all(pa.types.is_string(c.type) for c in table.columns):
        first = [table.column(i)[0].as_py() for i in range(table.num_columns)]
        if [None if v is None else v.strip() for v in first] == list(headers):
            return table.slice(1)
    return table


def read_table(source: str | Path, config: AnalysisConfig, *, start_time: datetime | None = None,
               end_time: datetime | None = None,
               fmt: DatasetFormat | None = None) -> tuple[pa.Table, dict[str, int]]:
    """The whole dataset as one table with its columns named, and the records the reader skipped."""
    fmt = fmt or dataset_format_of(config)
    reader = iter_dataset(source, fmt, start_time=start_time, end_time=end_time)
    chunks = list(reader)
    skips = dict(reader.skips.to_dict())
    table = pa.concat_tables(chunks, promote_options="permissive") if chunks else pa.table({})
    if table.num_rows == 0:
        skipped = sum(skips.values())
        raise DatasetError(f"no records to analyse in {Path(source).name}"
                           + (f" ({skipped} records skipped: {skips})" if skipped else ""))
    headers = config.headers
    if headers is not None:
        if isinstance(fmt, CsvFormat) and not fmt.header:
            table = _drop_header_line(table, headers)
        if list(table.column_names) != list(headers):
            if table.num_columns != len(headers):
                raise SchemaError(f"headers names {len(headers)} columns but the dataset has {table.num_columns} "
                                  f"({', '.join(table.column_names[:20])})", source=ANALYSIS_CONFIG_FILE,
                                  field="headers")
            table = table.rename_columns(list(headers))
    return table, skips


def run_bias_analysis(config: AnalysisConfig, source: str | Path, *, start_time: datetime | None = None,
                      end_time: datetime | None = None, fmt: DatasetFormat | None = None,
                      predictor: Predictor | None = None) -> BiasReport:
    """Read ``source`` as ``config`` says and compute its bias report (the reader's skips included).

    Post-training metrics take the predicted labels from the config's ``predicted_label`` column; without one,
    from ``predictor`` (the model's answers for the feature records, :mod:`.model_labels`).
    """
    table, skips = read_table(source, config, start_time=start_time, end_time=end_time, fmt=fmt)
    _, post = bias_methods(config)
    if post is not None and config.predicted_label is None and predictor is not None:
        table, spec, dropped = with_model_labels(table, config, predictor)
        skips = {**skips, **{k: skips.get(k, 0) + v for k, v in dropped.items()}}
    else:
        spec = bias_spec(config, table.column_names)
    report = bias_report(table, spec)
    merged: Mapping[str, int] = {**skips, **{k: skips.get(k, 0) + v for k, v in report.skips.items()}}
    return BiasReport(report.document, report.rows, dict(merged))

