"""The ``dataset_format`` of a processing job, parsed into a typed value (contract §4.2).

Accepted forms (a JSON string or a dict)::

    {"csv": {"header": true, "output_columns_position": "START"}}
    {"json": {"lines": true}}            # "line" is accepted for "lines"
    {"parquet": {}}
    {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
    {"sagemakerMergeJson": {"captureIndexNames": ["endpointOutput"]}}

Other keys (e.g. ``compression``, ignored by the analyzer, contract §4.3) are ignored.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sagewatch.capture.flatten import DEFAULT_CAPTURE_INDEX_NAMES
from sagewatch.errors import DatasetFormatError
from sagewatch.schemas.dataset_format_model import OPTIONS_MODELS, CaptureOptions, CsvOptions, JsonOptions
from sagewatch.schemas.files import parse_json_text
from sagewatch.schemas.validation import describe, validate_document

__all__ = [
    "DatasetFormat",
    "CsvFormat",
    "JsonFormat",
    "ParquetFormat",
    "CaptureJsonFormat",
    "MergeJsonFormat",
    "KNOWN_FORMATS",
    "parse_dataset_format",
]

_SOURCE = "dataset_format"

@dataclass(frozen=True)
class DatasetFormat(ABC):
    """Base class of the dataset formats; ``name`` is the key used in ``dataset_format``."""

    name: ClassVar[str] = ""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Return the ``dataset_format`` dict for this format."""

    def to_json(self) -> str:
        """Return ``dataset_format`` as the SDK writes it (``json.dumps`` with its default spaces)."""
        return json.dumps(self.to_dict())


@dataclass(frozen=True)
class CsvFormat(DatasetFormat):
    """CSV files.

    Attributes
    ----------
    header : bool
        The first line of every file holds column names (SDK default for baselining: true).
        Without a header, columns are named ``_c0``, ``_c1``, ...
    output_columns_position : {"START", "END"}
        Where the model output / label columns sit in each row; carried for consumers.
    """

    name: ClassVar[str] = "csv"
    header: bool = True
    output_columns_position: str = "START"

    def to_dict(self) -> dict[str, Any]:
        return {"csv": {"header": self.header, "output_columns_position": self.output_columns_position}}


@dataclass(frozen=True)
class JsonFormat(DatasetFormat):
    """JSON files: JSON Lines (``lines=True``) or one JSON array per file."""

    name: ClassVar[str] = "json"
    lines: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"json": {"lines": self.lines}}


@dataclass(frozen=True)
class ParquetFormat(DatasetFormat):
    """Parquet files, read as they are."""

    name: ClassVar[str] = "parquet"

    def to_dict(self) -> dict[str, Any]:
        return {"parquet": {}}


@dataclass(frozen=True)
class CaptureJsonFormat(DatasetFormat):
    """Data-capture JSON Lines; ``capture_index_names`` are the ``captureData`` parts to read."""

    name: ClassVar[str] = "sagemakerCaptureJson"
    capture_index_names: tuple[str, ...] = DEFAULT_CAPTURE_INDEX_NAMES

    def to_dict(self) -> dict[str, Any]:
        return {self.name: {"captureIndexNames": list(self.capture_index_names)}}


@dataclass(frozen=True)
class MergeJsonFormat(CaptureJsonFormat):
    """Capture records merged with ground truth (model-quality monitoring, contract §2.3)."""

    name: ClassVar[str] = "sagemakerMergeJson"


KNOWN_FORMATS: dict[str, type[DatasetFormat]] = {
    cls.name: cls for cls in (CsvFormat, JsonFormat, ParquetFormat, CaptureJsonFormat, MergeJsonFormat)
}


def parse_dataset_format(value: str | Mapping[str, Any] | DatasetFormat) -> DatasetFormat:
    """Parse ``dataset_format`` (a JSON string, a dict or an already parsed format).

    Raises
    ------
    DatasetFormatError
        (a :class:`~sagewatch.errors.SchemaError` and a :class:`~sagewatch.errors.DatasetError`, source
        ``dataset_format``) Invalid or too deeply nested JSON, not exactly one format key, an unknown
        format (the message lists the known ones) or an option that breaks its declared schema
        (:mod:`sagewatch.schemas.dataset_format_model`; the message names the option, e.g. ``csv.header``).

    Examples
    --------
    >>> parse_dataset_format('{"csv": {"header": true, "output_columns_position": "START"}}')
    CsvFormat(header=True, output_columns_position='START')
    >>> parse_dataset_format({"json": {"line": False}})
    JsonFormat(lines=False)
    >>> parse_dataset_format('{"sagemakerMergeJson":{"captureIndexNames":["endpointOutput"]}}')
    MergeJsonFormat(capture_index_names=('endpointOutput',))
    >>> parse_dataset_format({"sagemakerCaptureJson": {}}).capture_index_names
    ('endpointInput', 'endpointOutput')
    """
    if isinstance(value, DatasetFormat):
        return value
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DatasetFormatError(f"not UTF-8 text: {exc.reason} at offset {exc.start}", source=_SOURCE) from exc
    if isinstance(value, str):
        value = parse_json_text(value, source=_SOURCE, error=DatasetFormatError)
    if not isinstance(value, Mapping) or len(value) != 1:
        raise DatasetFormatError(f"expected an object with exactly one of {sorted(KNOWN_FORMATS)}, "
                                 f"found {describe(value) if not isinstance(value, Mapping) else f'the keys {sorted(value)}'}",
                                 source=_SOURCE)
    (fmt, options), = value.items()
    if fmt not in KNOWN_FORMATS:
        raise DatasetFormatError(f"unknown dataset_format {fmt!r}; known formats: {sorted(KNOWN_FORMATS)}", source=_SOURCE)
    parsed = validate_document(OPTIONS_MODELS[fmt], {} if options is None else options, source=_SOURCE,
                               at=(fmt,), error=DatasetFormatError)
    if isinstance(parsed, CsvOptions):
        return CsvFormat(header=parsed.header, output_columns_position=parsed.output_columns_position)
    if isinstance(parsed, JsonOptions):
        return JsonFormat(lines=parsed.is_lines)
    if isinstance(parsed, CaptureOptions):
        names = parsed.captureIndexNames or DEFAULT_CAPTURE_INDEX_NAMES
        return KNOWN_FORMATS[fmt](capture_index_names=names)  # type: ignore[call-arg]
    return ParquetFormat()
