"""Fuzz families for single records and small documents: capture lines, ground-truth lines,
``dataset_format``, ``statistics.json`` and ``constraints.json``.

Each family is ``generate(rng, ctx) -> case input`` and ``run(case input, ctx) -> (outcome, detail)``;
``run`` raises a :class:`sagewatch.errors.SagewatchError` for a clear error and :class:`FuzzFailure` when
the result is wrong.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import random
from typing import Any

from sw_fuzz_inputs import (BAD_TIMES, GOOD_TIMES, deep_json_text, deep_object_text, deep_value, expect,
                            hostile_text, mutate_json, mutate_number)

# --- capture and ground-truth records -------------------------------------------------------------------------


def csv_row(rng: random.Random, n: int) -> str:
    return ",".join(rng.choice([str(rng.randint(-5, 99)), f"{rng.uniform(-10, 10):.3f}", rng.choice("abc")])
                    for _ in range(n))


def capture_payload(rng: random.Random, mode: str, encoding: str, n_features: int = 3) -> dict[str, Any]:
    row = csv_row(rng, n_features)
    if encoding == "CSV":
        return {"observedContentType": "text/csv", "mode": mode, "data": row, "encoding": "CSV"}
    if encoding == "JSON":
        values = [float(v) if v.lstrip("-").replace(".", "", 1).isdigit() else v for v in row.split(",")]
        body = rng.choice([values, {"instances": [{"features": values}]}, {"predictions": [{"score": values[0]}]}])
        return {"observedContentType": "application/json", "mode": mode, "data": json.dumps(body),
                "encoding": "JSON"}
    return {"observedContentType": "text/csv", "mode": mode, "data": base64.b64encode(row.encode()).decode(),
            "encoding": "BASE64"}


def capture_record(rng: random.Random, *, encoding: str | None = None, time: str | None = None,
                   n_features: int = 3) -> dict[str, Any]:
    encoding = encoding or rng.choice(["CSV", "JSON", "BASE64"])
    return {
        "captureData": {
            "endpointInput": capture_payload(rng, "INPUT", encoding, n_features),
            "endpointOutput": capture_payload(rng, "OUTPUT", "CSV" if encoding == "BASE64" else encoding, 1),
        },
        "eventMetadata": {"eventId": f"e-{rng.randrange(10 ** 9)}",
                          "inferenceTime": time or rng.choice(GOOD_TIMES)},
        "eventVersion": "0",
    }


def hostile_capture_line(rng: random.Random) -> tuple[bytes, str]:
    """A capture line that must end in an error (or a counted skip when it is read from a file)."""
    record = capture_record(rng)
    kind = rng.choice(["null", "deep_file", "deep_payload", "deep_object", "bad_time", "non_utf8", "bad_base64",
                       "not_object", "truncated", "wrong_encoding", "data_not_string", "too_wide"])
    if kind == "too_wide":  # a payload far wider than every other record (and than any model takes)
        record["captureData"]["endpointInput"].update(encoding="CSV", observedContentType="text/csv",
                                                      data=",".join(["1"] * rng.choice([20_000, 300_000])))
        return json.dumps(record).encode(), kind
    if kind == "null":
        return b"null", kind
    if kind == "deep_file":
        return deep_json_text(rng.choice([2_000, 100_000])).encode(), kind
    if kind == "deep_object":
        return deep_object_text(rng.choice([1_500, 50_000])).encode(), kind
    if kind == "deep_payload":
        record["captureData"]["endpointInput"].update(
            encoding="JSON", observedContentType="application/json",
            data=deep_json_text(rng.choice([400, 2_000, 100_000])))
        return json.dumps(record).encode(), kind
    if kind == "bad_time":
        record["eventMetadata"]["inferenceTime"] = rng.choice(BAD_TIMES)
        return json.dumps(record).encode(), kind
    if kind == "non_utf8":
        text = json.dumps(record).encode()
        at = text.index(b'"data"') + 9
        return text[:at] + rng.choice([b"\xe9", b"\xff\xfe", b"\xc3("]) + text[at:], kind
    if kind == "bad_base64":
        record["captureData"]["endpointInput"].update(encoding="BASE64", data=rng.choice(["@@@", "a", "===="]))
        return json.dumps(record).encode(), kind
    if kind == "not_object":
        return rng.choice([b"1", b"[]", b'"x"', b"true", b"[{}]"]), kind
    if kind == "truncated":
        text = json.dumps(record).encode()
        return text[: rng.randrange(1, len(text) - 1)], kind
    if kind == "wrong_encoding":
        record["captureData"]["endpointInput"]["encoding"] = rng.choice(["UTF8", "csv", "", "JSONL"])
        return json.dumps(record).encode(), kind
    record["captureData"]["endpointInput"]["data"] = rng.choice([1, None, ["1,2"], {"a": 1}])
    return json.dumps(record).encode(), "data_not_string"


def generate_capture_line(rng: random.Random, ctx: Any) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.03:  # huge fields where a record may hold them
        record = capture_record(rng)
        record["eventMetadata"]["eventId"] = "e" * rng.choice([100_000, 2_000_000])
        record["eventMetadata"]["customAttributes"] = ["a" * 70_000, "b"]
        return {"line": json.dumps(record).encode(), "kind": "valid"}
    if roll < 0.3:
        return {"line": json.dumps(capture_record(rng)).encode(), "kind": "valid"}
    if roll < 0.65:
        line, kind = hostile_capture_line(rng)
        return {"line": line, "kind": kind}
    mutated = mutate_json(capture_record(rng), rng, rounds=rng.randint(1, 3))
    return {"line": hostile_text(mutated, rng) if rng.random() < 0.3 else json.dumps(mutated).encode(),
            "kind": "mutated"}


def _whole_seconds(record: Any) -> Any:
    """The record as its file format keeps it: SageMaker's inferenceTime has whole seconds."""
    if record.inference_time is None:
        return record
    return dataclasses.replace(record, inference_time=record.inference_time.replace(microsecond=0))


# A deep payload is only decoded when the record is flattened, so parsing the line may accept it.
_MAY_PARSE = {"valid", "mutated", "deep_payload", "too_wide"}


def run_capture_line(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.capture import parse_capture_record, serialize_capture_record
    record = parse_capture_record(case["line"], source="fuzz.jsonl", line_number=1)
    expect(case["kind"] in _MAY_PARSE, f"a {case['kind']} capture line was accepted")
    again = parse_capture_record(serialize_capture_record(record))
    expect(again == _whole_seconds(record), "a parsed capture record does not survive serialize + parse")
    if case["kind"] == "valid":
        original = json.loads(case["line"])
        expect(record.event_id == original["eventMetadata"]["eventId"], "eventId changed")
        expect(record.endpoint_input.data == original["captureData"]["endpointInput"]["data"], "data changed")
    return "ok", None


def ground_truth_record(rng: random.Random) -> dict[str, Any]:
    return {"groundTruthData": {"data": rng.choice(["1", "0", "0.25", "cat", '{"label": 1}']),
                                "encoding": rng.choice(["CSV", "JSON"])},
            "eventMetadata": {"eventId": f"e-{rng.randrange(10 ** 9)}", "inferenceTime": rng.choice(GOOD_TIMES)},
            "eventVersion": "0"}


def generate_ground_truth_line(rng: random.Random, ctx: Any) -> dict[str, Any]:
    record = ground_truth_record(rng)
    roll = rng.random()
    if roll < 0.3:
        return {"line": json.dumps(record).encode(), "kind": "valid"}
    if roll < 0.5:
        record["eventMetadata"]["inferenceTime"] = rng.choice(BAD_TIMES)
        return {"line": json.dumps(record).encode(), "kind": "bad_time"}
    if roll < 0.65:
        return {"line": rng.choice([b"null", deep_json_text(rng.choice([2_000, 100_000])).encode(),
                                    b'{"groundTruthData":' + deep_json_text(5_000).encode() + b"}",
                                    json.dumps(record).encode()[:-3], b"\xff\xfe{}"]), "kind": "hostile"}
    mutated = mutate_json(record, rng, rounds=rng.randint(1, 3))
    return {"line": hostile_text(mutated, rng) if rng.random() < 0.3 else json.dumps(mutated).encode(),
            "kind": "mutated"}


def run_ground_truth_line(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.capture import parse_ground_truth_record, serialize_ground_truth_record
    record = parse_ground_truth_record(case["line"], source="gt.jsonl", line_number=3)
    expect(case["kind"] in ("valid", "mutated"), f"a {case['kind']} ground-truth line was accepted")
    again = parse_ground_truth_record(serialize_ground_truth_record(record))
    expect(again == _whole_seconds(record), "a parsed ground-truth record does not survive serialize + parse")
    if case["kind"] == "valid":
        expect(record.data == json.loads(case["line"])["groundTruthData"]["data"], "data changed")
    return "ok", None


# --- dataset_format ----------------------------------------------------------------------------------------------

_VALID_FORMATS: list[tuple[Any, tuple]] = [
    ({"csv": {"header": True, "output_columns_position": "START"}}, ("CsvFormat", True, "START")),
    ({"csv": {"header": False}}, ("CsvFormat", False, "START")),
    ({"csv": {"output_columns_position": "END"}}, ("CsvFormat", True, "END")),
    ({"csv": {}}, ("CsvFormat", True, "START")),
    ({"json": {"lines": True}}, ("JsonFormat", True)),
    ({"json": {"lines": False}}, ("JsonFormat", False)),
    ({"json": {}}, ("JsonFormat", True)),
    ({"parquet": {}}, ("ParquetFormat",)),
    ({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}, ("CaptureJsonFormat", ("endpointInput",))),
    ({"sagemakerCaptureJson": {}}, ("CaptureJsonFormat", ("endpointInput", "endpointOutput"))),
]


def _describe_format(fmt: Any) -> tuple:
    name = type(fmt).__name__
    if name == "CsvFormat":
        return name, fmt.header, fmt.output_columns_position
    if name == "JsonFormat":
        return name, fmt.lines
    if name == "CaptureJsonFormat":
        return name, tuple(fmt.capture_index_names)
    return (name,)


def generate_dataset_format(rng: random.Random, ctx: Any) -> dict[str, Any]:
    document, expected = rng.choice(_VALID_FORMATS)
    roll = rng.random()
    if roll < 0.25:
        return {"value": json.dumps(document), "expected": expected}
    if roll < 0.4:
        return {"value": hostile_text(document, rng), "expected": None}
    if roll < 0.5:
        return {"value": rng.choice([deep_json_text(100_000), deep_object_text(3_000), "[]", "null", "5", "",
                                     '{"csv": {"header": "yes please"}}', '{"csv": {}, "json": {}}',
                                     '{"avro": {}}', '{"csv": []}', '{"json": {"lines": "x"}}',
                                     '{"sagemakerCaptureJson": {"captureIndexNames": "endpointInput"}}']),
                "expected": None}
    mutated = mutate_json(document, rng, rounds=rng.randint(1, 2))
    return {"value": mutated if rng.random() < 0.5 else json.dumps(mutated), "expected": None}


def run_dataset_format(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.datasets import DatasetFormat, parse_dataset_format
    fmt = parse_dataset_format(case["value"])
    expect(isinstance(fmt, DatasetFormat), f"parse_dataset_format returned {fmt!r}")
    if case["expected"] is not None:
        expect(_describe_format(fmt) == tuple(case["expected"]),
               f"{case['value']!r} parsed as {fmt!r}, expected {case['expected']}")
    if isinstance(case["value"], (str, bytes)) and case["expected"] is None:
        # a mutated document that still parses must be a real format of its options
        expect(_describe_format(parse_dataset_format(fmt.to_dict())) == _describe_format(fmt),
               f"{fmt!r} does not survive to_dict + parse")
    return "ok", None


# --- statistics.json and constraints.json ------------------------------------------------------------------------

# (path, value) pairs the issue names: each must be refused, never read as something else.
_IMPOSSIBLE_STATISTICS = [
    (("features", 0, "name"), None), (("features", 0, "name"), 5), (("dataset", "item_count"), "abc"),
    (("dataset", "item_count"), -1), (("features", 0, "numerical_statistics"), []),
    (("features", 0, "numerical_statistics", "std_dev"), -1.0),
    (("features", 0, "numerical_statistics", "common", "num_present"), -3),
    (("features", 0, "numerical_statistics", "distribution", "kll", "sketch", "parameters", "k"), -3),
    (("features", 0, "numerical_statistics", "distribution", "kll", "sketch", "parameters", "k"), 0),
    (("features", 0, "numerical_statistics", "distribution", "kll", "sketch", "data"), "1,2,3"),
    (("features", 0, "numerical_statistics", "distribution", "kll", "sketch", "data"), [["a", "b"]]),
    (("features", 0, "numerical_statistics", "distribution", "kll", "buckets", 0, "count"), -5),
    (("features", 0, "inferred_type"), "Banana"), (("features",), {"x": 1}), (("features",), "x"),
    (("features", 2, "string_statistics", "distinct_count"), -2.0),
    (("features", 2, "string_statistics", "distribution", "categorical", "buckets"), "a"),
]
_IMPOSSIBLE_CONSTRAINTS = [
    (("monitoring_config",), "x"), (("features", 0, "num_constraints"), 5), (("features", 2, "string_constraints",
                                                                              "domains"), "xyz"),
    (("features", 0, "name"), None), (("features", 0, "completeness"), True), (("features", 0, "completeness"), -0.5),
    (("features", 0, "completeness"), 2.0), (("features", 0, "inferred_type"), "Banana"),
    (("monitoring_config", "datatype_check_threshold"), "high"),
    (("monitoring_config", "distribution_constraints", "comparison_threshold"), -1),
    (("monitoring_config", "distribution_constraints", "comparison_method"), "Magic"),
    (("monitoring_config", "distribution_constraints", "categorical_drift_method"), 3),
    (("features",), None), (("features", 1), "n"), (("version",), []),
]


def _set(document: Any, path: tuple, value: Any) -> Any:
    document = copy.deepcopy(document)
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return document


def _generate_document(rng: random.Random, valid: Any, impossible: list) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.1:
        return {"data": json.dumps(valid).encode(), "must_fail": False, "valid": True}
    if roll < 0.35:
        path, value = rng.choice(impossible)
        document = _set(valid, path, value)
        if rng.random() < 0.3:  # more damage elsewhere does not make it acceptable
            document = mutate_json(document, rng)
            return {"data": json.dumps(document).encode(), "must_fail": False, "valid": False}
        return {"data": json.dumps(document).encode(), "must_fail": True, "valid": False}
    if roll < 0.55:
        return {"data": hostile_text(valid, rng), "must_fail": False, "valid": False}
    if roll < 0.6:
        return {"data": json.dumps({"version": 0.0, "features": deep_value(rng.choice([300, 450]))}).encode(),
                "must_fail": True, "valid": False}
    return {"data": json.dumps(mutate_json(valid, rng, rounds=rng.randint(1, 4))).encode(), "must_fail": False,
            "valid": False}


def generate_statistics(rng: random.Random, ctx: Any) -> dict[str, Any]:
    if rng.random() < 0.2:  # a sketch that has compacted: several levels of KLL data
        case = _generate_document(rng, ctx.identical_statistics, _IMPOSSIBLE_STATISTICS)
        case["base"] = "identical"
        return case
    return _generate_document(rng, ctx.valid_statistics, _IMPOSSIBLE_STATISTICS)


def generate_constraints(rng: random.Random, ctx: Any) -> dict[str, Any]:
    if rng.random() < 0.2:
        case = _generate_document(rng, mutate_number(ctx.valid_constraints, rng), _IMPOSSIBLE_CONSTRAINTS)
        case["valid"] = False
        return case
    return _generate_document(rng, ctx.valid_constraints, _IMPOSSIBLE_CONSTRAINTS)


def run_statistics(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.schemas.serialize import dumps_jackson
    from sagewatch.schemas.statistics import load_statistics, statistics_document
    path = ctx.fresh_dir() / "statistics.json"
    path.write_bytes(case["data"])
    profile = load_statistics(path)
    expect(not case["must_fail"], f"impossible statistics accepted: {case['data'][:300]!r}")
    path.write_text(dumps_jackson(statistics_document(profile)))
    again = load_statistics(path)
    expect(again.item_count == profile.item_count and list(again.columns) == list(profile.columns),
           "accepted statistics do not survive write + read")
    if case["valid"]:
        original = ctx.identical_statistics if case.get("base") == "identical" else ctx.valid_statistics
        expect(json.loads(path.read_text()) == original, "valid statistics changed on a round trip")
    return "ok", None


def run_constraints(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.schemas.constraints import load_constraints
    path = ctx.fresh_dir() / "constraints.json"
    path.write_bytes(case["data"])
    constraints = load_constraints(path)
    expect(not case["must_fail"], f"impossible constraints accepted: {case['data'][:300]!r}")
    path.write_text(constraints.dumps())
    again = load_constraints(path)
    expect(again.to_dict() == constraints.to_dict(), "accepted constraints do not survive write + read")
    if case["valid"]:
        expect(constraints.to_dict() == ctx.valid_constraints, "valid constraints changed on a round trip")
    return "ok", None
