"""``DataProcessing`` of a transform job: ``InputFilter``, ``JoinSource`` and ``OutputFilter`` (DG "Associate
prediction results with input records").

- ``InputFilter`` selects from every input record before it is sent (a CSV record is the array of its columns;
  a JSON record its parsed value); the selection is written back as CSV (columns joined by commas) or JSON.
- ``JoinSource: Input`` joins every output record with its *original* input record: CSV input gets the output's
  columns appended; a JSON object input gets the key ``SageMakerOutput``; any other JSON input becomes
  ``{"SageMakerInput": <input>, "SageMakerOutput": <output>}``. A ``MultiRecord`` answer must then hold one line
  per record sent.
- ``OutputFilter`` selects from every output record (the joined one with ``JoinSource: Input``).

Whether a record is JSON follows the ``ContentType`` (input) and the answer's type (output): a media type naming
``json`` (``application/json``, ``application/jsonlines``); everything else is CSV.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sagewatch.localstack.sagemaker.transform.jsonpath import JsonPath, JsonPathError, parse_jsonpath
from sagewatch.localstack.sagemaker.transform.records import RecordError, Records

__all__ = ["DataProcessing", "is_json_type"]

OUTPUT_KEY = "SageMakerOutput"
INPUT_KEY = "SageMakerInput"


def is_json_type(content_type: str | None) -> bool:
    return bool(content_type) and "json" in str(content_type).lower()


def _csv_row(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) != 1:
        raise RecordError(f"a CSV record must be one line, found {len(rows)}")
    return rows[0]


def _csv_text(value: Any) -> str:
    if not isinstance(value, list):
        value = [value]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(
        [json.dumps(item) if isinstance(item, (dict, list)) else item for item in value])
    return buffer.getvalue()


def _scalar(text: str) -> Any:
    """A CSV cell as the JSON value it spells (``0.9`` → 0.9), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class DataProcessing:
    """The parsed ``DataProcessing`` of a request and the record types it works on."""

    input_filter: JsonPath
    output_filter: JsonPath
    join_input: bool
    input_json: bool

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> DataProcessing | None:
        """None when the request's ``DataProcessing`` changes nothing (absent, or ``$``/``$``/``None``).

        Raises
        ------
        JsonPathError
            A filter outside the supported subset.
        """
        settings = request.get("DataProcessing") or {}
        processing = cls(parse_jsonpath(settings.get("InputFilter") or "$"),
                         parse_jsonpath(settings.get("OutputFilter") or "$"),
                         (settings.get("JoinSource") or "None") == "Input",
                         is_json_type((request.get("TransformInput") or {}).get("ContentType")))
        if processing.input_filter.identity and processing.output_filter.identity and not processing.join_input:
            return None
        return processing

    # --- input -----------------------------------------------------------------------------------------------

    def _parse(self, record: bytes, as_json: bool) -> Any:
        text = record.decode("utf-8")
        if as_json:
            try:
                return json.loads(text)
            except ValueError as error:
                raise RecordError(f"not JSON: {error}") from error
        return _csv_row(text)

    def filter_records(self, records: Records) -> Records:
        """The records with ``InputFilter`` applied, one for one (so record numbers stay the file's).

        Examples
        --------
        >>> from sagewatch.localstack.sagemaker.transform.records import split_records
        >>> p = DataProcessing(parse_jsonpath("$[1:]"), parse_jsonpath("$"), False, False)
        >>> r = p.filter_records(split_records(b"7,1,2\\n8,3,4\\n", "Line"))
        >>> [r.data[s:e] for s, e in zip(r.starts, r.ends)]
        [b'1,2', b'3,4']
        """
        if self.input_filter.identity or len(records) == 0:
            return records
        filtered = []
        for index, (start, end) in enumerate(zip(records.starts.tolist(), records.ends.tolist())):
            try:
                value = self.input_filter.apply(self._parse(records.data[start:end], self.input_json))
            except (RecordError, JsonPathError, UnicodeDecodeError) as error:
                raise RecordError(f"InputFilter {self.input_filter.text}: record {index + 1}: {error}") from error
            filtered.append((json.dumps(value) if self.input_json else _csv_text(value)).encode("utf-8"))
        lengths = np.fromiter((len(item) for item in filtered), dtype=np.int64, count=len(filtered))
        starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
        return Records(b"\n".join(filtered), starts, starts + lengths)

    # --- output ----------------------------------------------------------------------------------------------

    def process_answer(self, originals: Sequence[bytes], answer: bytes, output_json: bool,
                       first_record: int) -> tuple[bytes, bool]:
        """The answer to *originals* (the request's input records, unfiltered) joined and filtered; and
        whether the result is JSON.

        Examples
        --------
        >>> p = DataProcessing(parse_jsonpath("$[1:]"), parse_jsonpath("$[0,-1]"), True, False)
        >>> p.process_answer([b"id-1,1,2", b"id-2,3,4"], b"0.1\\n0.9", False, 0)
        (b'id-1,0.1\\nid-2,0.9', False)
        """
        text = answer.decode("utf-8")
        if len(originals) == 1:
            outputs = [text[:-1] if text.endswith("\n") else text]
        else:
            outputs = text.split("\n")
            if outputs and outputs[-1] == "":
                outputs.pop()
            if len(outputs) != len(originals):
                raise RecordError(f"the model answered {len(outputs)} record(s) for the {len(originals)} sent; "
                                  "DataProcessing needs one output line per input record")
        result_json = self.input_json if self.join_input else output_json
        lines = []
        for offset, (original, output) in enumerate(zip(originals, outputs)):
            try:
                if output_json:
                    value = json.loads(output)
                else:
                    cells = [_scalar(cell) for cell in _csv_row(output)] if output else [""]
                    value = cells[0] if len(cells) == 1 else cells
                if self.join_input:
                    value = self._joined(self._parse(original, self.input_json), value, output_json, output)
                value = self.output_filter.apply(value)
            except (RecordError, JsonPathError, ValueError) as error:
                raise RecordError(f"record {first_record + offset + 1}: {error}") from error
            lines.append(json.dumps(value) if result_json else _csv_text(value))
        return "\n".join(lines).encode("utf-8"), result_json

    def _joined(self, record: Any, value: Any, output_json: bool, output: str) -> Any:
        if not self.input_json:
            return [*record, *(_csv_row(output) if not output_json else [output])]
        if isinstance(record, dict):
            return {**record, OUTPUT_KEY: value}
        return {INPUT_KEY: record, OUTPUT_KEY: value}
