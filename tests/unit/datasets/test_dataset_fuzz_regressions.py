"""Regression tests for root causes the fuzz suite (tests/fuzz) found in the dataset readers."""

import json

from sagewatch.datasets import iter_dataset
from sagewatch.profile.dataset import profile_tables


def _capture_line(data: str) -> bytes:
    return json.dumps({"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                                         "data": data, "encoding": "CSV"}},
                       "eventMetadata": {"eventId": "e", "inferenceTime": "2024-05-01T10:00:00Z"},
                       "eventVersion": "0"}).encode()


def test_preprocessed_capture_line_that_is_not_utf8_is_skipped_not_the_end_of_the_read(tmp_path):
    bad = _capture_line("1,caf").replace(b"caf", b"caf\xc3(")
    (tmp_path / "c.jsonl").write_bytes(b"\n".join([_capture_line("1,2"), bad, _capture_line("3,4")]) + b"\n")

    def handler(inference_record):
        first, second = inference_record.endpoint_input.data.split(",")
        return {"a": first, "b": second}

    reader = iter_dataset(tmp_path, {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}},
                          preprocessor=handler)
    profile = profile_tables(reader)
    assert profile.item_count == 2
    assert reader.skips.to_dict() == {"bad_json": 1}


def _run_handler(tmp_path, handler):
    (tmp_path / "c.jsonl").write_bytes(b"\n".join([_capture_line("1,2"), _capture_line("3,4")]) + b"\n")
    reader = iter_dataset(tmp_path, {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}},
                          preprocessor=handler)
    return profile_tables(reader), reader.skips.to_dict()


def test_preprocessor_value_nested_too_deeply_is_a_too_deep_skip(tmp_path):
    def handler(inference_record):
        if inference_record.endpoint_input.data == "3,4":
            value = 1
            for _ in range(5000):
                value = [value]
            return {"a": value}
        return {"a": [1, 2]}

    profile, skips = _run_handler(tmp_path, handler)
    assert profile.item_count == 1
    assert skips == {"too_deep": 1}


def test_preprocessor_keys_that_are_not_text_keep_their_values(tmp_path):
    profile, _ = _run_handler(tmp_path, lambda record: {1: 5, "b": {1, 2}})
    assert profile.columns["1"].n_missing == 0 and profile.columns["1"].mean == 5
    assert profile.columns["b"].n_missing == 0


def test_preprocessor_row_wider_than_the_record_bound_is_a_too_wide_skip(tmp_path):
    from sagewatch.defaults import MAX_RECORD_FIELDS

    def handler(inference_record):
        if inference_record.endpoint_input.data == "3,4":
            return {str(i): i for i in range(MAX_RECORD_FIELDS + 1)}
        return {"a": 1}

    profile, skips = _run_handler(tmp_path, handler)
    assert profile.item_count == 1 and list(profile.columns) == ["a"]
    assert skips == {"too_wide": 1}
