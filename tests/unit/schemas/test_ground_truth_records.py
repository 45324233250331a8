"""Ground-truth records (contract §2.1)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sagewatch.schemas.ground_truth import (
    GroundTruthRecord,
    make_ground_truth_record,
    parse_ground_truth_record,
    serialize_ground_truth_record,
)
from sagewatch.errors import InvalidParameterError, SchemaError

DOC = '{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"74b0dd56-e7c8-368e-94b1-14a138a96000"},"eventVersion":"0"}'


def test_documented_record_round_trips_byte_for_byte():
    rec = parse_ground_truth_record(DOC)
    assert rec == GroundTruthRecord("1", "CSV", "74b0dd56-e7c8-368e-94b1-14a138a96000")
    assert serialize_ground_truth_record(rec) == DOC
    assert serialize_ground_truth_record(make_ground_truth_record(1, event_id=rec.event_id)) == DOC


def test_optional_inference_time():
    when = datetime(2022, 4, 18, 0, 21, 48, 500000, tzinfo=timezone.utc)
    line = serialize_ground_truth_record(make_ground_truth_record("cat", event_id="e", inference_time=when))
    assert line == ('{"groundTruthData":{"data":"cat","encoding":"CSV"},'
                    '"eventMetadata":{"eventId":"e","inferenceTime":"2022-04-18T00:21:48Z"},"eventVersion":"0"}')
    assert parse_ground_truth_record(line).inference_time == when.replace(microsecond=0)


@pytest.mark.parametrize(("label", "text"), [(True, "1"), (False, "0"), (0.25, "0.25"), ("x", "x"), (7, "7")])
def test_labels_are_written_as_text(label, text):
    assert make_ground_truth_record(label, event_id="e")["groundTruthData"]["data"] == text


def test_numeric_data_is_read_as_text():
    rec = parse_ground_truth_record('{"groundTruthData":{"data":1,"encoding":"CSV"},"eventMetadata":{"eventId":"e"}}')
    assert rec.data == "1"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("nope", None),
        ('{"eventMetadata":{"eventId":"e"}}', "groundTruthData"),
        ('{"groundTruthData":{"data":"1","encoding":"XML"},"eventMetadata":{"eventId":"e"}}', "groundTruthData.encoding"),
        ('{"groundTruthData":{"data":"1"},"eventMetadata":{}}', "eventMetadata.eventId"),
        ('{"groundTruthData":{"data":"1"},"eventMetadata":{"eventId":"e","inferenceTime":"x"}}',
         "eventMetadata.inferenceTime"),
        ('{"groundTruthData":{"data":null},"eventMetadata":{"eventId":"e"}}', "groundTruthData.data"),
    ],
)
def test_bad_ground_truth_names_the_field(line, field):
    with pytest.raises(SchemaError) as info:
        parse_ground_truth_record(line, source="gt.jsonl", line_number=3)
    assert info.value.field == field and info.value.line == 3 and info.value.source == "gt.jsonl"


def test_make_validates():
    with pytest.raises(InvalidParameterError):
        make_ground_truth_record(1, event_id="")
    with pytest.raises(InvalidParameterError):
        make_ground_truth_record([1], event_id="e")  # type: ignore[arg-type]
