"""sagewatch.api: DataFrames, pyarrow Tables and paths give the bytes the CLI and the job write."""

import doctest
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sagewatch
from sagewatch import api
from sagewatch.cli import main as cli_main
from sagewatch.defaults import CHUNK_ROWS
from sagewatch.errors import InvalidParameterError, SchemaError


def churn(rows, seed=7):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(18, 90, rows),
        "charges": np.round(rng.normal(50.0, 20.0, rows), 3),
        "plan": rng.choice(["basic", "pro", "gold"], rows),
        "score": rng.random(rows),
    })
    frame.loc[::7, "charges"] = np.nan
    frame.loc[::11, "plan"] = None
    return frame


@pytest.fixture(scope="module")
def big():
    """More rows than one reader chunk: the in-memory path must cut the same chunks as the CSV reader."""
    return churn(CHUNK_ROWS + 1000)


def _cli(*args):
    assert cli_main([*map(str, args), "--no-progress"]) == 0


def test_dataframe_and_its_csv_give_the_same_baseline_bytes_as_the_cli(big, tmp_path, capsys):
    big.to_csv(tmp_path / "train.csv", index=False)
    _cli("baseline", tmp_path / "train.csv", "--output", tmp_path / "cli")
    capsys.readouterr()
    statistics, constraints = api.suggest_baseline(big)
    assert statistics.item_count == len(big)
    assert statistics.to_json() == (tmp_path / "cli" / "statistics.json").read_text()
    assert constraints.to_json() == (tmp_path / "cli" / "constraints.json").read_text()


def test_check_of_a_dataframe_gives_the_cli_monitor_violations(tmp_path, capsys):
    train, today = churn(3000), churn(2000, seed=8)
    today["age"] = today["age"] + 30  # drifted
    today.loc[::3, "plan"] = "platinum"  # new category
    today["extra"] = 1
    train.to_csv(tmp_path / "train.csv", index=False)
    (tmp_path / "today").mkdir()
    today.to_csv(tmp_path / "today" / "today.csv", index=False)
    _cli("baseline", tmp_path / "train.csv", "--output", tmp_path / "base")
    _cli("monitor", tmp_path / "today", "--output", tmp_path / "mon",
         "--baseline-statistics", tmp_path / "base" / "statistics.json",
         "--baseline-constraints", tmp_path / "base" / "constraints.json")
    capsys.readouterr()
    expected = (tmp_path / "mon" / "constraint_violations.json").read_text()

    result = api.check(today, api.suggest_baseline(train))
    assert result.to_json() == expected
    assert result.statistics.to_json() == (tmp_path / "mon" / "statistics.json").read_text()
    kinds = {(v.feature_name, v.constraint_check_type) for v in result}
    assert {("age", "baseline_drift_check"), ("plan", "categorical_values_check"),
            ("extra", "extra_column_check")} <= kinds
    assert result.drift_distances["age"] > 0.1
    # the baseline files on disk, and paths for everything, give the same result
    from_files = api.check(tmp_path / "today", tmp_path / "base" / "constraints.json",
                           tmp_path / "base" / "statistics.json")
    assert from_files.to_json() == expected and len(from_files) == len(result)


def test_dataframe_profiles_as_its_parquet_file_for_typed_columns(tmp_path):
    frame = pd.DataFrame({
        "flag": [True, False, None, True],
        "count": pd.array([1, None, 3, 4], dtype="Int64"),
        "colour": pd.Categorical(["red", "blue", None, "red"]),
        "when": pd.to_datetime(["2024-01-01", None, "2024-01-02 10:00", "2024-01-03"], format="ISO8601"),
        "text": pd.array(["a", None, "c", "a"], dtype="string"),
        "blob": [b"\x00\xff", None, b"A", b"A"],
    })
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "data.parquet")
    from_frame, from_file = api.profile(frame), api.profile(tmp_path / "data.parquet")
    assert from_frame.to_json() == from_file.to_json()
    features = {f["name"]: f for f in from_frame.to_dict()["features"]}
    assert features["count"]["inferred_type"] == "Integral"
    assert features["count"]["numerical_statistics"]["common"] == {"num_present": 3, "num_missing": 1}
    assert [b["value"] for b in features["flag"]["string_statistics"]["distribution"]["categorical"]["buckets"]] \
        == ["true", "false"]


def test_pyarrow_table_record_batch_and_dataframe_agree():
    frame = churn(500)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    texts = {api.profile(x).to_json() for x in (frame, table, table.to_batches(max_chunksize=500)[0])}
    assert len(texts) == 1


def test_the_index_is_not_profiled_and_labels_become_text():
    frame = pd.DataFrame({0: [1, 2], "b": [3.5, 4.5]}, index=pd.Index([10, 20], name="id"))
    assert api.profile(frame).feature_names == ["0", "b"]
    assert api.profile(frame.reset_index()).feature_names == ["id", "0", "b"]


def test_headerless_csv_path_is_checked_with_the_baseline_names(tmp_path):
    train = pd.DataFrame({"age": [30, 40, 50, 60], "plan": ["a", "b", "a", "b"]})
    (tmp_path / "live.csv").write_text("31,a\n41,c\n")
    result = api.check(tmp_path / "live.csv", api.suggest_baseline(train).constraints,
                       dataset_format={"csv": {"header": False}})
    assert result.statistics.feature_names == ["age", "plan"]
    assert [(v.feature_name, v.constraint_check_type) for v in result] == [("plan", "categorical_values_check")]


def test_write_helpers_write_the_files_to_json_gives(tmp_path):
    baseline = api.suggest_baseline(churn(200))
    stats_path, constraints_path = baseline.write(tmp_path / "baseline")
    assert (stats_path.name, constraints_path.name) == ("statistics.json", "constraints.json")
    assert stats_path.read_text() == baseline.statistics.to_json()
    assert constraints_path.read_text() == baseline.constraints.to_json()
    reloaded = api.Statistics.load(stats_path)
    assert reloaded.item_count == 200 and reloaded.feature_names == baseline.statistics.feature_names
    result = api.check(churn(100, seed=3), baseline)
    path = result.write(tmp_path / "out")
    assert json.loads(path.read_text()) == result.to_dict() and path.name == "constraint_violations.json"
    frame = result.to_frame()
    assert list(frame.columns) == ["feature_name", "constraint_check_type", "description"]
    assert len(frame) == len(result)
    with pytest.raises(InvalidParameterError, match="takes a folder"):
        baseline.statistics.write(stats_path)


def test_check_without_statistics_runs_no_drift_check():
    train = pd.DataFrame({"x": np.arange(100.0)})
    constraints = api.suggest_baseline(train).constraints
    result = api.check(pd.DataFrame({"x": np.arange(100.0) + 1000}), constraints)
    assert len(result) == 0 and dict(result.drift_distances) == {}
    drifted = api.check(pd.DataFrame({"x": np.arange(100.0) + 1000}), constraints, api.profile(train))
    assert [v.constraint_check_type for v in drifted] == ["baseline_drift_check"]


def test_constraints_and_statistics_as_dicts():
    train = churn(300)
    statistics, constraints = api.suggest_baseline(train)
    by_dict = api.check(churn(300, seed=9), constraints.to_dict(), statistics.to_dict())
    by_object = api.check(churn(300, seed=9), constraints, statistics)
    assert by_dict.to_json() == by_object.to_json()
    with pytest.raises(SchemaError, match="features"):
        api.check(train, {"features": "none"})


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])), "MultiIndex columns"),
    (pd.DataFrame([[1, 2]], columns=["a", "a"]), r"duplicate column names \['a'\]"),
    (pd.DataFrame([[1, 2]], columns=[1, "1"]), r"duplicate column names \['1'\] \(as text\)"),
    (pd.DataFrame({"m": [1, "a", None]}), r"column 'm' \(dtype object\) holds values of more than one kind "
                                           r"\(mixed-integer\)"),
    (pd.DataFrame({"z": [1 + 2j, 3j]}), r"column 'z' has dtype complex128.*real and imaginary"),
    (pd.DataFrame({"t": pd.to_timedelta([1, 2], unit="s")}), r"column 't' has type duration\[.*total_seconds"),
    (pd.DataFrame({"p": pd.period_range("2024-01", periods=2, freq="M")}), r"column 'p' has type extension"),
    (pd.DataFrame({"i": pd.interval_range(0, 2)}), r"column 'i' has type extension"),
    (pd.DataFrame({"s": pd.arrays.SparseArray([0, 1])}), r"column 's' is sparse"),
    (pd.DataFrame({"l": [[pd.Timestamp("2024-01-01")], []]}), r"column 'l' has type list<.*JSON text"),
    (pd.DataFrame({"x": pd.Series([], dtype=float)}), "has no rows"),
    (pd.DataFrame(index=[0, 1]), "has no columns"),
])
def test_unsupported_dataframes_are_refused_with_the_reason(frame, message):
    with pytest.raises(InvalidParameterError, match=message):
        api.profile(frame)


def test_unsupported_arrow_tables_and_arguments_are_refused(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"duplicate column names \['a'\]"):
        api.profile(pa.table([[1], [2]], names=["a", "a"]))
    with pytest.raises(InvalidParameterError, match="column 'm' has type map"):
        api.profile(pa.table({"m": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64()))}))
    with pytest.raises(InvalidParameterError, match="got builtins.list"):
        api.profile([[1, 2]])
    with pytest.raises(InvalidParameterError, match="got pandas.*Series"):
        api.profile(pd.Series([1, 2]))
    with pytest.raises(InvalidParameterError, match="dataset_format applies to files"):
        api.profile(churn(5), dataset_format={"csv": {}})
    with pytest.raises(InvalidParameterError, match="constraints must be"):
        api.check(churn(5), 42)
    with pytest.raises(InvalidParameterError, match="statistics must be"):
        api.check(churn(5), api.suggest_baseline(churn(5)).constraints, statistics=[1])
    (tmp_path / "a.txt").write_text("x\n1\n")
    with pytest.raises(InvalidParameterError, match=r"cannot tell the format .*\(\.txt\); pass dataset_format="):
        api.profile(tmp_path / "a.txt")
    assert api.profile(tmp_path / "a.txt", dataset_format={"csv": {"header": True}}).item_count == 1


def test_capture_files_with_a_time_window(tmp_path):
    def line(minute, age):
        return json.dumps({"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                                             "data": f"{age},basic", "encoding": "CSV"}},
                           "eventMetadata": {"eventId": f"e{minute}", "inferenceTime": f"2024-05-01T10:{minute:02d}:00Z"},
                           "eventVersion": "0"})
    (tmp_path / "c.jsonl").write_text("\n".join(line(m, 20 + m) for m in range(30)) + "\n")
    stats = api.profile(tmp_path / "c.jsonl", dataset_format={"sagemakerCaptureJson": {
        "captureIndexNames": ["endpointInput"]}}, start_time="2024-05-01T10:10:00Z",
        end_time="2024-05-01T10:20:00Z")
    assert stats.item_count == 10
    with pytest.raises(InvalidParameterError, match="start_time must be a datetime"):
        api.profile(tmp_path / "c.jsonl", dataset_format={"sagemakerCaptureJson": {}}, start_time=5)


def test_import_sagewatch_stays_light_and_reexports_lazily():
    code = ("import sys, sagewatch; heavy = [m for m in ('pandas', 'pyarrow', 'numpy', 'sagewatch.api') "
            "if m in sys.modules]; print(heavy); print(sagewatch.check.__module__, "
            "sagewatch.suggest_baseline is sys.modules['sagewatch.api'].suggest_baseline)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "sagewatch.api True"]
    assert {"check", "suggest_baseline", "CheckResult"} <= set(dir(sagewatch))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        sagewatch.nothing  # noqa: B018


@pytest.mark.parametrize("name", ["sagewatch.api", "sagewatch.datasets.frames"])
def test_docstring_examples(name):
    import importlib
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
