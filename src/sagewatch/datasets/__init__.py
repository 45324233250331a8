"""Dataset readers: ``dataset_format`` parsing and streaming of csv, json, parquet and capture data.

The main entry points are re-exported here; everything else lives in its module
(``formats``, ``readers``, ``preprocessor``, ``sources``, ``files``).
"""

from sagewatch.datasets.formats import (
    CaptureJsonFormat,
    CsvFormat,
    DatasetFormat,
    JsonFormat,
    MergeJsonFormat,
    ParquetFormat,
    parse_dataset_format,
)
from sagewatch.datasets.preprocessor import InferenceRecord, Preprocessor, load_preprocessor
from sagewatch.datasets.readers import DatasetReader, iter_dataset

__all__ = [
    "DatasetFormat",
    "CsvFormat",
    "JsonFormat",
    "ParquetFormat",
    "CaptureJsonFormat",
    "MergeJsonFormat",
    "parse_dataset_format",
    "DatasetReader",
    "iter_dataset",
    "Preprocessor",
    "InferenceRecord",
    "load_preprocessor",
]
