#!/usr/bin/env python3
"""Bias benchmark: sagewatch's bias report against smclarify on the same data.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_bias.py [--rows N] [--peer-rows N] [--skip-peer] [--repeat R]

What it does
------------
1. Builds ``--rows`` rows (default 1,000,000) with a seeded numpy generator: a 0/1 label, a 0/1 predicted
   label, a categorical facet ``sex`` (sensitive value 1), a continuous facet ``age`` (threshold 40), a
   group variable ``region`` (8 values) and two numeric features.
2. Times sagewatch's ``bias_report`` on that table (a pyarrow table, as a Parquet file gives it) with
   every pre-training metric and every post-training metric except FT, for both facets and the group
   variable: the analysis.json of one pre- and post-training bias job, without reading the file.
3. Times smclarify 0.5 (unless ``--skip-peer``) on the same rows as a pandas DataFrame, in its own virtual
   environment (``benchmarks/.work/smclarify-venv``, created by ``scripts/smclarify_golden.py``'s helper;
   smclarify needs pandas < 3): one ``bias_report`` call per facet and stage, the way Clarify runs it.
   ``--peer-rows`` runs smclarify on fewer rows (its per-row Python loops take minutes on a million);
   its time is then scaled linearly to ``--rows`` and marked as scaled.
4. Prints both times, the ratio and the target (sagewatch <= 2 s on 1M rows).

The top level imports only the standard library and numpy: the smclarify venv runs this file as a
worker without sagewatch installed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULT_MARK = "BENCH_RESULT "
TARGET_S = 2.0
PRE = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
POST = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]  # all but FT
FACETS = [("sex", [1]), ("age", [40])]


def make_columns(rows: int, seed: int = 20261205) -> dict:
    import numpy as np
    rng = np.random.default_rng(seed)
    sex = rng.integers(0, 2, size=rows)
    age = rng.integers(18, 90, size=rows).astype(np.float64)  # float: a continuous facet
    region = rng.integers(0, 8, size=rows)
    x1 = rng.normal(size=rows)
    x2 = rng.uniform(size=rows)
    logit = x1 + 0.5 * x2 - 0.4 * sex + (age - 50) / 30
    label = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    flip = rng.random(rows) < np.where(sex == 1, 0.2, 0.1)
    predicted = np.where(flip, 1 - label, label)
    return {"label": label, "predicted": predicted, "sex": sex, "age": age, "region": region, "x1": x1, "x2": x2}


def _best(times: list[float]) -> float:
    return min(times)


# ------------------------------------------------------------------------------ workers
def run_sagewatch(rows: int, repeat: int) -> dict:
    import pyarrow as pa

    from sagewatch.clarify.bias.report import bias_report
    from sagewatch.clarify.config import BiasSpec, FacetSpec

    table = pa.table(make_columns(rows))
    spec = BiasSpec(label="label", label_values=(1,), facets=tuple(FacetSpec(n, tuple(v)) for n, v in FACETS),
                    pre_training=tuple(PRE), post_training=tuple(POST), predicted_label="predicted",
                    group_variable="region")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        report = bias_report(table, spec)
        times.append(time.perf_counter() - start)
    metrics = sum(len(e["metrics"]) for stage in ("pre_training_bias_metrics", "post_training_bias_metrics")
                  for entries in report.document[stage]["facets"].values() for e in entries)
    return {"seconds": _best(times), "metrics": metrics}


def run_smclarify(rows: int, repeat: int) -> dict:
    import logging

    import pandas as pd
    from smclarify.bias import report as R

    logging.disable(logging.CRITICAL)
    df = pd.DataFrame(make_columns(rows))
    times, metrics = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        metrics = 0
        for stage, names in ((R.StageType.PRE_TRAINING, PRE), (R.StageType.POST_TRAINING, POST)):
            for facet, values in FACETS:
                out = R.bias_report(df, R.FacetColumn(facet, list(values)),
                                    R.LabelColumn("label", df["label"], [1]), stage,
                                    R.LabelColumn("predicted", df["predicted"], [1])
                                    if stage == R.StageType.POST_TRAINING else None,
                                    metrics=list(names), group_variable=df["region"])
                metrics += sum(len(entry["metrics"]) for entry in out)
        times.append(time.perf_counter() - start)
    return {"seconds": _best(times), "metrics": metrics}


def _worker(kind: str, rows: int, repeat: int) -> None:
    result = (run_sagewatch if kind == "sagewatch" else run_smclarify)(rows, repeat)
    print(RESULT_MARK + json.dumps(result))


def _run(python: str, kind: str, rows: int, repeat: int, env: dict | None = None) -> dict:
    done = subprocess.run([python, __file__, "--worker", kind, "--rows", str(rows), "--repeat", str(repeat)],
                          capture_output=True, text=True, env=env)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise SystemExit(f"{kind} worker failed:\n{done.stdout}\n{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--peer-rows", type=int, default=None, help="rows for smclarify (default: --rows)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--worker", choices=["sagewatch", "smclarify"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.rows, args.repeat)
        return 0
    import os
    ours = _run(sys.executable, "sagewatch", args.rows, args.repeat)
    print(f"sagewatch bias_report: {args.rows:,} rows, {ours['metrics']} metric values, best of {args.repeat}: "
          f"{ours['seconds']:.3f} s (target <= {TARGET_S} s: {'met' if ours['seconds'] <= TARGET_S else 'MISSED'})")
    if args.skip_peer:
        return 0
    sys.path.insert(0, str(ROOT / "scripts"))
    from smclarify_golden import venv_python  # creates the venv on first use

    peer_rows = args.peer_rows or args.rows
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    theirs = _run(str(venv_python()), "smclarify", peer_rows, 1, env)
    scaled = theirs["seconds"] * args.rows / peer_rows
    note = "" if peer_rows == args.rows else f" (measured on {peer_rows:,} rows, scaled linearly)"
    print(f"smclarify 0.5 bias_report: {peer_rows:,} rows, {theirs['metrics']} metric values: "
          f"{theirs['seconds']:.3f} s{note}")
    print(f"ratio smclarify / sagewatch on {args.rows:,} rows: {scaled / ours['seconds']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
