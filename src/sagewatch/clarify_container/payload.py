"""What the Clarify container sends to a model endpoint and how it reads the answers (contract §7.2, ``predictor``).

Requests (``content_type``, default: the dataset's type when it is CSV or JSON Lines, else CSV):

- ``text/csv``: one line per record, no header;
- ``application/jsonlines``: one line per record, ``content_template`` with ``$features`` replaced by the JSON list
  of the record's values (default template ``$features``);
- ``application/json``: ``content_template`` with ``$records`` (a JSON list of all records of the batch) or
  ``$record`` (one record per request), each record made by ``record_template``: ``$features`` (the values),
  ``$feature_names`` (the names), ``$features_kvp`` (``"name": value`` pairs) or ``"${name}"`` per feature.

Answers (``accept_type``, default the content type): CSV columns are selected by ``label`` / ``probability`` as
zero-based indexes; JSON Lines records and a JSON document by ``label`` / ``probability`` as JMESPath
expressions (for a JSON document, expressions that give one value per record, e.g. ``predictions[*].score``).
Without either setting the whole answer is the prediction: one value per record, or a row of scores.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jmespath
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from sagewatch.clarify.predictions import ModelAnswers
from sagewatch.errors import InvalidParameterError, ModelResponseError
from sagewatch.schemas.clarify_config import PredictorConfig

__all__ = ["CSV", "JSONLINES", "JSON", "PayloadFormat", "payload_format", "encode_records", "batches",
           "parse_answers", "MAX_PAYLOAD_BYTES"]

CSV, JSONLINES, JSON = "text/csv", "application/jsonlines", "application/json"
MAX_PAYLOAD_BYTES = 5 * 1024 * 1024  # InvokeEndpoint takes at most 6 MB; room left for the template
MAX_BATCH_RECORDS = 10_000
_PLACEHOLDER = re.compile(r'"\$\{([^}]*)\}"')


@dataclass(frozen=True)
class PayloadFormat:
    """How records are sent and answers read."""

    content_type: str
    accept_type: str
    content_template: str | None
    record_template: str | None
    label: str | int | None
    probability: str | int | None
    feature_names: tuple[str, ...]


def payload_format(predictor: PredictorConfig, dataset_type: str, feature_names: Sequence[str]) -> PayloadFormat:
    """The request and answer formats of ``predictor`` (defaults as the module says).

    >>> from sagewatch.schemas.clarify_config import PredictorConfig
    >>> payload_format(PredictorConfig(endpoint_name="e"), "application/x-parquet", ["a"]).content_type
    'text/csv'
    """
    content = predictor.content_type or (dataset_type if dataset_type in (CSV, JSONLINES) else CSV)
    if content not in (CSV, JSONLINES, JSON):
        raise InvalidParameterError(f"predictor.content_type {content} is not supported: sagewatch sends tabular "
                                    f"records as {CSV}, {JSONLINES} or {JSON}")
    if content == JSON and (not predictor.content_template or "$record" not in predictor.content_template
                            or not predictor.record_template):
        raise InvalidParameterError("predictor.content_type application/json needs a content_template with $records "
                                    "or $record and a record_template")
    if content == JSONLINES and predictor.content_template and "$features" not in predictor.content_template:
        raise InvalidParameterError(f"predictor.content_template {predictor.content_template!r} has no $features "
                                    "marker to put the record's features in")
    accept = predictor.accept_type or content
    return PayloadFormat(content, accept, predictor.content_template, predictor.record_template, predictor.label,
                         predictor.probability, tuple(str(f) for f in feature_names))


def _csv_lines(records: np.ndarray) -> list[bytes]:
    table = pa.table({f"c{j}": pa.array(records[:, j].tolist()) for j in range(records.shape[1])})
    out = io.BytesIO()
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    lines = out.getvalue().split(b"\n")[:-1]
    if len(lines) != len(records):
        raise InvalidParameterError("a text feature holds a line break; such records cannot be sent as text/csv")
    return lines


def _value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _record_json(fmt: PayloadFormat, row: list[Any]) -> str:
    template = fmt.record_template or "$features"
    text = _PLACEHOLDER.sub(lambda m: json.dumps(row[fmt.feature_names.index(m.group(1))])
                            if m.group(1) in fmt.feature_names else m.group(0), template)
    text = text.replace("$features_kvp", ", ".join(f"{json.dumps(n)}: {json.dumps(v)}"
                                                   for n, v in zip(fmt.feature_names, row)))
    text = text.replace("$feature_names", json.dumps(list(fmt.feature_names)))
    return text.replace("$features", json.dumps(row))


def encode_records(fmt: PayloadFormat, records: np.ndarray) -> list[bytes]:
    """One encoded piece per record: a CSV line, a JSON line, or a JSON record (joined by :func:`batches`)."""
    if fmt.content_type == CSV:
        return _csv_lines(records)
    rows = [[_value(v) for v in row] for row in records.tolist()]  # JSON is written record by record
    if fmt.content_type == JSONLINES:
        template = fmt.content_template or "$features"
        return [template.replace("$features", json.dumps(row)).encode() for row in rows]
    return [_record_json(fmt, row).encode() for row in rows]


def batches(fmt: PayloadFormat, pieces: list[bytes]) -> list[tuple[int, int, bytes]]:
    """``(start, stop, body)`` requests holding every record once, each body under :data:`MAX_PAYLOAD_BYTES`.

    >>> fmt = PayloadFormat(CSV, CSV, None, None, None, None, ("a",))
    >>> [(a, b, body) for a, b, body in batches(fmt, [b"1", b"2"])]
    [(0, 2, b'1\\n2')]
    """
    single = fmt.content_type == JSON and "$records" not in (fmt.content_template or "")
    sizes = np.fromiter((len(p) + 1 for p in pieces), dtype=np.int64, count=len(pieces))
    too_big = np.flatnonzero(sizes > MAX_PAYLOAD_BYTES)
    if too_big.size:
        raise InvalidParameterError(f"record {int(too_big[0])} alone is larger than the {MAX_PAYLOAD_BYTES} bytes "
                                    "an endpoint request may hold")
    out, start = [], 0
    ends = np.cumsum(sizes)
    while start < len(pieces):
        if single:
            stop = start + 1
        else:
            base = ends[start - 1] if start else 0
            stop = int(np.searchsorted(ends, base + MAX_PAYLOAD_BYTES, side="right"))
            stop = max(start + 1, min(stop, start + MAX_BATCH_RECORDS))
        out.append((start, stop, _body(fmt, pieces[start:stop])))
        start = stop
    return out


def _body(fmt: PayloadFormat, pieces: list[bytes]) -> bytes:
    if fmt.content_type == JSON:
        template = fmt.content_template or "$records"
        if "$records" in template:
            return template.replace("$records", "[" + ",".join(p.decode() for p in pieces) + "]").encode()
        return template.replace("$record", pieces[0].decode()).encode()
    return b"\n".join(pieces)


def _array(values: list[Any], what: str) -> np.ndarray:
    try:
        array = np.array(values)
    except ValueError:
        raise ModelResponseError(f"the model's {what} have different lengths from record to record") from None
    if array.dtype.kind in "US":
        array = array.astype(object)
    return array


def _csv_answers(fmt: PayloadFormat, body: bytes) -> ModelAnswers:
    if not body.strip():
        raise ModelResponseError("the model answered an empty text/csv body")
    if not body.endswith(b"\n"):
        body += b"\n"  # Arrow's reader needs the last line ended
    try:
        table = pacsv.read_csv(io.BytesIO(body), read_options=pacsv.ReadOptions(autogenerate_column_names=True),
                               convert_options=pacsv.ConvertOptions(strings_can_be_null=False))
    except pa.ArrowInvalid as error:
        raise ModelResponseError(f"the model's text/csv answer cannot be read: {error}") from error
    columns = [table.column(i).to_numpy(zero_copy_only=False) for i in range(table.num_columns)]

    def pick(index: str | int | None, what: str) -> np.ndarray | None:
        if index is None:
            return None
        if not isinstance(index, int) and not (isinstance(index, str) and index.isdigit()):
            raise ModelResponseError(f"predictor.{what} {index!r} must be a column index for a text/csv answer")
        if int(index) >= len(columns):
            raise ModelResponseError(f"predictor.{what} is column {index} but the model answered {len(columns)} "
                                     "columns")
        return columns[int(index)]

    labels, scores = pick(fmt.label, "label"), pick(fmt.probability, "probability")
    if labels is None and scores is None:
        whole = np.column_stack(columns) if len(columns) > 1 else columns[0]
        if whole.dtype.kind == "f" or (whole.ndim == 2 and whole.dtype.kind in "iu"):
            return ModelAnswers(scores=whole)
        return ModelAnswers(labels=whole.astype(object) if whole.dtype.kind in "OUS" else whole)
    return ModelAnswers(labels=labels, scores=scores)


def _select(documents: list[Any], path: str | int | None, what: str) -> list[Any] | None:
    if path is None:
        return None
    expression = jmespath.compile(str(path))
    values = [expression.search(d) for d in documents]  # one JMESPath search per answer record
    missing = [i for i, v in enumerate(values) if v is None]
    if missing:
        raise ModelResponseError(f"predictor.{what} {path!r} finds nothing in answer record {missing[0]}")
    return values


def _json_answers(fmt: PayloadFormat, documents: list[Any]) -> ModelAnswers:
    labels = _select(documents, fmt.label, "label")
    scores = _select(documents, fmt.probability, "probability")
    if labels is None and scores is None:
        if any(isinstance(d, dict) for d in documents):
            raise ModelResponseError("the model answers JSON objects: set predictor.label and/or "
                                     "predictor.probability to the keys of the prediction")
        whole = _array(documents, "predictions")
        return ModelAnswers(scores=whole) if whole.dtype.kind == "f" or whole.ndim == 2 else ModelAnswers(labels=whole)
    return ModelAnswers(labels=_array(labels, "labels") if labels is not None else None,
                        scores=_array(scores, "scores") if scores is not None else None)


def parse_answers(fmt: PayloadFormat, body: bytes) -> ModelAnswers:
    """The answers of one response body.

    >>> fmt = PayloadFormat(CSV, JSONLINES, None, None, "predicted_label", "probability", ("a",))
    >>> answers = parse_answers(fmt, b'{"predicted_label": 1, "probability": 0.9}\\n'
    ...                              b'{"predicted_label": 0, "probability": 0.2}')
    >>> answers.labels.tolist(), answers.scores.tolist()
    ([1, 0], [0.9, 0.2])
    """
    accept = fmt.accept_type.split(";", 1)[0].strip()
    if accept == CSV:
        return _csv_answers(fmt, body)
    try:
        text = body.decode("utf-8")
        if accept == JSONLINES:
            lines = [line for line in text.splitlines() if line.strip()]
            documents = json.loads("[" + ",".join(lines) + "]")
        else:
            document = json.loads(text)
            if fmt.label is None and fmt.probability is None:
                documents = document if isinstance(document, list) else [document]
            else:
                labels = _whole(document, fmt.label, "label")
                scores = _whole(document, fmt.probability, "probability")
                return ModelAnswers(labels=_array(labels, "labels") if labels is not None else None,
                                    scores=_array(scores, "scores") if scores is not None else None)
    except (UnicodeDecodeError, ValueError) as error:
        raise ModelResponseError(f"the model's {accept} answer is not valid JSON: {error}") from error
    return _json_answers(fmt, documents)


def _whole(document: Any, path: str | int | None, what: str) -> list[Any] | None:
    if path is None:
        return None
    found = jmespath.search(str(path), document)
    if not isinstance(found, list):
        raise ModelResponseError(f"predictor.{what} {path!r} must find a list of predictions in the JSON answer, "
                                 f"found {type(found).__name__}")
    return found
