"""Kernel SHAP sampled here, answered on worker threads: equal to shap's ``KernelExplainer`` bit for bit."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shap
from shap.utils._legacy import DenseData

from sagewatch.clarify.explain.background import Background
from sagewatch.clarify.explain.coalitions import CoalitionSampler
from sagewatch.clarify.explain.kernel import kernel_shap_values
from sagewatch.clarify.explain.model import CheckedModel
from sagewatch.errors import InvalidParameterError, ModelResponseError

WEIGHTS = np.array([1.5, -1.0, 0.5, 0.25, -0.75])


def _rowwise(X):
    """A probability whose answer for a row never depends on the other rows of the call (no BLAS)."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(X) * WEIGHTS).sum(axis=1)))


def _two_outputs(X):
    p = _rowwise(X)
    return np.stack([1.0 - p, p], axis=1)


def _records(data):
    X, _ = data
    records = X[:23].copy()
    background = X[100:104]
    records[3] = background[0]  # every feature equals the only background row below: no feature varies
    records[7] = background[0]
    records[7, 2] += 1.0  # one feature varies: shap gives it the whole difference without sampling
    return records, background


def _direct(predict, records, data, *, nsamples, seed, link="identity"):
    np.random.seed(seed)
    explainer = shap.KernelExplainer(predict, data, link=link)
    return explainer, explainer.shap_values(records, nsamples=nsamples, l1_reg=False, silent=True)


@pytest.mark.parametrize("concurrency", [1, 2, 5])
def test_values_equal_shap_past_every_pipeline_window(data, concurrency):
    records, background = _records(data)
    one_row = background[:1]
    ours = kernel_shap_values(CheckedModel(_rowwise), records, Background(one_row, np.ones(1), "rows"),
                              num_samples=50, seed=4, concurrency=concurrency)
    explainer, expected = _direct(CheckedModel(_rowwise), records, DenseData(one_row, [str(i) for i in range(5)],
                                                                             None, np.ones(1)), nsamples=50, seed=4)
    np.testing.assert_array_equal(ours.values.transpose(0, 2, 1), expected)
    assert np.all(ours.values[3] == 0.0) and np.count_nonzero(ours.values[7]) == 1
    total = ours.values.sum(axis=2) + ours.expected_values
    np.testing.assert_allclose(total[:, 0], _rowwise(records), rtol=0, atol=1e-9)


@pytest.mark.parametrize("use_logit", [False, True])
def test_values_equal_shap_for_two_outputs_weighted_background_and_auto_samples(data, use_logit):
    records, background = _records(data)
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    ours = kernel_shap_values(CheckedModel(_two_outputs), records[:9], Background(background, weights, "kmeans"),
                              seed=8, use_logit=use_logit, concurrency=2)
    link = "logit" if use_logit else "identity"
    explainer, expected = _direct(CheckedModel(_two_outputs), records[:9],
                                  DenseData(background, [str(i) for i in range(5)], None, weights.copy()),
                                  nsamples="auto", seed=8, link=link)
    np.testing.assert_array_equal(ours.values.transpose(0, 2, 1), expected)
    np.testing.assert_array_equal(ours.expected_values, explainer.expected_value)


def test_features_to_explain_equal_shap_with_the_rest_as_one_group(data):
    records, background = _records(data)
    ours = kernel_shap_values(CheckedModel(_rowwise), records, Background(background, np.full(4, 0.25), "rows"),
                              num_samples=12, seed=1, explain=[4, 1], concurrency=3)
    groups = [np.array([4]), np.array([1]), np.array([0, 2, 3])]
    _, expected = _direct(CheckedModel(_rowwise), records, DenseData(background, ["0", "1", "2"], groups,
                                                                     np.full(4, 0.25)), nsamples=12, seed=1)
    np.testing.assert_array_equal(ours.values[:, 0, :], expected[:, :2, 0])
    np.testing.assert_array_equal(ours.rest[:, 0], expected[:, 2, 0])


def test_groups_of_equal_size_build_the_rows_shap_builds(data):
    X, _ = data
    groups = [np.array([0, 1]), np.array([2, 3]), np.array([4])]  # sizes 2, 2, 1: jagged
    for chosen in (groups, [np.array([0, 1]), np.array([2, 3])]):  # and two groups of two: shap's 2-D path
        width = int(max(g.max() for g in chosen)) + 1
        background = DenseData(X[100:103, :width], [str(i) for i in range(len(chosen))], chosen, np.full(3, 1 / 3))
        predict = CheckedModel(lambda R: (R * WEIGHTS[:R.shape[1]]).sum(axis=1))
        np.random.seed(5)
        sampler = CoalitionSampler(predict, background, "identity", 6)
        ours = []
        for i in range(6):
            sampled = sampler.sample(X[i:i + 1, :width])
            rows = None if sampled.masks is None else predict(sampled.rows(sampler.background))
            ours.append(sampler.finish(sampled, predict(sampled.record), rows))
        _, expected = _direct(predict, X[:6, :width], background, nsamples=6, seed=5)
        np.testing.assert_array_equal(np.stack(ours), expected)


def test_the_model_gets_shaps_calls_from_a_worker_thread(data):
    records, background = _records(data)
    calls = []

    def recording(X):
        calls.append((len(X), threading.get_ident()))
        return _rowwise(X)
    kernel_shap_values(CheckedModel(recording), records[:8], Background(background, np.full(4, 0.25), "rows"),
                       num_samples=20, seed=0, concurrency=2)
    ours = calls[2:]  # after the calls with all records (their predictions) and with the background rows
    calls.clear()
    _direct(CheckedModel(recording), records[:8], DenseData(background, [str(i) for i in range(5)], None,
                                                            np.full(4, 0.25)), nsamples=20, seed=0)
    assert [size for size, _ in ours] == [size for size, _ in calls[1:]]  # after shap's background call
    assert threading.get_ident() not in {thread for _, thread in ours}


def test_a_model_failing_on_the_coalitions_is_named_and_nothing_is_left_running(data):
    records, background = _records(data)

    def failing(X):
        if len(X) > 30:
            raise RuntimeError("payload too large")
        return _rowwise(X)
    before = threading.active_count()
    with pytest.raises(ModelResponseError, match="the model failed on 80 records: RuntimeError: payload too large"):
        kernel_shap_values(CheckedModel(failing), records[:20], Background(background, np.full(4, 0.25), "rows"),
                           num_samples=20, seed=0, concurrency=3)
    assert threading.active_count() == before


@pytest.mark.parametrize("concurrency", [0, -1, 1.5, True, "2"])
def test_concurrency_must_be_a_whole_number_of_at_least_one(data, concurrency):
    records, background = _records(data)
    with pytest.raises(InvalidParameterError, match="concurrency must be a whole number of at least 1"):
        kernel_shap_values(CheckedModel(_rowwise), records[:2], Background(background[:1], np.ones(1), "rows"),
                           concurrency=concurrency)
