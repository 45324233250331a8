"""Capture records: building, serializing and parsing (contract §1.2)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from sagewatch.schemas.capture import (
    CapturedPayload,
    CaptureRecord,
    make_capture_record,
    make_payload,
    media_type,
    parse_capture_record,
    parse_inference_time,
    select_encoding,
    serialize_capture_record,
)
from sagewatch.errors import InvalidParameterError, SchemaError

# The real record of contract §1.2 (EX outputs notebook, 2022-04-18), input CSV shortened there.
REAL = (
    '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
    '"data":"132,10,182.9,54,...,0,0,1","encoding":"CSV"},"endpointOutput":{"observedContentType":'
    '"text/csv; charset=utf-8","mode":"OUTPUT","data":"0.036397725343704224","encoding":"CSV"}},'
    '"eventMetadata":{"eventId":"f04a8538-696c-4648-8064-8b680b2e3318","inferenceTime":'
    '"2022-04-18T00:21:48Z"},"eventVersion":"0"}'
)
T0 = datetime(2022, 4, 18, 0, 21, 48, tzinfo=timezone.utc)


def test_real_record_round_trips_byte_for_byte():
    record = parse_capture_record(REAL)
    assert serialize_capture_record(record) == REAL
    assert serialize_capture_record(json.loads(REAL)) == REAL


def test_real_record_parses_to_typed_fields():
    record = parse_capture_record(REAL)
    assert record.endpoint_input == CapturedPayload("text/csv", "INPUT", "132,10,182.9,54,...,0,0,1", "CSV")
    assert record.endpoint_output == CapturedPayload(
        "text/csv; charset=utf-8", "OUTPUT", "0.036397725343704224", "CSV"
    )
    assert record.event_id == "f04a8538-696c-4648-8064-8b680b2e3318"
    assert record.inference_time == T0
    assert record.inference_id is None
    assert record.custom_attributes is None
    assert record.event_version == "0"
    assert record.invocation_source is None
    assert record.join_key == record.event_id


def test_make_capture_record_reproduces_the_real_record():
    rec = make_capture_record(
        event_id="f04a8538-696c-4648-8064-8b680b2e3318",
        inference_time=datetime(2022, 4, 18, 0, 21, 48, 654321),
        input_data="132,10,182.9,54,...,0,0,1",
        input_content_type="text/csv",
        output_data="0.036397725343704224",
        output_content_type="text/csv; charset=utf-8",
    )
    assert serialize_capture_record(rec) == REAL


def test_make_capture_record_key_order_with_all_metadata():
    rec = make_capture_record(
        event_id="e", inference_time=T0, output_data="1", inference_id="i-1",
        custom_attributes="k=v", invocation_source="ShadowExperiment",
    )
    assert list(rec) == ["captureData", "eventMetadata", "eventVersion"]
    assert list(rec["captureData"]) == ["endpointOutput"]
    assert list(rec["captureData"]["endpointOutput"]) == ["observedContentType", "mode", "data", "encoding"]
    assert list(rec["eventMetadata"]) == [
        "eventId", "inferenceId", "inferenceTime", "customAttributes", "invocationSource"
    ]
    assert rec["eventMetadata"]["customAttributes"] == ["k=v"]
    parsed = parse_capture_record(serialize_capture_record(rec))
    assert parsed.endpoint_input is None
    assert parsed.inference_id == "i-1" and parsed.join_key == "i-1"
    assert parsed.custom_attributes == ("k=v",)
    assert parsed.is_shadow


def test_input_only_capture_mode_has_no_output():
    rec = make_capture_record(event_id="e", inference_time=T0, input_data="1,2")
    assert list(rec["captureData"]) == ["endpointInput"]


def test_inference_time_is_utc_whole_seconds_z():
    plus2 = timezone(timedelta(hours=2))
    rec = make_capture_record(event_id="e", inference_time=datetime(2022, 4, 18, 2, 0, 0, 999999, tzinfo=plus2),
                              output_data="1")
    assert rec["eventMetadata"]["inferenceTime"] == "2022-04-18T00:00:00Z"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/csv", "CSV"),
        ("text/csv; charset=utf-8", "CSV"),
        ("TEXT/CSV", "CSV"),
        ("application/json", "JSON"),
        ("application/json;charset=UTF-8", "JSON"),
        ("application/jsonlines", "BASE64"),
        ("image/png", "BASE64"),
        (None, "BASE64"),
    ],
)
def test_select_encoding_default_lists(content_type, expected):
    assert select_encoding(content_type) == expected


def test_select_encoding_custom_lists():
    assert select_encoding("text/plain", csv_content_types=["text/plain"]) == "CSV"
    assert select_encoding("application/jsonlines", json_content_types=["application/jsonlines"]) == "JSON"
    assert select_encoding("text/csv", csv_content_types=["text/x"], json_content_types=["text/csv"]) == "JSON"


def test_media_type_strips_parameters():
    assert media_type("text/csv; charset=utf-8") == "text/csv"


def test_payload_encodings_and_verbatim_content_type():
    csv_p = make_payload("1,2", "text/csv; charset=utf-8", "INPUT")
    assert csv_p == {"observedContentType": "text/csv; charset=utf-8", "mode": "INPUT", "data": "1,2",
                     "encoding": "CSV"}
    json_p = make_payload(b'{"instances": [1.0, 2.0]}', "application/json", "INPUT")
    assert json_p["encoding"] == "JSON" and json_p["data"] == '{"instances": [1.0, 2.0]}'
    raw = bytes(range(256))
    b64 = make_payload(raw, "application/x-npy", "OUTPUT")
    assert b64["encoding"] == "BASE64"
    assert base64.b64decode(b64["data"]) == raw
    text_b64 = make_payload("héllo", "text/plain", "OUTPUT")
    assert text_b64["data"] == base64.b64encode("héllo".encode()).decode()


def test_csv_bytes_that_are_not_utf8_fall_back_to_base64():
    p = make_payload(b"\xff\xfe", "text/csv", "INPUT")
    assert p["encoding"] == "BASE64" and p["data"] == "//4="


def test_decode_honours_encoding():
    line = serialize_capture_record(make_capture_record(
        event_id="e", inference_time=T0, input_data=b"\x00\x01\x02", input_content_type="application/x-npy",
        output_data='{"score": 0.5}', output_content_type="application/json",
    ))
    rec = parse_capture_record(line)
    assert rec.endpoint_input.encoding == "BASE64"
    assert rec.endpoint_input.decode() == b"\x00\x01\x02"
    assert rec.endpoint_output.decode() == '{"score": 0.5}'


def test_non_ascii_is_escaped_like_json_dumps_default():
    rec = make_capture_record(event_id="e", inference_time=T0, input_data="é,ü")
    line = serialize_capture_record(rec)
    assert '"data":"\\u00e9,\\u00fc"' in line
    assert parse_capture_record(line).endpoint_input.data == "é,ü"


def test_parse_accepts_any_key_order_and_sdk_fixture_shape():
    line = ('{"eventMetadata":{"eventId":"74b0dd56","inferenceTime":"2022-04-18T00:21:48Z"},"eventVersion":"0",'
            '"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
            '"data":"9,45,45,42,7,5,0","encoding":"CSV"}}}')
    rec = parse_capture_record(line)
    assert rec.endpoint_input.data == "9,45,45,42,7,5,0"
    assert serialize_capture_record(rec).startswith('{"captureData":{"endpointInput"')


def test_parse_inference_time_liberal_forms():
    assert parse_inference_time("2022-04-18T00:21:48.123Z") == T0.replace(microsecond=123000)
    assert parse_inference_time("2022-04-18T02:21:48+02:00") == T0


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("{not json", None, "invalid JSON"),
        ('{"eventMetadata":{"eventId":"e"},"eventVersion":"0"}', "captureData", "missing"),
        ('{"captureData":{"endpointInput":{"mode":"INPUT","data":"1","encoding":"XML"}},'
         '"eventMetadata":{"eventId":"e"}}', "captureData.endpointInput.encoding", "unknown encoding 'XML'"),
        ('{"captureData":{"endpointOutput":{"mode":"OUTPUT","data":"@@@","encoding":"BASE64"}},'
         '"eventMetadata":{"eventId":"e"}}', "captureData.endpointOutput.data", "base64"),
        ('{"captureData":{},"eventMetadata":{"eventId":"e","inferenceTime":"yesterday"}}',
         "eventMetadata.inferenceTime", "yesterday"),
        ('{"captureData":{},"eventMetadata":{}}', "eventMetadata.eventId", "missing"),
        ('{"captureData":{"endpointInput":{"mode":"INPUT","data":5,"encoding":"CSV"}},'
         '"eventMetadata":{"eventId":"e"}}', "captureData.endpointInput.data", "not a string"),
    ],
)
def test_parse_errors_name_source_line_and_field(line, field, words):
    with pytest.raises(SchemaError) as info:
        parse_capture_record(line, source="cap.jsonl", line_number=7)
    err = info.value
    assert err.source == "cap.jsonl" and err.line == 7 and err.field == field
    message = str(err)
    assert message.startswith("cap.jsonl, line 7")
    assert words in message
    if field:
        assert repr(field) in message


def test_make_capture_record_validates_parameters():
    with pytest.raises(InvalidParameterError):
        make_capture_record(event_id="", inference_time=T0)
    with pytest.raises(InvalidParameterError):
        make_capture_record(event_id="e", inference_time="2022-04-18")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        make_payload(1.5, "text/csv", "INPUT")  # type: ignore[arg-type]


def test_capture_record_is_frozen():
    rec = parse_capture_record(REAL)
    with pytest.raises(AttributeError):
        rec.event_id = "x"  # type: ignore[misc]
    assert isinstance(rec, CaptureRecord)
