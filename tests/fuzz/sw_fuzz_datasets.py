"""Fuzz family for whole datasets: CSV, JSON Lines, JSON arrays, Parquet and capture files, clean or damaged,
read the way the job reads them (``iter_dataset`` + ``profile_tables``; Parquet by row group).

A clean dataset must give exactly its rows and its numbers; a damaged one may end in a clear error or in
counted skips, but never in rows that silently went missing or appeared.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import random
from pathlib import Path
from typing import Any

from sw_fuzz_inputs import deep_json_text, expect
from sw_fuzz_records import capture_record, hostile_capture_line

NAMES = ["a", "b", "x", "y", "z", "income", "col 1", "é", "age_years", "k"]


def _column(rng: random.Random, n: int) -> tuple[str, list[Any]]:
    kind = rng.choice(["int", "float", "string", "mixed", "int", "float", "string", "mixed", "extreme"])
    missing = rng.choice([0.0, 0.0, 0.1, 0.5])
    values: list[Any] = []
    for _ in range(n):
        if rng.random() < missing:
            values.append(None)
        elif kind == "extreme":
            values.append(rng.choice([1.7e308, -1.7e308, 1.7976931348623157e308, 5e-324, -0.0, 2 ** 63 - 1,
                                      -(2 ** 63), 2 ** 64 - 1, 2 ** 70, 1e-300, 0.0]))
        elif kind == "int" or (kind == "mixed" and rng.random() < 0.7):
            values.append(rng.choice([rng.randint(-1000, 1000), rng.randint(0, 3)]))
        elif kind == "float":
            values.append(rng.choice([rng.gauss(0, 1e3), rng.uniform(-1, 1), float(rng.randint(0, 9)) + 0.5]))
        else:
            values.append("".join(rng.choice("abcdefg") for _ in range(rng.randint(1, 4))))
    return kind, values


def _table(rng: random.Random) -> dict[str, Any]:
    n = rng.choice([1, 2, 5, 17, 60, 250, 1200])
    names = rng.sample(NAMES, rng.randint(1, 4))
    columns = {}
    kinds = {}
    for name in names:
        kinds[name], columns[name] = _column(rng, n)
    return {"n": n, "names": names, "columns": columns, "kinds": kinds}


def _csv_bytes(table: dict[str, Any], header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(table["names"])
    for i in range(table["n"]):
        writer.writerow(["" if table["columns"][c][i] is None else repr(table["columns"][c][i])
                         if not isinstance(table["columns"][c][i], str) else table["columns"][c][i]
                         for c in table["names"]])
    return out.getvalue().encode()


def _json_rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    return [{c: table["columns"][c][i] for c in table["names"] if table["columns"][c][i] is not None}
            for i in range(table["n"])]


def _parquet_bytes(table: dict[str, Any], rng: random.Random) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq
    arrays = []
    for c in table["names"]:
        values = table["columns"][c]
        if table["kinds"][c] == "mixed":
            values = [None if v is None else str(v) for v in values]
        if table["kinds"][c] == "extreme":
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values))
    sink = io.BytesIO()
    pq.write_table(pa.table(arrays, names=table["names"]), sink, row_group_size=rng.choice([1, 7, 100, 10_000]))
    return sink.getvalue()


def generate_dataset(rng: random.Random, ctx: Any) -> dict[str, Any]:
    fmt = rng.choice(["csv", "csv", "json", "json_array", "parquet", "capture", "capture"])
    table = _table(rng)
    case: dict[str, Any] = {"format": fmt, "files": {}, "records": table["n"], "table": None, "damage": None,
                            "chunk_rows": rng.choice([None, None, 1, 3, 64])}
    if fmt == "capture":
        return _capture_case(rng, case)
    header = True
    if fmt == "csv":
        header = rng.random() < 0.85
        data = _csv_bytes(table, header)
        case["dataset_format"] = {"csv": {"header": header}}
    elif fmt == "json":
        data = "".join(json.dumps(r) + "\n" for r in _json_rows(table)).encode()
        case["dataset_format"] = {"json": {"lines": True}}
    elif fmt == "json_array":
        data = json.dumps(_json_rows(table)).encode()
        case["dataset_format"] = {"json": {"lines": False}}
    else:
        data = _parquet_bytes(table, rng)
        case["dataset_format"] = {"parquet": {}}
    table["json"] = fmt in ("json", "json_array")
    name = {"csv": "data.csv", "json": "data.jsonl", "json_array": "data.json", "parquet": "data.parquet"}[fmt]
    if rng.random() < 0.55:
        case["table"] = table if header else _positional(table)
        case["files"][name] = data
        return case
    return _damage(rng, case, fmt, name, data, table)


def _positional(table: dict[str, Any]) -> dict[str, Any]:
    """The table as a headerless CSV names it: _c0, _c1, ..."""
    names = [f"_c{i}" for i in range(len(table["names"]))]
    rename = dict(zip(table["names"], names))
    return {**table, "names": names, "columns": {rename[k]: v for k, v in table["columns"].items()},
            "kinds": {rename[k]: v for k, v in table["kinds"].items()}}


def _damage(rng: random.Random, case: dict[str, Any], fmt: str, name: str, data: bytes,
            table: dict[str, Any]) -> dict[str, Any]:
    damages = ["truncated", "junk_file", "fake_gz", "gz_truncated", "gz", "bad_byte", "empty"]
    if fmt == "csv":
        damages += ["latin1", "cr_only", "crlf", "header_only", "blank_first", "unterminated_quote", "utf16",
                    "huge_header", "ragged", "bom", "nul_bytes"]
    if fmt == "json":
        damages += ["bare_values", "deep_line", "blank_lines", "utf16"]
    if fmt == "json_array":
        damages += ["deep", "non_objects"]
    if fmt == "parquet":
        damages += ["uint64_max", "binary_non_utf8", "duplicate_names", "many_row_groups"]
    damage = rng.choice(damages)
    case["damage"] = damage
    records: int | None = None  # records the reader must account for (rows + counted skips), when known
    exact = False  # the rows must be exactly these records (no skip allowed)
    if damage == "truncated":
        data = data[: rng.randrange(0, max(1, len(data)))]
    elif damage == "junk_file":
        case["files"]["zz_junk" + Path(name).suffix] = bytes(rng.randrange(256) for _ in range(rng.choice([3, 300])))
        records = None
    elif damage == "fake_gz":
        name += ".gz"
    elif damage == "gz_truncated":
        packed = gzip.compress(data)
        data, name = packed[: rng.randrange(1, max(2, len(packed) - 1))], name + ".gz"
    elif damage == "gz":
        data, name, records, exact = gzip.compress(data), name + ".gz", table["n"], fmt != "json_array" or True
    elif damage == "bad_byte":
        at = rng.randrange(0, max(1, len(data)))
        data = data[:at] + rng.choice([b"\xff", b"\xe9", b"\x80"]) + data[at:]
    elif damage == "empty":
        data = b""
    elif damage == "latin1":
        lines = data.split(b"\n")
        i = rng.randrange(1, max(2, len(lines) - 1)) if len(lines) > 2 else 0
        lines[i] = lines[i] + b"\xe9" if i else lines[i]
        data, records = b"\n".join(lines), table["n"]
    elif damage in ("cr_only", "crlf"):
        data, records, exact = data.replace(b"\n", b"\r" if damage == "cr_only" else b"\r\n"), table["n"], True
    elif damage == "header_only":
        data = data.split(b"\n", 1)[0]
        records = 0 if case["dataset_format"]["csv"]["header"] else 1  # without a header the line is a row
    elif damage == "blank_first":
        data, records = b"\n" + data, table["n"]
    elif damage == "unterminated_quote":
        lines = data.split(b"\n")
        i = rng.randrange(1, max(2, len(lines) - 1)) if len(lines) > 2 else 0
        lines[i] = b'"' + lines[i]
        data, records = b"\n".join(lines), table["n"]
    elif damage == "utf16":
        data, records = data.decode().encode(rng.choice(["utf-16", "utf-16-le"])), table["n"]
    elif damage == "huge_header":
        data = b"h" * rng.choice([140_000, 300_000]) + b"," + data
    elif damage == "ragged":
        lines = data.split(b"\n")
        if len(lines) > 2:
            i = rng.randrange(1, len(lines) - 1)
            lines[i] = lines[i] + b",1,2"
        data, records = b"\n".join(lines), table["n"]
    elif damage == "bom":
        data, records = b"\xef\xbb\xbf" + data, table["n"]
    elif damage == "nul_bytes":
        data = data.replace(b",", b"\x00,", 1)
    elif damage == "bare_values":
        lines = data.split(b"\n")
        for _ in range(rng.randint(1, 3)):
            lines.insert(rng.randrange(0, len(lines)), rng.choice([b"1", b"null", b'"x"', b"[1,2]", b"true"]))
        data, records, exact = b"\n".join(lines), table["n"], True
        case["bare"] = True
    elif damage == "deep_line":
        lines = data.split(b"\n")
        lines.insert(rng.randrange(0, len(lines)), deep_json_text(rng.choice([2_000, 100_000])).encode())
        data = b"\n".join(lines)
        case["bare"] = True
        records, exact = table["n"], True
    elif damage == "blank_lines":
        data, records, exact = data.replace(b"\n", b"\n\n"), table["n"], True
    elif damage == "deep":
        data = deep_json_text(rng.choice([2_000, 100_000])).encode()
    elif damage == "non_objects":
        data = json.dumps(_json_rows(table) + [1, None, "x", [1]]).encode()
    elif damage in ("uint64_max", "binary_non_utf8", "duplicate_names", "many_row_groups"):
        data, records, exact = _parquet_damage(rng, damage, table), table["n"], damage == "many_row_groups"
        if damage == "many_row_groups":
            case["table"] = table
    case["files"][name] = data
    case["records"], case["exact"] = records, exact
    return case


def _parquet_damage(rng: random.Random, damage: str, table: dict[str, Any]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq
    n = table["n"]
    if damage == "uint64_max":
        t = pa.table({"u": pa.array([2 ** 64 - 1] * n, pa.uint64()), "v": pa.array(range(n), pa.uint64())})
    elif damage == "binary_non_utf8":
        t = pa.table({"b": pa.array([bytes([rng.randrange(128, 256)]) * 3 for _ in range(n)], pa.binary()),
                      "s": pa.array(["ok"] * n)})
    elif damage == "duplicate_names":
        t = pa.Table.from_arrays([pa.array(range(n)), pa.array([float(i) / 2 for i in range(n)])], names=["d", "d"])
    else:
        return _parquet_bytes(table, random.Random(0)) if n < 2 else _many_groups(table)
    sink = io.BytesIO()
    pq.write_table(t, sink, row_group_size=max(1, n // 3))
    return sink.getvalue()


def _many_groups(table: dict[str, Any]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq
    arrays = [pa.array([None if v is None else str(v) if table["kinds"][c] == "mixed" else float(v)
                        for v in table["columns"][c]])
              if table["kinds"][c] in ("mixed", "extreme") else table["columns"][c] for c in table["names"]]
    sink = io.BytesIO()
    pq.write_table(pa.table(arrays, names=table["names"]), sink, row_group_size=1)
    return sink.getvalue()


def _capture_case(rng: random.Random, case: dict[str, Any]) -> dict[str, Any]:
    encoding = rng.choice(["CSV", "JSON", "BASE64"])
    n_features = rng.randint(1, 4)
    merged = rng.random() < 0.3  # capture records joined with their ground truth (sagemakerMergeJson)
    lines, good, hostile = [], 0, 0
    for _ in range(rng.choice([1, 3, 20, 150])):
        if rng.random() < 0.15:
            line, _kind = hostile_capture_line(rng)
            if merged and rng.random() < 0.3:  # a good capture with a broken ground truth
                record = capture_record(rng, encoding=encoding, n_features=n_features)
                record["groundTruthData"] = rng.choice([{"data": deep_json_text(3_000), "encoding": "JSON"},
                                                        {"data": "1", "encoding": "UTF8"}])
                line = json.dumps(record).encode()
            hostile += 1
        else:
            record = capture_record(rng, encoding=encoding, n_features=n_features)
            if merged:
                record["groundTruthData"] = {"data": rng.choice(["1", "0"]), "encoding": "CSV"}
            line = json.dumps(record).encode()
            good += 1
        lines.append(line)
    key = "sagemakerMergeJson" if merged else "sagemakerCaptureJson"
    case["dataset_format"] = {key: {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
    case["files"]["2024/05/01/10/capture.jsonl"] = b"\n".join(lines) + rng.choice([b"\n", b""])
    case["records"], case["exact"], case["good"], case["hostile"] = good + hostile, False, good, hostile
    case["damage"] = f"{hostile} hostile lines" if hostile else None
    return case


def run_dataset(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.errors import SagewatchError
    table = case["table"] or {}
    clean = case["damage"] is None and not any(kind == "extreme" for kind in table.get("kinds", {}).values())
    if table.get("json") and not any(v is not None for values in table["columns"].values() for v in values):
        clean = False  # JSON objects without a key: no column at all, which is refused
    try:
        return _run_dataset(case, ctx)
    except SagewatchError as e:
        expect(not clean, f"a clean {case['format']} dataset was refused: {e}")
        raise


def _run_dataset(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.datasets import iter_dataset, parse_dataset_format
    from sagewatch.datasets.files import find_data_files
    from sagewatch.datasets.formats import ParquetFormat
    from sagewatch.errors import DatasetError
    from sagewatch.profile.columnar import profile_parquet_files
    from sagewatch.profile.dataset import profile_tables
    root = ctx.fresh_dir() / "data"
    for name, data in case["files"].items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    fmt = parse_dataset_format(case["dataset_format"])
    skips = 0
    if isinstance(fmt, ParquetFormat):
        profile = profile_parquet_files(find_data_files(root))
    else:
        kwargs = {"chunk_rows": case["chunk_rows"]} if case["chunk_rows"] else {}
        reader = iter_dataset(root, fmt, **kwargs)
        try:
            profile = profile_tables(reader)
        except DatasetError:
            if case.get("records") == 0:
                return "error", "no rows"
            raise
        skips = reader.skips.total()
    rows = profile.item_count
    _check_statistics_file(profile)
    expect(not any("\x00" in name for name in profile.columns), f"column names with NUL: {list(profile.columns)!r:.200}")
    if case["format"] == "capture":
        expect(rows <= case["good"], f"{rows} rows from {case['good']} good capture records")
        expect(rows + skips == case["records"],
               f"{rows} rows + {skips} skips from {case['good']} good and {case['hostile']} hostile capture lines")
        return ("skip" if skips else "ok"), skips
    if case.get("records") is not None and case["damage"] == "unterminated_quote":
        # the quoted field runs to the end of the file: the rest is one malformed record, counted
        expect(rows + skips <= case["records"] and (rows == case["records"] or skips >= 1),
               f"{rows} rows + {skips} skips for {case['records']} records ({case['damage']})")
    elif case.get("records") is not None:
        if case.get("exact") or case.get("bare"):
            expect(rows == case["records"], f"{rows} rows (and {skips} skips) for {case['records']} records")
        expect(rows + skips == case["records"] or (rows == case["records"]),
               f"{rows} rows + {skips} skips for {case['records']} records ({case['damage']})")
    if case["table"] is not None:
        _check_numbers(case["table"], profile)
    return ("skip" if skips else "ok"), skips


def _check_statistics_file(profile: Any) -> None:
    """The profile's statistics.json is written and read back by sagewatch (or refused with a clear error)."""
    from sagewatch.schemas.serialize import dumps_jackson
    from sagewatch.schemas.statistics import profile_from_statistics, statistics_document
    text = dumps_jackson(statistics_document(profile))
    again = profile_from_statistics(json.loads(text))
    expect(again.item_count == profile.item_count, "statistics.json does not keep item_count")


def _check_numbers(table: dict[str, Any], profile: Any) -> None:
    expect(profile.item_count == table["n"], f"item_count {profile.item_count}, expected {table['n']}")
    names = table["names"]
    if table.get("json"):  # a JSON key that is never present is no column
        names = [name for name in names if any(v is not None for v in table["columns"][name])]
    expect(sorted(profile.columns) == sorted(names),
           f"columns {list(profile.columns)}, expected {table['names']}")
    for name in names:
        values = table["columns"][name]
        column = profile.columns[name]
        present = [v for v in values if v is not None]
        expect(column.n_missing == len(values) - len(present),
               f"{name}: {column.n_missing} missing, expected {len(values) - len(present)}")
        if table["kinds"][name] in ("int", "float") and present:
            numbers = [float(v) for v in present]
            expect(column.n_numeric == len(numbers), f"{name}: {column.n_numeric} numbers, expected {len(numbers)}")
            expect(column.minimum == min(numbers) and column.maximum == max(numbers),
                   f"{name}: min/max {column.minimum}/{column.maximum}, expected {min(numbers)}/{max(numbers)}")
            mean = math.fsum(numbers) / len(numbers)
            expect(math.isclose(column.mean, mean, rel_tol=1e-9, abs_tol=1e-9),
                   f"{name}: mean {column.mean!r}, expected {mean!r}")
            if column.sketch is not None:
                expect(int(column.sketch.n if hasattr(column.sketch, "n") else column.sketch.get_n()) == len(numbers),
                       f"{name}: sketch holds {column.sketch} values, expected {len(numbers)}")
