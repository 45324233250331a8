"""Past every chunk and row-group boundary: reruns write the same bytes, identical data raises nothing.

The CSV (300,000 rows) spans two CSV chunks (262,144 rows each); the Parquet file holds the same rows
in six row groups of 50,000. Everything runs through the ``sagewatch`` console script.
"""

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sagewatch.defaults import CHUNK_ROWS

ROWS = 300_000
SAGEWATCH = [sys.executable, "-m", "sagewatch"]


def _table():
    rng = np.random.default_rng(11)
    return pa.table({
        "income": np.round(rng.lognormal(10, 0.8, ROWS), 2),
        "age": rng.integers(18, 90, ROWS),
        "score": rng.normal(0, 1, ROWS),
        "plan": rng.choice(["basic", "plus", "pro", "team"], ROWS, p=[0.5, 0.3, 0.15, 0.05]),
    })


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("large")
    table = _table()
    for name in ("csv_a", "csv_b", "parquet"):
        (root / name).mkdir()
    pacsv.write_csv(table, root / "csv_a" / "data.csv")
    pacsv.write_csv(table, root / "csv_b" / "data.csv")
    pq.write_table(table, root / "parquet" / "data.parquet", row_group_size=50_000)
    assert ROWS > CHUNK_ROWS and pq.ParquetFile(root / "parquet" / "data.parquet").num_row_groups == 6
    return root


def _sagewatch(*args):
    done = subprocess.run([*SAGEWATCH, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("source, fmt", [("csv_a", "csv"), ("parquet", "parquet")])
def test_baseline_reruns_write_identical_bytes(tmp_path, data, source, fmt):
    for run in ("one", "two"):
        _sagewatch("baseline", data / source, "--format", fmt, "--output", tmp_path / run, "--no-progress")
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert {"statistics.json", "constraints.json"} <= one.keys()
    assert one == two
    stats = json.loads(one["statistics.json"])
    assert stats["dataset"]["item_count"] == ROWS
    for feature in stats["features"]:
        if "numerical_statistics" in feature:
            kll = feature["numerical_statistics"]["distribution"]["kll"]
            assert sum(len(level) << i for i, level in enumerate(kll["sketch"]["data"])) == ROWS
            assert sum(b["count"] for b in kll["buckets"]) == ROWS


def test_identical_data_raises_no_violation_across_formats_and_reruns(tmp_path, data):
    _sagewatch("baseline", data / "parquet", "--format", "parquet", "--output", tmp_path / "base", "--no-progress")
    base = tmp_path / "base"
    _sagewatch("baseline", data / "csv_a", "--output", tmp_path / "base_csv", "--no-progress")
    outputs = {}
    for name, baseline in (("parquet_vs_csv", base), ("csv_vs_csv", tmp_path / "base_csv"),
                           ("csv_vs_csv_again", tmp_path / "base_csv")):
        stdout = _sagewatch("monitor", data / "csv_b", "--output", tmp_path / name, "--no-progress",
                            "--baseline-statistics", baseline / "statistics.json",
                            "--baseline-constraints", baseline / "constraints.json")
        violations = json.loads((tmp_path / name / "constraint_violations.json").read_text())["violations"]
        assert violations == [], (name, stdout)
        outputs[name] = _files(tmp_path / name)
    assert "sagewatch_report.json" in outputs["csv_vs_csv"]
    assert outputs["csv_vs_csv"] == outputs["csv_vs_csv_again"]
    # the Parquet and the CSV baseline describe the same rows: the same counts in every bucket up to the sketch error
    parquet_stats = json.loads((base / "statistics.json").read_text())
    csv_stats = json.loads((tmp_path / "base_csv" / "statistics.json").read_text())
    for p_feature, c_feature in zip(parquet_stats["features"], csv_stats["features"]):
        if "numerical_statistics" not in p_feature:
            continue
        p_counts = [b["count"] for b in p_feature["numerical_statistics"]["distribution"]["kll"]["buckets"]]
        c_counts = [b["count"] for b in c_feature["numerical_statistics"]["distribution"]["kll"]["buckets"]]
        assert np.max(np.abs(np.subtract(p_counts, c_counts))) <= 0.003 * ROWS, p_feature["name"]
