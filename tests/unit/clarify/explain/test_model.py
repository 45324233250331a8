"""Local models: loading with the model server's loaders, and what they answer for explanation."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from sagewatch.clarify.explain.model import is_tree_model, load_local_model, predict_function
from sagewatch.errors import InvalidParameterError


def test_a_model_file_or_its_folder_loads(tmp_path, logistic):
    joblib.dump(logistic, tmp_path / "model.joblib")
    assert isinstance(load_local_model(tmp_path / "model.joblib"), LogisticRegression)
    assert isinstance(load_local_model(tmp_path), LogisticRegression)


def test_an_xgboost_file_loads_as_a_booster(tmp_path, data, booster):
    xgboost = pytest.importorskip("xgboost")
    X, _ = data
    booster.save_model(str(tmp_path / "xgboost-model"))
    loaded = load_local_model(tmp_path / "xgboost-model")
    np.testing.assert_array_equal(predict_function(loaded)(X), booster.predict(xgboost.DMatrix(X)))
    assert is_tree_model(loaded)


@pytest.mark.parametrize("files, target, message", [
    ({}, "missing.joblib", "model file missing.joblib does not exist"),
    ({"weights.bin": b"x"}, "weights.bin", "model file weights.bin has no known model file name (one of model.joblib"),
    ({"model.joblib": b"not a pickle"}, "model.joblib", "cannot load the model: Cannot load model.joblib as a joblib "
                                                         "model"),
    ({"a.joblib": b"", "b.joblib": b""}, ".", "cannot load the model: The model folder has several joblib model "
                                              "files (a.joblib, b.joblib)"),
])
def test_bad_model_files_are_named(tmp_path, files, target, message):
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    with pytest.raises(InvalidParameterError) as info:
        load_local_model(tmp_path / target)
    assert str(info.value).startswith(message)


def test_classifiers_answer_probabilities_of_the_positive_class(data, logistic):
    X, _ = data
    np.testing.assert_array_equal(predict_function(logistic)(X), logistic.predict_proba(X)[:, 1])
    regressor = LinearRegression().fit(X, X[:, 0])
    np.testing.assert_array_equal(predict_function(regressor)(X), regressor.predict(X))
    three = LogisticRegression().fit(X, np.arange(len(X)) % 3)
    assert predict_function(three)(X).shape == (len(X), 3)


def test_objects_that_cannot_predict_are_refused():
    with pytest.raises(InvalidParameterError, match="cannot predict with a dict: it has no predict_proba or predict"):
        predict_function({})


def test_tree_models_are_recognised(forest, logistic):
    assert is_tree_model(forest) and not is_tree_model(logistic)
