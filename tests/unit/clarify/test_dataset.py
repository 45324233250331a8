"""dataset_type → reader, headers naming the columns, and the report on each format."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sagewatch.clarify.bias.dataset import read_table, run_bias_analysis
from sagewatch.errors import DatasetError, SchemaError
from sagewatch.schemas.clarify_config import parse_analysis_config

ROWS = [{"sex": i % 2, "x": i / 4, "y": int(i % 5 < 2)} for i in range(100)]
BIAS = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}}}


def _values(report):
    entry = report.document["pre_training_bias_metrics"]["facets"]["sex"][0]
    return [m["value"] for m in entry["metrics"]]


@pytest.fixture
def expected(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("sex,x,y\n" + "".join(f"{r['sex']},{r['x']},{r['y']}\n" for r in ROWS))
    return _values(run_bias_analysis(parse_analysis_config(BIAS), path))


def test_jsonlines_parquet_and_json_give_the_csv_numbers(tmp_path, expected):
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (tmp_path / "d.json").write_text(json.dumps(ROWS))
    pq.write_table(pa.Table.from_pylist(ROWS), tmp_path / "d.parquet")
    for name, kind in (("d.jsonl", "application/jsonlines"), ("d.json", "application/json"),
                       ("d.parquet", "application/x-parquet")):
        config = parse_analysis_config({**BIAS, "dataset_type": kind})
        assert _values(run_bias_analysis(config, tmp_path / name)) == expected, kind


def test_headers_name_headerless_csv_columns_and_a_matching_first_line_is_skipped(tmp_path, expected):
    body = "".join(f"{r['sex']},{r['x']},{r['y']}\n" for r in ROWS)
    config = parse_analysis_config({**BIAS, "headers": ["sex", "x", "y"]})
    (tmp_path / "a.csv").write_text(body)
    (tmp_path / "b.csv").write_text("sex,x,y\n" + body)
    assert _values(run_bias_analysis(config, tmp_path / "a.csv")) == expected
    assert _values(run_bias_analysis(config, tmp_path / "b.csv")) == expected
    assert read_table(tmp_path / "b.csv", config)[0].num_rows == len(ROWS)


def test_headers_of_the_wrong_width_name_the_field(tmp_path):
    (tmp_path / "a.csv").write_text("1,2,3\n")
    with pytest.raises(SchemaError) as info:
        read_table(tmp_path / "a.csv", parse_analysis_config({**BIAS, "headers": ["sex", "y"]}))
    assert info.value.field == "headers" and "names 2 columns but the dataset has 3" in str(info.value)


def test_rows_missing_a_used_value_are_dropped_and_counted(tmp_path, expected):
    path = tmp_path / "d.csv"
    path.write_text("sex,x,y\n" + "".join(f"{r['sex']},{r['x']},{r['y']}\n" for r in ROWS) + ",1.0,1\n1,,\n")
    report = run_bias_analysis(parse_analysis_config(BIAS), path)
    assert report.skips == {"missing_value": 2} and report.rows == len(ROWS)
    assert _values(report) == expected


def test_image_datasets_and_empty_datasets_are_refused(tmp_path):
    with pytest.raises(SchemaError, match="dataset_type application/x-image is not supported"):
        read_table(tmp_path, parse_analysis_config({**BIAS, "dataset_type": "application/x-image"}))
    (tmp_path / "e.csv").write_text("sex,x,y\n")
    with pytest.raises(DatasetError, match="no records could be read"):
        read_table(tmp_path / "e.csv", parse_analysis_config(BIAS))
