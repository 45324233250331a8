#!/usr/bin/env python3
"""Feature-attribution benchmark: sagewatch's SHAP runs beside the ``shap`` library called directly.

Usage (from the repository root, with sagewatch installed, e.g. ``make install``)::

    .venv/bin/python benchmarks/bench_attribution.py [--records N] [--features F] [--clusters K] [--repeat R]

What it does
------------
1. Builds ``--records`` records x ``--features`` features (standard normal, seed 0) and a binary label, and fits
   a scikit-learn logistic regression and an XGBoost booster (``binary:logistic``, 100 rounds, depth 6).
2. Kernel SHAP: times ``explain_records`` (k-means background of ``--clusters`` rows, ``num_samples`` auto, the
   model called as a plain ``predict`` function, as an endpoint would be) and, on the same inputs,
   ``shap.KernelExplainer(...).shap_values(...)`` called directly; checks that both give the same values.
3. Exact tree SHAP: times ``explain_records(..., explainer="tree_shap")`` with the booster and
   ``shap.TreeExplainer(...).shap_values(...)`` called directly, same check.
4. Prints each step's fastest wall time of ``--repeat`` runs, the ratio sagewatch / shap, and the targets:
   Kernel SHAP of 1,000 x 20 <= 60 s (the issue's target is for a model served by the emulator; here the model is
   local, so the time is the engine's share), tree SHAP <= 3 s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

KERNEL_TARGET_S, TREE_TARGET_S = 60.0, 3.0


def _fastest(step: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest wall time of ``repeat`` runs, and the last result; the CPU time of that run is kept in
    ``_fastest.cpu`` (on a shared machine the wall time also counts other processes' turns)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = step()
        wall = time.perf_counter() - start
        if wall < best:
            best, _fastest.cpu = wall, time.process_time() - cpu  # type: ignore[attr-defined]
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=1000, help="records to explain (default 1000)")
    parser.add_argument("--features", type=int, default=20, help="features per record (default 20)")
    parser.add_argument("--clusters", type=int, default=10, help="k-means background rows (default 10)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest counts (default 1)")
    args = parser.parse_args()

    import shap
    import xgboost
    from sklearn.linear_model import LogisticRegression

    from sagewatch.clarify.explain.explain import explain_records
    from sagewatch.clarify.explain.settings import ShapSettings

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.records, args.features))
    weights = np.linspace(2.0, 0.1, args.features)
    y = ((X * weights).sum(axis=1) + rng.normal(scale=0.5, size=args.records) > 0).astype(int)
    names = [f"f{i}" for i in range(args.features)]
    logistic = LogisticRegression(max_iter=1000).fit(X, y)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 6, "seed": 0},
                            xgboost.DMatrix(X, label=y), num_boost_round=100)
    settings = ShapSettings(num_clusters=args.clusters, seed=0)

    def predict(records: np.ndarray) -> np.ndarray:
        return logistic.predict_proba(records)[:, 1]

    kernel_s, ours = _fastest(lambda: explain_records(X, names, settings, predict=predict), args.repeat)
    kernel_cpu = _fastest.cpu  # type: ignore[attr-defined]

    def direct_kernel() -> np.ndarray:
        np.random.seed(0)
        explainer = shap.KernelExplainer(predict, shap.kmeans(X, args.clusters))
        return explainer.shap_values(X, l1_reg=False, silent=True)
    direct_kernel_s, theirs = _fastest(direct_kernel, args.repeat)
    direct_kernel_cpu = _fastest.cpu  # type: ignore[attr-defined]
    kernel_same = np.array_equal(ours.local.values[:, 0, :], theirs)

    background = tuple(tuple(row) for row in X[:args.clusters])
    tree_settings = ShapSettings(baseline=background)
    tree_s, ours_tree = _fastest(lambda: explain_records(X, names, tree_settings, model=booster,
                                                         explainer="tree_shap"), args.repeat)
    tree_cpu = _fastest.cpu  # type: ignore[attr-defined]

    def direct_tree() -> np.ndarray:
        explainer = shap.TreeExplainer(booster, data=X[:args.clusters], feature_perturbation="interventional",
                                       model_output="probability")
        return explainer.shap_values(X)
    direct_tree_s, theirs_tree = _fastest(direct_tree, args.repeat)
    direct_tree_cpu = _fastest.cpu  # type: ignore[attr-defined]
    tree_same = np.array_equal(ours_tree.local.values[:, 0, :], theirs_tree)

    print(f"feature attribution, {args.records} records x {args.features} features, "
          f"background {args.clusters} rows, fastest of {args.repeat}")
    print(f"{'step':<24}{'sagewatch s':>12}{'(cpu s)':>9}{'shap s':>9}{'(cpu s)':>9}{'ratio':>7}{'same':>6}"
          f"{'target':>18}")
    for step, mine, mine_cpu, peer, peer_cpu, same, target in (
            ("Kernel SHAP (logistic)", kernel_s, kernel_cpu, direct_kernel_s, direct_kernel_cpu, kernel_same,
             KERNEL_TARGET_S),
            ("tree SHAP (XGBoost)", tree_s, tree_cpu, direct_tree_s, direct_tree_cpu, tree_same, TREE_TARGET_S)):
        verdict = "met" if mine <= target else "MISSED"
        print(f"{step:<24}{mine:>12.2f}{mine_cpu:>9.2f}{peer:>9.2f}{peer_cpu:>9.2f}{mine / peer:>7.2f}"
              f"{str(same):>6}{f'<= {target:g} s {verdict}':>18}")
    return 0 if kernel_same and tree_same else 1


if __name__ == "__main__":
    raise SystemExit(main())
