"""The SageMaker Python SDK v2's ``Transformer.transform`` with ``BatchDataCaptureConfig`` runs unchanged against
the emulator: the test deploys nothing but a model (boto3), the SDK script runs the transform job and waits for
it, and the test reads the ``.out`` files and the capture manifests back with the engine's reader."""

from __future__ import annotations

import pytest
from sw_endpoints import CLEAR_ROWS, trained_model_tarball

from sagewatch.capture.manifest import parse_manifest, split_generated_ids_line

pytestmark = pytest.mark.e2e


def test_transformer_with_batch_data_capture(run_sdk, deployer, aws_client, bucket, unique_name):
    s3 = aws_client("s3")
    model = deployer.model(trained_model_tarball())
    deployer.upload("sdk-batch/in/a.csv", (CLEAR_ROWS + "\n").encode())
    deployer.upload("sdk-batch/in/b.csv", CLEAR_ROWS.split("\n")[1].encode())
    job = unique_name("sdk-v2-transform")

    result = run_sdk("v2", "transform", {
        "model": model, "job": job, "input": f"s3://{bucket}/sdk-batch/in/",
        "output": f"s3://{bucket}/sdk-batch/out", "capture": f"s3://{bucket}/sdk-batch/capture"})

    assert result["status"] == "Completed", result["failure_reason"]
    assert result["strategy"] == "MultiRecord"
    assert result["capture"] == {"DestinationS3Uri": f"s3://{bucket}/sdk-batch/capture", "GenerateInferenceId": True}

    def read(key):
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")

    a = [split_generated_ids_line(line) for line in read("sdk-batch/out/a.csv.out").splitlines()]
    assert [record for record, _, _ in a] == ["1", "0", "1"]
    assert {when.strftime("%Y-%m-%dT%H:%M:%SZ") for _, _, when in a} == {result["start_time"]}
    assert [r for r, _, _ in map(split_generated_ids_line, read("sdk-batch/out/b.csv.out").splitlines())] == ["0"]
    hour = result["start_time"][:13].replace("-", "/").replace("T", "/")
    inputs = parse_manifest(read(f"sdk-batch/capture/input/{hour}/{job}.jsonl"))
    outputs = parse_manifest(read(f"sdk-batch/capture/output/{hour}/{job}.jsonl"))
    assert inputs.uris() == [f"s3://{bucket}/sdk-batch/in/a.csv", f"s3://{bucket}/sdk-batch/in/b.csv"]
    assert outputs.uris() == [f"s3://{bucket}/sdk-batch/out/a.csv.out", f"s3://{bucket}/sdk-batch/out/b.csv.out"]
