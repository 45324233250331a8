"""The inputs named in issue 11, kept in the fuzz corpus as fixed cases (each also has a named regression
test in its own area). Each entry: name -> (family, make(ctx) -> that family's case input)."""

from __future__ import annotations

import json
import random
from typing import Any, Callable

from sw_fuzz_inputs import deep_json_text
from sw_fuzz_records import capture_record


def _csv(files: dict[str, bytes], records: int | None, *, header: bool = True, exact: bool = False,
         damage: str = "issue 11") -> dict[str, Any]:
    return {"format": "csv", "files": files, "records": records, "table": None, "damage": damage, "exact": exact,
            "chunk_rows": None, "dataset_format": {"csv": {"header": header}}}


def _json(data: bytes, lines: bool, records: int | None, *, bare: bool = False) -> dict[str, Any]:
    return {"format": "json" if lines else "json_array", "files": {"data.jsonl" if lines else "data.json": data},
            "records": records, "table": None, "damage": "issue 11", "exact": True, "bare": bare,
            "chunk_rows": None, "dataset_format": {"json": {"lines": lines}}}


def _capture(lines: list[bytes], good: int) -> dict[str, Any]:
    return {"format": "capture", "files": {"capture.jsonl": b"\n".join(lines) + b"\n"}, "records": len(lines),
            "good": good, "hostile": len(lines) - good, "table": None, "damage": "issue 11", "exact": False,
            "chunk_rows": None,
            "dataset_format": {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}}


def _good_lines(n: int, encoding: str = "CSV") -> list[bytes]:
    rng = random.Random(5)
    return [json.dumps(capture_record(rng, encoding=encoding, n_features=3)).encode() for _ in range(n)]


def _deep_payload_line(depth: int) -> bytes:
    record = capture_record(random.Random(1), encoding="JSON")
    record["captureData"]["endpointInput"]["data"] = deep_json_text(depth)
    return json.dumps(record).encode()


def _parquet(kind: str) -> dict[str, Any]:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    if kind == "uint64":
        table = pa.table({"u": pa.array([2 ** 64 - 1, 1, 2], pa.uint64())})
    elif kind == "binary":
        table = pa.table({"b": pa.array([b"\xff\xfe", b"\xe9", b"ok"], pa.binary())})
    else:
        table = pa.Table.from_arrays([pa.array([1, 2, 3]), pa.array([0.5, 1.5, 2.5])], names=["d", "d"])
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return {"format": "parquet", "files": {"data.parquet": sink.getvalue()}, "records": 3, "table": None,
            "damage": kind, "exact": True, "chunk_rows": None, "dataset_format": {"parquet": {}}}


def _stats(ctx: Any, path: tuple, value: Any) -> dict[str, Any]:
    import copy
    document = copy.deepcopy(ctx.valid_statistics)
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return {"data": json.dumps(document).encode(), "must_fail": True, "valid": False}


def _constraints(ctx: Any, path: tuple, value: Any) -> dict[str, Any]:
    import copy
    document = copy.deepcopy(ctx.valid_constraints)
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return {"data": json.dumps(document).encode(), "must_fail": True, "valid": False}


def _job(ctx: Any, *, env: dict[str, str] | None = None, files: dict[str, bytes] | None = None,
         config: bytes | None = None, monitoring: bool = False, expect_violations: bool = False) -> dict[str, Any]:
    data = b"x,n,s\n1.5,1,a\n2.5,2,b\n3.5,3,a\n"
    case = {"env": {"dataset_source": "/opt/ml/processing/input", "output_path": "/opt/ml/processing/output",
                    "dataset_format": '{"csv": {"header": true}}'},
            "files": {"input/data.csv": data}, "config": config, "expect_violations": expect_violations}
    if monitoring:
        case["files"]["baseline/statistics.json"] = json.dumps(ctx.valid_statistics).encode()
        case["files"]["baseline/constraints.json"] = json.dumps(ctx.valid_constraints).encode()
        case["env"]["baseline_statistics"] = "/opt/ml/processing/baseline/statistics.json"
        case["env"]["baseline_constraints"] = "/opt/ml/processing/baseline/constraints.json"
    case["env"].update(env or {})
    case["files"].update(files or {})
    return case


def _capture_job(ctx: Any, line: bytes, preprocessor: str | None = None) -> dict[str, Any]:
    env = {"dataset_format": '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}'}
    files = {"input/data.csv": None, "input/2024/05/01/10/c.jsonl": b"\n".join(_good_lines(3) + [line]) + b"\n"}
    if preprocessor:
        env["record_preprocessor_script"] = "/opt/ml/processing/code/pre.py"
        files["code/pre.py"] = preprocessor.encode()
    case = _job(ctx, env=env)
    del case["files"]["input/data.csv"]
    files.pop("input/data.csv")
    case["files"].update(files)
    return case


def _request(kind: str, body: bytes, headers: dict[str, str], *, method: str = "POST",
             rows: int | None = None) -> dict[str, Any]:
    return {"method": method, "path": "/invocations", "headers": headers, "body": body, "rows": rows, "kind": kind}


CSV = {"Content-Type": "text/csv"}

FIXED: dict[str, tuple[str, Callable[[Any], Any]]] = {
    # §3: one captured record must never kill or hang a job
    "null_capture_file": ("dataset", lambda ctx: _capture([b"null"], 0)),
    "null_line_after_good_capture": ("dataset", lambda ctx: _capture(_good_lines(3) + [b"null"], 3)),
    "null_first_json_line": ("dataset", lambda ctx: _json(b'null\n{"a": 1}\n{"a": 2}\n', True, 2, bare=True)),
    "deep_100k_json_lines_file": ("dataset", lambda ctx: _json(deep_json_text(100_000).encode() + b'\n{"a": 1}\n',
                                                                True, 1, bare=True)),
    "deep_100k_capture_file": ("dataset", lambda ctx: _capture([deep_json_text(100_000).encode()], 0)),
    "deep_100k_payload": ("dataset", lambda ctx: _capture(_good_lines(2) + [_deep_payload_line(100_000)], 2)),
    "deep_2000_json_payload": ("dataset", lambda ctx: _capture(_good_lines(2, "JSON") + [_deep_payload_line(2_000)], 2)),
    "deep_400_json_payload": ("dataset", lambda ctx: _capture(_good_lines(2, "JSON") + [_deep_payload_line(400)], 2)),
    "preprocessor_sys_exit": ("job", lambda ctx: _capture_job(
        ctx, _good_lines(1)[0], "import sys\ndef preprocess_handler(inference_record):\n    sys.exit(3)\n")),
    "deep_payload_job": ("job", lambda ctx: _capture_job(ctx, _deep_payload_line(2_000))),
    "null_line_job": ("job", lambda ctx: _capture_job(ctx, b"null")),
    # §4: clear errors instead of tracebacks
    "header_only_no_newline": ("dataset", lambda ctx: _csv({"data.csv": b"a,b,c"}, 0)),
    "latin1_byte": ("dataset", lambda ctx: _csv({"data.csv": b"a,b\n1,caf\xe9\n2,x\n"}, 2)),
    "cr_only_line_ends": ("dataset", lambda ctx: _csv({"data.csv": b"a,b\r1,2\r3,4\r"}, 2, exact=True)),
    "header_field_over_128k": ("dataset", lambda ctx: _csv({"data.csv": b"h" * 140_000 + b",b\n1,2\n"}, 1)),
    "truncated_gz": ("dataset", lambda ctx: _csv({"data.csv.gz": __import__("gzip").compress(b"a,b\n1,2\n")[:15]},
                                                 None)),
    "fake_gz": ("dataset", lambda ctx: _csv({"data.csv.gz": b"a,b\n1,2\n"}, None)),
    "junk_file_in_folder": ("dataset", lambda ctx: _csv({"a.csv": b"a,b\n1,2\n", "b.csv": b"\x00\xff\xfe\x89PNG"},
                                                        None)),
    "parquet_uint64_max": ("dataset", lambda ctx: _parquet("uint64")),
    "parquet_binary_non_utf8": ("dataset", lambda ctx: _parquet("binary")),
    "bad_time_feb_30": ("capture_line", lambda ctx: {"line": json.dumps(capture_record(
        random.Random(2), time="2024-02-30T10:00:00Z")).encode(), "kind": "bad_time"}),
    "bad_time_hour_25": ("capture_line", lambda ctx: {"line": json.dumps(capture_record(
        random.Random(2), time="2024-01-01T25:00:00Z")).encode(), "kind": "bad_time"}),
    "bad_time_offset_25": ("capture_line", lambda ctx: {"line": json.dumps(capture_record(
        random.Random(2), time="2024-01-01T10:00:00+25:00")).encode(), "kind": "bad_time"}),
    "bad_time_year_0": ("capture_line", lambda ctx: {"line": json.dumps(capture_record(
        random.Random(2), time="0000-01-01T00:00:00Z")).encode(), "kind": "bad_time"}),
    "job_start_time_feb_30": ("job", lambda ctx: _job(ctx, env={"start_time": "2024-02-30T10:00:00Z",
                                                                "end_time": "2024-03-01T10:00:00Z"})),
    "monitoring_config_string": ("constraints", lambda ctx: _constraints(ctx, ("monitoring_config",), "x")),
    "num_constraints_number": ("constraints", lambda ctx: _constraints(ctx, ("features", 0, "num_constraints"), 5)),
    "numerical_statistics_list": ("statistics", lambda ctx: _stats(ctx, ("features", 0, "numerical_statistics"), [])),
    "item_count_abc": ("statistics", lambda ctx: _stats(ctx, ("dataset", "item_count"), "abc")),
    "kll_data_string": ("statistics", lambda ctx: _stats(
        ctx, ("features", 0, "numerical_statistics", "distribution", "kll", "sketch", "data"), "1,2")),
    "kll_k_negative": ("statistics", lambda ctx: _stats(
        ctx, ("features", 0, "numerical_statistics", "distribution", "kll", "sketch", "parameters", "k"), -3)),
    "deep_statistics": ("statistics", lambda ctx: {"data": deep_json_text(100_000).encode(), "must_fail": True,
                                                   "valid": False}),
    "malformed_report_next_to_baseline": ("job", lambda ctx: _job(
        ctx, monitoring=True, files={"baseline/sagewatch_report.json": b'{"sample": {"columns": 3'})),
    "config_json_list": ("job", lambda ctx: _job(ctx, config=b"[]")),
    "config_json_not_utf8": ("job", lambda ctx: _job(ctx, config=b'{"Environment": {"a": "\xff"}}')),
    "output_path_is_a_file": ("job", lambda ctx: _job(ctx, env={"output_path": "/opt/ml/processing/afile"},
                                                      files={"afile": b"x"})),
    # §5: no silent wrong results
    "header_xyz_against_abc": ("job", lambda ctx: _job(ctx, monitoring=True, expect_violations=True,
                                                       files={"input/data.csv": b"p,q,r\n1.5,1,a\n2.5,2,b\n"})),
    "unterminated_quote": ("dataset", lambda ctx: _csv({"data.csv": b'a,b\n1,2\n"3,4\n5,6\n7,8\n'}, 4,
                                                         damage="unterminated_quote")),
    "blank_first_line_in_folder": ("dataset", lambda ctx: _csv({"a.csv": b"a,b\n1,2\n",
                                                                 "b.csv": b"\na,b\n3,4\n5,6\n"}, 3)),
    "utf16_csv": ("dataset", lambda ctx: _csv({"data.csv": "a,b\n1,2\n".encode("utf-16")}, 1)),
    "bare_json_lines_values": ("dataset", lambda ctx: _json(b'{"a": 1}\n1\nnull\n{"a": 2}\n', True, 2, bare=True)),
    "parquet_duplicate_names": ("dataset", lambda ctx: _parquet("duplicate")),
    "domains_string": ("constraints", lambda ctx: _constraints(ctx, ("features", 2, "string_constraints", "domains"),
                                                               "xyz")),
    "name_null": ("statistics", lambda ctx: _stats(ctx, ("features", 0, "name"), None)),
    "negative_std_dev": ("statistics", lambda ctx: _stats(ctx, ("features", 0, "numerical_statistics", "std_dev"),
                                                          -1.0)),
    "kll_k_zero": ("statistics", lambda ctx: _stats(
        ctx, ("features", 0, "numerical_statistics", "distribution", "kll", "sketch", "parameters", "k"), 0)),
    "completeness_true": ("constraints", lambda ctx: _constraints(ctx, ("features", 0, "completeness"), True)),
    "output_inside_input": ("job", lambda ctx: _job(ctx, env={"output_path": "/opt/ml/processing/input/out"})),
    "post_analytics_missing": ("job", lambda ctx: _job(
        ctx, env={"post_analytics_processor_script": "/opt/ml/processing/code/missing.py"})),
    "post_analytics_raises": ("job", lambda ctx: _job(
        ctx, env={"post_analytics_processor_script": "/opt/ml/processing/code/post.py"},
        files={"code/post.py": b"def postprocess_handler():\n    raise RuntimeError('x')\n"})),
    "dataset_format_deep": ("dataset_format", lambda ctx: {"value": deep_json_text(100_000), "expected": None}),
    # §7: the model server's status codes
    "serving_wrong_feature_count": ("serving", lambda ctx: _request("wrong_width", b"1,2,3\n", CSV)),
    "serving_nan": ("serving", lambda ctx: _request("nan", b"1,nan,3,4\n", CSV)),
    "serving_text": ("serving", lambda ctx: _request("text", b"1,abc,3,4\n", CSV)),
    "serving_header_row": ("serving", lambda ctx: _request("header", b"a,b,c,d\n1,2,3,4\n", CSV)),
    "serving_10mb_body": ("serving", lambda ctx: _request("too_large", b"1,2,3,4\n" * (10 * 1024 * 1024 // 8), CSV)),
    "serving_deep_json": ("serving", lambda ctx: _request("deep", deep_json_text(100_000).encode(),
                                                          {"Content-Type": "application/json"})),
    "serving_content_type_semicolons": ("serving", lambda ctx: _request("bad_type", b"1,2,3,4\n",
                                                                        {"Content-Type": ";;;"})),
    "serving_gzip": ("serving", lambda ctx: _request("gzip", __import__("gzip").compress(b"1,2,3,4\n"),
                                                     {"Content-Type": "text/csv", "Content-Encoding": "gzip"},
                                                     rows=1)),
    "serving_put": ("serving", lambda ctx: _request("method", b"1,2,3,4\n", CSV, method="PUT")),
}
