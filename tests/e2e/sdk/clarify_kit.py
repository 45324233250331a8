"""The model, datasets and independent expectations of the SDK's Clarify e2e tests.

The model is a scikit-learn logistic regression over ``group`` (0/1, the sensitive facet), ``x1``, ``x2`` and
``x3``, served through an inference script that answers one probability per CSV row (as an XGBoost binary
classifier does). Datasets are headerless CSV with the label first (``label,group,x1,x2,x3``), as in AWS's
Clarify examples. Expectations come from two places: the engine (``sagewatch.clarify``) run locally on the same
rows with the model's predictions as a column (what the Clarify container must reproduce through a shadow
endpoint), and arithmetic written out here (class imbalance, positive proportions, exact Shapley values by
enumerating every coalition, nDCG with scikit-learn), which does not depend on the engine.
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import math
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ndcg_score
from sw_endpoints import tar_gz

from sagewatch.clarify.bias.dataset import run_bias_analysis
from sagewatch.schemas.clarify_analysis import dumps_analysis
from sagewatch.schemas.clarify_config import parse_analysis_config

HEADERS = ["label", "group", "x1", "x2", "x3"]
FEATURES = HEADERS[1:]
FACET = "group"
FACET_VALUES = [1]
SHAP_BASELINE = [0, 0.0, 0.0, 0.0]
THRESHOLD = 0.5
# Answers the positive-class probability of each CSV row, written with repr() so that the probability the
# Clarify container reads is the float the test computes locally.
INFERENCE_SCRIPT = """
import os

import joblib
import numpy as np


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def predict_fn(rows, model):
    return model.predict_proba(np.asarray(rows, dtype=float).reshape(-1, 4))[:, 1]


def output_fn(probabilities, accept):
    return "".join(repr(float(p)) + "\\n" for p in probabilities), "text/csv"
"""


def truth(features: np.ndarray) -> np.ndarray:
    """The labels the model learns: ``group + 2 x1 - x2 + 0.3 x3 > 0.5``."""
    return (features[:, 0] + 2 * features[:, 1] - features[:, 2] + 0.3 * features[:, 3] > 0.5).astype(int)


def trained_model() -> LogisticRegression:
    rng = np.random.default_rng(81)
    features = np.column_stack([rng.integers(0, 2, 600), rng.normal(size=(600, 3))])
    return LogisticRegression().fit(features, truth(features))


def model_tarball(model: LogisticRegression) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return tar_gz({"model.joblib": buffer.getvalue()})


def deploy_model(deployer: Any, model: LogisticRegression) -> str:
    """A SageMaker model (scikit-learn image) serving *model* with the inference script; its name."""
    source = deployer.upload("script/sourcedir.tar.gz", tar_gz({"inference.py": INFERENCE_SCRIPT.encode()}))
    return deployer.model(model_tarball(model), environment={"SAGEMAKER_PROGRAM": "inference.py",
                                                             "SAGEMAKER_SUBMIT_DIRECTORY": source})


def feature_text(features: np.ndarray) -> list[str]:
    """One CSV line per row of ``group,x1,x2,x3`` (group as an integer, the rest with 4 decimals)."""
    return [f"{int(row[0])}," + ",".join(f"{v:.4f}" for v in row[1:]) for row in features]


def parse_features(lines: list[str]) -> np.ndarray:
    """The features exactly as a reader of *lines* sees them (the floats of the written text)."""
    return np.array([[float(v) for v in line.split(",")] for line in lines])


def labelled_dataset(rows: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """(headerless CSV ``label,group,x1,x2,x3``, features as read back, labels); 10 % of labels flipped."""
    rng = np.random.default_rng(seed)
    features = np.column_stack([rng.integers(0, 2, rows), rng.normal(size=(rows, 3))])
    lines = feature_text(features)
    features = parse_features(lines)
    labels = truth(features)
    labels[rng.random(rows) < 0.1] ^= 1
    body = "".join(f"{label},{line}\n" for label, line in zip(labels, lines))
    return body.encode(), features, labels


def engine_bias(config: dict[str, Any], features: np.ndarray, labels: np.ndarray, probabilities: np.ndarray | None,
                folder: Path) -> dict[str, Any]:
    """The analysis.json the engine writes for these rows under *config* (an SDK analysis_config.json).

    With *probabilities*, they are a ``predicted`` column read with ``probability_threshold`` (instead of the
    config's ``predictor``): what the Clarify container must compute from the shadow endpoint's answers. A
    monitoring config names no methods (the SDK's ``BiasAnalysisConfig``): both stages are computed then.
    """
    local = {key: copy.deepcopy(value) for key, value in config.items()
             if key not in ("predictor", "probability_threshold")}
    local.setdefault("methods", {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}})
    lines = [f"{label},{row}" for label, row in zip(labels.astype(int), feature_text(features))]
    if probabilities is not None:
        local["headers"] = [*config["headers"], "predicted"]
        local["predicted_label"] = "predicted"
        local["probability_threshold"] = config.get("probability_threshold", THRESHOLD)
        lines = [f"{line},{p!r}" for line, p in zip(lines, probabilities.tolist())]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.csv").write_text("".join(line + "\n" for line in lines))
    report = run_bias_analysis(parse_analysis_config(local), folder / "data.csv")
    return json.loads(dumps_analysis(report.document))


def metrics_of(analysis: dict[str, Any], stage: str) -> dict[str, Any]:
    """``{code: value}`` of the one facet value of *stage* (``pre_training_bias_metrics`` / ``post_...``)."""
    [facet] = analysis[stage]["facets"][FACET]
    return {metric["name"]: metric["value"] for metric in facet["metrics"]}


def class_imbalance(features: np.ndarray) -> float:
    """CI = (n_a - n_d) / (n_a + n_d), d the rows with group 1."""
    n_d = int((features[:, 0] == 1).sum())
    n_a = len(features) - n_d
    return (n_a - n_d) / (n_a + n_d)


def positive_proportion_difference(features: np.ndarray, positive: np.ndarray) -> float:
    """q_a - q_d: DPL on labels, DPPL on predicted labels."""
    sensitive = features[:, 0] == 1
    return float(positive[~sensitive].mean() - positive[sensitive].mean())


def exact_shapley(model: LogisticRegression, features: np.ndarray, baseline: list[float]) -> np.ndarray:
    """Shapley values of the positive-class probability against one baseline row, every coalition enumerated.

    With one baseline row and ``num_samples`` at least ``2**M - 2``, Kernel SHAP enumerates every coalition and
    its values are these (written out so the check does not go through the shap library).
    """
    rows, width = features.shape
    values = np.zeros((rows, width))
    base = np.asarray(baseline, dtype=float)
    for feature in range(width):
        others = [f for f in range(width) if f != feature]
        for size in range(width):
            weight = math.factorial(size) * math.factorial(width - size - 1) / math.factorial(width)
            for coalition in itertools.combinations(others, size):
                without = np.tile(base, (rows, 1))
                without[:, list(coalition)] = features[:, list(coalition)]
                with_feature = without.copy()
                with_feature[:, feature] = features[:, feature]
                values[:, feature] += weight * (model.predict_proba(with_feature)[:, 1]
                                                - model.predict_proba(without)[:, 1])
    return values


def global_shap(analysis: dict[str, Any], label: str = "label0") -> dict[str, float]:
    return analysis["explanations"]["kernel_shap"][label]["global_shap_values"]


def attribution_ndcg(baseline: dict[str, float], current: dict[str, float]) -> float:
    """nDCG of the current global SHAP values against the baseline's as relevance (contract §7.6)."""
    names = list(baseline)
    return float(ndcg_score([[abs(baseline[n]) for n in names]], [[abs(current[n]) for n in names]]))
