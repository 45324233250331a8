#!/usr/bin/env python3
"""Model-quality benchmark: sagewatch's analysis and ground-truth merge against pandas + scikit-learn.

Usage (from the repository root, with sagewatch and the dev extra installed, e.g. ``make install``)::

    .venv/bin/python benchmarks/bench_model_quality.py [--rows N] [--repeat R] [--skip-peers] [--json FILE]

What it does
------------
1. Builds, under ``benchmarks/.work/model-quality/`` (reused when present):
   - ``merged.parquet``: ``--rows`` merged binary-classification rows (``probability``, ``prediction``, ``label``;
     30% positives, scores from two overlapping distributions, 6 decimals);
   - ``captures/ep/AllTraffic/2024/05/01/10/part-0.jsonl``: ``--rows`` data-capture records (a CSV input of three
     features, the score as output, ``inferenceId`` set), and ``labels/2024/05/01/11/labels.jsonl``: a
     ground-truth record for each, in another order.
2. Times, each step in a fresh process of this interpreter, ``--repeat`` times, the fastest run reported:
   - ``analysis``: sagewatch's model-quality statistics of the table already in memory
     (``prepare_columns`` + ``statistics_layout``: the confusion matrix, every scalar metric, the ROC and PR
     curves and the five 80% resamples behind ``standard_deviation``), i.e. what a baselining job computes
     between reading the data and writing the files;
   - ``merge``: ``merge_ground_truth`` + ``write_merged``: both files read, joined on inferenceId, the merged
     JSON Lines file written;
   - ``job``: a whole baselining job through ``run_job`` (read Parquet, analyse, suggest, write the files), and
     ``job_merged``: the same on the merge step's ``merged.jsonl`` (``sagemakerMergeJson``: the capture reader
     flattens every record), for reference.
3. Times the same work done with pandas + scikit-learn the obvious way (unless ``--skip-peers``; once each, or
   ``--peer-repeat``): the same metrics, curves and five ``DataFrame.sample(frac=0.8)`` resamples from a
   DataFrame, and ``pandas.read_json(lines=True)`` of both files, the key taken from ``eventMetadata``,
   ``drop_duplicates`` + ``merge`` + ``to_json(lines=True)``. The peers' results are compared with
   sagewatch's (same auc, f1 and merged row count).
4. Prints a table (step, wall s, peak RSS MB), the ratios peer / sagewatch and the targets.

Targets: analysis of 1,000,000 rows <= 2 s; merge of 1,000,000 captures with 1,000,000 labels <= 3 s.
"wall s" is the step itself, measured inside the worker: interpreter start, imports, building the input and
pyarrow's one-time set-up of its compute functions (up to a second on the first call in a process, whatever the
data size) are done before the timer starts. The top level imports only the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "model-quality"
DATA_VERSION = 1  # bump when the generator changes: old files are then rebuilt
RESULT_MARK = "BENCH_RESULT "
TARGETS = {"analysis": 2.0, "merge": 3.0}


def peak_rss_mb() -> float | None:
    """This process's peak resident set (Linux ``VmHWM``; see ``bench_data_quality.peak_rss_mb``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def emit(result: dict) -> None:
    print(RESULT_MARK + json.dumps(result), flush=True)


def data_dir(rows: int) -> Path:
    return WORK / f"v{DATA_VERSION}-{rows}"


# --------------------------------------------------------------------------------------------
# data (vectorised: pyarrow builds the JSON lines)


def warm_up() -> None:
    """Imports and pyarrow's one-time compute set-up, before any timer starts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pc.add(pa.array([1]), 1)


def worker_prepare(args: dict) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows, folder = args["rows"], Path(args["folder"])
    done = folder / ".complete"
    if done.exists():
        return {"built": False}
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261205)
    label = (rng.random(rows) < 0.3).astype(np.int64)
    score = np.clip(np.where(label == 1, rng.beta(5, 2, rows), rng.beta(2, 5, rows)), 0, 1).round(6)
    pq.write_table(pa.table({"probability": score, "prediction": (score >= 0.5).astype(np.int64), "label": label}),
                   folder / "merged.parquet")

    def text(values) -> pa.Array:
        return pa.array(values).cast(pa.string())

    ids = text(np.arange(rows))
    features = rng.normal(size=(3, rows)).round(4)
    minute = text(np.char.zfill((np.arange(rows) % 60).astype(str), 2))
    capture = pc.binary_join_element_wise(
        '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"',
        text(features[0]), ",", text(features[1]), ",", text(features[2]),
        '","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT",'
        '"data":"', text(score), '","encoding":"CSV"}},"eventMetadata":{"eventId":"ev-', ids,
        '","inferenceId":"inf-', ids, '","inferenceTime":"2024-05-01T10:', minute, ':00Z"},"eventVersion":"0"}\n',
        "")
    order = pa.array(rng.permutation(rows))
    labels = pc.binary_join_element_wise('{"groundTruthData":{"data":"', text(label).take(order),
                                         '","encoding":"CSV"},"eventMetadata":{"eventId":"inf-', ids.take(order),
                                         '"},"eventVersion":"0"}\n', "")
    for path, lines in ((folder / "captures" / "ep" / "AllTraffic" / "2024" / "05" / "01" / "10" / "part-0.jsonl",
                         capture),
                        (folder / "labels" / "2024" / "05" / "01" / "11" / "labels.jsonl", labels)):
        path.parent.mkdir(parents=True, exist_ok=True)
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
        with path.open("wb") as out:  # every value ends with its line break: the values buffer is the file
            out.write(memoryview(lines.buffers()[2])[int(offsets[0]):int(offsets[-1])])
    done.write_text("ok\n")
    return {"built": True}


# --------------------------------------------------------------------------------------------
# sagewatch steps


def worker_analysis(args: dict) -> dict:
    import pyarrow.parquet as pq

    from sagewatch.quality.labels import prepare_columns
    from sagewatch.quality.metrics import statistics_layout

    table = pq.read_table(Path(args["folder"]) / "merged.parquet")
    warm_up()
    started = time.perf_counter()
    columns = prepare_columns("BinaryClassification", table.column("label"), prediction=table.column("prediction"),
                              probability=table.column("probability"))
    statistics = statistics_layout(columns, "BinaryClassification", evaluation_time="2024-05-01T11:00:00.000Z")
    wall = time.perf_counter() - started
    metrics = statistics["binary_classification_metrics"]
    return {"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "rows": statistics["dataset"]["item_count"],
            "auc": metrics["auc"]["value"], "f1": metrics["f1"]["value"],
            "auc_sd": metrics["auc"]["standard_deviation"],
            "roc_points": len(metrics["receiver_operating_characteristic_curve"]["false_positive_rates"])}


def worker_merge(args: dict) -> dict:
    import tempfile

    from sagewatch.quality.merge import merge_ground_truth, write_merged

    folder = Path(args["folder"])
    captures = sorted((folder / "captures").rglob("*.jsonl"))
    labels = sorted((folder / "labels").rglob("*.jsonl"))
    warm_up()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = merge_ground_truth(captures, labels)
        written = write_merged(result, Path(out) / "merged.jsonl")
        wall = time.perf_counter() - started
    return {"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "merged": written, "counts": result.counts.to_dict()}


def worker_job(args: dict) -> dict:
    import tempfile

    from sagewatch.job.analyses import get_analysis
    from sagewatch.job.run import run_job
    from sagewatch.job.spec import JobSpec, OptMlPaths

    folder = Path(args["folder"])
    get_analysis("MODEL_QUALITY")  # imports the analysis (scikit-learn, ...) before the timer
    warm_up()
    with tempfile.TemporaryDirectory() as out:
        spec = JobSpec(dataset_source=folder / "merged.parquet", output_path=Path(out),
                       dataset_format={"parquet": {}}, paths=OptMlPaths(Path(out)), analysis_type="MODEL_QUALITY",
                       problem_type="BinaryClassification", inference_attribute="prediction",
                       probability_attribute="probability", ground_truth_attribute="label")
        started = time.perf_counter()
        outcome = run_job(spec)
        wall = time.perf_counter() - started
    return {"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "message": outcome.message}


def worker_job_merged(args: dict) -> dict:
    import tempfile

    from sagewatch.job.analyses import get_analysis
    from sagewatch.job.run import run_job
    from sagewatch.job.spec import JobSpec, OptMlPaths
    from sagewatch.quality.merge import merge_ground_truth, write_merged

    folder = Path(args["folder"])
    merged = folder / "merged" / "2024" / "05" / "01" / "10" / "merged.jsonl"
    if not merged.exists():  # the merge step's output, kept for this step (not timed)
        merged.parent.mkdir(parents=True, exist_ok=True)
        write_merged(merge_ground_truth(sorted((folder / "captures").rglob("*.jsonl")),
                                        sorted((folder / "labels").rglob("*.jsonl"))), merged)
    get_analysis("MODEL_QUALITY")
    warm_up()
    with tempfile.TemporaryDirectory() as out:
        spec = JobSpec(dataset_source=folder / "merged", output_path=Path(out),
                       dataset_format={"sagemakerMergeJson": {"captureIndexNames": ["endpointOutput"]}},
                       paths=OptMlPaths(Path(out)), analysis_type="MODEL_QUALITY",
                       problem_type="BinaryClassification", probability_attribute="0",
                       probability_threshold_attribute=0.5)
        started = time.perf_counter()
        outcome = run_job(spec)
        wall = time.perf_counter() - started
    return {"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "message": outcome.message}


# --------------------------------------------------------------------------------------------
# peers: pandas + scikit-learn, the obvious way


def _sklearn_binary(y, pred, score) -> dict:
    from sklearn import metrics as skm

    ones = [1] * len(y)
    out = {"recall": skm.recall_score(y, pred, zero_division=0.0),
           "precision": skm.precision_score(y, pred, zero_division=0.0),
           "accuracy": skm.accuracy_score(y, pred),
           "recall_best_constant_classifier": skm.recall_score(y, ones, zero_division=0.0),
           "precision_best_constant_classifier": skm.precision_score(y, ones, zero_division=0.0),
           "accuracy_best_constant_classifier": skm.accuracy_score(y, ones),
           "auc": skm.roc_auc_score(y, score)}
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    out.update(true_positive_rate=out["recall"], false_negative_rate=1 - out["recall"],
               false_positive_rate=fp / (fp + tn), true_negative_rate=tn / (fp + tn))
    for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
        out[name] = skm.fbeta_score(y, pred, beta=beta, zero_division=0.0)
        out[f"{name}_best_constant_classifier"] = skm.fbeta_score(y, ones, beta=beta, zero_division=0.0)
    return out


def worker_peer_analysis(args: dict) -> dict:
    import pandas as pd
    from sklearn import metrics as skm

    frame = pd.read_parquet(Path(args["folder"]) / "merged.parquet")
    warm_up()
    started = time.perf_counter()
    values = _sklearn_binary(frame["label"], frame["prediction"], frame["probability"])
    confusion = skm.confusion_matrix(frame["label"], frame["prediction"])
    fpr, tpr, _ = skm.roc_curve(frame["label"], frame["probability"])
    precision, recall, _ = skm.precision_recall_curve(frame["label"], frame["probability"])
    rounds = []
    for seed in range(5):
        sample = frame.sample(frac=0.8, random_state=seed)
        rounds.append(_sklearn_binary(sample["label"], sample["prediction"], sample["probability"]))
    deviations = pd.DataFrame(rounds).std(ddof=1)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "rows": len(frame), "auc": float(values["auc"]),
            "f1": float(values["f1"]), "auc_sd": float(deviations["auc"]), "cells": int(confusion.sum()),
            "roc_points": len(fpr), "pr_points": len(precision)}


def worker_peer_merge(args: dict) -> dict:
    import tempfile

    import pandas as pd

    folder = Path(args["folder"])
    capture_file = next((folder / "captures").rglob("*.jsonl"))
    label_file = next((folder / "labels").rglob("*.jsonl"))
    warm_up()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        captures = pd.read_json(capture_file, lines=True, dtype=False)
        labels = pd.read_json(label_file, lines=True, dtype=False)
        captures["key"] = captures["eventMetadata"].map(lambda m: m.get("inferenceId") or m.get("eventId"))
        labels["key"] = labels["eventMetadata"].map(lambda m: m.get("eventId"))
        captures = captures.drop_duplicates("key", keep="first")
        labels = labels.drop_duplicates("key", keep="last")
        merged = captures.merge(labels[["key", "groundTruthData"]], on="key", how="inner").drop(columns="key")
        merged.to_json(Path(out) / "merged.jsonl", orient="records", lines=True)
        wall = time.perf_counter() - started
    return {"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "merged": len(merged)}


WORKERS = {"prepare": worker_prepare, "analysis": worker_analysis, "merge": worker_merge, "job": worker_job,
           "job_merged": worker_job_merged,
           "peer_analysis": worker_peer_analysis, "peer_merge": worker_peer_merge}


def run_worker_main(name: str, raw: str) -> int:
    try:
        result = WORKERS[name](json.loads(raw))
    except Exception as e:  # reported to the parent, which prints it and goes on
        import traceback
        traceback.print_exc()
        result = {"error": f"{type(e).__name__}: {e}"}
    emit(result)
    return 0


# --------------------------------------------------------------------------------------------
# orchestration


def spawn(worker: str, args: dict, *, timeout: float = 3600) -> dict:
    """Run one worker in a fresh process of this interpreter; returns its JSON result."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", worker, "--_args", json.dumps(args)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                              env=dict(os.environ))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        return {"error": f"worker {worker} exited {proc.returncode} without a result:\n{tail}"}
    return json.loads(lines[-1][len(RESULT_MARK):])


def best_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    best = dict(min(ok, key=lambda r: r["wall_s"]))
    best["runs_s"] = [round(r["wall_s"], 3) for r in ok]
    best["peak_rss_mb"] = max(r["peak_rss_mb"] or 0 for r in ok)
    return best


def fmt(value, spec: str = ".2f") -> str:
    return "—" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows, captures and labels (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per sagewatch step, fastest kept (default 3)")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs per peer step (default 1)")
    parser.add_argument("--skip-peers", action="store_true", help="time sagewatch only")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_args", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        return run_worker_main(args._worker, args._args or "{}")

    folder = data_dir(args.rows)
    print(f"data: {args.rows:,} rows under {folder.relative_to(HERE.parent)}", flush=True)
    prepared = spawn("prepare", {"rows": args.rows, "folder": str(folder)})
    if "error" in prepared:
        print(f"cannot build the data: {prepared['error']}")
        return 1
    work = {"folder": str(folder)}
    steps = [("analysis", "sagewatch analysis (table in memory: metrics, curves, 5 resamples)", args.repeat),
             ("merge", "sagewatch merge (read both files, join, write merged.jsonl)", args.repeat),
             ("job", "sagewatch baselining job (Parquet -> statistics, constraints)", args.repeat),
             ("job_merged", "sagewatch baselining job on the merged JSON Lines (read, flatten, analyse, write)",
              args.repeat)]
    if not args.skip_peers:
        steps += [("peer_analysis", "pandas + scikit-learn analysis (same metrics, curves, 5 resamples)",
                   args.peer_repeat),
                  ("peer_merge", "pandas read_json + merge + to_json", args.peer_repeat)]
    results: dict[str, dict] = {}
    for key, title, repeat in steps:
        print(f"  {title} ...", flush=True)
        results[key] = best_of([spawn(key, work) for _ in range(max(1, repeat))])
        if "error" in results[key]:
            print(f"    failed: {results[key]['error']}")

    print()
    print("| step | wall s (best) | runs s | peak RSS MB |")
    print("|---|---:|---|---:|")
    for key, title, _ in steps:
        r = results[key]
        print(f"| {title} | {fmt(r.get('wall_s'))} | {', '.join(f'{s:.2f}' for s in r.get('runs_s', []))} | "
              f"{fmt(r.get('peak_rss_mb'), '.0f')} |")
    print()
    verdicts = []
    for key, limit in TARGETS.items():
        wall = results[key].get("wall_s")
        ok = wall is not None and wall <= limit
        verdicts.append(ok)
        line = f"{key}: {fmt(wall)} s, target <= {limit:.0f} s: {'met' if ok else 'NOT met'}"
        peer = results.get(f"peer_{key}", {}).get("wall_s")
        if peer is not None and wall:
            line += f"; pandas + scikit-learn {peer:.2f} s, {peer / wall:.1f}x slower"
        print(line)
    ours, theirs = results["analysis"], results.get("peer_analysis", {})
    if "auc" in ours and "auc" in theirs:
        same = abs(ours["auc"] - theirs["auc"]) <= 1e-12 and abs(ours["f1"] - theirs["f1"]) <= 1e-12
        print(f"same auc and f1 as scikit-learn: {'yes' if same else 'NO'} (auc {ours['auc']:.6f}; auc standard "
              f"deviation {ours['auc_sd']:.2e} here, {theirs['auc_sd']:.2e} from pandas' samples)")
    if "merged" in results["merge"] and "merged" in results.get("peer_merge", {}):
        same_rows = results["merge"]["merged"] == results["peer_merge"]["merged"]
        print(f"same merged rows as pandas: {'yes' if same_rows else 'NO'} ({results['merge']['merged']:,})")
    if args.json:
        args.json.write_text(json.dumps({"rows": args.rows, "results": results}, indent=2))
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
