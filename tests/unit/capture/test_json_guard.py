"""Guards that keep input pyarrow.json would crash on away from it (issue 11 §3)."""

import json
from datetime import datetime

import pyarrow as pa
import pytest

from sagewatch.defaults import MAX_JSON_DEPTH

from sagewatch.capture._arrow import parse_time_array
from sagewatch.capture.flatten import flatten_capture_lines
from sagewatch.capture.json_guard import JsonTooDeep, json_shape, lines_start_with_object, loads_bounded
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record
from sagewatch.capture.tabular import STATUS_OK, STATUS_TOO_DEEP, STATUS_TOO_WIDE, parse_json_values
from sagewatch.datasets.preprocessor import capture_inference_records


@pytest.mark.parametrize("data, safe", [
    (b'{"a":1}\n{"a":2}\n', True),
    (b'{"a":1}\r\n\r\n\t {"a":2}\r', True),
    (b'', True),
    (b'null\n', False),
    (b'{"a":1}\n  null\n', False),
    (b'{"a":1}\rnull,\r', False),
    (b'{"a":1}\n[1]\n', False),
])
def test_lines_start_with_object(data, safe):
    assert lines_start_with_object(data) is safe


def test_json_shape_ignores_brackets_and_commas_inside_strings():
    texts = pa.array(['{"a": "[[[[,,,,", "b": [[1, 2]]}', '["\\"[[[", {"x": "\\\\"}]', "[" * 50 + "]" * 50, None])
    shape = json_shape(texts, max_depth=2, max_fields=2)
    assert shape.depth.tolist() == [3, 2, 50, 0]
    assert shape.fields.tolist() == [3, 2, 1, 1]


def test_loads_bounded_turns_recursion_error_into_json_too_deep():
    with pytest.raises(JsonTooDeep):
        loads_bounded("[" * 100_000 + "]" * 100_000)
    assert isinstance(JsonTooDeep("x"), ValueError)


def test_json_payload_deeper_than_the_bound_is_too_deep_and_wider_is_too_wide():
    values = parse_json_values(pa.array(["[1, 2]", "[" * (MAX_JSON_DEPTH + 8) + "1" + "]" * (MAX_JSON_DEPTH + 8), json.dumps(list(range(10_001)))]))
    assert values.status.tolist() == [STATUS_OK, STATUS_TOO_DEEP, STATUS_TOO_WIDE]
    assert [c.to_pylist() for _, c in values.columns] == [[1], [2]]


def _capture(data, content_type="application/json", time=datetime(2024, 1, 1)):
    return serialize_capture_record(make_capture_record(event_id="e", inference_time=time, input_data=data,
                                                        input_content_type=content_type))


def test_capture_payload_nested_deeper_than_the_bound_is_a_too_deep_skip():
    res = flatten_capture_lines([_capture("[1, 2]"), _capture("[" * (MAX_JSON_DEPTH + 8) + "1" + "]" * (MAX_JSON_DEPTH + 8))])
    assert res.table.to_pydict() == {"_c0": [1], "_c1": [2]}
    assert res.skips.to_dict() == {"too_deep": 1}


def test_capture_csv_payload_with_too_many_fields_is_a_too_wide_skip():
    res = flatten_capture_lines([_capture("1,2", "text/csv"), _capture(",".join("1" * 10_001), "text/csv")])
    assert res.table.num_rows == 1
    assert res.skips.to_dict() == {"too_wide": 1}


def test_capture_inference_time_that_is_not_a_date_is_skipped_without_a_window():
    good = _capture("[1]")
    bad = good.replace("2024-01-01T00:00:00Z", "2024-02-30T00:00:00Z")
    res = flatten_capture_lines([good, bad])
    assert res.table.num_rows == 1 and res.skips.to_dict() == {"bad_inference_time": 1}


@pytest.mark.parametrize("text", ["2024-02-30T10:00:00Z", "0000-01-01T00:00:00Z", "2024-05-01T10:00:60Z",
                                  "2024-05-01T25:00:00Z", "2024-05-01T10:00:00+25:00"])
def test_parse_time_array_gives_null_for_times_that_are_not_dates(text):
    assert parse_time_array(pa.array([text, "2024-02-29T10:00:00Z"])).to_pylist()[0] is None


def test_preprocessor_capture_records_skip_deep_lines_and_bad_times():
    good = _capture("[1]")
    lines = [good, "[" * 100_000, good.replace("2024-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00")]
    reasons = [reason for _, reason in capture_inference_records(lines)]
    assert reasons == [None, "too_deep", "bad_inference_time"]
