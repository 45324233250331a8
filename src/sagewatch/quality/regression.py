"""Regression metrics in SageMaker's keys and order (contract §6.2); arithmetic by scikit-learn."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score, root_mean_squared_error

__all__ = ["REGRESSION_SCALARS", "regression_scalars"]

REGRESSION_SCALARS = ("mae", "mse", "rmse", "r2")


def regression_scalars(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """``mae``, ``mse``, ``rmse`` and ``r2`` (scikit-learn's ``r2_score``: may be negative; 0.0 for constant
    labels that are not predicted exactly, its ``force_finite`` policy).

    >>> regression_scalars(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))["mae"]
    0.6666666666666666
    """
    return {"mae": float(mean_absolute_error(y_true, y_pred)),
            "mse": float(mean_squared_error(y_true, y_pred)),
            "rmse": float(root_mean_squared_error(y_true, y_pred)),
            "r2": float(r2_score(y_true, y_pred))}
