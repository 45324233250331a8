#!/usr/bin/env python3
"""Drift calibration: false-alarm rate and power of every drift rule, printed as a Markdown table.

Usage (from the repository root; no network, no LocalStack)::

    .venv/bin/python benchmarks/calibrate_drift.py            # 100 repetitions per cell, a few minutes
    .venv/bin/python benchmarks/calibrate_drift.py --quick    # 20 repetitions, under a minute
    .venv/bin/python benchmarks/calibrate_drift.py --reps 400 --sizes 1000 10000

What it does
------------
For each sample size n (rows per side; default 1,000 / 10,000 / 100,000) and each repetition, with a
fixed seed (one child seed per (n, repetition), so a cell does not depend on the others):

* numeric: a baseline of n draws of N(0, 1) and a current sample of n draws of N(d, 1) for
  d = 0 (no change: false alarms), 0.1, 0.25 and 0.5 standard deviations (power). Both are summarised
  by the product's KLL sketch (k = 2048) and compared by the same code that writes
  ``sagewatch_report.json`` (:func:`sagewatch.drift.compare.compare_columns` with the report's options);
* categorical: four categories with shares 40/30/20/10 % in the baseline; the current data has the same
  shares (false alarms) or 35/35/20/10 % (a 5-point move from the first category to the second);
  counts are multinomial draws of n rows;
* multivariate (MMD): two features, the first shifted by d, on the report's row samples (at most 600
  rows per side, 200 permutations).

A cell is the share of repetitions in which the rule flagged drift. ``linf`` appears twice: SageMaker's
``Simple`` / ``LInfinity`` rules (distance > 0.1) and the gated rules (``Robust``: also above the KS
critical value; ``ChiSquared``: also chi-squared p < 0.05), which are SageMaker's default numeric method
and what the report uses. The other rows use the registry's default thresholds.

The sketches' compaction may be randomised by the DataSketches library, so the last digit of a cell can
move between runs at n >= 10,000; the seed fixes the data.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from sagewatch.drift.compare import compare_columns
from sagewatch.drift.linf import linf_categorical_distance, linf_distance
from sagewatch.drift.mmd import mmd_test
from sagewatch.report.extra import MMD_SAMPLES, REPORT_OPTIONS
from sagewatch.sketches.kll import KllDistribution

SEED = 20_261_205
SHIFTS = (0.0, 0.1, 0.25, 0.5)
CATEGORIES = ("a", "b", "c", "d")
BASE_SHARES = np.array([0.40, 0.30, 0.20, 0.10])
MOVED_SHARES = np.array([0.35, 0.35, 0.20, 0.10])  # 5 points from "a" to "b"
NUMERIC_MEASURES = ("linf", "ks", "psi", "js", "hellinger", "wasserstein", "chi2")
CATEGORICAL_MEASURES = ("linf", "psi", "js", "hellinger", "chi2")
ROWS = (  # (row label, numeric key, categorical key)
    ("`linf` Simple / LInfinity (SageMaker, distance > 0.1)", "linf_simple", "linf_linfinity"),
    ("`linf` Robust / ChiSquared (gated; the report's rule)", "linf", "linf"),
    ("`ks` (p < 0.05)", "ks", None),
    ("`chi2` (p < 0.05)", "chi2", "chi2"),
    ("`psi` (0.06 / 0.041)", "psi", "psi"),
    ("`js` (0.104 / 0.086)", "js", "js"),
    ("`hellinger` (0.087 / 0.072)", "hellinger", "hellinger"),
    ("`wasserstein` (0.25)", "wasserstein", None),
    ("`mmd` (p < 0.05, 600 rows per side)", "mmd", None),
)


def _distribution(values: np.ndarray) -> KllDistribution:
    return KllDistribution.from_values(values)


def _counts(rng: np.random.Generator, n: int, shares: np.ndarray) -> dict[str, int]:
    return dict(zip(CATEGORIES, rng.multinomial(n, shares).tolist(), strict=True))


def _one_repetition(rng: np.random.Generator, n: int, *, with_mmd: bool) -> dict[tuple[str, str], bool]:
    """Which rules flag drift in one draw of every scenario at size ``n``."""
    flags: dict[tuple[str, str], bool] = {}
    base_values = rng.normal(size=n)
    base = _distribution(base_values)
    for shift in SHIFTS:
        scenario = f"num{shift}"
        cur = _distribution(rng.normal(size=n) + shift)
        for result in compare_columns(base, cur, measures=NUMERIC_MEASURES, options=REPORT_OPTIONS["numeric"]):
            flags[(result.name, scenario)] = result.drifted
        flags[("linf_simple", scenario)] = linf_distance(base, cur, comparison_method="Simple").drifted
        if with_mmd:
            x = np.column_stack([base_values, rng.normal(size=n)])
            y = np.column_stack([rng.normal(size=n) + shift, rng.normal(size=n)])
            seed = int(rng.integers(2**31))
            flags[("mmd", scenario)] = mmd_test(x, y, max_samples=MMD_SAMPLES, random_state=seed).drifted
    base_counts = _counts(rng, n, BASE_SHARES)
    for scenario, shares in (("cat0", BASE_SHARES), ("cat5", MOVED_SHARES)):
        cur_counts = _counts(rng, n, shares)
        for result in compare_columns(base_counts, cur_counts, measures=CATEGORICAL_MEASURES,
                                      options=REPORT_OPTIONS["categorical"]):
            flags[(result.name, scenario)] = result.drifted
        flags[("linf_linfinity", scenario)] = linf_categorical_distance(base_counts, cur_counts).drifted
    return flags


def calibrate(sizes: Iterable[int], reps: int, *, seed: int = SEED, with_mmd: bool = True
              ) -> dict[int, dict[tuple[str, str], float]]:
    """Share of repetitions flagged, per size, per (rule, scenario)."""
    rates: dict[int, dict[tuple[str, str], float]] = {}
    for n in sizes:
        hits: dict[tuple[str, str], int] = defaultdict(int)
        children = np.random.SeedSequence([seed, n]).spawn(reps)
        for child in children:
            for key, flagged in _one_repetition(np.random.default_rng(child), n, with_mmd=with_mmd).items():
                hits[key] += int(flagged)
        rates[n] = {key: count / reps for key, count in hits.items()}
    return rates


def _cell(rates: dict[tuple[str, str], float], key: str | None, scenario: str) -> str:
    if key is None or (key, scenario) not in rates:
        return "–"
    return f"{100 * rates[(key, scenario)]:.0f}%"


def markdown_table(rates: dict[int, dict[tuple[str, str], float]]) -> str:
    """The calibration table: one row per rule and size."""
    head = ("| rule (default threshold numeric / categorical) | n per side | false alarms, numeric "
            "| power 0.1σ | power 0.25σ | power 0.5σ | false alarms, categorical | power, 5-point move |")
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, num_key, cat_key in ROWS:
        for n, cell_rates in rates.items():
            cells = [_cell(cell_rates, num_key, f"num{s}") for s in SHIFTS]
            cells += [_cell(cell_rates, cat_key, "cat0"), _cell(cell_rates, cat_key, "cat5")]
            lines.append(f"| {label} | {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="20 repetitions per cell instead of 100")
    parser.add_argument("--reps", type=int, default=None, help="repetitions per cell (overrides --quick)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000],
                        help="rows per side")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the data")
    parser.add_argument("--no-mmd", action="store_true", help="skip the multivariate MMD rows (the slowest)")
    args = parser.parse_args(argv)
    reps = args.reps if args.reps is not None else (20 if args.quick else 100)
    if reps < 1 or any(n < 10 for n in args.sizes):
        parser.error("--reps must be >= 1 and every size >= 10")
    start = time.perf_counter()
    rates = calibrate(args.sizes, reps, seed=args.seed, with_mmd=not args.no_mmd)
    elapsed = time.perf_counter() - start
    print(markdown_table(rates))
    print()
    print(f"{reps} repetitions per cell, seed {args.seed}, {elapsed:.0f} s. Numeric: N(0, 1) against N(d, 1); "
          "categorical: shares 40/30/20/10 % against 35/35/20/10 %.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
