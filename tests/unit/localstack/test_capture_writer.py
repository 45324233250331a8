"""The capture writer: sampling, capture modes, encodings, file naming and rolling (contract §1, §12)."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta, timezone

import pytest

from sagewatch.capture.keys import parse_capture_file_time, parse_capture_key
from sagewatch.schemas.capture import parse_capture_record
from sagewatch.localstack.capture.config import CaptureConfig
from sagewatch.localstack.capture.writer import CapturedInvocation, EndpointCapture

T0 = datetime(2024, 5, 1, 10, 20, 30, 123456, tzinfo=timezone.utc)


def _config(**changes):
    values = {"enabled": True, "sampling_percentage": 100, "destination_s3_uri": "s3://bucket/datacapture",
              "csv_content_types": ("text/csv",), "json_content_types": ("application/json",)}
    values.update(changes)
    return CaptureConfig(**values)


def _writer(tmp_path, closed, roll=60.0, sample=None, **changes):
    extra = {"sample": sample} if sample is not None else {}
    return EndpointCapture("000000000000", "us-east-1", "ep", _config(**changes), tmp_path, roll, closed.append,
                           **extra)


def _invocation(when=T0, **changes):
    values = {"inference_time": when, "input_data": b"1,2", "input_content_type": "text/csv",
              "output_data": b"0.5", "output_content_type": "text/csv; charset=utf-8"}
    values.update(changes)
    return CapturedInvocation(**values)


def _records(spool):
    return [parse_capture_record(line) for line in spool.data_path.read_text().splitlines()]


def test_first_record_names_the_file_in_its_hour_folder(tmp_path):
    closed = []
    writer = _writer(tmp_path, closed)
    writer.capture("AllTraffic", _invocation(inference_id="i-1", custom_attributes="a=b"))
    writer.capture("AllTraffic", _invocation(T0 + timedelta(seconds=5)))
    writer.close()
    (spool,) = closed
    key = spool.target.key
    assert key.startswith("datacapture/ep/AllTraffic/2024/05/01/10/20-30-123-")
    assert parse_capture_key(key).endpoint == "ep"
    assert parse_capture_file_time(key) == T0.replace(microsecond=123000)
    assert (spool.target.bucket, spool.target.account_id, spool.target.region) == ("bucket", "000000000000",
                                                                                   "us-east-1")
    first, second = _records(spool)
    assert first.inference_id == "i-1" and first.custom_attributes == ("a=b",)
    assert second.inference_id is None and second.custom_attributes is None
    assert first.inference_time == T0.replace(microsecond=0)
    assert first.endpoint_output.observed_content_type == "text/csv; charset=utf-8"
    assert first.endpoint_output.encoding == "CSV"


def test_files_roll_after_the_interval_and_at_the_hour(tmp_path):
    closed = []
    writer = _writer(tmp_path, closed, roll=60.0)
    writer.capture("v", _invocation(T0))  # 10:20:30
    writer.capture("v", _invocation(T0 + timedelta(seconds=59)))
    writer.capture("v", _invocation(T0 + timedelta(seconds=61)))  # rolls: 60 s after the file was opened
    assert len(closed) == 1 and closed[0].records == 2
    late = T0.replace(minute=59, second=50)
    writer.capture("v", _invocation(late))
    writer.capture("v", _invocation(late + timedelta(seconds=15)))  # 11:00:05: the hour ended first
    writer.close()
    keys = [spool.target.key for spool in closed]
    assert [key.split("/")[-2] for key in keys] == ["10", "10", "10", "11"]
    assert [spool.records for spool in closed] == [2, 1, 1, 1]


def test_roller_closes_expired_files(tmp_path):
    closed = []
    writer = _writer(tmp_path, closed, roll=2.0)
    writer.capture("a", _invocation(T0))
    writer.capture("b", _invocation(T0 + timedelta(seconds=1)))
    writer.roll_expired(T0 + timedelta(seconds=1.9))
    assert closed == [] and writer.open_files == 2
    writer.roll_expired(T0 + timedelta(seconds=2.5))
    assert [spool.target.key.split("/")[2] for spool in closed] == ["a"]
    writer.roll_expired(T0 + timedelta(seconds=3.5))
    assert len(closed) == 2 and writer.open_files == 0


@pytest.mark.parametrize("options, has_input, has_output", [
    ({"capture_input": True, "capture_output": False}, True, False),
    ({"capture_input": False, "capture_output": True}, False, True),
])
def test_capture_modes(tmp_path, options, has_input, has_output):
    closed = []
    writer = _writer(tmp_path, closed, **options)
    writer.capture("v", _invocation())
    writer.close()
    (record,) = _records(closed[0])
    assert (record.endpoint_input is not None, record.endpoint_output is not None) == (has_input, has_output)


def test_unlisted_content_types_are_base64(tmp_path):
    closed = []
    writer = _writer(tmp_path, closed, csv_content_types=(), json_content_types=("application/json",))
    writer.capture("v", _invocation(input_data=b'{"x": 1}', input_content_type="application/json",
                                    output_data=b"\x00\x01", output_content_type="application/x-npy"))
    writer.capture("v", _invocation())
    writer.close()
    json_record, csv_record = _records(closed[0])
    assert (json_record.endpoint_input.encoding, json_record.endpoint_input.data) == ("JSON", '{"x": 1}')
    assert (json_record.endpoint_output.encoding, json_record.endpoint_output.decode()) == ("BASE64", b"\x00\x01")
    assert csv_record.endpoint_input.encoding == "BASE64"


@pytest.mark.parametrize("percentage, expected", [(0, 0), (30, 3), (100, 10)])
def test_sampling_percentage(tmp_path, percentage, expected):
    draws = itertools.cycle([i / 10 for i in range(10)])  # 0.0, 0.1, ... 0.9: exactly 10 % apart
    closed = []
    writer = _writer(tmp_path, closed, sampling_percentage=percentage, sample=lambda: next(draws))
    written = sum(writer.capture("v", _invocation()) for _ in range(10))
    writer.close()
    assert written == expected
    assert sum(spool.records for spool in closed) == expected


def test_disabled_capture_writes_nothing(tmp_path):
    closed = []
    writer = _writer(tmp_path, closed, enabled=False)
    assert not writer.capture("v", _invocation())
    writer.close()
    assert closed == [] and list(tmp_path.iterdir()) == []


def test_records_are_on_disk_before_capture_returns(tmp_path):
    closed = []
    writer = _writer(tmp_path, closed)
    writer.capture("v", _invocation(inference_id="durable"))
    (data,) = tmp_path.glob("*.jsonl")
    assert parse_capture_record(data.read_text().strip()).inference_id == "durable"
    assert closed == []


def test_closed_writer_takes_no_more_records(tmp_path):
    closed = []
    writer = _writer(tmp_path, closed)
    writer.close()
    assert not writer.capture("v", _invocation())
    assert closed == []


def test_concurrent_captures_write_whole_lines(tmp_path):
    closed = []
    writer = _writer(tmp_path, closed)
    now = datetime.now(timezone.utc)

    def work(thread):
        for index in range(250):
            writer.capture(f"v{thread % 2}", _invocation(now, inference_id=f"{thread}-{index}",
                                                         input_data=b"x" * 5000))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    ids = [record.inference_id for spool in closed for record in _records(spool)]
    assert sorted(ids) == sorted(f"{t}-{i}" for t in range(8) for i in range(250))


def test_config_from_request_and_summary():
    config = CaptureConfig.from_request({
        "EnableCapture": False, "InitialSamplingPercentage": 20, "DestinationS3Uri": "s3://b/a/b/",
        "KmsKeyId": "alias/capture", "CaptureOptions": [{"CaptureMode": "InputAndOutput"}]})
    assert (config.capture_input, config.capture_output) == (True, True)
    assert (config.bucket, config.prefix) == ("b", "a/b")
    assert (config.csv_content_types, config.json_content_types) == ((), ())
    assert config.summary() == {"EnableCapture": False, "CaptureStatus": "Stopped", "CurrentSamplingPercentage": 20,
                                "DestinationS3Uri": "s3://b/a/b/", "KmsKeyId": "alias/capture"}
    assert not config.active
    assert CaptureConfig.from_request(None) is None
    https = CaptureConfig.from_request({"InitialSamplingPercentage": 1, "CaptureOptions": [{"CaptureMode": "Input"}],
                                        "DestinationS3Uri": "https://bucket.s3.amazonaws.com/prefix"})
    assert (https.bucket, https.prefix) == ("bucket", "prefix")
