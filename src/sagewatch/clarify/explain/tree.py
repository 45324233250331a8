"""Exact SHAP values of tree models with the ``shap`` library's ``TreeExplainer`` (a sagewatch option).

For a tree model that is available locally (XGBoost, scikit-learn trees and forests) the exact, much faster
tree algorithm replaces Kernel SHAP; the output names it (``explanations.tree_shap``). It uses the same
background rows as Kernel SHAP (``feature_perturbation="interventional"``; k-means summaries count once each,
as the tree algorithm takes no weights) and explains what Kernel SHAP would: probabilities of a classifier
(of the positive class for two classes), log-odds with ``use_logit``, a regressor's predictions.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from sagewatch.clarify.explain.attributions import TREE_SHAP, LocalAttributions
from sagewatch.clarify.explain.background import Background
from sagewatch.clarify.explain.model import CheckedModel, is_tree_model, predict_function
from sagewatch.errors import InvalidParameterError

__all__ = ["tree_shap_values"]

_OUTPUTS = {"probability": "probabilities", "raw_value": "raw values", "log_odds": "log-odds"}


def _explainer(model: Any, background: Background, output: str) -> Any:
    import shap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return shap.TreeExplainer(model, data=background.data, feature_perturbation="interventional",
                                  model_output=output)


def tree_shap_values(model: Any, records: np.ndarray, background: Background, *,
                     use_logit: bool = False) -> LocalAttributions:
    """Exact local SHAP values of a tree model.

    Raises
    ------
    InvalidParameterError
        The model is not a tree model, or ``use_logit`` is set for a model whose trees do not add up log-odds.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> tree = DecisionTreeRegressor(random_state=0).fit(X, 2 * X[:, 0] + X[:, 1])
    >>> local = tree_shap_values(tree, X[3:], Background(X[:1], np.ones(1), "rows"))
    >>> local.values.round(9).tolist(), local.expected_values.tolist()
    ([[[2.0, 1.0]]], [0.0])
    """
    if not is_tree_model(model):
        raise InvalidParameterError(f"the exact tree explainer explains XGBoost and scikit-learn tree models, not "
                                    f"a {type(model).__name__}; use kernel_shap")
    records = np.asarray(records, dtype=np.float64)
    try:
        probe = _explainer(model, background, "raw")
        trees_add = probe.model.tree_output  # "log_odds", "probability" or "raw_value"
        if use_logit and trees_add != "log_odds":
            raise InvalidParameterError(f"use_logit explains log-odds, but this {type(model).__name__}'s trees add "
                                        f"up {_OUTPUTS.get(trees_add, trees_add)}; set use_logit to false or use "
                                        "kernel_shap")
        explainer = probe if use_logit or trees_add != "log_odds" else _explainer(model, background, "probability")
        values = np.asarray(explainer.shap_values(records), dtype=np.float64)
    except InvalidParameterError:
        raise
    except Exception as error:  # shap refuses a model or an objective it cannot explain exactly
        raise InvalidParameterError(f"the exact tree explainer cannot explain this {type(model).__name__}: "
                                    f"{error}; use kernel_shap") from error
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))
    if values.ndim == 2:
        values = values[:, :, None]
    predictions = CheckedModel(predict_function(model))(records)
    if values.shape[2] == 2 and predictions.shape[1] == 1:  # two classes: the positive class, as predicted
        values, expected = values[:, :, 1:], expected[1:]
    if use_logit:
        predictions = np.log(predictions / (1.0 - predictions))
    values = np.ascontiguousarray(values.transpose(0, 2, 1))
    return LocalAttributions(TREE_SHAP, values, expected, predictions, np.zeros(values.shape[:2]))
