"""Malformed datasets through the ``sagewatch`` command: a message or a counted skip, never a traceback."""

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq

SAGEWATCH = [sys.executable, "-m", "sagewatch"]


def _baseline(dataset, out, *options):
    return subprocess.run([*SAGEWATCH, "baseline", str(dataset), "--output", str(out), "--no-progress", *options],
                          capture_output=True, text=True, timeout=180)


def test_latin1_record_is_counted_and_the_job_completes(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_bytes(b"x,name\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(100)) + b"7,caf\xe9\n")
    done = _baseline(data, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())
    assert report["dataset"]["item_count"] == 100
    assert report["dataset"]["skipped_records"] == {"not_utf8": 1}


def test_junk_file_in_the_folder_is_named_without_a_traceback(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_bytes(b"x\n1\n2\n")
    (data / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    done = _baseline(data, tmp_path / "out")
    assert done.returncode == 1
    assert "picture.png: binary data, not CSV text" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "statistics.json").exists()


def test_json_lines_of_null_and_deep_nesting_end_with_a_message(tmp_path):
    (tmp_path / "c.jsonl").write_text("null\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    done = _baseline(tmp_path / "c.jsonl", tmp_path / "out", "--format", "json")
    assert done.returncode == 1, done.stderr
    assert "'not_a_record': 1" in done.stderr and "'too_deep': 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_parquet_with_two_columns_of_one_name_is_refused(tmp_path):
    pq.write_table(pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"]), tmp_path / "p.parquet")
    done = _baseline(tmp_path / "p.parquet", tmp_path / "out", "--format", "parquet")
    assert done.returncode == 1
    assert "p.parquet, field 'x': two columns have this name" in done.stderr and "Traceback" not in done.stderr
