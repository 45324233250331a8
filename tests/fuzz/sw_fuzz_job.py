"""Fuzz families for the two programs: the processing-job entry point (``python -m sagewatch.job``, run
in the worker through its ``main(environ)``) and the ``sagewatch`` command line (``cli.main(argv)``).

The job must end with exit 0 and a ``Completed`` message, or exit 255 and a ``ClientError`` message
(an ``AlgorithmError`` is an unexpected exception: a defect) and no complete-looking result files.
The CLI must exit 0, or non-zero with a one-line error and no traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
from pathlib import Path
from typing import Any

from sw_fuzz_datasets import generate_dataset
from sw_fuzz_inputs import (BAD_TIMES, GOOD_TIMES, deep_json_text, expect, hostile_text, mutate_json,
                            mutate_number)

RESULT_FILES = ("statistics.json", "constraints.json", "constraint_violations.json")

PREPROCESSORS = {
    "identity": "def preprocess_handler(inference_record):\n"
                "    return {f'c{i}': v for i, v in enumerate(inference_record.endpoint_input.data.split(','))}\n",
    "raises": "def preprocess_handler(inference_record):\n    raise ValueError('no thanks')\n",
    "exits": "import sys\ndef preprocess_handler(inference_record):\n    sys.exit(3)\n",
    "junk": "def preprocess_handler(inference_record):\n    return object()\n",
    "syntax": "def preprocess_handler(inference_record)\n    return 1\n",
    "no_handler": "x = 1\n",
    "import_exits": "import sys\nsys.exit(4)\n",
    "deep": "def preprocess_handler(inference_record):\n    v = 1\n    for _ in range(5000):\n        v = [v]\n"
            "    return {'a': v}\n",
    "wide": "def preprocess_handler(inference_record):\n    return {str(i): i for i in range(20000)}\n",
    "odd_keys": "def preprocess_handler(inference_record):\n    return {1: 2, None: 'x', (1, 2): 3}\n",
    "a_list": "def preprocess_handler(inference_record):\n    return [1, 2, 3]\n",
    "nan": "def preprocess_handler(inference_record):\n    return {'a': float('nan'), 'b': float('inf')}\n",
    "drops": "def preprocess_handler(inference_record):\n    return None\n",
    "mixed_types": "seen = [0]\ndef preprocess_handler(inference_record):\n    seen[0] += 1\n"
                   "    return {'a': [1, 'x', 2.5, None, [1], {'k': 1}, True][seen[0] % 7]}\n",
}
POSTPROCESSORS = {
    "ok": "def postprocess_handler():\n    return None\n",
    "raises": "def postprocess_handler():\n    raise RuntimeError('post failed')\n",
    "exits": "import sys\ndef postprocess_handler():\n    sys.exit(5)\n",
    "no_handler": "y = 2\n",
}


def _baseline_data(rng: random.Random, names: list[str]) -> bytes:
    rows = [",".join(names)]
    for _ in range(rng.choice([5, 40])):
        rows.append(f"{rng.gauss(5, 2):.4f},{rng.randint(0, 9)},{rng.choice('ab')}")
    return ("\n".join(rows) + "\n").encode()


def _identical_files(rng: random.Random, ctx: Any) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The baseline's own rows, split into files (or Parquet row groups) at random places."""
    import pyarrow.parquet as pq
    table = ctx.identical_table
    if rng.random() < 0.4:
        sink = io.BytesIO()
        pq.write_table(table, sink, row_group_size=rng.choice([500, 1000, 2999, 6000]))
        return {"data.parquet": sink.getvalue()}, {"parquet": {}}
    cuts = sorted(rng.sample(range(1, table.num_rows), rng.choice([0, 1, 2, 6])))
    files = {}
    for number, (start, stop) in enumerate(zip([0] + cuts, cuts + [table.num_rows])):
        rows = table.slice(start, stop - start).to_pylist()
        lines = ["x,n,s"] + [",".join("" if row[c] is None else repr(row[c]) if c != "s" else row[c]
                                      for c in ("x", "n", "s")) for row in rows]
        files[f"part-{number:02d}.csv"] = ("\n".join(lines) + "\n").encode()
    return files, {"csv": {"header": True}}


def _generate_identical(rng: random.Random, ctx: Any) -> dict[str, Any]:
    files, fmt = _identical_files(rng, ctx)
    case: dict[str, Any] = {"env": {}, "config": None, "files": {f"input/{k}": v for k, v in files.items()},
                            "expect_violations": False, "identical": True}
    case["files"]["baseline/statistics.json"] = json.dumps(ctx.identical_statistics).encode()
    case["files"]["baseline/constraints.json"] = json.dumps(ctx.identical_constraints).encode()
    case["env"] = {"dataset_source": "/opt/ml/processing/input", "output_path": "/opt/ml/processing/output",
                   "dataset_format": json.dumps(fmt),
                   "baseline_statistics": "/opt/ml/processing/baseline/statistics.json",
                   "baseline_constraints": "/opt/ml/processing/baseline/constraints.json"}
    return case


def generate_job(rng: random.Random, ctx: Any) -> dict[str, Any]:
    if rng.random() < 0.15:
        return _generate_identical(rng, ctx)
    case: dict[str, Any] = {"env": {}, "config": None, "files": {}, "expect_violations": False,
                            "rerun": rng.random() < 0.2}
    monitoring = rng.random() < 0.5
    if rng.random() < 0.5:
        dataset = generate_dataset(rng, ctx)
        files, fmt = dataset["files"], dataset["dataset_format"]
    else:  # data whose columns are the baseline's, or named otherwise
        names = rng.choice([["x", "n", "s"], ["x", "n", "s"], ["p", "q", "r"]])
        files, fmt = {"data.csv": _baseline_data(rng, names)}, {"csv": {"header": True}}
        case["expect_violations"] = monitoring and names == ["p", "q", "r"]
    for name, data in files.items():
        case["files"]["input/" + name] = data
    env = case["env"]
    env["dataset_source"] = rng.choice(["/opt/ml/processing/input"] * 8 + ["/opt/ml/processing/nowhere",
                                                                          "/opt/ml/processing/input/" + name])
    env["output_path"] = rng.choice(["/opt/ml/processing/output"] * 8 + ["/opt/ml/processing/input/out",
                                                                        "/opt/ml/processing/afile"])
    if env["output_path"].endswith("afile"):
        case["files"]["afile"] = b"not a folder"
    roll = rng.random()
    if roll < 0.75:
        env["dataset_format"] = json.dumps(fmt)
    elif roll < 0.9:
        env["dataset_format"] = json.dumps(mutate_json(fmt, rng))
    elif roll < 0.95:
        env["dataset_format"] = rng.choice(["[]", "null", deep_json_text(50_000), "{", '{"csv": 1}'])
    if monitoring:
        _baseline(rng, ctx, case)
    if rng.random() < 0.2:
        env["start_time"], env["end_time"] = rng.choice(GOOD_TIMES + BAD_TIMES), rng.choice(GOOD_TIMES + BAD_TIMES)
    if rng.random() < 0.2:
        env["publish_cloudwatch_metrics"] = rng.choice(["Enabled", "Disabled", "enabled", "yes", ""])
        env["sagemaker_endpoint_name"] = "fuzz-endpoint"
    if rng.random() < 0.2:
        choice = rng.choice(list(PREPROCESSORS) + ["missing"])
        env["record_preprocessor_script"] = "/opt/ml/processing/code/pre.py"
        if choice != "missing":
            case["files"]["code/pre.py"] = PREPROCESSORS[choice].encode()
    if rng.random() < 0.12:
        choice = rng.choice(list(POSTPROCESSORS) + ["missing"])
        env["post_analytics_processor_script"] = "/opt/ml/processing/code/post.py"
        if choice != "missing":
            case["files"]["code/post.py"] = POSTPROCESSORS[choice].encode()
    if rng.random() < 0.05:
        env["analysis_type"] = rng.choice(["MODEL_QUALITY", "DATA_QUALITY", "??"])
    if rng.random() < 0.25:  # settings from processingjobconfig.json instead of the environment
        moved = {k: env.pop(k) for k in list(env) if rng.random() < 0.5}
        config = {"Environment": moved, "ProcessingJobName": "fuzz"}
        roll = rng.random()
        case["config"] = (json.dumps(config).encode() if roll < 0.6 else
                          rng.choice([b"[]", b"\xff\xfe{", b"{}", b'{"Environment": "x"}', b'{"Environment": []}',
                                      deep_json_text(100_000).encode(), b'{"Environment": {"a": {"b": 1}}}'])
                          if roll < 0.85 else hostile_text(config, rng))
    return case


def _baseline(rng: random.Random, ctx: Any, case: dict[str, Any]) -> None:
    env = case["env"]
    statistics, constraints = json.dumps(ctx.valid_statistics).encode(), json.dumps(ctx.valid_constraints).encode()
    roll = rng.random()
    if roll < 0.15:
        statistics = hostile_text(mutate_json(ctx.valid_statistics, rng), rng)
    elif roll < 0.3:
        constraints = hostile_text(mutate_json(ctx.valid_constraints, rng), rng)
    case["files"]["baseline/statistics.json"] = statistics
    case["files"]["baseline/constraints.json"] = constraints
    if rng.random() < 0.15:
        case["files"]["baseline/sagewatch_report.json"] = rng.choice(
            [b"{", b"[]", b'{"sample": 5}', b'{"sample": {"columns": "x", "rows": [[1]]}}', b"\xff",
             deep_json_text(100_000).encode()])
    if rng.random() < 0.9:
        env["baseline_statistics"] = "/opt/ml/processing/baseline/statistics.json"
    env["baseline_constraints"] = rng.choice(["/opt/ml/processing/baseline/constraints.json"] * 9
                                             + ["/opt/ml/processing/baseline/missing.json"])


def _write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@contextlib.contextmanager
def _isolated_environ():
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _check_same_bytes(case: dict[str, Any], ctx: Any, opt_ml: Path, output: Path, environ: dict[str, str]) -> None:
    """Run the job again on the same input: every result file must have the same bytes (issue 11 §2)."""
    from sagewatch.job.__main__ import main
    first = {p.name: p.read_bytes() for p in sorted(output.iterdir()) if p.is_file()}
    second_output = output.with_name(output.name + "-again")
    settings = dict(environ)
    settings["output_path"] = str(second_output)  # the environment wins over processingjobconfig.json
    with _isolated_environ(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(settings)
    expect(code == 0, f"the same job failed when run again: exit {code}")
    second = {p.name: p.read_bytes() for p in sorted(second_output.iterdir()) if p.is_file()}
    expect(sorted(first) == sorted(second), f"a rerun wrote {sorted(second)}, the first run {sorted(first)}")
    changed = [name for name in first if first[name] != second[name]]
    expect(not changed, f"a rerun on the same input wrote other bytes to {changed}")


def _check_outputs(output: Path, *, monitoring: bool) -> None:
    """The result files of a successful run are there, complete and readable by sagewatch itself."""
    from sagewatch.schemas.constraints import load_constraints, load_violations
    from sagewatch.schemas.statistics import load_statistics
    for name in RESULT_FILES[: 3 if monitoring else 2]:
        expect((output / name).is_file(), f"exit 0 without {name}")
    expect(not list(output.glob(".sagewatch-staging-*")), "a staging folder was left behind")
    load_statistics(output / "statistics.json")
    load_constraints(output / "constraints.json")
    if monitoring:
        load_violations(output / "constraint_violations.json")


def _settings(case: dict[str, Any]) -> dict[str, Any]:
    """The job's settings: processingjobconfig.json's Environment, then the environment."""
    settings: dict[str, Any] = {}
    try:
        environment = json.loads(case["config"])["Environment"] if case["config"] else {}
        settings.update(environment if isinstance(environment, dict) else {})
    except (ValueError, TypeError, KeyError, RecursionError):
        pass
    settings.update(case["env"])
    return settings


def run_job(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.job.__main__ import main
    opt_ml = ctx.fresh_dir()
    _write_tree(opt_ml / "processing", case["files"])
    if case["config"] is not None:
        (opt_ml / "config").mkdir()
        (opt_ml / "config" / "processingjobconfig.json").write_bytes(case["config"])
    environ = {"SAGEWATCH_OPT_ML": str(opt_ml), "PATH": os.environ.get("PATH", ""), **case["env"]}
    err = io.StringIO()
    with _isolated_environ(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(environ)
    message_file = opt_ml / "output" / "message"
    expect(code in (0, 255), f"exit {code}")
    expect(message_file.is_file(), f"exit {code} and no message file")
    message = message_file.read_text(encoding="utf-8")
    output = Path(str(_settings(case).get("output_path", "")).replace("/opt/ml", str(opt_ml), 1))
    source = Path(str(_settings(case).get("dataset_source", "")).replace("/opt/ml", str(opt_ml), 1))
    inside_input = source.is_dir() and output.is_relative_to(source)
    if code == 255:
        expect(message.startswith("ClientError: ") and len(message) > 14,
               f"exit 255 with an unexpected error: {message[:300]!r}")
        if output.is_dir():
            left = [name for name in RESULT_FILES if (output / name).exists()]
            expect(not left, f"a failed job left result files {left}: {message[:200]!r}")
            expect(not list(output.glob(".sagewatch-staging-*")), "a failed job left its staging folder")
        return "error", message[:200]
    if case.get("identical"):
        violations = (output / "constraint_violations.json").read_text() if output.is_dir() and \
            (output / "constraint_violations.json").is_file() else ""
        expect(code == 0 and message == "Completed: Job completed successfully with no violations.",
               f"monitoring the baseline's own rows: exit {code}, {message[:120]!r} {violations[:300]!r}")
    expect(message.startswith("Completed"), f"exit 0 with message {message[:200]!r}")
    expect(not inside_input, "the job wrote its output inside dataset_source")
    _check_outputs(output, monitoring="baseline_constraints" in _settings(case))
    if case.get("rerun") or case.get("identical"):
        _check_same_bytes(case, ctx, opt_ml, output, environ)
    if case["expect_violations"]:
        expect(message.startswith("CompletedWithViolations"),
               f"data with other column names than the baseline's passed the check: {message!r}")
    return "ok", message[:80]


# --- the command line ---------------------------------------------------------------------------------------------

def _generate_report(rng: random.Random, ctx: Any) -> dict[str, Any]:
    """``sagewatch report`` over result files, some of them damaged."""
    def maybe_damaged(document: Any) -> bytes:
        return json.dumps(document).encode() if rng.random() < 0.6 else hostile_text(mutate_json(document, rng), rng)
    violations = {"violations": [{"feature_name": "x", "constraint_check_type": "baseline_drift_check",
                                  "description": "distance 0.2 exceeds 0.1"}]}
    extra = {"sample": {"columns": ["x"], "rows": [[1.0], [2.0]]}}
    files = {"r/statistics.json": maybe_damaged(ctx.valid_statistics),
             "r/baseline.json": maybe_damaged(ctx.valid_statistics),
             "r/violations.json": maybe_damaged(violations), "r/extra.json": maybe_damaged(extra)}
    argv = ["report", "--statistics", "R/statistics.json", "-o", rng.choice(["OUT/report.html", "AFILE/x.html"])]
    for option, name in (("--baseline-statistics", "baseline"), ("--violations", "violations"),
                         ("--extra", "extra")):
        if rng.random() < 0.6:
            argv += [option, rng.choice([f"R/{name}.json"] * 5 + ["R/missing.json"])]
    return {"argv": argv, "files": {**files, "afile": b"x"}}


def generate_cli(rng: random.Random, ctx: Any) -> dict[str, Any]:
    if rng.random() < 0.15:
        return _generate_report(rng, ctx)
    dataset = generate_dataset(rng, ctx)
    fmt_key = next(iter(dataset["dataset_format"]))
    argv = [rng.choice(["baseline", "monitor"]), "DATA"]
    fmt = {"csv": "csv", "json": "json", "parquet": "parquet", "sagemakerCaptureJson": "capture",
           "sagemakerMergeJson": "capture"}[fmt_key]
    argv += ["--format", fmt, "--no-progress", "-o", rng.choice(["OUT", "OUT", "DATA/out", "AFILE"])]
    if fmt == "csv" and not dataset["dataset_format"]["csv"]["header"]:
        argv.append("--no-header")
    if fmt == "json" and not dataset["dataset_format"]["json"]["lines"]:
        argv.append("--json-array")
    if rng.random() < 0.1:
        argv += ["--dataset-format", rng.choice([json.dumps(dataset["dataset_format"]), "[]", "{", '{"csv": 3}',
                                                 deep_json_text(100_000)])]
    files = {f"data/{k}": v for k, v in dataset["files"].items()}
    files["afile"] = b"x"
    if argv[0] == "monitor":
        files["b/statistics.json"] = (json.dumps(ctx.valid_statistics).encode() if rng.random() < 0.7
                                      else hostile_text(mutate_json(ctx.valid_statistics, rng), rng))
        files["b/constraints.json"] = (json.dumps(ctx.valid_constraints).encode() if rng.random() < 0.7
                                       else hostile_text(mutate_json(ctx.valid_constraints, rng), rng))
        argv += ["--baseline-statistics", "B/statistics.json", "--baseline-constraints", "B/constraints.json"]
        if rng.random() < 0.3:
            argv += ["--start-time", rng.choice(GOOD_TIMES + BAD_TIMES), "--end-time", rng.choice(GOOD_TIMES)]
    if rng.random() < 0.1:
        argv += ["--report", "OUT/report.html"]
    return {"argv": argv, "files": files}


def run_cli(case: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    from sagewatch.cli import main
    root = ctx.fresh_dir()
    _write_tree(root, case["files"])
    (root / "data").mkdir(exist_ok=True)
    places = {"DATA": str(root / "data"), "OUT": str(root / "out"), "AFILE": str(root / "afile"),
              "B": str(root / "b"), "R": str(root / "r")}
    argv = []
    for arg in case["argv"]:
        head, _, tail = arg.partition("/")
        argv.append(places[head] + ("/" + tail if tail else "") if head in places else arg)
    out, err = io.StringIO(), io.StringIO()
    with _isolated_environ(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse's own usage errors
            code = e.code if isinstance(e.code, int) else 1
            expect(code == 2, f"SystemExit({e.code!r}) from the CLI")
    text = err.getvalue()
    if code and (root / "out").is_dir():
        left = [name for name in RESULT_FILES if (root / "out" / name).exists()]
        expect(not left, f"a failed CLI run left result files {left}: {text[-200:]!r}")
    expect("Traceback" not in text and "Traceback" not in out.getvalue(), f"a traceback: {text[-300:]!r}")
    if code:
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("usage:")]
        expect(len(lines) >= 1 and lines[-1].startswith("sagewatch"), f"exit {code} with stderr {text[-300:]!r}")
        expect(len(lines) == 1 or code == 2, f"exit {code} with a multi-line error {text[-300:]!r}")
        # the CLI's wrapper for an exception nobody meant to raise: a defect, not a clear error
        expect(": error: unexpected " not in lines[-1], lines[-1][:300])
        return "error", lines[-1][:200]
    if case["argv"][0] == "report":
        html = root / "out" / "report.html"
        expect(html.is_file() and "</html>" in html.read_text(encoding="utf-8").lower(), "exit 0 without a report")
        return "ok", None
    expect("DATA/out" not in case["argv"], "the CLI wrote its output inside the dataset folder")
    _check_outputs(root / "out", monitoring=case["argv"][0] == "monitor")
    return "ok", None


# --- monitoring against odd but well-typed baselines ---------------------------------------------------------------

def generate_monitor(rng: random.Random, ctx: Any) -> dict[str, Any]:
    """``sagewatch monitor`` of shifted or identical data against a baseline with edge numbers in it."""
    statistics, constraints = ctx.identical_statistics, ctx.identical_constraints
    for _ in range(rng.choice([1, 1, 2, 4])):
        if rng.random() < 0.6:
            statistics = mutate_number(statistics, rng)
        else:
            constraints = mutate_number(constraints, rng)
    table = ctx.identical_table
    start = rng.randrange(0, table.num_rows - 1)
    rows = table.slice(start, rng.choice([1, 5, 50, 1000])).to_pylist()
    shift, scale = rng.choice([0.0, 0.0, 5.0, -30.0, 1e300]), rng.choice([1.0, 1.0, 3.0, 0.0])
    lines = ["x,n,s"]
    for row in rows:
        x = "" if row["x"] is None else repr(row["x"] * scale + shift)
        s = "" if row["s"] is None else rng.choice([row["s"], row["s"], "zz"])
        lines.append(f"{x},{row['n']},{s}")
    argv = ["monitor", "DATA", "--no-progress", "-o", "OUT", "--baseline-statistics", "B/statistics.json",
            "--baseline-constraints", "B/constraints.json"]
    if rng.random() < 0.3:
        argv += ["--metrics-dir", "OUT/metrics", "--endpoint", "e", "--schedule", "s"]
    if rng.random() < 0.1:
        argv += ["--report", "OUT/report.html"]
    return {"argv": argv, "files": {"data/data.csv": ("\n".join(lines) + "\n").encode(),
                                    "b/statistics.json": json.dumps(statistics).encode(),
                                    "b/constraints.json": json.dumps(constraints).encode(), "afile": b"x"}}
