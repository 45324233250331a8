"""How a batch transform job cuts an input file into requests and puts the answers back together.

Pure functions over bytes (numpy for the record boundaries; no AWS, no LocalStack), used by
:mod:`~sagewatch.localstack.sagemaker.transform.runner`:

- :func:`decompress` undoes ``CompressionType: Gzip``;
- :func:`split_records` finds the records of a file: ``SplitType: Line`` cuts at every ``\\n`` (empty lines
  carry no record and are left out; a missing trailing newline changes nothing), ``None`` makes the whole file
  one record (an empty file has none);
- :func:`plan_batches` groups the records into requests: ``SingleRecord`` one record each, ``MultiRecord`` as
  many consecutive records as fit in ``MaxPayloadInMB`` (MiB; a request of exactly that size is allowed), the
  records joined by ``\\n``. A record larger than the limit is an error naming it;
- :func:`assemble` joins the answers of one file: ``AssembleWith: Line`` ends every answer with ``\\n`` (unless
  it ends with one already), ``None`` concatenates them as they are;
- :func:`with_inference_ids` appends ``GenerateInferenceId``'s inference id and job start time to every output
  record (contract §1.4): two CSV columns, or the keys ``SageMakerInferenceId`` / ``SageMakerInferenceTime`` of a
  JSON object.
"""

from __future__ import annotations

import gzip
import json
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sagewatch.capture.manifest import INFERENCE_ID_KEY, INFERENCE_TIME_KEY

__all__ = ["Batch", "RecordError", "Records", "assemble", "decompress", "plan_batches", "split_records",
           "with_inference_ids", "MIB"]

MIB = 1024 * 1024
_NEWLINE = 10


class RecordError(ValueError):
    """A file or record the job cannot send (undecodable, larger than ``MaxPayloadInMB``, not JSON...)."""


@dataclass(frozen=True)
class Records:
    """The records of one file: ``data[starts[i]:ends[i]]`` is record *i* (0-based), in file order.

    With ``SplitType: Line``, *data* is the file without its empty lines, so consecutive records are contiguous:
    ``data[starts[i]:ends[j]]`` is records *i..j* joined by ``\\n``.
    """

    data: bytes
    starts: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return int(self.starts.size)


@dataclass(frozen=True)
class Batch:
    """One request: records ``first..last`` (0-based, inclusive) of a file and the bytes sent."""

    first: int
    last: int
    payload: bytes

    def describe(self) -> str:
        """``record 3`` or ``records 3-7`` (1-based, as a user counts lines)."""
        if self.first == self.last:
            return f"record {self.first + 1}"
        return f"records {self.first + 1}-{self.last + 1}"


def decompress(data: bytes, compression: str) -> bytes:
    """The file's bytes for ``CompressionType`` *compression* (``None`` or ``Gzip``).

    Examples
    --------
    >>> decompress(gzip.compress(b"1,2\\n"), "Gzip")
    b'1,2\\n'
    >>> decompress(b"1,2", "None")
    b'1,2'
    """
    if compression != "Gzip":
        return data
    if not data:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise RecordError(f"the file is not gzip data (CompressionType is Gzip): {error}") from error


def split_records(data: bytes, split_type: str) -> Records:
    """The records of a file for ``SplitType`` *split_type* (``Line`` or ``None``).

    Examples
    --------
    >>> r = split_records(b"a,1\\n\\nb,2\\nc,3", "Line")
    >>> [r.data[s:e] for s, e in zip(r.starts, r.ends)]
    [b'a,1', b'b,2', b'c,3']
    >>> len(split_records(b"", "Line")), len(split_records(b"", "None")), len(split_records(b"x\\ny", "None"))
    (0, 0, 1)
    """
    if split_type == "None":
        size = len(data)
        bounds = np.array([0] if size else [], dtype=np.int64)
        return Records(data, bounds, bounds + size)
    if split_type != "Line":
        raise RecordError(f"SplitType {split_type} is not supported")
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == _NEWLINE)
    # A newline directly after another one (or at the start) ends an empty line: drop it, so that the records
    # left are contiguous and a MultiRecord payload is one slice.
    empty = np.zeros(newlines.size, dtype=bool)
    if newlines.size:
        empty[0] = newlines[0] == 0
        empty[1:] = np.diff(newlines) == 1
    if empty.any():
        keep = np.ones(raw.size, dtype=bool)
        keep[newlines[empty]] = False
        raw = raw[keep]
        data = raw.tobytes()
        newlines = np.flatnonzero(raw == _NEWLINE)
    starts = np.concatenate([[0], newlines + 1]).astype(np.int64)
    ends = np.concatenate([newlines, [raw.size]]).astype(np.int64)
    present = ends > starts  # the part after a trailing newline is no record
    return Records(data, starts[present], ends[present])


def plan_batches(records: Records, strategy: str, max_payload_bytes: int | None) -> list[Batch]:
    """The requests of one file, in order.

    Parameters
    ----------
    records : Records
    strategy : {"SingleRecord", "MultiRecord"}
    max_payload_bytes : int or None
        ``MaxPayloadInMB`` in bytes; None for no limit (``MaxPayloadInMB: 0``).

    Raises
    ------
    RecordError
        A record is larger than the limit (it names the record, 1-based).

    Examples
    --------
    >>> r = split_records(b"aa\\nbb\\ncc\\n", "Line")
    >>> [b.payload for b in plan_batches(r, "MultiRecord", 5)]
    [b'aa\\nbb', b'cc']
    >>> [b.describe() for b in plan_batches(r, "SingleRecord", 5)]
    ['record 1', 'record 2', 'record 3']
    """
    count = len(records)
    if count == 0:
        return []
    starts, ends, data = records.starts, records.ends, records.data
    limit = max_payload_bytes
    if limit is not None:
        sizes = ends - starts
        too_big = np.flatnonzero(sizes > limit)
        if too_big.size:
            index = int(too_big[0])
            raise RecordError(f"record {index + 1} is {int(sizes[index])} bytes, more than MaxPayloadInMB "
                              f"({limit // MIB} MB = {limit} bytes)")
    if strategy == "SingleRecord" or count == 1:
        return [Batch(i, i, data[s:e]) for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist()))]
    if limit is None:
        return [Batch(0, count - 1, data[int(starts[0]):int(ends[-1])])]
    batches = []
    first = 0
    while first < count:  # one pass per request, not per record: the last record that fits, by bisection
        last = int(np.searchsorted(ends, starts[first] + limit, side="right")) - 1
        batches.append(Batch(first, last, data[int(starts[first]):int(ends[last])]))
        first = last + 1
    return batches


def assemble(answers: Sequence[bytes], assemble_with: str) -> bytes:
    """One output file from the answers of its requests, in order.

    Examples
    --------
    >>> assemble([b"1", b"0\\n1\\n"], "Line"), assemble([b"1", b"0"], "None")
    (b'1\\n0\\n1\\n', b'10')
    """
    if assemble_with != "Line":
        return b"".join(answers)
    return b"".join(answer if answer.endswith(b"\n") else answer + b"\n" for answer in answers)


def _is_json(content_type: str | None) -> bool:
    return bool(content_type) and "json" in str(content_type).lower()


def with_inference_ids(answer: bytes, content_type: str | None, start_time: str,
                       new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> bytes:
    """*answer* with an inference id and the job start time added to every record (line) it holds.

    CSV (any type without ``json``): ``<record>, <id>,<time>`` as the Developer Guide shows it; JSON and JSON
    Lines: the keys ``SageMakerInferenceId`` and ``SageMakerInferenceTime`` added to each line's object (a JSON
    answer that is one object spread over several lines is taken whole). Empty lines stay as they are.

    Raises
    ------
    RecordError
        A JSON answer whose records are not objects.

    Examples
    --------
    >>> with_inference_ids(b"0\\n1", "text/csv", "2022-08-30T00:49:15Z", iter(["a", "b"]).__next__)
    b'0, a,2022-08-30T00:49:15Z\\n1, b,2022-08-30T00:49:15Z'
    >>> with_inference_ids(b'{"output": 0}', "application/json", "2022-08-30T00:49:15Z", lambda: "a")
    b'{"output": 0, "SageMakerInferenceId": "a", "SageMakerInferenceTime": "2022-08-30T00:49:15Z"}'
    """
    text = answer.decode("utf-8", errors="strict") if answer else ""
    lines = text.split("\n")
    if not _is_json(content_type):
        marked = [f"{line.rstrip(chr(13))}, {new_id()},{start_time}" if line.strip() else line for line in lines]
        return "\n".join(marked).encode("utf-8")
    try:
        documents = [json.loads(line) if line.strip() else None for line in lines]
    except ValueError:
        try:
            documents, lines = [json.loads(text)], [text]
        except ValueError as error:
            raise RecordError(f"the model's {content_type} answer is not JSON: {error}") from error
    marked = []
    for line, document in zip(lines, documents):
        if document is None:
            marked.append(line)
            continue
        if not isinstance(document, dict):
            raise RecordError(f"GenerateInferenceId needs JSON objects to add {INFERENCE_ID_KEY} and "
                              f"{INFERENCE_TIME_KEY} to, but the model answered {type(document).__name__} "
                              f"{line.strip()[:80]}")
        document = {**document, INFERENCE_ID_KEY: new_id(), INFERENCE_TIME_KEY: start_time}
        marked.append(json.dumps(document))
    return "\n".join(marked).encode("utf-8")
