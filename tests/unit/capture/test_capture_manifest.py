"""Batch-transform manifests and GenerateInferenceId columns (contract §1.4)."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pytest

from sagewatch.capture.manifest import (
    BatchManifest,
    parse_manifest,
    parse_manifests,
    read_manifest,
    serialize_manifest,
    split_generated_ids,
    split_generated_ids_line,
    write_manifest,
)
from sagewatch.errors import SchemaError

DG = '[{"prefix":"s3://<input_S3_uri>/"}, "dummy_0.csv", "dummy_1.csv"]'
T = datetime(2022, 8, 30, 0, 49, 15, tzinfo=timezone.utc)


def test_documented_manifest_round_trips():
    manifest = parse_manifest(DG)
    assert manifest == BatchManifest("s3://<input_S3_uri>/", ("dummy_0.csv", "dummy_1.csv"))
    assert serialize_manifest(manifest) == DG
    assert manifest.uris() == ["s3://<input_S3_uri>/dummy_0.csv", "s3://<input_S3_uri>/dummy_1.csv"]


def test_manifest_file_round_trip(tmp_path):
    manifest = BatchManifest("s3://b/out", ("dummy_0.csv.out",))
    write_manifest(tmp_path / "m.jsonl", manifest)
    assert (tmp_path / "m.jsonl").read_text() == '[{"prefix":"s3://b/out"}, "dummy_0.csv.out"]'
    assert read_manifest(tmp_path / "m.jsonl") == manifest
    assert manifest.uris() == ["s3://b/out/dummy_0.csv.out"]


def test_manifests_as_json_lines():
    text = '[{"prefix":"s3://b/a/"},"x"]\n\n[{"prefix":"s3://b/c/"},"y","z"]\n'
    assert parse_manifests(text) == (
        BatchManifest("s3://b/a/", ("x",)), BatchManifest("s3://b/c/", ("y", "z"))
    )
    with pytest.raises(SchemaError):
        parse_manifest(text)


@pytest.mark.parametrize("text", ['{"prefix":"s3://b/"}', '["a","b"]', '[{"prefix":1}]', '[{"prefix":"s3://b/"},1]', "[oops\n"])
def test_bad_manifests(text):
    with pytest.raises(SchemaError):
        parse_manifests(text, source="m.jsonl")


def test_split_generated_ids_csv():
    table = pa.table({
        "_c0": ["0", "1"],
        "_c1": [" 1f1d57b1-2e6f-488c-8c30-db4e6d757861", "abc"],
        "_c2": ["2022-08-30T00:49:15Z", "not a time"],
    })
    split = split_generated_ids(table)
    assert split.table.column_names == ["_c0"]
    assert split.inference_ids.to_pylist() == ["1f1d57b1-2e6f-488c-8c30-db4e6d757861", "abc"]
    assert split.inference_times.to_pylist() == [T, None]


def test_split_generated_ids_json():
    table = pa.table({"output": [0], "SageMakerInferenceId": ["id-1"], "SageMakerInferenceTime": ["2022-08-30T00:49:15Z"]})
    split = split_generated_ids(table, layout="json")
    assert split.table.to_pydict() == {"output": [0]}
    assert split.inference_ids.to_pylist() == ["id-1"]
    assert split.inference_times.to_pylist() == [T]
    with pytest.raises(SchemaError):
        split_generated_ids(pa.table({"output": [0]}), layout="json")
    with pytest.raises(SchemaError):
        split_generated_ids(pa.table({"a": ["1"], "b": ["2"]}))


def test_split_generated_ids_line():
    record, inference_id, when = split_generated_ids_line(
        '0,"a,b", 1f1d57b1-2e6f-488c-8c30-db4e6d757861,2022-08-30T00:49:15Z\n'
    )
    assert (record, inference_id, when) == ('0,"a,b"', "1f1d57b1-2e6f-488c-8c30-db4e6d757861", T)
    with pytest.raises(SchemaError):
        split_generated_ids_line("0,id,notatime")
    with pytest.raises(SchemaError):
        split_generated_ids_line("0,id")
