"""iter_dataset over capture folders (sagemakerCaptureJson / sagemakerMergeJson)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from sagewatch.capture.keys import capture_object_key
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record
from sagewatch.datasets.formats import CaptureJsonFormat, MergeJsonFormat
from sagewatch.datasets.readers import iter_dataset
from sagewatch.errors import DatasetError

T0 = datetime(2022, 4, 18, 0, 0, 0, tzinfo=timezone.utc)


def line(i: int, inp: str = "1,2", out: str = "0.5", **meta) -> str:
    rec = make_capture_record(event_id=f"e{i}", inference_time=T0 + timedelta(minutes=i),
                              input_data=inp, output_data=out)
    rec["eventMetadata"].update(meta)
    return serialize_capture_record(rec)


def write_capture(root, opened_at, lines, uuid):
    path = root / capture_object_key("", "ep", "AllTraffic", opened_at, uuid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def capture_folder(tmp_path):
    # 00:00-00:59 in the 00 folder, 01:00-01:29 in the 01 folder; minute i has value i
    write_capture(tmp_path, T0, [line(i, f"{i},{i}", f"0.{i}") for i in range(60)], "a")
    write_capture(tmp_path, T0 + timedelta(hours=1), [line(i, f"{i},{i}", f"0.{i}") for i in range(60, 90)], "b")
    (tmp_path / "notes.txt").write_text("not capture data")
    return tmp_path


def test_capture_folder_is_flattened_across_files(capture_folder):
    reader = iter_dataset(capture_folder, CaptureJsonFormat(), chunk_rows=40)
    chunks = list(reader)
    assert [c.num_rows for c in chunks] == [40, 40, 10]
    table = pa.concat_tables(chunks)
    assert table.column_names == ["_c0", "_c1", "_c2"]
    assert table.column("_c1").to_pylist() == [str(i) for i in range(90)]
    assert reader.files_read == 2 and len(reader.files) == 2
    assert reader.layout.columns_of("endpointOutput") == ("_c0",)


def test_time_window_start_inclusive_end_exclusive(capture_folder):
    reader = iter_dataset(
        capture_folder, '{"sagemakerCaptureJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}',
        start_time=T0 + timedelta(minutes=59), end_time=T0 + timedelta(minutes=61),
    )
    table = pa.concat_tables(list(reader))
    assert table.column("_c1").to_pylist() == ["59", "60"]
    assert reader.skips.to_dict() == {"outside_window": 88}


def test_empty_window_names_the_window(capture_folder):
    reader = iter_dataset(capture_folder, CaptureJsonFormat(), start_time=datetime(2022, 4, 18, 5),
                          end_time=datetime(2022, 4, 18, 6))
    with pytest.raises(DatasetError) as info:
        list(reader)
    message = str(info.value)
    assert "no capture records with inferenceTime in [2022-04-18T05:00:00Z, 2022-04-18T06:00:00Z)" in message
    assert "90 records in 2 files" in message
    assert reader.skips.to_dict() == {"outside_window": 90}


def test_folder_without_capture_files(tmp_path):
    (tmp_path / "x.csv").write_text("a\n1\n")
    with pytest.raises(DatasetError, match="no data files found under"):
        iter_dataset(tmp_path, CaptureJsonFormat())


def test_layout_of_the_first_file_is_kept(tmp_path):
    write_capture(tmp_path, T0, [line(0, "1,2"), line(1, "3,4")], "a")
    # the second file has a majority of 3-field inputs; they do not fit the first file's layout
    write_capture(tmp_path, T0 + timedelta(minutes=5), [line(5, "1,2,3"), line(6, "4,5,6"), line(7, "7,8")], "b")
    reader = iter_dataset(tmp_path, CaptureJsonFormat())
    table = pa.concat_tables(list(reader))
    assert table.column("_c1").to_pylist() == ["1", "3", "7"]
    assert reader.skips.to_dict() == {"wrong_width": 2}


def test_shadow_and_bad_lines_are_counted(tmp_path):
    write_capture(tmp_path, T0, [line(0), line(1, invocationSource="ShadowExperiment"), "{oops", line(2)], "a")
    reader = iter_dataset(tmp_path, CaptureJsonFormat())
    assert pa.concat_tables(list(reader)).num_rows == 2
    assert reader.skips.to_dict() == {"bad_json": 1, "shadow_traffic": 1}
    assert reader.records == 4


def test_merge_format_reads_ground_truth(tmp_path):
    recs = []
    for i in range(3):
        rec = json.loads(line(i, out=f"0.{i}"))
        rec["groundTruthData"] = {"data": str(i % 2), "encoding": "CSV"}
        recs.append(json.dumps(rec))
    path = tmp_path / "merge" / "ep" / "AllTraffic" / "2022" / "04" / "18" / "00"
    path.mkdir(parents=True)
    (path / "merged.jsonl").write_text("\n".join(recs))
    reader = iter_dataset(tmp_path, MergeJsonFormat(("endpointOutput",)))
    assert pa.concat_tables(list(reader)).to_pydict() == {"_c0": ["0.0", "0.1", "0.2"], "_c1": ["0", "1", "0"]}
    assert reader.layout.columns_of("groundTruthData") == ("_c1",)
