"""Small fitted models and data shared by the feature-attribution tests."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression


@pytest.fixture(scope="package")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 5))
    y = (1.5 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] + rng.normal(scale=0.3, size=120) > 0).astype(int)
    return X, y


@pytest.fixture(scope="package")
def logistic(data):
    X, y = data
    return LogisticRegression().fit(X, y)


@pytest.fixture(scope="package")
def forest(data):
    X, y = data
    return RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0).fit(X, y)


@pytest.fixture(scope="package")
def booster(data):
    xgboost = pytest.importorskip("xgboost")
    X, y = data
    return xgboost.train({"objective": "binary:logistic", "max_depth": 3, "seed": 0},
                         xgboost.DMatrix(X, label=y), num_boost_round=20)
