"""The capture manifests of a transform job (capture.py) round-trip through the engine's manifest reader."""

from datetime import datetime, timedelta, timezone

import pytest

from sagewatch.capture.manifest import parse_manifests
from sagewatch.localstack.sagemaker.transform.capture import capture_manifests, manifest_key


@pytest.mark.parametrize("files", [["a.csv"], ["sub dir/ü.csv", 'q"uote.csv', "deep/er/x.jsonl"], []])
def test_manifests_round_trip_through_the_engine_reader(files):
    manifests = capture_manifests("s3://b/cap", "tj", datetime(2024, 5, 1, 9, tzinfo=timezone.utc), "s3://b/in",
                                  files, "s3://b/out/")
    (inputs,) = parse_manifests(manifests.input[1], source=manifests.input[0])
    (outputs,) = parse_manifests(manifests.output[1], source=manifests.output[0])
    assert (inputs.prefix, list(inputs.files)) == ("s3://b/in/", files)
    assert (outputs.prefix, list(outputs.files)) == ("s3://b/out/", [f"{name}.out" for name in files])
    assert manifests.input[1].startswith(b'[{"prefix":"s3://b/in/"}')  # the Developer Guide's layout


def test_manifest_folder_is_the_utc_start_hour():
    local = timezone(timedelta(hours=-5))
    assert manifest_key("s3://b/cap/", "output", "tj", datetime(2024, 12, 31, 22, 30, tzinfo=local)) == (
        "s3://b/cap/output/2025/01/01/03/tj.jsonl")
