"""Data capture of an emulated endpoint, read back from S3 as Model Monitor reads it (contract §1)."""

from __future__ import annotations

import base64
import io
import json
import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
from sw_endpoints import (
    capture_config,
    csv_rows,
    deploying,
    trained_model_tarball,
    variant,
    wait_for_capture,
    wait_for_endpoint,
)

from sagewatch.capture.keys import parse_capture_file_time, parse_capture_key

pytestmark = pytest.mark.e2e


@pytest.fixture
def deployer(aws_client, bucket, unique_name):
    """Models, configs and endpoints of one test, deleted afterwards (before its bucket)."""
    yield from deploying(aws_client, bucket, unique_name)


KEY_NAME = re.compile(r"^\d{2}-\d{2}-\d{3}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl$")


def _invoke_all(runtime, endpoint, bodies, *, threads=4, **extra):
    def one(item):
        index, body = item
        answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType="text/csv", Accept="text/csv",
                                         InferenceId=f"inference-{index}", **extra)
        return index, answer["Body"].read().decode()

    with ThreadPoolExecutor(threads) as pool:
        return dict(pool.map(one, enumerate(bodies)))


def test_every_acknowledged_invocation_is_captured(aws_client, deployer):
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    endpoint = deployer.deploy(capture=capture_config(deployer.bucket, "datacapture"))
    bodies = csv_rows(1000)
    answers = _invoke_all(runtime, endpoint, bodies, CustomAttributes="tenant=acme")
    aws_client("sagemaker").delete_endpoint(EndpointName=endpoint)  # closes and uploads the open files

    records = wait_for_capture(s3, deployer.bucket, f"datacapture/{endpoint}/AllTraffic/", 1000, settle=1.0)
    assert len(records) == 1000
    by_id = {record.inference_id: record for _, record in records}
    assert sorted(by_id) == sorted(f"inference-{i}" for i in range(1000))
    assert len({record.event_id for _, record in records}) == 1000
    for index in (0, 499, 999):
        record = by_id[f"inference-{index}"]
        assert record.endpoint_input.data == bodies[index]
        assert (record.endpoint_input.encoding, record.endpoint_input.mode) == ("CSV", "INPUT")
        assert record.endpoint_input.observed_content_type == "text/csv"
        assert record.endpoint_output.data == answers[index]
        assert (record.endpoint_output.encoding, record.endpoint_output.mode) == ("CSV", "OUTPUT")
        assert record.custom_attributes == ("tenant=acme",)
        assert record.event_version == "0"
    for key, record in records:
        parsed = parse_capture_key(key)
        assert (parsed.endpoint, parsed.variant) == (endpoint, "AllTraffic")
        assert KEY_NAME.match(key.rsplit("/", 1)[1]), key
        opened = parse_capture_file_time(key)
        # the file is named from its first record's time; inferenceTime has whole seconds
        assert opened.replace(microsecond=0) <= record.inference_time + timedelta(seconds=1)
        assert record.inference_time.replace(minute=0, second=0) == parsed.hour


def test_record_layout_is_byte_exact(aws_client, deployer):
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    endpoint = deployer.deploy(capture=capture_config(deployer.bucket, "exact"))
    runtime.invoke_endpoint(EndpointName=endpoint, Body=b"3,3,-3,0", ContentType="text/csv", Accept="text/csv")
    aws_client("sagemaker").delete_endpoint(EndpointName=endpoint)
    (key, record), = wait_for_capture(s3, deployer.bucket, "exact/", 1)
    line = s3.get_object(Bucket=deployer.bucket, Key=key)["Body"].read().decode()
    expected = (
        '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"3,3,-3,0",'
        '"encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"1",'
        f'"encoding":"CSV"}}}},"eventMetadata":{{"eventId":"{record.event_id}","inferenceTime":'
        f'"{record.inference_time:%Y-%m-%dT%H:%M:%SZ}"}},"eventVersion":"0"}}\n'
    )
    assert line == expected


def test_sampling_percentage_is_honoured(aws_client, deployer):
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    endpoint = deployer.deploy(capture=capture_config(deployer.bucket, "sampled", percentage=50))
    invocations = 1000
    _invoke_all(runtime, endpoint, csv_rows(invocations))
    aws_client("sagemaker").delete_endpoint(EndpointName=endpoint)
    records = wait_for_capture(s3, deployer.bucket, "sampled/", 1, settle=3.0)
    expected, sigma = invocations * 0.5, math.sqrt(invocations * 0.5 * 0.5)
    assert abs(len(records) - expected) <= 4 * sigma, len(records)


def test_capture_modes_and_encodings(aws_client, deployer):
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    capture = capture_config(deployer.bucket, "modes", CaptureOptions=[{"CaptureMode": "Input"}],
                             CaptureContentTypeHeader={"JsonContentTypes": ["application/json"]})
    endpoint = deployer.deploy(capture=capture)
    runtime.invoke_endpoint(EndpointName=endpoint, Body=b"[[3, 3, -3, 0]]", ContentType="application/json",
                            InferenceId="json")
    runtime.invoke_endpoint(EndpointName=endpoint, Body=b"3,3,-3,0", ContentType="text/csv", InferenceId="csv")
    npy = io.BytesIO()
    np.save(npy, np.array([[3.0, 3.0, -3.0, 0.0]]))
    runtime.invoke_endpoint(EndpointName=endpoint, Body=npy.getvalue(), ContentType="application/x-npy",
                            InferenceId="npy")
    aws_client("sagemaker").delete_endpoint(EndpointName=endpoint)
    records = {record.inference_id: record for _, record in wait_for_capture(s3, deployer.bucket, "modes/", 3)}
    assert all(record.endpoint_output is None for record in records.values())  # Input only
    assert records["json"].endpoint_input.encoding == "JSON"
    assert json.loads(records["json"].endpoint_input.data) == [[3, 3, -3, 0]]
    # text/csv is not in CsvContentTypes here, so it is base64, like any unlisted type
    assert records["csv"].endpoint_input.encoding == "BASE64"
    assert records["csv"].endpoint_input.decode() == b"3,3,-3,0"
    assert records["npy"].endpoint_input.encoding == "BASE64"
    assert base64.b64decode(records["npy"].endpoint_input.data) == npy.getvalue()


def test_input_and_output_mode(aws_client, deployer):
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    capture = capture_config(deployer.bucket, "both", CaptureOptions=[{"CaptureMode": "InputAndOutput"}])
    endpoint = deployer.deploy(capture=capture)
    runtime.invoke_endpoint(EndpointName=endpoint, Body=b"3,3,-3,0", ContentType="text/csv", Accept="text/csv")
    aws_client("sagemaker").delete_endpoint(EndpointName=endpoint)
    (_, record), = wait_for_capture(s3, deployer.bucket, "both/", 1)
    assert record.endpoint_input.data == "3,3,-3,0"
    assert record.endpoint_output.data == "1"


def test_disabled_capture_writes_nothing_and_says_stopped(aws_client, deployer):
    sagemaker, s3, runtime = aws_client("sagemaker"), aws_client("s3"), aws_client("sagemaker-runtime")
    endpoint = deployer.deploy(capture=capture_config(deployer.bucket, "off", EnableCapture=False))
    summary = sagemaker.describe_endpoint(EndpointName=endpoint)["DataCaptureConfig"]
    assert (summary["EnableCapture"], summary["CaptureStatus"]) == (False, "Stopped")
    for _ in range(5):
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"3,3,-3,0", ContentType="text/csv")
    sagemaker.delete_endpoint(EndpointName=endpoint)
    time.sleep(2)
    assert s3.list_objects_v2(Bucket=deployer.bucket, Prefix="off/").get("KeyCount", 0) == 0


def test_files_roll_and_upload_without_endpoint_changes(aws_client, deployer):
    """Files close after SAGEWATCH_CAPTURE_ROLL_SECONDS (60 s unless the emulator was started with less)."""
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    endpoint = deployer.deploy(capture=capture_config(deployer.bucket, "rolling"))
    for index in range(10):
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"3,3,-3,0", ContentType="text/csv",
                                InferenceId=str(index))
    records = wait_for_capture(s3, deployer.bucket, "rolling/", 10, timeout=150.0)
    assert sorted(record.inference_id for _, record in records) == sorted(str(i) for i in range(10))


def test_kms_key_is_used_for_capture_files(aws_client, deployer):
    s3, runtime, kms = aws_client("s3"), aws_client("sagemaker-runtime"), aws_client("kms")
    key_id = kms.create_key(Description="sagewatch capture e2e")["KeyMetadata"]["KeyId"]
    endpoint = deployer.deploy(capture=capture_config(deployer.bucket, "encrypted", KmsKeyId=key_id))
    summary = aws_client("sagemaker").describe_endpoint(EndpointName=endpoint)["DataCaptureConfig"]
    assert summary["KmsKeyId"] == key_id
    runtime.invoke_endpoint(EndpointName=endpoint, Body=b"3,3,-3,0", ContentType="text/csv")
    aws_client("sagemaker").delete_endpoint(EndpointName=endpoint)
    (key, _), = wait_for_capture(s3, deployer.bucket, "encrypted/", 1)
    head = s3.head_object(Bucket=deployer.bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert key_id in head["SSEKMSKeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


def test_update_applies_new_capture_config_after_the_swap(aws_client, deployer):
    sagemaker, s3, runtime = aws_client("sagemaker"), aws_client("s3"), aws_client("sagemaker-runtime")
    model = deployer.model(trained_model_tarball())
    first = deployer.config([variant(model)], capture_config(deployer.bucket, "before"))
    second = deployer.config([variant(model)], capture_config(deployer.bucket, "after"))
    endpoint = deployer.endpoint(first)
    runtime.invoke_endpoint(EndpointName=endpoint, Body=b"3,3,-3,0", ContentType="text/csv", InferenceId="old")
    sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=second)
    described = wait_for_endpoint(sagemaker, endpoint)
    assert described["EndpointConfigName"] == second
    assert described["DataCaptureConfig"]["DestinationS3Uri"] == f"s3://{deployer.bucket}/after"
    runtime.invoke_endpoint(EndpointName=endpoint, Body=b"3,3,-3,0", ContentType="text/csv", InferenceId="new")
    sagemaker.delete_endpoint(EndpointName=endpoint)
    assert [r.inference_id for _, r in wait_for_capture(s3, deployer.bucket, "before/", 1)] == ["old"]
    assert [r.inference_id for _, r in wait_for_capture(s3, deployer.bucket, "after/", 1)] == ["new"]
