"""Batch-transform files as capture records: what the ground-truth merge of a batch-transform execution joins.

A batch transform with ``GenerateInferenceId: true`` appends an inference id and the job's start time to every
output record (contract §1.4): two trailing CSV columns, or the JSON keys ``SageMakerInferenceId`` and
``SageMakerInferenceTime``. The labels of those records name the id in ``eventMetadata.eventId`` (§2.1), so the
merge needs each output record as a capture record whose ``eventMetadata.inferenceId`` is that id:

    {"captureData":{"endpointInput":{...,"data":"<input record>","encoding":"CSV"},
                    "endpointOutput":{...,"data":"<output record without the id columns>","encoding":"CSV"}},
     "eventMetadata":{"eventId":"<id>","inferenceId":"<id>","inferenceTime":"<time>"},"eventVersion":"0"}

:func:`transform_capture_lines` builds them in bulk with pyarrow: the output file's records, their ids split off,
paired by position with the input file's records (a transform writes one output record per input record, in
order, for ``SplitType: Line`` and ``AssembleWith: Line``). The analyses then read the merged records as they read
merged endpoint captures (``sagemakerMergeJson``). A record without a generated id keeps its text and gets no id:
the merge counts it as a capture without an id.

Readable formats: CSV (``{"csv": {"header": ...}}``; a header line is dropped from the input file, transform
outputs have none) and JSON Lines (``{"json": {"line": true}}``). Parquet files and whole-document JSON are not
record streams a transform pairs line by line; they raise :class:`~sagewatch.errors.DatasetError` saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.capture.manifest import INFERENCE_ID_KEY, INFERENCE_TIME_KEY
from sagewatch.datasets.formats import CsvFormat, DatasetFormat, JsonFormat
from sagewatch.errors import DatasetError
# the merge's bulk JSON string escaping and line splitting, shared rather than written twice
from sagewatch.quality.merge import _json_strings, _split_lines

__all__ = ["TransformRecords", "transform_capture_lines"]

# the two trailing columns of a CSV output record: ",<id>,<yyyy-mm-ddThh:mm:ss...>" (contract §1.4)
_CSV_IDS = r"^(?P<record>.*?)\s*,\s*(?P<id>[^,\s]+)\s*,\s*(?P<time>\d{4}-\d{2}-\d{2}T[^,\s]*)\s*$"
_JSON_ID = r'"' + INFERENCE_ID_KEY + r'"\s*:\s*"(?P<value>[^"\\]*)"'
_JSON_TIME = r'"' + INFERENCE_TIME_KEY + r'"\s*:\s*"(?P<value>[^"\\]*)"'
_JSON_KEYS = r'"SageMakerInference(?:Id|Time)"\s*:\s*"[^"\\]*"'


@dataclass(frozen=True)
class TransformRecords:
    """Capture-record lines of one output file (and its input file).

    Attributes
    ----------
    lines : pyarrow.Array
        ``string``: one capture record per output record, no line ends.
    records : int
        Output records read.
    without_id : int
        Output records that carry no generated inference id (``GenerateInferenceId`` was off).
    """

    lines: pa.Array
    records: int
    without_id: int


def _encoding(dataset_format: DatasetFormat, name: str) -> tuple[str, str]:
    if isinstance(dataset_format, CsvFormat):
        return "CSV", "text/csv"
    if isinstance(dataset_format, JsonFormat) and dataset_format.lines:
        return "JSON", "application/jsonlines"
    raise DatasetError(f"{name}: the ground-truth merge of batch-transform captures reads CSV or JSON Lines transform "
                       f"files, not {dataset_format.to_json()} (set BatchTransformInput.DatasetFormat to "
                       '{"Csv": {...}} or {"Json": {"Line": true}})')


def _split_ids(lines: pa.Array, json_records: bool) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(record text, inference id, inference time) of every output line; id and time null where there is none."""
    if not json_records:
        parts = pc.extract_regex(lines, _CSV_IDS)
        found = parts.is_valid()
        record = pc.if_else(found, pc.struct_field(parts, "record"), lines)
        return record, pc.struct_field(parts, "id"), pc.struct_field(parts, "time")
    ids = pc.struct_field(pc.extract_regex(lines, _JSON_ID), "value")
    times = pc.struct_field(pc.extract_regex(lines, _JSON_TIME), "value")
    # drop the two keys with the comma that joins them to their neighbour (before them, else after them)
    record = pc.replace_substring_regex(lines, r"\s*,\s*" + _JSON_KEYS, "")
    record = pc.replace_substring_regex(record, _JSON_KEYS + r"\s*,?\s*", "")
    return record, ids, times


def transform_capture_lines(output_data: bytes, input_data: bytes | None, *, dataset_format: DatasetFormat,
                            output_name: str = "output", input_name: str = "input") -> TransformRecords:
    """The capture-record lines of one transform output file, paired with its input file (see the module
    docstring); blank lines are skipped on both sides.

    Raises
    ------
    DatasetError
        The format is not CSV or JSON Lines, a file is not UTF-8, or the input file does not hold as many records
        as the output file (the names are in the message).

    Examples
    --------
    >>> out = b"0.9, 1f1d57b1,2022-08-30T00:49:15Z\\n"
    >>> r = transform_capture_lines(out, b"a,b\\n1,2\\n", dataset_format=CsvFormat(header=True))
    >>> print(r.lines[0].as_py())  # doctest: +NORMALIZE_WHITESPACE
    {"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1,2","encoding":"CSV"},\
"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.9","encoding":"CSV"}},\
"eventMetadata":{"eventId":"1f1d57b1","inferenceId":"1f1d57b1","inferenceTime":"2022-08-30T00:49:15Z"},\
"eventVersion":"0"}
    """
    encoding, content_type = _encoding(dataset_format, output_name)
    outputs = _split_lines(Path(output_name), output_data)
    record, ids, times = _split_ids(outputs, encoding == "JSON")
    ids = pc.utf8_trim_whitespace(ids)
    text = pa.large_string()

    def literal(values: pa.Array) -> pa.Array:
        return _json_strings(pc.fill_null(values, "").cast(pa.string())).cast(text)

    def part(mode: str, values: pa.Array) -> list[object]:
        return [f'"endpoint{mode.title()}":{{"observedContentType":"{content_type}","mode":"{mode}","data":',
                literal(values), f',"encoding":"{encoding}"}}']

    pieces: list[object] = ['{"captureData":{']
    if input_data is not None:
        inputs = _split_lines(Path(input_name), input_data)
        if isinstance(dataset_format, CsvFormat) and dataset_format.header and len(inputs):
            inputs = inputs.slice(1)
        if len(inputs) != len(outputs):
            raise DatasetError(f"{input_name} holds {len(inputs)} records but its transform output {output_name} "
                               f"holds {len(outputs)}: the records cannot be paired (the transform must write one "
                               "output record per input record, SplitType Line with AssembleWith Line)")
        pieces += [*part("INPUT", inputs), ","]
    pieces += [*part("OUTPUT", record), '},"eventMetadata":{"eventId":', literal(ids), ',"inferenceId":',
               literal(ids), ',"inferenceTime":', literal(times), '},"eventVersion":"0"}']
    if not len(outputs):
        return TransformRecords(pa.array([], pa.string()), 0, 0)
    lines = pc.binary_join_element_wise(*[pa.scalar(p, text) if isinstance(p, str) else p for p in pieces],
                                        pa.scalar("", text))
    without_id = int(pc.sum(pc.equal(pc.fill_null(ids, ""), "")).as_py() or 0)
    return TransformRecords(lines.cast(pa.string()), len(outputs), without_id)
