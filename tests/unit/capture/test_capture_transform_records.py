"""Batch-transform output records (GenerateInferenceId, contract §1.4) as capture records for the ground-truth
merge: ids split off, inputs paired by position, bad pairs and unreadable formats refused by name."""

from __future__ import annotations

import json

import pytest

from sagewatch.capture.transform_records import transform_capture_lines
from sagewatch.datasets.formats import CsvFormat, JsonFormat, ParquetFormat
from sagewatch.errors import DatasetError


def records(result):
    return [json.loads(line) for line in result.lines.to_pylist()]


def test_csv_outputs_lose_their_two_trailing_columns_and_keep_the_id_and_time():
    out = b"0.1,0.9, 1f1d57b1-2e6f,2022-08-30T00:49:15Z\r\n\n\"a,b\",x,2022-08-30T00:49:16Z\n"
    result = transform_capture_lines(out, None, dataset_format=CsvFormat(header=False))
    got = records(result)
    assert [(r["captureData"]["endpointOutput"]["data"], r["eventMetadata"]["inferenceId"],
             r["eventMetadata"]["inferenceTime"]) for r in got] == [
        ("0.1,0.9", "1f1d57b1-2e6f", "2022-08-30T00:49:15Z"), ('"a,b"', "x", "2022-08-30T00:49:16Z")]
    assert got[0]["eventMetadata"]["eventId"] == "1f1d57b1-2e6f" and "endpointInput" not in got[0]["captureData"]
    assert (result.records, result.without_id) == (2, 0)


def test_csv_outputs_without_generated_ids_keep_their_text_and_are_counted():
    result = transform_capture_lines(b"0.9\n1,2,3\n", None, dataset_format=CsvFormat(header=False))
    assert [r["captureData"]["endpointOutput"]["data"] for r in records(result)] == ["0.9", "1,2,3"]
    assert [r["eventMetadata"]["inferenceId"] for r in records(result)] == ["", ""]
    assert (result.records, result.without_id) == (2, 2)


def test_json_outputs_lose_the_reserved_keys_wherever_they_are():
    out = (b'{"SageMakerInferenceId": "a", "p": 1, "SageMakerInferenceTime": "2022-08-30T00:49:15Z"}\n'
           b'{"p": {"q": [1, 2]},"SageMakerInferenceTime":"2022-08-30T00:49:15Z","SageMakerInferenceId":"b"}\n')
    got = records(transform_capture_lines(out, None, dataset_format=JsonFormat()))
    assert [json.loads(r["captureData"]["endpointOutput"]["data"]) for r in got] == [{"p": 1}, {"p": {"q": [1, 2]}}]
    assert [r["eventMetadata"]["inferenceId"] for r in got] == ["a", "b"]
    assert got[0]["captureData"]["endpointOutput"]["encoding"] == "JSON"


def test_inputs_pair_by_position_after_a_csv_header_and_keep_quotes_and_backslashes():
    got = records(transform_capture_lines(b"1, i1,2022-08-30T00:49:15Z\n0, i2,2022-08-30T00:49:15Z\n",
                                          b'a,b\n"x ""q""",1\nc:\\d,2\n', dataset_format=CsvFormat(header=True)))
    assert [r["captureData"]["endpointInput"]["data"] for r in got] == ['"x ""q""",1', "c:\\d,2"]
    assert got[0]["captureData"]["endpointInput"]["mode"] == "INPUT"


def test_an_input_with_another_record_count_is_refused_naming_both_files():
    with pytest.raises(DatasetError, match=r"^in.csv holds 1 records but its transform output in.csv.out holds 2"):
        transform_capture_lines(b"1, i1,2022-08-30T00:49:15Z\n0, i2,2022-08-30T00:49:15Z\n", b"1,2\n",
                                dataset_format=CsvFormat(header=False), output_name="in.csv.out",
                                input_name="in.csv")


@pytest.mark.parametrize("fmt", [ParquetFormat(), JsonFormat(lines=False)])
def test_formats_that_are_not_record_streams_are_refused(fmt):
    with pytest.raises(DatasetError, match="reads CSV or JSON Lines transform files"):
        transform_capture_lines(b"x\n", None, dataset_format=fmt, output_name="p.out")


def test_an_output_file_that_is_not_utf8_is_refused_by_name():
    with pytest.raises(DatasetError, match=r"p.csv.out is not UTF-8 text"):
        transform_capture_lines(b"\xff\xfe1\n", None, dataset_format=CsvFormat(header=False), output_name="p.csv.out")
