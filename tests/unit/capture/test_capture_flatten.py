"""Flattening capture records into columns (capture/flatten.py)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pyarrow as pa

from sagewatch.capture.flatten import CaptureLayout, flatten_capture_lines, part_order
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record

T0 = datetime(2022, 4, 18, 0, 0, 0, tzinfo=timezone.utc)


def cap(inp=None, out=None, *, i=0, ict="text/csv", oct="text/csv", meta=None, **kw):
    """One capture line; ``i`` seconds after T0, event id ``e<i>``."""
    rec = make_capture_record(
        event_id=f"e{i}", inference_time=T0 + timedelta(seconds=i), input_data=inp,
        input_content_type=ict, output_data=out, output_content_type=oct,
        json_content_types=("application/json",), **kw,
    )
    if meta:
        rec["eventMetadata"].update(meta)
    return serialize_capture_record(rec)


def test_csv_output_columns_come_first():
    lines = [cap("1,2,3", "0.5", i=0), cap("4,,6", "0.7", i=1)]
    res = flatten_capture_lines("\n".join(lines) + "\n")
    assert res.table.to_pydict() == {
        "_c0": ["0.5", "0.7"], "_c1": ["1", "4"], "_c2": ["2", None], "_c3": ["3", "6"],
    }
    assert res.table.schema.types == [pa.string()] * 4
    assert res.skips.total() == 0 and res.records == 2
    assert res.metadata.column("event_id").to_pylist() == ["e0", "e1"]
    assert res.metadata.column("inference_time").to_pylist() == [T0, T0 + timedelta(seconds=1)]
    assert res.layout == CaptureLayout(
        (("endpointOutput", 1, 1), ("endpointInput", 1, 3)),
        (("endpointOutput", ("_c0",)), ("endpointInput", ("_c1", "_c2", "_c3"))),
    )


def test_single_capture_index():
    lines = [cap("1,2", "0.5")]
    assert flatten_capture_lines(lines, capture_index_names=["endpointInput"]).table.to_pydict() == {
        "_c0": ["1"], "_c1": ["2"]}
    assert flatten_capture_lines(lines, capture_index_names=["endpointOutput"]).table.to_pydict() == {
        "_c0": ["0.5"]}


def test_part_order():
    assert part_order(["endpointOutput", "endpointInput"]) == ["endpointOutput", "endpointInput"]
    assert part_order(["custom", "endpointInput"]) == ["endpointInput", "custom"]


def test_trailing_newline_and_crlf_in_csv_payload_are_ignored():
    res = flatten_capture_lines([cap("1,2\r\n", "0.5\n")])
    assert res.table.to_pydict() == {"_c0": ["0.5"], "_c1": ["1"], "_c2": ["2"]}


def test_quoted_csv_fields_follow_csv_module_semantics():
    res = flatten_capture_lines([cap('"a,b",2,"say ""hi"""', "0.5"), cap('"multi\nline",3,x', "0.6", i=1)])
    assert res.table.to_pydict() == {
        "_c0": ["0.5", "0.6"], "_c1": ["a,b", "multi\nline"], "_c2": ["2", "3"], "_c3": ['say "hi"', "x"],
    }


def test_multi_line_payloads_become_rows_when_line_counts_agree():
    res = flatten_capture_lines([cap("1,2\n3,4\n", "0.1\n0.2", i=0), cap("5,6", "0.3", i=1)])
    assert res.table.to_pydict() == {"_c0": ["0.1", "0.2", "0.3"], "_c1": ["1", "3", "5"], "_c2": ["2", "4", "6"]}
    assert res.metadata.column("event_id").to_pylist() == ["e0", "e0", "e1"]


def test_multi_line_payload_with_disagreeing_counts_is_one_row():
    # 2 input lines but 1 output line: one row of 1 + 4 fields, which is not the majority width
    lines = [cap("1,2\n3,4", "0.1", i=0), cap("5,6", "0.3", i=1), cap("7,8", "0.4", i=2)]
    res = flatten_capture_lines(lines)
    assert res.table.to_pydict() == {"_c0": ["0.3", "0.4"], "_c1": ["5", "7"], "_c2": ["6", "8"]}
    assert res.skips.to_dict() == {"wrong_width": 1}
    only = flatten_capture_lines(lines[:1])
    assert only.table.to_pydict() == {"_c0": ["0.1"], "_c1": ["1"], "_c2": ["2"], "_c3": ["3"], "_c4": ["4"]}


def test_input_only_multi_line_payload_expands():
    res = flatten_capture_lines([cap("1,2\n3,4")], capture_index_names=["endpointInput", "endpointOutput"])
    assert res.table.to_pydict() == {"_c0": ["1", "3"], "_c1": ["2", "4"]}


def test_json_flat_objects_keep_keys_and_types():
    lines = [
        cap('{"a": 1, "b": "x"}', '{"score": 0.3}', i=0, ict="application/json", oct="application/json"),
        cap('{"a": 2}', '{"score": 0.9}', i=1, ict="application/json", oct="application/json"),
    ]
    res = flatten_capture_lines(lines)
    assert res.table.to_pydict() == {"score": [0.3, 0.9], "a": [1, 2], "b": ["x", None]}
    assert res.table.schema.field("a").type == pa.int64()
    assert res.layout.signature == (("endpointOutput", 3, -1), ("endpointInput", 3, -1))


def test_json_nested_lists_and_predictions():
    lines = [cap('{"instances": [1.0, 2.0], "meta": {"id": "u", "geo": {"cc": "FR"}}}',
                 '{"predictions": [{"score": 0.3, "label": 1}]}', ict="application/json", oct="application/json")]
    res = flatten_capture_lines(lines)
    assert res.table.to_pydict() == {
        "predictions.0.score": [0.3], "predictions.0.label": [1],
        "instances.0": [1.0], "instances.1": [2.0], "meta.id": ["u"], "meta.geo.cc": ["FR"],
    }


def test_json_bare_list_and_scalar_are_positional():
    lines = [cap("[1, 2, 3]", "0.25", i=0, ict="application/json", oct="application/json"),
             cap("[4, 5, 6]", "0.5", i=1, ict="application/json", oct="application/json")]
    res = flatten_capture_lines(lines)
    assert res.table.to_pydict() == {"_c0": [0.25, 0.5], "_c1": [1, 4], "_c2": [2, 5], "_c3": [3, 6]}
    assert res.layout.signature == (("endpointOutput", 2, 1), ("endpointInput", 2, 3))


def test_json_list_width_counts_trailing_nulls():
    lines = [cap("[1, null]", None, i=0, ict="application/json"), cap("[2, 3]", None, i=1, ict="application/json")]
    res = flatten_capture_lines(lines)
    assert res.table.to_pydict() == {"_c0": [1, 2], "_c1": [None, 3]}
    assert res.skips.total() == 0


def test_json_list_of_other_length_is_wrong_width():
    lines = [cap(f"[{i}, {i}]", None, i=i, ict="application/json") for i in range(3)]
    lines.append(cap("[9, 9, 9]", None, i=3, ict="application/json"))
    res = flatten_capture_lines(lines)
    assert res.table.to_pydict() == {"_c0": [0, 1, 2], "_c1": [0, 1, 2]}
    assert res.skips.to_dict() == {"wrong_width": 1}


def test_json_key_collision_between_parts_is_prefixed():
    res = flatten_capture_lines([cap('{"x": 1}', '{"x": 2}', ict="application/json", oct="application/json")])
    assert res.table.column_names == ["x", "endpointInput.x"]
    assert res.table.to_pydict() == {"x": [2], "endpointInput.x": [1]}


def test_json_type_conflict_falls_back_and_keeps_rows():
    lines = [cap('{"a": 1}', None, i=0, ict="application/json"), cap('{"a": "x"}', None, i=1, ict="application/json")]
    res = flatten_capture_lines(lines)
    assert res.table.to_pydict() == {"a": ["1", "x"]}
    assert res.skips.total() == 0


def test_mixed_csv_and_json_outputs_with_csv_input():
    lines = [cap("1,2", '{"p": 0.1}', i=0, oct="application/json"), cap("3,4", '{"p": 0.2}', i=1, oct="application/json")]
    res = flatten_capture_lines(lines)
    assert res.table.to_pydict() == {"p": [0.1, 0.2], "_c1": ["1", "3"], "_c2": ["2", "4"]}


def test_base64_payloads_are_decoded_by_content_type():
    b64 = cap("1,2", "0.5", i=0, ict="text/x-csv", oct="text/csv")  # text/x-csv is not listed: BASE64
    assert json.loads(b64)["captureData"]["endpointInput"]["encoding"] == "BASE64"
    res = flatten_capture_lines([b64])
    assert res.table.to_pydict() == {"_c0": ["0.5"], "_c1": ["1"], "_c2": ["2"]}
    js = cap('{"a": 1}', None, i=1, ict="application/vnd+json")
    assert flatten_capture_lines([js]).table.to_pydict() == {"a": [1]}


def _raw(inp_encoding="CSV", inp_data="1,2", out=("CSV", "0.5"), meta=None, i=0):
    rec = {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                             "data": inp_data, "encoding": inp_encoding},
                           "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                              "data": out[1], "encoding": out[0]}},
           "eventMetadata": {"eventId": f"e{i}", "inferenceTime": (T0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")},
           "eventVersion": "0"}
    rec["eventMetadata"].update(meta or {})
    return json.dumps(rec, separators=(",", ":"))


def test_every_skip_reason_is_counted():
    good = [cap("1,2", "0.5", i=i) for i in range(5)]
    bad = [
        "{not json",                                                     # bad_json
        '{"captureData":{"endpointInput":{"data":5}}}',                  # bad_record
        '{"eventMetadata":{"eventId":"x"}}',                             # missing_capture_data
        _raw(inp_encoding="XML"),                                        # bad_encoding
        _raw(inp_encoding="BASE64", inp_data="@@not base64@@"),          # bad_base64
        _raw(inp_encoding="BASE64", inp_data=base64.b64encode(b"x").decode()).replace(
            '"observedContentType":"text/csv","mode":"INPUT"', '"observedContentType":"image/png","mode":"INPUT"'),
        _raw(meta={"invocationSource": "ShadowExperiment"}),             # shadow_traffic
        _raw(out=("JSON", "{broken")),                                   # bad_json (payload)
        _raw(inp_data="1,2,3"),                                          # wrong_width
    ]
    res = flatten_capture_lines("\n".join(good + bad) + "\n\n")
    assert res.table.num_rows == 5
    assert res.records == 14
    assert res.skips.to_dict() == {
        "bad_base64": 1, "bad_encoding": 1, "bad_json": 2, "bad_record": 1, "missing_capture_data": 1,
        "shadow_traffic": 1, "unsupported_content_type": 1, "wrong_width": 1,
    }


def test_time_window_start_inclusive_end_exclusive():
    lines = [cap("1,2", "0.5", i=i) for i in range(5)]  # T0 .. T0+4s
    res = flatten_capture_lines(lines, start_time=T0 + timedelta(seconds=1), end_time=T0 + timedelta(seconds=3))
    assert res.metadata.column("event_id").to_pylist() == ["e1", "e2"]
    assert res.skips.to_dict() == {"outside_window": 3}


def test_time_window_with_naive_datetimes_is_utc_and_bad_times_are_skipped():
    lines = [cap("1,2", "0.5", i=0), _raw(meta={"inferenceTime": "garbage"}, i=1),
             _raw(meta={"inferenceTime": "2022-04-18T00:00:02.500Z"}, i=2)]
    lines.append(json.dumps({"captureData": json.loads(lines[0])["captureData"], "eventMetadata": {"eventId": "n"}}))
    res = flatten_capture_lines(lines, start_time=datetime(2022, 4, 18), end_time=datetime(2022, 4, 18, 1))
    assert res.metadata.column("event_id").to_pylist() == ["e0", "e2"]
    assert res.skips.to_dict() == {"bad_inference_time": 2}
    # without a window a missing time is fine, but a time that is not a time is still skipped (issue 11 §4)
    unwindowed = flatten_capture_lines(lines)
    assert unwindowed.metadata.column("event_id").to_pylist() == ["e0", "e2", "n"]
    assert unwindowed.skips.to_dict() == {"bad_inference_time": 1}


def test_forced_layout_skips_rows_that_do_not_fit():
    first = flatten_capture_lines([cap("1,2", "0.5")])
    res = flatten_capture_lines([cap("1,2,3", "0.5", i=0), cap("1,2,3", "0.5", i=1), cap("7,8", "0.1", i=2)],
                                layout=first.layout)
    assert res.table.to_pydict() == {"_c0": ["0.1"], "_c1": ["7"], "_c2": ["8"]}
    assert res.skips.to_dict() == {"wrong_width": 2}


def test_majority_tie_keeps_the_layout_seen_first():
    res = flatten_capture_lines([cap("1,2,3", "0.5", i=0), cap("1,2", "0.5", i=1)])
    assert res.table.column_names == ["_c0", "_c1", "_c2", "_c3"]
    assert res.skips.to_dict() == {"wrong_width": 1}


def test_output_only_records_differ_from_full_records():
    res = flatten_capture_lines([cap("1,2", "0.5", i=0), cap(None, "0.6", i=1), cap("3,4", "0.7", i=2)])
    assert res.table.to_pydict() == {"_c0": ["0.5", "0.7"], "_c1": ["1", "3"], "_c2": ["2", "4"]}
    assert res.skips.to_dict() == {"wrong_width": 1}


def test_merged_records_add_ground_truth_last():
    rec = json.loads(cap("1,2", "0.5", inference_id="inf-1"))
    rec["groundTruthData"] = {"data": "1", "encoding": "CSV"}
    res = flatten_capture_lines([json.dumps(rec)], capture_index_names=["endpointOutput"], ground_truth=True)
    assert res.table.to_pydict() == {"_c0": ["0.5"], "_c1": ["1"]}
    assert res.layout.columns_of("groundTruthData") == ("_c1",)
    assert res.metadata.column("inference_id").to_pylist() == ["inf-1"]


def test_empty_and_all_bad_inputs():
    empty = flatten_capture_lines(b"")
    assert (empty.table.num_rows, empty.records, empty.layout) == (0, 0, None)
    bad = flatten_capture_lines(["nope", "{}"])
    assert bad.table.num_rows == 0 and bad.skips.to_dict() == {"bad_json": 1, "missing_capture_data": 1}


def test_many_records_with_scattered_bad_lines():
    lines = [cap(f"{i},{i * 2}", f"0.{i % 10}", i=i) for i in range(5000)]
    for i in range(0, 5000, 997):
        lines[i] = '{"captureData": oops'
    res = flatten_capture_lines("\n".join(lines))
    assert res.skips.to_dict() == {"bad_json": 6}
    assert res.table.num_rows == 4994
    assert res.table.column("_c1").to_pylist()[:2] == ["1", "2"]
    assert res.table.column("_c2").to_pylist()[-1] == "9998"


def test_flatten_typed_records_equals_flatten_lines():
    from sagewatch.capture.flatten import flatten_capture_records
    from sagewatch.schemas.capture import parse_capture_record

    lines = [cap("1,2", "0.5", i=0), cap("3,4", "0.6", i=1)]
    typed = [parse_capture_record(x) for x in lines]
    assert flatten_capture_records(typed).table.equals(flatten_capture_lines(lines).table)
    assert flatten_capture_records([json.loads(x) for x in lines], capture_index_names=["endpointInput"]).table.to_pydict() == {
        "_c0": ["1", "3"], "_c1": ["2", "4"]}
