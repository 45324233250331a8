"""Kernel SHAP: the shap library's values, additivity, determinism, and the model's bad answers."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from shap.utils._legacy import DenseData

from sagewatch.clarify.explain.background import Background, resolve_background
from sagewatch.clarify.explain.explain import explain_records
from sagewatch.clarify.explain.kernel import kernel_shap_values
from sagewatch.clarify.explain.model import CheckedModel
from sagewatch.clarify.explain.settings import ShapSettings
from sagewatch.errors import InvalidParameterError, ModelResponseError

NAMES = ["f0", "f1", "f2", "f3", "f4"]


def _positive(model):
    return lambda X: model.predict_proba(X)[:, 1]


def test_values_equal_the_shap_library_called_directly(data, logistic):
    X, _ = data
    background = resolve_background(ShapSettings(num_clusters=6), X)
    ours = kernel_shap_values(CheckedModel(_positive(logistic)), X[:20], background, num_samples=40, seed=11)
    np.random.seed(11)
    direct = shap.KernelExplainer(_positive(logistic), shap.kmeans(X, 6))
    expected = direct.shap_values(X[:20], nsamples=40, l1_reg=False, silent=True)
    np.testing.assert_array_equal(ours.values[:, 0, :], expected)
    assert ours.expected_values.tolist() == [direct.expected_value]
    np.testing.assert_array_equal(background.data, shap.kmeans(X, 6).data)


@pytest.mark.parametrize("use_logit", [False, True])
def test_local_values_add_up_to_prediction_minus_expected_value(data, logistic, use_logit):
    X, _ = data
    run = explain_records(X[:30], NAMES, ShapSettings(num_clusters=5, num_samples=50, use_logit=use_logit),
                          predict=_positive(logistic))
    p = logistic.predict_proba(X[:30])[:, 1]
    target = np.log(p / (1 - p)) if use_logit else p
    total = run.local.values[:, 0, :].sum(axis=1) + run.local.expected_values[0]
    np.testing.assert_allclose(total, target, rtol=0, atol=1e-6)
    assert not np.allclose(run.local.values, 0.0)


def test_additivity_holds_with_features_to_explain_and_the_rest_as_one_player(data, logistic):
    X, _ = data
    run = explain_records(X[:25], NAMES, ShapSettings(num_clusters=5, num_samples=30, features_to_explain=("f2", 0)),
                          predict=_positive(logistic))
    assert run.feature_names == ("f2", "f0") and run.local.values.shape == (25, 1, 2)
    total = run.local.values.sum(axis=2)[:, 0] + run.local.rest[:, 0] + run.local.expected_values[0]
    np.testing.assert_allclose(total, logistic.predict_proba(X[:25])[:, 1], rtol=0, atol=1e-6)
    assert np.abs(run.local.rest).max() > 1e-3
    assert list(run.analysis_document()["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == ["f2", "f0"]


def test_multi_output_models_get_one_label_per_output(data, logistic):
    X, _ = data
    run = explain_records(X[:10], NAMES, ShapSettings(num_clusters=4, num_samples=30), predict=logistic.predict_proba)
    assert run.label_names == ("label0", "label1")
    total = run.local.values.sum(axis=2) + run.local.expected_values
    np.testing.assert_allclose(total, logistic.predict_proba(X[:10]), rtol=0, atol=1e-6)


def test_same_input_gives_the_same_bytes_and_leaves_the_callers_random_state(data, logistic):
    X, _ = data
    settings = ShapSettings(num_clusters=5, num_samples=20, seed=3)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = explain_records(X[:15], NAMES, settings, predict=_positive(logistic)).files()
    np.random.seed(999)  # a different global state must not change the result
    second = explain_records(X[:15], NAMES, settings, predict=_positive(logistic)).files()
    assert first == second
    np.random.seed(123)
    explain_records(X[:15], NAMES, settings, predict=_positive(logistic))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_the_seed_drives_the_sampling(data, logistic):
    X, _ = data
    one = explain_records(X[:5], NAMES, ShapSettings(num_clusters=5, num_samples=12, seed=1),
                          predict=_positive(logistic))
    two = explain_records(X[:5], NAMES, ShapSettings(num_clusters=5, num_samples=12, seed=2),
                          predict=_positive(logistic))
    assert not np.array_equal(one.local.values, two.local.values)


@pytest.mark.parametrize("predict, message", [
    (lambda X: X[:-1, 0], "the model answered 119 predictions for 120 records"),
    (lambda X: np.zeros((len(X), 2, 2)), "the model answered 120 predictions for 120 records; it must answer one"),
    (lambda X: np.array(["yes"] * len(X)), "the model answered <U3 values; SHAP explains numeric predictions"),
    (lambda X: np.full(len(X), np.nan), "the model answered NaN or infinite predictions"),
    (lambda X: 1 / 0, "the model failed on 120 records: ZeroDivisionError: division by zero"),
])
def test_a_model_answering_the_wrong_thing_is_named(data, predict, message):
    X, _ = data
    with pytest.raises(ModelResponseError) as info:
        explain_records(X, NAMES, ShapSettings(baseline=((0.0,) * 5,)), predict=predict)
    assert str(info.value).startswith(message)


def test_a_model_changing_its_number_of_outputs_is_named():
    calls = []

    def predict(X):
        calls.append(1)
        return np.zeros((len(X), len(calls)))
    model = CheckedModel(predict)
    model(np.zeros((2, 1)))
    with pytest.raises(ModelResponseError, match="answered 2 outputs per record after answering 1"):
        model(np.zeros((2, 1)))


def test_batches_split_the_calls_and_keep_the_order():
    sizes = []

    def predict(X):
        sizes.append(len(X))
        return X[:, 0] * 2
    answer = CheckedModel(predict, batch_size=4)(np.arange(10.0).reshape(-1, 1))
    assert sizes == [4, 4, 2] and answer[:, 0].tolist() == [2.0 * i for i in range(10)]


def test_use_logit_needs_probabilities_strictly_between_0_and_1(data):
    X, _ = data
    with pytest.raises(ModelResponseError, match="use_logit needs probabilities strictly between 0 and 1, but the "
                                                 "model answered 1.0"):
        explain_records(X[:3], NAMES, ShapSettings(baseline=((0.0,) * 5,), use_logit=True),
                        predict=lambda X: (X[:, 0] > 0).astype(float))


def test_num_samples_below_two_is_refused(data, logistic):
    X, _ = data
    with pytest.raises(InvalidParameterError, match="num_samples must be at least 2"):
        kernel_shap_values(CheckedModel(_positive(logistic)), X[:2], Background(X[:1], np.ones(1), "rows"),
                           num_samples=1)


def test_grouped_background_is_what_shap_gets(data, logistic):
    X, _ = data  # features_to_explain: shap's own groups, so the library computes the grouped values
    background = resolve_background(ShapSettings(num_clusters=4), X)
    ours = kernel_shap_values(CheckedModel(_positive(logistic)), X[:5], background, num_samples=20, seed=0,
                              explain=[3])
    groups = [np.array([3]), np.array([0, 1, 2, 4])]
    np.random.seed(0)
    direct = shap.KernelExplainer(_positive(logistic), DenseData(background.data, ["0", "1"], groups,
                                                                 background.weights.copy()))
    expected = direct.shap_values(X[:5], nsamples=20, l1_reg=False, silent=True)
    np.testing.assert_array_equal(ours.values[:, 0, 0], expected[:, 0])
    np.testing.assert_array_equal(ours.rest[:, 0], expected[:, 1])
