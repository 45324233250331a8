"""DataProcessing of transform jobs: the JSONPath subset, InputFilter, JoinSource and OutputFilter."""

import json

import pytest

from sagewatch.localstack.sagemaker.transform.data_processing import DataProcessing
from sagewatch.localstack.sagemaker.transform.jsonpath import JsonPathError, parse_jsonpath
from sagewatch.localstack.sagemaker.transform.records import RecordError, split_records


def processing(input_filter="$", output_filter="$", join="None", content_type="text/csv"):
    return DataProcessing.from_request({"DataProcessing": {"InputFilter": input_filter, "OutputFilter": output_filter,
                                                           "JoinSource": join},
                                        "TransformInput": {"ContentType": content_type}})


def texts(records):
    return [records.data[s:e] for s, e in zip(records.starts.tolist(), records.ends.tolist())]


@pytest.mark.parametrize("path, value, expected", [
    ("$", [1, 2], [1, 2]),
    ("$[*]", [1, 2], [1, 2]),
    ("$[1]", ["a", "b", "c"], "b"),
    ("$[-1]", ["a", "b", "c"], "c"),
    ("$[0, 2]", ["a", "b", "c"], ["a", "c"]),
    ("$[:2]", ["a", "b", "c"], ["a", "b"]),
    ("$[1:]", ["a", "b", "c"], ["b", "c"]),
    ("$[1:-1]", ["a", "b", "c", "d"], ["b", "c"]),
    ("$.a.b", {"a": {"b": 3}}, 3),
    ("$['a']['b']", {"a": {"b": 3}}, 3),
    ('$["odd key"]', {"odd key": 1}, 1),
    ("$['a','c']", {"a": 1, "b": 2, "c": 3}, {"a": 1, "c": 3}),
    ("$.features[0]", {"features": [5, 6]}, 5),
])
def test_jsonpath_subset(path, value, expected):
    assert parse_jsonpath(path).apply(value) == expected


@pytest.mark.parametrize("path, value, message", [
    ("$[3]", ["a"], "index 3 is outside the record's 1 elements"),
    ("$.x", {"y": 1}, "the record has no 'x'"),
    ("$.x", [1], "a child name selects from an object, not from list"),
    ("$[0]", {"a": 1}, "an index selects from an array, not from dict"),
])
def test_jsonpath_that_does_not_fit_the_record(path, value, message):
    with pytest.raises(JsonPathError, match=message):
        parse_jsonpath(path).apply(value)


def test_identity_processing_is_none():
    assert DataProcessing.from_request({}) is None
    assert processing() is None
    assert processing(join="Input") is not None


def test_csv_input_filter_drops_columns_and_keeps_record_numbers():
    filtered = processing("$[1:]").filter_records(split_records(b'id-1,1,"a,b"\n\nid-2,3,4\n', "Line"))
    assert texts(filtered) == [b'1,"a,b"', b"3,4"]


def test_json_input_filter():
    filtered = processing("$.features", content_type="application/jsonlines").filter_records(
        split_records(b'{"id": 1, "features": [1, 2]}\n{"id": 2, "features": [3, 4]}', "Line"))
    assert texts(filtered) == [b"[1, 2]", b"[3, 4]"]


def test_input_filter_failure_names_the_record():
    with pytest.raises(RecordError, match=r"InputFilter \$\[2\]: record 2: index 2 is outside"):
        processing("$[2]").filter_records(split_records(b"1,2,3\n1,2\n", "Line"))


def test_csv_join_and_output_filter_keep_id_and_prediction():
    p = processing("$[1:]", "$[0,-1]", "Input")
    body, is_json = p.process_answer([b"id-1,1,2", b"id-2,3,4"], b"0.1\n0.9\n", False, 0)
    assert (body, is_json) == (b"id-1,0.1\nid-2,0.9", False)


def test_json_join_adds_sagemaker_output_and_wraps_non_objects():
    p = processing(join="Input", content_type="application/json")
    body, is_json = p.process_answer([b'{"id": 1}', b"[1, 2]"], b"0.1\n0.9", False, 0)
    assert is_json
    assert [json.loads(line) for line in body.decode().split("\n")] == [
        {"id": 1, "SageMakerOutput": 0.1}, {"SageMakerInput": [1, 2], "SageMakerOutput": 0.9}]


def test_json_output_filter_selects_keys_of_the_joined_record():
    p = processing(output_filter="$['id','SageMakerOutput']", join="Input", content_type="application/jsonlines")
    body, _ = p.process_answer([b'{"id": 7, "x": [1]}'], b'{"score": 0.5}', True, 0)
    assert json.loads(body) == {"id": 7, "SageMakerOutput": {"score": 0.5}}


def test_output_filter_without_join_applies_to_the_answer():
    body, is_json = processing(output_filter="$[0]").process_answer([b"1,2"], b"0.3,0.7", False, 0)
    assert (body, is_json) == (b"0.3", False)


def test_join_needs_one_answer_line_per_record():
    with pytest.raises(RecordError, match=r"the model answered 1 record\(s\) for the 2 sent"):
        processing(join="Input").process_answer([b"1", b"2"], b"0.5", False, 0)


def test_output_filter_failure_names_the_file_record():
    with pytest.raises(RecordError, match=r"record 5: index 5 is outside"):
        processing(output_filter="$[5]").process_answer([b"a", b"b"], b"1,2\n3,4", False, 4)
