"""The exact tree explainer: the shap library's TreeExplainer values, additivity, named output, refusals."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor

from sagewatch.clarify.explain.explain import explain_records
from sagewatch.clarify.explain.settings import ShapSettings
from sagewatch.errors import InvalidParameterError

NAMES = ["f0", "f1", "f2", "f3", "f4"]


def _background(X):
    return tuple(tuple(row) for row in X[:8])


def test_xgboost_values_equal_tree_explainer_and_add_up(data, booster):
    xgboost = pytest.importorskip("xgboost")
    X, _ = data
    run = explain_records(X, NAMES, ShapSettings(baseline=_background(X)), model=booster, explainer="tree_shap")
    direct = shap.TreeExplainer(booster, data=X[:8], feature_perturbation="interventional",
                                model_output="probability")
    np.testing.assert_array_equal(run.local.values[:, 0, :], direct.shap_values(X))
    total = run.local.values[:, 0, :].sum(axis=1) + run.local.expected_values[0]
    np.testing.assert_allclose(total, booster.predict(xgboost.DMatrix(X)), rtol=0, atol=1e-6)
    assert list(run.analysis_document()["explanations"]) == ["tree_shap"]


def test_forest_is_explained_for_the_positive_class(data, forest):
    X, _ = data
    run = explain_records(X, NAMES, ShapSettings(baseline=_background(X)), model=forest, explainer="tree_shap")
    direct = shap.TreeExplainer(forest, data=X[:8], feature_perturbation="interventional")
    np.testing.assert_array_equal(run.local.values[:, 0, :], direct.shap_values(X)[:, :, 1])
    total = run.local.values[:, 0, :].sum(axis=1) + run.local.expected_values[0]
    np.testing.assert_allclose(total, forest.predict_proba(X)[:, 1], rtol=0, atol=1e-6)
    assert run.label_names == ("label0",)


def test_use_logit_explains_log_odds_of_boosted_trees(data):
    X, y = data
    model = GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0).fit(X, y)
    run = explain_records(X, NAMES, ShapSettings(baseline=_background(X), use_logit=True), model=model,
                          explainer="tree_shap")
    total = run.local.values[:, 0, :].sum(axis=1) + run.local.expected_values[0]
    np.testing.assert_allclose(total, model.decision_function(X), rtol=0, atol=1e-6)


def test_tree_and_kernel_agree_on_the_ranking(data, forest):
    X, _ = data
    settings = ShapSettings(baseline=_background(X), num_samples=64)
    tree = explain_records(X[:40], NAMES, settings, model=forest, explainer="tree_shap")
    kernel = explain_records(X[:40], NAMES, settings, model=forest)
    assert np.argmax(tree.global_values[0]) == np.argmax(kernel.global_values[0])
    np.testing.assert_allclose(tree.local.expected_values, kernel.local.expected_values, atol=1e-9)


def test_features_to_explain_keep_the_rest_as_one_sum(data, forest):
    X, _ = data
    run = explain_records(X, NAMES, ShapSettings(baseline=_background(X), features_to_explain=("f1",)),
                          model=forest, explainer="tree_shap")
    total = run.local.values[:, 0, 0] + run.local.rest[:, 0] + run.local.expected_values[0]
    np.testing.assert_allclose(total, forest.predict_proba(X)[:, 1], rtol=0, atol=1e-6)


def test_use_logit_is_refused_for_trees_that_add_up_probabilities(data, forest):
    X, _ = data
    with pytest.raises(InvalidParameterError, match="use_logit explains log-odds, but this RandomForestClassifier's "
                                                    "trees add up probabilities; set use_logit to false"):
        explain_records(X, NAMES, ShapSettings(baseline=_background(X), use_logit=True), model=forest,
                        explainer="tree_shap")


def test_non_tree_models_are_refused(data, logistic):
    X, _ = data
    with pytest.raises(InvalidParameterError, match="explains XGBoost and scikit-learn tree models, not a "
                                                    "LogisticRegression; use kernel_shap"):
        explain_records(X, NAMES, ShapSettings(baseline=_background(X)), model=logistic, explainer="tree_shap")


def test_tree_explainer_needs_the_model_object(data):
    X, _ = data
    with pytest.raises(InvalidParameterError, match="needs the model object"):
        explain_records(X, NAMES, ShapSettings(baseline=_background(X)), predict=lambda X: X[:, 0],
                        explainer="tree_shap")


def test_regressor_values_add_up(data):
    X, _ = data
    model = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(X, X[:, 0] * 3)
    run = explain_records(X, NAMES, ShapSettings(baseline=_background(X)), model=model, explainer="tree_shap")
    total = run.local.values[:, 0, :].sum(axis=1) + run.local.expected_values[0]
    np.testing.assert_allclose(total, model.predict(X), rtol=0, atol=1e-6)
