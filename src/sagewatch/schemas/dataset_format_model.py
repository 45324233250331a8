"""The declared schema of a processing job's ``dataset_format`` options (contract §4.2).

One key names the format; its value holds the options below (``null`` or absent options take the
defaults; unknown options such as ``compression`` are ignored, as the analyzer does, contract §4.3).
Booleans may be written as ``"true"``/``"false"`` text, ``output_columns_position`` in any case.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import PlainValidator

from sagewatch.schemas.validation import Document, expected

__all__ = ["CsvOptions", "JsonOptions", "ParquetOptions", "CaptureOptions", "OPTIONS_MODELS"]

def _bool_like(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise expected("true or false")


def _position(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() in ("START", "END"):
        return value.strip().upper()
    raise expected("START or END")


def _index_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise expected("a non-empty list of names")
    for i, name in enumerate(value):
        if not isinstance(name, str) or not name:
            raise expected("a non-empty string", at=(i,), found=name)
    return tuple(value)


BoolLike = Annotated[bool, PlainValidator(_bool_like)]
Position = Annotated[str, PlainValidator(_position)]
IndexNames = Annotated[tuple[str, ...], PlainValidator(_index_names)]


class CsvOptions(Document):
    header: BoolLike = True
    output_columns_position: Position = "START"


class JsonOptions(Document):
    lines: BoolLike | None = None
    line: BoolLike | None = None  # accepted for "lines"

    @property
    def is_lines(self) -> bool:
        return next((v for v in (self.lines, self.line) if v is not None), True)


class ParquetOptions(Document):
    pass


class CaptureOptions(Document):
    captureIndexNames: IndexNames | None = None  # noqa: N815 - the contract's spelling; None: the default parts


OPTIONS_MODELS: dict[str, type[Document]] = {
    "csv": CsvOptions, "json": JsonOptions, "parquet": ParquetOptions,
    "sagemakerCaptureJson": CaptureOptions, "sagemakerMergeJson": CaptureOptions,
}
