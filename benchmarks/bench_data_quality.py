#!/usr/bin/env python3
"""Data-quality benchmark: sagewatch against whylogs and Evidently on the same data.

Usage (from the repository root, with sagewatch installed, e.g. ``make install``)::

    .venv/bin/python benchmarks/bench_data_quality.py [--rows N] [--skip-peers] [--repeat R] [--cprofile]

What it does
------------
1. Builds ``--rows`` rows x 20 columns (15 numeric float/int columns with varied
   distributions, 5 categorical string columns with 5-50 categories) as Parquet under
   ``benchmarks/.work/data/`` plus a drifted copy (shifted means, changed category mix).
   Files are reused when present.
2. Times sagewatch, every step in a fresh subprocess of this interpreter:
   ``profile`` (read the Parquet file with pyarrow, then ``profile_table(table)``; the read
   is timed separately), a full baseline job and a full monitoring job through
   ``sagewatch.job.run.run_job``.
3. Times the peers (unless ``--skip-peers``), each in its own virtual environment created
   under ``benchmarks/.work/venvs/`` from the package registry: ``whylogs.log(df)`` on the
   baseline frame and Evidently's ``DataDriftPreset`` on reference=baseline,
   current=drifted. Each runs in a subprocess of its venv's interpreter (this same file in
   worker mode) and reports JSON on stdout.
4. Prints a table (step, wall s, peak RSS MB, ...), the ratios and the targets.

Timings: "wall s" is the step itself, measured inside the worker (interpreter start,
imports and reading the input are excluded; they are shown separately). "peak RSS" is the
worker process's whole-life peak resident set (Linux: ``VmHWM``; see ``peak_rss_mb``),
i.e. it includes the interpreter, the libraries and the input data; the table also shows
it after the imports and after the read. With ``--repeat R`` each step runs R times, each
in a fresh process: the fastest wall time and the highest peak RSS are reported.
The data is built and measured in a worker too, so the orchestrator stays small.

Targets checked: profile <= 1 s; whylogs wall / profile wall >= 20; Evidently wall /
profile wall >= 45; peak RSS <= 1.5x the frame (pyarrow ``Table.nbytes``) for each
sagewatch step. ``make bench`` runs the default (1M rows, peers included).

The top level imports only the standard library: the peer venvs run this file as workers
without sagewatch installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
DATA_VERSION = 1  # bump when the generator changes: old files are then rebuilt
RESULT_MARK = "BENCH_RESULT "
N_NUMERIC, N_CATEGORICAL = 15, 5

# Peer environments: exact pins keep runs comparable. Evidently needs pandas < 3; whylogs 1.6
# (2024) predates pandas 3 too, so both get the same pandas 2 line.
PEERS = {
    "whylogs": ["whylogs[pandas]==1.6.4", "pandas>=2.2,<3", "pyarrow>=14"],
    "evidently": ["evidently==0.7.23", "pandas>=2.2,<3", "pyarrow>=14"],
}
PEER_ENV = {  # no telemetry from the peers (and no network here anyway)
    "WHYLOGS_NO_ANALYTICS": "True",
    "DO_NOT_TRACK": "1",
    "EVIDENTLY_DISABLE_TELEMETRY": "1",
}

TARGETS = {"profile_s": 1.0, "whylogs_x": 20.0, "evidently_x": 45.0, "rss_x_frame": 1.5}


# --------------------------------------------------------------------------------------------
# measurement helpers (stdlib only)


def peak_rss_mb() -> float | None:
    """This process's peak resident set size in MiB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: the high-water mark of this
    process's own address space. ``getrusage(RUSAGE_SELF).ru_maxrss`` is not used there
    because Linux carries it across ``exec``: a worker started with fork/vfork + exec
    would report its *parent's* peak when that is larger (the orchestrator holds a whole
    frame while it builds the data). Elsewhere: ``ru_maxrss`` (macOS, fresh per exec'd
    image), or psutil's peak working set on Windows.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        try:
            import psutil  # type: ignore[import-not-found]
            return psutil.Process().memory_info().peak_wset / 2**20
        except Exception:
            return None
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes, others KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def children_peak_rss_mb() -> float | None:
    """The largest waited-for child's peak (only meaningful if a step starts processes)."""
    try:
        import resource
    except ImportError:
        return None
    scale = 1 if sys.platform == "darwin" else 1024
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20
    return peak or None


def emit(result: dict) -> None:
    print(RESULT_MARK + json.dumps(result), flush=True)


def version_of(dist: str) -> str | None:
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return None


# --------------------------------------------------------------------------------------------
# data


def data_paths(rows: int) -> tuple[Path, Path]:
    folder = WORK / "data" / f"v{DATA_VERSION}_rows{rows}"
    return folder / "baseline.parquet", folder / "drifted.parquet"


def make_frame(rows: int, *, seed: int, drift: bool):
    """A pyarrow table of ``rows`` x 20 columns; ``drift`` shifts means and the category mix."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    shift = 1.0 if drift else 0.0  # drift: every numeric mean moves (most by 0.25-1 std)
    n = rows
    cols: dict[str, pa.Array] = {}

    def with_nulls(values, share):
        mask = rng.random(n) < share
        return pa.array(values, mask=mask)

    cols["age"] = pa.array(np.clip(rng.normal(41 + 4 * shift, 12, n), 18, 95).round().astype(np.int64))
    cols["income"] = pa.array(rng.lognormal(10.8 + 0.25 * shift, 0.6, n))
    cols["tenure_months"] = pa.array(rng.poisson(30 + 8 * shift, n).astype(np.int64))
    cols["session_seconds"] = pa.array(rng.exponential(180 * (1 + 0.4 * shift), n))
    cols["score"] = pa.array(rng.beta(2 + shift, 5, n))
    cols["temperature"] = with_nulls(rng.normal(21.5 + 1.5 * shift, 3.2, n), 0.02)
    cols["clicks"] = pa.array(rng.negative_binomial(3, 0.3 - 0.08 * shift, n).astype(np.int64))
    cols["latency_ms"] = pa.array((rng.pareto(2.5, n) + 1) * (40 + 15 * shift))
    cols["discount"] = pa.array(rng.uniform(0 + 0.05 * shift, 0.5 + 0.05 * shift, n))
    bimodal = np.where(rng.random(n) < 0.6 - 0.2 * shift, rng.normal(10, 2, n), rng.normal(30, 4, n))
    cols["basket_value"] = pa.array(bimodal)
    cols["items"] = with_nulls(rng.binomial(20, 0.15 + 0.05 * shift, n).astype(np.int64), 0.01)
    cols["rating"] = pa.array(rng.integers(1, 6, n).astype(np.int64) if not drift
                              else rng.choice(np.arange(1, 6), n, p=[0.1, 0.1, 0.2, 0.3, 0.3]).astype(np.int64))
    cols["load"] = pa.array(rng.gamma(2.0 + 0.5 * shift, 1.5, n))
    cols["zip_code"] = pa.array(rng.integers(10_000, 99_999, n).astype(np.int64))
    cols["ratio"] = pa.array(rng.standard_t(5, n) * 0.3 + 0.8 * shift)

    def categorical(prefix, k, weights):
        names = np.array([f"{prefix}_{i:02d}" for i in range(k)], dtype=object)
        p = np.asarray(weights, dtype=float)
        p = p / p.sum()
        codes = rng.choice(k, n, p=p)
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)),
                                              pa.array(names.tolist())).cast(pa.string())

    zipf = lambda k, a: 1.0 / np.arange(1, k + 1) ** a  # noqa: E731
    cols["channel"] = categorical("channel", 5, [5, 3, 1, 1, 0.5] if not drift else [1, 3, 5, 1, 2])
    cols["device"] = categorical("device", 12, zipf(12, 1.0) if not drift else zipf(12, 1.0)[::-1])
    cols["country"] = categorical("country", 20, zipf(20, 1.2) if not drift else np.ones(20))
    cols["product"] = categorical("product", 35, np.ones(35) if not drift else zipf(35, 0.8))
    city = categorical("city", 50, zipf(50, 0.9) if not drift else zipf(50, 0.5))
    cols["city"] = pc.if_else(pa.array(rng.random(n) < 0.015), pa.scalar(None, pa.string()), city)  # 1.5% null
    assert len(cols) == N_NUMERIC + N_CATEGORICAL
    return pa.table(cols)


def ensure_data(rows: int, log: list[str]) -> tuple[Path, Path]:
    """Build (or reuse) the baseline and drifted Parquet files for ``rows`` rows."""
    import pyarrow.parquet as pq

    baseline, drifted = data_paths(rows)
    for path, seed, drift in ((baseline, 20240601, False), (drifted, 20240602, True)):
        if path.is_file():
            try:
                meta = pq.read_metadata(path)
                if meta.num_rows == rows and meta.num_columns == N_NUMERIC + N_CATEGORICAL:
                    continue
            except Exception:
                pass
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        table = make_frame(rows, seed=seed, drift=drift)
        partial = path.with_suffix(".parquet.partial")
        pq.write_table(table, partial, compression="snappy")
        os.replace(partial, path)
        log.append(f"built {path.relative_to(HERE.parent)} ({rows:,} rows, "
                   f"{path.stat().st_size / 2**20:.1f} MiB on disk) in {time.perf_counter() - started:.1f} s")
    return baseline, drifted


def worker_prepare(args: dict) -> dict:
    """Build or reuse the data, and measure the frame (in a worker: the orchestrator stays small)."""
    import pyarrow.parquet as pq

    log: list[str] = []
    baseline, drifted = ensure_data(args["rows"], log)
    if not log:
        log.append(f"reusing {baseline.parent.relative_to(HERE.parent)}")
    return {"baseline": str(baseline), "drifted": str(drifted), "frame_bytes": pq.read_table(baseline).nbytes,
            "log": log}


# --------------------------------------------------------------------------------------------
# workers: each runs in a fresh process and emits one JSON result


def worker_sagewatch_profile(args: dict) -> dict:
    import pyarrow.parquet as pq
    from sagewatch.job.process import configure_process
    from sagewatch.profile.dataset import profile_table

    configure_process()  # the allocator setting of sagewatch's own entry points

    rss_imports = peak_rss_mb()
    t0 = time.perf_counter()
    table = pq.read_table(args["data"])
    t1 = time.perf_counter()
    rss_read = peak_rss_mb()
    if args.get("cprofile"):
        import cProfile
        import io
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
        profile = profile_table(table, parallel=False)  # cProfile sees only the calling thread
        profiler.disable()
        t2 = time.perf_counter()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(12)
        stats.sort_stats("cumulative").print_stats(20)
        print(out.getvalue(), file=sys.stderr)
    else:
        profile = profile_table(table)
        t2 = time.perf_counter()
    return {"wall_s": t2 - t1, "read_s": t1 - t0, "rss_imports_mb": rss_imports, "rss_read_mb": rss_read,
            "peak_rss_mb": peak_rss_mb(), "rows": profile.item_count, "frame_bytes": table.nbytes,
            "versions": {"sagewatch": version_of("sagewatch"), "pyarrow": version_of("pyarrow")}}


def worker_sagewatch_job(args: dict) -> dict:
    try:
        from sagewatch.job.process import configure_process
        from sagewatch.job.run import run_job
        from sagewatch.job.spec import JobSpec, OptMlPaths
    except ImportError as e:
        return {"error": f"ImportError: {e}", "import_error": True}
    configure_process()  # as `python -m sagewatch.job` does
    rss_imports = peak_rss_mb()
    out = Path(args["output"])
    extra = {}
    if args.get("baseline_dir"):
        base = Path(args["baseline_dir"])
        extra = {"baseline_statistics": base / "statistics.json", "baseline_constraints": base / "constraints.json"}
    with tempfile.TemporaryDirectory(prefix="sagewatch-bench-optml-") as opt_ml:
        spec = JobSpec(dataset_source=Path(args["data"]), output_path=out, dataset_format={"parquet": {}},
                       paths=OptMlPaths(Path(opt_ml)), **extra)
        t0 = time.perf_counter()
        try:
            outcome = run_job(spec)
        except ImportError as e:  # readers imported lazily and not there yet
            return {"error": f"ImportError: {e}", "import_error": True}
        t1 = time.perf_counter()
    return {"wall_s": t1 - t0, "rss_imports_mb": rss_imports, "peak_rss_mb": peak_rss_mb(),
            "rows": outcome.summary.item_count, "violations": outcome.violations, "message": outcome.message,
            "versions": {"sagewatch": version_of("sagewatch")}}


def worker_whylogs(args: dict) -> dict:
    import pandas as pd
    import whylogs as why

    rss_imports = peak_rss_mb()
    t0 = time.perf_counter()
    df = pd.read_parquet(args["data"])
    t1 = time.perf_counter()
    rss_read = peak_rss_mb()
    results = why.log(df)
    view = results.view()
    t2 = time.perf_counter()
    return {"wall_s": t2 - t1, "read_s": t1 - t0, "rss_imports_mb": rss_imports, "rss_read_mb": rss_read,
            "peak_rss_mb": peak_rss_mb(), "columns": len(view.get_columns()), "rows": len(df),
            "versions": {"whylogs": version_of("whylogs"), "pandas": version_of("pandas"),
                         "numpy": version_of("numpy")}}


def worker_evidently(args: dict) -> dict:
    import pandas as pd
    try:  # evidently >= 0.7: the new API
        from evidently import Report
        from evidently.presets import DataDriftPreset
        api = "evidently.presets (new)"
    except ImportError:  # evidently < 0.7: the legacy API
        from evidently.metric_preset import DataDriftPreset
        from evidently.report import Report
        api = "evidently.metric_preset (legacy)"

    rss_imports = peak_rss_mb()
    t0 = time.perf_counter()
    reference = pd.read_parquet(args["reference"])
    current = pd.read_parquet(args["data"])
    t1 = time.perf_counter()
    rss_read = peak_rss_mb()
    report = Report(metrics=[DataDriftPreset()])
    result = report.run(reference_data=reference, current_data=current)
    t2 = time.perf_counter()
    drifted = None
    try:  # a sanity check of the outcome, outside the timed region
        document = (result if result is not None else report).dict()
        drifted = _evidently_drifted_columns(document)
    except Exception as e:  # the result format differs between versions: informative only
        drifted = f"could not read the result: {type(e).__name__}: {e}"
    return {"wall_s": t2 - t1, "read_s": t1 - t0, "rss_imports_mb": rss_imports, "rss_read_mb": rss_read,
            "peak_rss_mb": peak_rss_mb(), "api": api, "drifted": drifted, "rows": len(reference) + len(current),
            "versions": {"evidently": version_of("evidently"), "pandas": version_of("pandas"),
                         "numpy": version_of("numpy")}}


def _evidently_drifted_columns(document: dict):
    # new API: {"metrics": [{"metric_name": "DriftedColumnsCount(...)", "value": {"count": .., "share": ..}}, ...]}
    for metric in document.get("metrics", []):
        name = str(metric.get("metric_name") or metric.get("metric") or "")
        value = metric.get("value") or metric.get("result") or {}
        if name.startswith("DriftedColumnsCount") and isinstance(value, dict):
            return {"count": value.get("count"), "share": value.get("share")}
        if name == "DatasetDriftMetric" and isinstance(value, dict):  # legacy API
            return {"count": value.get("number_of_drifted_columns"), "share": value.get("share_of_drifted_columns")}
    return None


WORKERS = {
    "prepare": worker_prepare,
    "sagewatch_profile": worker_sagewatch_profile,
    "sagewatch_job": worker_sagewatch_job,
    "whylogs": worker_whylogs,
    "evidently": worker_evidently,
}


def run_worker_main(name: str, raw: str) -> int:
    try:
        result = WORKERS[name](json.loads(raw))
    except Exception as e:  # reported to the parent, which prints it and goes on
        import traceback
        traceback.print_exc()
        result = {"error": f"{type(e).__name__}: {e}"}
    children = children_peak_rss_mb()
    if children:
        result["children_peak_rss_mb"] = children
    emit(result)
    return 0


# --------------------------------------------------------------------------------------------
# orchestration


def spawn(python: str | Path, worker: str, args: dict, *, env: dict | None = None, timeout: float = 3600,
          stderr_to: Path | None = None) -> dict:
    """Run one worker in a fresh process; returns its JSON result plus the process's wall time."""
    cmd = [str(python), str(Path(__file__).resolve()), "--_worker", worker, "--_args", json.dumps(args)]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    elapsed = time.perf_counter() - started
    if stderr_to is not None:
        stderr_to.parent.mkdir(parents=True, exist_ok=True)
        stderr_to.write_text(proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        return {"error": f"worker {worker} exited {proc.returncode} without a result:\n{tail}"}
    result = json.loads(lines[-1][len(RESULT_MARK):])
    result["process_s"] = elapsed
    if "error" in result and proc.stderr.strip():
        result["stderr_tail"] = "\n".join(proc.stderr.strip().splitlines()[-15:])
    return result


def sagewatch_python() -> str | None:
    """An interpreter with sagewatch: this one, else the repository's .venv (as made by ``make install``)."""
    import importlib.util
    if importlib.util.find_spec("sagewatch") is not None:
        return sys.executable
    venv = HERE.parent / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return str(venv) if venv.exists() else None


def best_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    best = dict(min(ok, key=lambda r: r["wall_s"]))
    best["runs_s"] = [round(r["wall_s"], 3) for r in ok]
    best["peak_rss_mb"] = max(r["peak_rss_mb"] or 0 for r in ok)  # worst peak over the repeats
    return best


def ensure_venv(name: str, requirements: list[str]) -> tuple[Path | None, str | None]:
    """Create (or reuse) benchmarks/.work/venvs/<name> with ``requirements``; returns (python, error)."""
    folder = WORK / "venvs" / name
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = folder / ".bench-requirements"
    wanted = "\n".join(requirements) + "\n"
    if python.exists() and stamp.is_file() and stamp.read_text() == wanted:
        return python, None
    print(f"  creating the {name} venv under {folder.relative_to(HERE.parent)} "
          f"({', '.join(requirements)}); this takes a minute or two ...", flush=True)
    log = WORK / "venvs" / f"{name}-install.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log.open("w") as out:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True, stdout=out,
                           stderr=subprocess.STDOUT, timeout=600)
            subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-U", "pip"],
                           check=True, stdout=out, stderr=subprocess.STDOUT, timeout=900)
            subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", *requirements],
                           check=True, stdout=out, stderr=subprocess.STDOUT, timeout=1800)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        lines = log.read_text(errors="replace").strip().splitlines()[-4:] if log.is_file() else []
        tail = "\n    ".join(line if len(line) <= 200 else line[:197] + "..." for line in lines)
        why = f"exit status {e.returncode}" if isinstance(e, subprocess.CalledProcessError) else type(e).__name__
        step = "pip install" if isinstance(e, subprocess.CalledProcessError) and "pip" in e.cmd else "venv"
        return None, (f"could not create the {name} venv ({step} failed: {why}); "
                      f"see {log.relative_to(HERE.parent)}"
                      + (f"\n    {tail}" if tail else ""))
    stamp.write_text(wanted)
    return python, None


def fmt(value, spec: str = ".2f", missing: str = "—") -> str:
    return missing if value is None else format(value, spec)


def table_lines(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        out.append("| " + " | ".join(cells) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":"
                                      for i, w in enumerate(widths)) + "|")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per dataset (default 1,000,000)")
    parser.add_argument("--skip-peers", action="store_true", help="time sagewatch only (no whylogs/Evidently)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh-process runs per sagewatch step; the fastest is reported (default 3)")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs per peer step (default 1)")
    parser.add_argument("--cprofile", action="store_true",
                        help="also run the profile step once under cProfile (single-threaded) and print the top costs")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_args", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        return run_worker_main(args._worker, args._args or "{}")
    if args.rows < 10:
        parser.error("--rows must be at least 10")
    if args.repeat < 1 or args.peer_repeat < 1:
        parser.error("--repeat and --peer-repeat must be at least 1")

    print(f"sagewatch data-quality benchmark: {args.rows:,} rows x {N_NUMERIC + N_CATEGORICAL} columns "
          f"({N_NUMERIC} numeric, {N_CATEGORICAL} categorical)")
    print(f"  python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    py = sagewatch_python()
    if py is None:
        print("sagewatch is not importable by this interpreter and there is no .venv: install it first "
              "(make install, or pip install -e .)", file=sys.stderr)
        return 1
    prepared = spawn(py, "prepare", {"rows": args.rows}, timeout=1800)
    if "error" in prepared:
        print(f"could not build the data: {prepared['error']}", file=sys.stderr)
        return 1
    for line in prepared["log"]:
        print(f"  {line}")
    baseline, drifted, frame = Path(prepared["baseline"]), Path(prepared["drifted"]), prepared["frame_bytes"]
    print(f"  frame in memory (pyarrow Table.nbytes of the baseline): {frame / 2**20:.1f} MiB")
    results: dict[str, dict] = {}
    notes: list[str] = []
    logs = WORK / "logs"

    # (a) profile only
    print(f"\n[sagewatch] profile (read parquet + profile_table), {args.repeat} run(s) ...", flush=True)
    results["sagewatch profile"] = best_of([spawn(py, "sagewatch_profile", {"data": str(baseline)})
                                            for _ in range(args.repeat)])
    # (b) baseline job, (c) monitoring job
    jobs_dir = WORK / "jobs"
    baseline_out, monitor_out = jobs_dir / "baseline", jobs_dir / "monitor"
    print(f"[sagewatch] baseline job (run_job), {args.repeat} run(s) ...", flush=True)
    runs = []
    for _ in range(args.repeat):
        shutil.rmtree(baseline_out, ignore_errors=True)
        runs.append(spawn(py, "sagewatch_job", {"data": str(baseline), "output": str(baseline_out)}))
        if "error" in runs[-1]:
            break
    results["sagewatch baseline job"] = best_of(runs)
    if "error" in results["sagewatch baseline job"]:
        results["sagewatch monitor job"] = {"error": "skipped: the baseline job failed"}
    else:
        print(f"[sagewatch] monitoring job (run_job with the baseline), {args.repeat} run(s) ...", flush=True)
        runs = []
        for _ in range(args.repeat):
            shutil.rmtree(monitor_out, ignore_errors=True)
            runs.append(spawn(py, "sagewatch_job", {"data": str(drifted), "output": str(monitor_out),
                                                    "baseline_dir": str(baseline_out)}))
            if "error" in runs[-1]:
                break
        results["sagewatch monitor job"] = best_of(runs)
    if results["sagewatch baseline job"].get("import_error"):
        notes.append("baseline/monitor jobs NOT timed: run_job could not import its dataset readers "
                     f"({results['sagewatch baseline job']['error']}); re-run once sagewatch.datasets is complete.")

    # (3) peers
    if args.skip_peers:
        notes.append("peers skipped (--skip-peers)")
    else:
        for name, worker, extra, label in (
                ("whylogs", "whylogs", {"data": str(baseline)}, "whylogs log(df)"),
                ("evidently", "evidently", {"data": str(drifted), "reference": str(baseline)},
                 "evidently DataDriftPreset")):
            print(f"[peer] {name}: preparing its venv ...", flush=True)
            python, error = ensure_venv(name, PEERS[name])
            if error:
                print(f"  ! {error}\n  ! continuing without {name}", flush=True)
                results[label] = {"error": f"venv: {error.splitlines()[0]}"}
                continue
            print(f"[peer] {label}, {args.peer_repeat} run(s) ...", flush=True)
            results[label] = best_of([spawn(python, worker, extra, env=PEER_ENV, stderr_to=logs / f"{name}.stderr")
                                      for _ in range(args.peer_repeat)])

    if args.cprofile:
        print("\n[sagewatch] profile step under cProfile (parallel=False) ...", flush=True)
        log = logs / "cprofile.txt"
        result = spawn(py, "sagewatch_profile", {"data": str(baseline), "cprofile": True}, stderr_to=log)
        print(f"  single-threaded profile_table under cProfile: {fmt(result.get('wall_s'))} s; "
              f"stats in {log.relative_to(HERE.parent)}")
        lines = log.read_text().splitlines()
        cut = next((i for i, line in enumerate(lines) if "Ordered by: cumulative" in line), len(lines))
        print("\n".join("  " + line for line in lines[:max(0, cut - 2)]))  # the tottime half
        print("  (DataSketches' KLL update and other pybind11/C++ calls are not separate cProfile entries: "
              "their time shows as tottime of the Python function calling them.)")

    report(results, frame, args.rows, notes)
    if args.json:
        args.json.write_text(json.dumps({"rows": args.rows, "frame_bytes": frame, "results": results}, indent=2))
    return 0


def report(results: dict[str, dict], frame: int, rows: int, notes: list[str]) -> None:
    frame_mb = frame / 2**20
    header = ["step", "wall s", "read s", "process s", "RSS imports MB", "RSS after read MB", "peak RSS MB",
              "peak RSS / frame", "runs (wall s)"]
    rows_out = [header]
    errors = []
    for step, r in results.items():
        if "error" in r:
            rows_out.append([step] + ["n/a"] * 7 + ["failed (see below)"])
            errors.append(f"{step}: {r['error']}" + (f"\n    {r['stderr_tail']}" if r.get("stderr_tail") else ""))
            continue
        peak = r.get("peak_rss_mb")
        rows_out.append([step, fmt(r["wall_s"], ".3f"), fmt(r.get("read_s"), ".3f"), fmt(r.get("process_s")),
                         fmt(r.get("rss_imports_mb"), ".0f"), fmt(r.get("rss_read_mb"), ".0f"), fmt(peak, ".0f"),
                         fmt(peak / frame_mb if peak else None) + "x",
                         ", ".join(f"{s:.3f}" for s in r.get("runs_s", []))])
        if r.get("children_peak_rss_mb"):
            notes.append(f"{step}: started child processes; the largest peaked at "
                         f"{r['children_peak_rss_mb']:.0f} MB (not included in its peak RSS)")
    print(f"\n## Results: {rows:,} rows x 20 columns, frame {frame_mb:.1f} MiB (pyarrow nbytes)\n")
    print("\n".join(table_lines(rows_out)))
    print("\nwall s: the step alone (fastest run); read s: reading its input (not in wall s; the jobs read "
          "inside run_job); process s: the whole worker process incl. interpreter start and imports; RSS: "
          "high-water marks of the worker process after imports, after reading the input, and at the end.")

    prof = results.get("sagewatch profile", {})
    prof_s = prof.get("wall_s") if "error" not in prof else None

    def ratio(step):
        r = results.get(step, {})
        return r["wall_s"] / prof_s if prof_s and "error" not in r and "wall_s" in r else None

    why_x, evi_x = ratio("whylogs log(df)"), ratio("evidently DataDriftPreset")
    mon = results.get("sagewatch monitor job", {})
    evi = results.get("evidently DataDriftPreset", {})
    evi_vs_mon = evi["wall_s"] / mon["wall_s"] if "wall_s" in evi and "wall_s" in mon else None

    def verdict(ok):
        return "n/a (not measured)" if ok is None else ("met" if ok else "NOT met")

    targets = [["target", "measured", "verdict"]]
    targets.append([f"profile <= {TARGETS['profile_s']:g} s", fmt(prof_s, ".3f") + " s" if prof_s else "—",
                    verdict(None if prof_s is None else prof_s <= TARGETS["profile_s"])])
    targets.append([f">= {TARGETS['whylogs_x']:g}x faster than whylogs (whylogs wall / profile wall)",
                    fmt(why_x, ".1f") + "x" if why_x else "—",
                    verdict(None if why_x is None else why_x >= TARGETS["whylogs_x"])])
    targets.append([f">= {TARGETS['evidently_x']:g}x faster than Evidently drift (evidently wall / profile wall)",
                    fmt(evi_x, ".1f") + "x" if evi_x else "—",
                    verdict(None if evi_x is None else evi_x >= TARGETS["evidently_x"])])
    for step in ("sagewatch profile", "sagewatch baseline job", "sagewatch monitor job"):
        r = results.get(step, {})
        x = r["peak_rss_mb"] / frame_mb if r.get("peak_rss_mb") else None
        targets.append([f"peak RSS <= {TARGETS['rss_x_frame']:g}x frame ({step.removeprefix('sagewatch ')})",
                        fmt(x) + "x" if x else "—", verdict(None if x is None else x <= TARGETS["rss_x_frame"])])
    print("\n## Targets\n")
    print("\n".join(table_lines(targets)))
    if rows != 1_000_000:
        print(f"\n(the targets are stated for 1,000,000 rows; at {rows:,} rows fixed costs dominate)")
    if evi_vs_mon:
        print(f"\n(for information: Evidently drift run / sagewatch monitoring job = {evi_vs_mon:.1f}x)")

    versions = {}
    for r in results.values():
        versions.update({k: v for k, v in (r.get("versions") or {}).items() if v})
    if versions:
        print("\nversions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    if evi.get("api"):
        print(f"evidently API used: {evi['api']}; drifted columns reported: {evi.get('drifted')}")
    if "violations" in mon:
        print(f"sagewatch monitor job: {mon['message']}")
    for note in notes:
        print(f"note: {note}")
    for error in errors:
        print(f"error: {error}")


if __name__ == "__main__":
    sys.exit(main())
