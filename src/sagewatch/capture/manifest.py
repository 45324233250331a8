"""Batch-transform capture manifests and ``GenerateInferenceId`` columns (contract §1.4).

A manifest is a JSON array whose first element names the prefix and the rest name files::

    [{"prefix":"s3://<input_S3_uri>/"}, "dummy_0.csv", "dummy_1.csv"]

With ``GenerateInferenceId: true`` every transform output record carries an inference id
and the job start time: two trailing CSV columns, or the JSON keys ``SageMakerInferenceId``
and ``SageMakerInferenceTime``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from os import PathLike
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.capture._arrow import parse_time_array
from sagewatch.schemas.capture import parse_inference_time
from sagewatch.errors import InvalidParameterError, SchemaError

__all__ = [
    "BatchManifest",
    "parse_manifest",
    "parse_manifests",
    "serialize_manifest",
    "read_manifest",
    "write_manifest",
    "GeneratedIds",
    "INFERENCE_ID_KEY",
    "INFERENCE_TIME_KEY",
    "split_generated_ids",
    "split_generated_ids_line",
]

INFERENCE_ID_KEY = "SageMakerInferenceId"
INFERENCE_TIME_KEY = "SageMakerInferenceTime"


@dataclass(frozen=True)
class BatchManifest:
    """A batch-transform capture manifest.

    Attributes
    ----------
    prefix : str
        The ``s3://`` prefix the file names are relative to.
    files : tuple of str
        File names (or relative keys) under ``prefix``.
    """

    prefix: str
    files: tuple[str, ...]

    def uris(self) -> list[str]:
        """Return the full URI of every file.

        Examples
        --------
        >>> BatchManifest("s3://b/in/", ("a.csv", "b.csv")).uris()
        ['s3://b/in/a.csv', 's3://b/in/b.csv']
        """
        head = self.prefix if self.prefix.endswith("/") or not self.prefix else self.prefix + "/"
        return [head + name.lstrip("/") for name in self.files]


def _from_json(obj: object, source: str | None, line: int | None) -> BatchManifest:
    if not isinstance(obj, list) or not obj or not isinstance(obj[0], dict):
        raise SchemaError(
            'a manifest must be a JSON array [{"prefix": ...}, "file", ...]', source=source, line=line
        )
    prefix = obj[0].get("prefix")
    if not isinstance(prefix, str):
        raise SchemaError("missing or not a string", source=source, line=line, field="prefix")
    files = obj[1:]
    if not all(isinstance(f, str) for f in files):
        raise SchemaError("file entries must be strings", source=source, line=line, field="files")
    return BatchManifest(prefix, tuple(files))


def parse_manifests(text: str | bytes, *, source: str | None = None) -> tuple[BatchManifest, ...]:
    """Parse a manifest file: one JSON array, or JSON Lines of arrays (the page calls them JSONL).

    Raises
    ------
    SchemaError
        If the text is not JSON or an array does not start with ``{"prefix": ...}``.

    Examples
    --------
    >>> parse_manifests('[{"prefix":"s3://b/in/"}, "a.csv"]\\n[{"prefix":"s3://b/x/"}]')
    (BatchManifest(prefix='s3://b/in/', files=('a.csv',)), BatchManifest(prefix='s3://b/x/', files=()))
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return (_from_json(json.loads(text), source, None),)
    except ValueError:
        pass  # not a single document: try JSON Lines
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise SchemaError(f"invalid JSON: {exc}", source=source, line=number) from exc
        out.append(_from_json(obj, source, number))
    if not out:
        raise SchemaError("empty manifest", source=source)
    return tuple(out)


def parse_manifest(text: str | bytes, *, source: str | None = None) -> BatchManifest:
    """Parse a manifest holding exactly one array (see :func:`parse_manifests`)."""
    manifests = parse_manifests(text, source=source)
    if len(manifests) != 1:
        raise SchemaError(f"expected one manifest, found {len(manifests)}", source=source)
    return manifests[0]


def serialize_manifest(manifest: BatchManifest) -> str:
    """Write a manifest the way the Developer Guide shows it (no trailing newline).

    Examples
    --------
    >>> serialize_manifest(BatchManifest("s3://b/in/", ("dummy_0.csv", "dummy_1.csv")))
    '[{"prefix":"s3://b/in/"}, "dummy_0.csv", "dummy_1.csv"]'
    """
    # Layout copied from DG model-monitor-data-capture-batch.md; no real file was available.
    head = json.dumps({"prefix": manifest.prefix}, separators=(",", ":"))
    return "[" + ", ".join([head, *(json.dumps(f) for f in manifest.files)]) + "]"


def read_manifest(path: str | PathLike[str]) -> BatchManifest:
    """Read a local manifest file holding one array."""
    p = Path(path)
    return parse_manifest(p.read_bytes(), source=str(p))


def write_manifest(path: str | PathLike[str], manifest: BatchManifest) -> None:
    """Write a manifest to a local file."""
    Path(path).write_text(serialize_manifest(manifest), encoding="utf-8")


@dataclass(frozen=True)
class GeneratedIds:
    """Records with their generated inference ids split off.

    Attributes
    ----------
    table : pyarrow.Table
        The records without the id and time columns.
    inference_ids : pyarrow.Array
        ``string``, whitespace trimmed.
    inference_times : pyarrow.Array
        ``timestamp[s, UTC]``; null where the value is not a time.
    """

    table: pa.Table
    inference_ids: pa.Array
    inference_times: pa.Array


def split_generated_ids(table: pa.Table, *, layout: str = "csv") -> GeneratedIds:
    """Split ``GenerateInferenceId`` columns off a table of transform output records.

    Parameters
    ----------
    table : pyarrow.Table
        Output records; for ``layout="csv"`` the last two columns are the id and the time,
        for ``layout="json"`` the columns ``SageMakerInferenceId`` / ``SageMakerInferenceTime``.
    layout : {"csv", "json"}

    Raises
    ------
    SchemaError
        If the id or time columns are missing.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"_c0": ["0"], "_c1": [" 1f1d57b1"], "_c2": ["2022-08-30T00:49:15Z"]})
    >>> s = split_generated_ids(t)
    >>> s.table.column_names, s.inference_ids.to_pylist(), str(s.inference_times[0])
    (['_c0'], ['1f1d57b1'], '2022-08-30 00:49:15+00:00')
    """
    if layout == "csv":
        if table.num_columns < 3:
            raise SchemaError(
                f"expected at least 3 columns (record, inference id, time), found {table.num_columns}",
                field="GenerateInferenceId",
            )
        id_col, time_col = table.column_names[-2], table.column_names[-1]
        rest = table.select(list(range(table.num_columns - 2)))
    elif layout == "json":
        missing = [k for k in (INFERENCE_ID_KEY, INFERENCE_TIME_KEY) if k not in table.column_names]
        if missing:
            raise SchemaError(f"missing columns {missing}", field=missing[0])
        id_col, time_col = INFERENCE_ID_KEY, INFERENCE_TIME_KEY
        rest = table.drop_columns([INFERENCE_ID_KEY, INFERENCE_TIME_KEY])
    else:
        raise InvalidParameterError(f"layout must be 'csv' or 'json', got {layout!r}")
    ids = pc.utf8_trim_whitespace(table.column(id_col).cast(pa.string()))
    times = pc.utf8_trim_whitespace(table.column(time_col).cast(pa.string()))
    return GeneratedIds(rest, ids.combine_chunks(), parse_time_array(times))


def split_generated_ids_line(line: str) -> tuple[str, str, datetime]:
    """Split the two trailing ``GenerateInferenceId`` columns off one CSV output line.

    Returns
    -------
    (record, inference_id, inference_time)
        ``record`` is the line's text before the two columns, unchanged.

    Raises
    ------
    SchemaError
        If the line has fewer than three columns or the last one is not a time.

    Examples
    --------
    >>> split_generated_ids_line("0, 1f1d57b1-2e6f-488c-8c30-db4e6d757861,2022-08-30T00:49:15Z")[:2]
    ('0', '1f1d57b1-2e6f-488c-8c30-db4e6d757861')
    """
    parts = line.rstrip("\r\n").rsplit(",", 2)
    if len(parts) != 3:
        raise SchemaError("expected a record followed by inference id and time", field="GenerateInferenceId")
    record, inference_id, when = parts
    try:
        parsed = parse_inference_time(when.strip())
    except ValueError as exc:
        raise SchemaError(f"not a time: {when.strip()!r}", field="SageMakerInferenceTime") from exc
    return record, inference_id.strip(), parsed
