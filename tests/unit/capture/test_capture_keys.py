"""S3 key layouts (contract §1.3, §1.4, §2.2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sagewatch.capture.keys import (
    CaptureKey,
    batch_manifest_key,
    capture_object_key,
    ground_truth_object_key,
    hour_path,
    parse_capture_file_time,
    parse_capture_key,
)
from sagewatch.errors import InvalidParameterError
from sagewatch.schemas.s3_uri import split_s3_uri

UUID = "0b7bfd33-c8a7-4adf-a09a-98fd0af79974"
REAL_KEY = (
    "sagemaker/DEMO-ModelMonitor/datacapture/DEMO-xgb-churn-pred-model-monitor-2022-04-18-00-13-16/"
    "AllTraffic/2022/04/18/00/20-48-871-0b7bfd33-c8a7-4adf-a09a-98fd0af79974.jsonl"
)


@pytest.mark.parametrize("prefix", ["sagemaker/DEMO-ModelMonitor/datacapture", "sagemaker/DEMO-ModelMonitor/datacapture/"])
def test_capture_key_matches_the_real_key(prefix):
    key = capture_object_key(
        prefix, "DEMO-xgb-churn-pred-model-monitor-2022-04-18-00-13-16", "AllTraffic",
        datetime(2022, 4, 18, 0, 20, 48, 871500, tzinfo=timezone.utc), UUID,
    )
    assert key == REAL_KEY


def test_capture_key_uses_the_utc_hour():
    local = datetime(2022, 4, 18, 2, 5, 6, 7000, tzinfo=timezone(timedelta(hours=2)))
    assert capture_object_key("", "ep", "v", local, "u") == "ep/v/2022/04/18/00/05-06-007-u.jsonl"


def test_capture_key_with_s3_uri_prefix_stays_a_uri():
    key = capture_object_key("s3://bucket/dc/", "ep", "v", datetime(2022, 1, 2, 3, 4, 5), "u")
    assert key == "s3://bucket/dc/ep/v/2022/01/02/03/04-05-000-u.jsonl"
    assert split_s3_uri(key) == ("bucket", "dc/ep/v/2022/01/02/03/04-05-000-u.jsonl")


def test_parse_capture_key_inverts_the_layout():
    parsed = parse_capture_key(REAL_KEY)
    assert parsed == CaptureKey(
        "DEMO-xgb-churn-pred-model-monitor-2022-04-18-00-13-16", "AllTraffic",
        datetime(2022, 4, 18, 0, tzinfo=timezone.utc),
    )
    endpoint, variant, hour = parsed
    assert (endpoint, variant, hour.hour) == (parsed.endpoint, "AllTraffic", 0)
    assert parse_capture_file_time(REAL_KEY) == datetime(2022, 4, 18, 0, 20, 48, 871000, tzinfo=timezone.utc)


def test_parse_capture_key_round_trip_without_prefix():
    when = datetime(2023, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
    key = capture_object_key("", "ep", "AllTraffic", when, UUID)
    assert parse_capture_key(key) == ("ep", "AllTraffic", datetime(2023, 12, 31, 23, tzinfo=timezone.utc))
    assert parse_capture_file_time(key) == when


@pytest.mark.parametrize(
    "key",
    [
        "ep/v/2022/04/18/00/file.jsonl",
        "v/2022/04/18/00/20-48-871-u.jsonl",
        "ep/v/2022/4/18/00/20-48-871-u.jsonl",
        "ep/v/2022/13/18/00/20-48-871-u.jsonl",
        "ep/v/2022/04/18/00/20-48-871-u.csv",
    ],
)
def test_parse_capture_key_rejects_other_keys(key):
    with pytest.raises(InvalidParameterError):
        parse_capture_key(key)


def test_split_s3_uri():
    assert split_s3_uri("s3://b/a/b/") == ("b", "a/b/")
    assert split_s3_uri("s3://b") == ("b", "")
    with pytest.raises(InvalidParameterError):
        split_s3_uri("https://b/a")


def test_capture_key_rejects_slashes_in_names():
    with pytest.raises(InvalidParameterError):
        capture_object_key("p", "a/b", "v", datetime(2022, 1, 1), "u")


def test_ground_truth_key():
    when = datetime(2021, 5, 6, 22, 33, 42)
    assert ground_truth_object_key("s3://b/gt/", when, "2233") == "s3://b/gt/2021/05/06/22/2233.jsonl"
    assert ground_truth_object_key("gt", when, "x.jsonl") == "gt/2021/05/06/22/x.jsonl"
    assert hour_path(when) == "2021/05/06/22"


def test_batch_manifest_key():
    when = datetime(2022, 8, 26, 13, 59, tzinfo=timezone.utc)
    assert batch_manifest_key("s3://b/c/", "output", when, "m") == "s3://b/c/output/2022/08/26/13/m"
    with pytest.raises(InvalidParameterError):
        batch_manifest_key("p", "both", when, "m")
