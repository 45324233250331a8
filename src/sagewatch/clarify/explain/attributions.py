"""Local SHAP values of one run, whichever explainer computed them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LocalAttributions", "KERNEL_SHAP", "TREE_SHAP", "EXPLAINERS"]

KERNEL_SHAP = "kernel_shap"  # Clarify's key under ``explanations`` (contract §7.5)
TREE_SHAP = "tree_shap"  # sagewatch's exact tree explainer, named in the output under this key
EXPLAINERS = (KERNEL_SHAP, TREE_SHAP)


@dataclass(frozen=True)
class LocalAttributions:
    """SHAP values of ``n`` records for ``labels`` model outputs and the explained features.

    ``values[i, j, f] + ... `` over the explained features, plus ``rest[i, j]`` (the features left out of
    ``features_to_explain``, explained as one coalition; zero when every feature is explained), equals
    ``predictions[i, j] - expected_values[j]`` (additivity). Predictions and expected values are in the
    explained units: log-odds with ``use_logit``, the model's answers otherwise.
    """

    explainer: str
    values: np.ndarray  # (n, labels, explained features)
    expected_values: np.ndarray  # (labels,)
    predictions: np.ndarray  # (n, labels)
    rest: np.ndarray  # (n, labels)
