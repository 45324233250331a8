"""Regression tests for root causes the fuzz suite (tests/fuzz) found in the capture readers."""

import json

import pytest

from sagewatch.capture import flatten_capture_lines, parse_capture_record, parse_ground_truth_record
from sagewatch.schemas.capture import parse_inference_time
from sagewatch.errors import JobError, SchemaError
from sagewatch.job.spec import parse_time


def _line(data: str = "1,2", time: str = "2024-05-01T10:00:00Z") -> str:
    return json.dumps({"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                                         "data": data, "encoding": "CSV"}},
                       "eventMetadata": {"eventId": "e", "inferenceTime": time}, "eventVersion": "0"})


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000])
def test_parse_capture_record_deep_json_is_a_schema_error(text):
    with pytest.raises(SchemaError, match="line 4: invalid JSON: nested too deeply"):
        parse_capture_record(text, source="c.jsonl", line_number=4)


def test_parse_ground_truth_record_deep_json_is_a_schema_error():
    with pytest.raises(SchemaError, match="nested too deeply"):
        parse_ground_truth_record("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("text", ["\uff11\uff12\uff13\uff14-01-01T00:00:00Z", "2024-01-01", "2024-01-01T10:00:00.Z",
                                  "9999-12-31T23:59:59-23:59"])
def test_parse_inference_time_refuses_what_is_not_a_utc_time(text):
    with pytest.raises(ValueError):
        parse_inference_time(text)


def test_capture_record_time_after_the_last_utc_time_is_a_schema_error():
    with pytest.raises(SchemaError, match="inferenceTime"):
        parse_capture_record(_line(time="9999-12-31T23:59:59-23:59"))


def test_capture_line_with_full_width_digits_in_its_time_is_skipped():
    result = flatten_capture_lines([_line(), _line(time="\uff11\uff12\uff13\uff14-01-01T00:00:00Z")],
                                   capture_index_names=["endpointInput"])
    assert result.table.num_rows == 1
    assert result.skips.to_dict() == {"bad_inference_time": 1}
    for text in ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.5Z", "2024-05-01T12:00:00+02:00", "2024-05-01 10:00:00"):
        assert parse_inference_time(text).isoformat().startswith("2024-05-01T10:00:00")


def test_capture_line_with_a_byte_that_is_not_utf8_is_skipped_not_a_traceback():
    good = _line().encode()
    bad = _line(data="1,caf").encode().replace(b"caf", b"caf\xe9")
    result = flatten_capture_lines(b"\n".join([good, bad, good]) + b"\n", capture_index_names=["endpointInput"])
    assert result.table.num_rows == 2
    assert result.skips.total() == 1


def test_job_time_with_full_width_digits_is_a_job_error():
    with pytest.raises(JobError, match="must look like"):
        parse_time("\uff12\uff10\uff12\uff14-01-01T00:00:00Z", "start_time")


@pytest.mark.parametrize("data", [None, {}])
def test_capture_payload_without_its_data_is_a_bad_record_not_a_row(data):
    record = json.loads(_line())
    record["captureData"]["endpointOutput"] = {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "1",
                                               "encoding": "CSV"}
    broken = json.loads(json.dumps(record))
    if data is None:
        broken["captureData"]["endpointInput"]["data"] = None
    else:
        broken["captureData"]["endpointInput"] = data
    result = flatten_capture_lines([json.dumps(record), json.dumps(broken)])
    assert result.table.num_rows == 1
    assert result.skips.to_dict() == {"bad_record": 1}
    with pytest.raises(SchemaError, match="endpointInput"):
        parse_capture_record(json.dumps(broken))
