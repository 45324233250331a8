"""Splitting, batching and assembly of batch transform jobs (records.py), past every batch boundary."""

import doctest
import gzip
import importlib
import json

import pytest

from sagewatch.capture.manifest import split_generated_ids_line
from sagewatch.localstack.sagemaker.transform.records import (
    MIB,
    RecordError,
    assemble,
    decompress,
    plan_batches,
    split_records,
    with_inference_ids,
)


def _records(data, split="Line"):
    records = split_records(data, split)
    return [records.data[s:e] for s, e in zip(records.starts.tolist(), records.ends.tolist())]


@pytest.mark.parametrize("data", [b"1,2\n3,4\n5,6\n", b"1,2\n3,4\n5,6"])
def test_line_split_same_records_with_or_without_trailing_newline(data):
    assert _records(data) == [b"1,2", b"3,4", b"5,6"]


def test_line_split_drops_empty_lines_anywhere():
    assert _records(b"\n\n1,2\n\n\n3,4\n\n") == [b"1,2", b"3,4"]


@pytest.mark.parametrize("split", ["Line", "None"])
def test_empty_file_has_no_records_and_no_batches(split):
    records = split_records(b"", split)
    assert len(records) == 0
    assert plan_batches(records, "MultiRecord", 6 * MIB) == []
    assert plan_batches(records, "SingleRecord", 6 * MIB) == []


def test_none_split_whole_file_is_one_record():
    assert _records(b"1,2\n3,4\n", "None") == [b"1,2\n3,4\n"]


def test_only_newlines_has_no_records():
    assert _records(b"\n\n\n") == []


def test_unknown_split_type_is_refused():
    with pytest.raises(RecordError, match="RecordIO"):
        split_records(b"x", "RecordIO")


def test_multi_record_payload_exactly_at_limit_is_one_request():
    # "aaa\nbbb" is 7 bytes: a limit of 7 holds both, a limit of 6 does not.
    records = split_records(b"aaa\nbbb\nccc\n", "Line")
    assert [b.payload for b in plan_batches(records, "MultiRecord", 7)] == [b"aaa\nbbb", b"ccc"]
    assert [b.payload for b in plan_batches(records, "MultiRecord", 6)] == [b"aaa", b"bbb", b"ccc"]
    assert [b.payload for b in plan_batches(records, "MultiRecord", 11)] == [b"aaa\nbbb\nccc"]


def test_multi_record_joins_records_across_removed_empty_lines():
    records = split_records(b"aa\n\nbb\n", "Line")
    assert [b.payload for b in plan_batches(records, "MultiRecord", 100)] == [b"aa\nbb"]


def test_multi_record_boundaries_cover_every_record_once_in_order():
    lines = [(b"x" * (i % 13 + 1)) for i in range(500)]
    records = split_records(b"\n".join(lines) + b"\n", "Line")
    batches = plan_batches(records, "MultiRecord", 64)
    assert b"\n".join(b.payload for b in batches) == b"\n".join(lines)
    assert all(len(b.payload) <= 64 for b in batches)
    assert [b.first for b in batches[1:]] == [b.last + 1 for b in batches[:-1]]
    assert batches[0].first == 0 and batches[-1].last == 499
    # greedy: the next record would not have fit
    for before, after in zip(batches, batches[1:]):
        assert len(before.payload) + 1 + len(lines[after.first]) > 64


def test_record_exactly_at_limit_is_sent_one_byte_over_fails_naming_it():
    records = split_records(b"ok\n" + b"y" * 10 + b"\n", "Line")
    assert [b.payload for b in plan_batches(records, "SingleRecord", 10)] == [b"ok", b"y" * 10]
    with pytest.raises(RecordError, match=r"record 2 is 10 bytes, more than MaxPayloadInMB"):
        plan_batches(records, "MultiRecord", 9)


def test_no_limit_sends_the_file_in_one_multi_record_request():
    records = split_records(b"a\nb\nc", "Line")
    batches = plan_batches(records, "MultiRecord", None)
    assert [(b.first, b.last, b.payload) for b in batches] == [(0, 2, b"a\nb\nc")]


def test_single_record_one_request_per_record_with_record_numbers():
    batches = plan_batches(split_records(b"a\nb\n", "Line"), "SingleRecord", MIB)
    assert [(b.payload, b.describe()) for b in batches] == [(b"a", "record 1"), (b"b", "record 2")]


def test_gzip_input_is_decompressed_and_bad_gzip_is_a_clear_error():
    assert decompress(gzip.compress(b"1\n2\n"), "Gzip") == b"1\n2\n"
    assert decompress(b"", "Gzip") == b""
    with pytest.raises(RecordError, match="not gzip data"):
        decompress(b"1\n2\n", "Gzip")


def test_assemble_line_ends_every_answer_once_none_concatenates():
    assert assemble([b"1", b"0\n1", b"1\n"], "Line") == b"1\n0\n1\n1\n"
    assert assemble([b"1", b"0\n1"], "None") == b"10\n1"
    assert assemble([], "Line") == b""


def test_csv_inference_ids_readable_by_the_engine():
    ids = iter(["id-1", "id-2"])
    marked = with_inference_ids(b"0.1,1\n0.9,0", "text/csv", "2024-05-01T11:00:00Z", ids.__next__)
    lines = marked.decode().split("\n")
    assert lines == ["0.1,1, id-1,2024-05-01T11:00:00Z", "0.9,0, id-2,2024-05-01T11:00:00Z"]
    record, inference_id, when = split_generated_ids_line(lines[1])
    assert (record, inference_id, when.isoformat()) == ("0.9,0", "id-2", "2024-05-01T11:00:00+00:00")


def test_json_lines_inference_ids_added_to_every_object():
    ids = iter(["a", "b"])
    marked = with_inference_ids(b'{"p": 1}\n{"p": 0}\n', "application/jsonlines", "T", ids.__next__)
    lines = marked.decode().split("\n")
    assert [json.loads(line) for line in lines[:2]] == [
        {"p": 1, "SageMakerInferenceId": "a", "SageMakerInferenceTime": "T"},
        {"p": 0, "SageMakerInferenceId": "b", "SageMakerInferenceTime": "T"}]
    assert lines[2] == ""


def test_json_answer_that_is_no_object_is_refused():
    with pytest.raises(RecordError, match="needs JSON objects"):
        with_inference_ids(b"[0.1, 0.9]", "application/json", "T")


def test_multiline_json_document_is_taken_whole():
    marked = with_inference_ids(b'{\n "p": 1\n}', "application/json", "T", lambda: "a")
    assert json.loads(marked) == {"p": 1, "SageMakerInferenceId": "a", "SageMakerInferenceTime": "T"}


@pytest.mark.parametrize("name", ["records", "capture", "service", "jsonpath", "data_processing"])
def test_docstring_examples(name):
    module = importlib.import_module(f"sagewatch.localstack.sagemaker.transform.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
