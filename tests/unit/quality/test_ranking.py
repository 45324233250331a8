"""The one-sort ROC/PR/AUC kernel equals scikit-learn's functions bit for bit, on the data and on resamples."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import precision_recall_curve, roc_auc_score, roc_curve

from sagewatch.quality.ranking import (ScoreOrder, sorted_precision_recall_curve, sorted_roc_auc,
                                       sorted_roc_curve)


def _data(seed, n, decimals, positive_share):
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < positive_share
    score = np.clip(truth * 0.2 + rng.random(n) * 0.8, 0, 1)
    return truth, (score.round(decimals) if decimals is not None else score)


def _same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), (a[:8], b[:8])


def _sklearn(truth, score):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", UserWarning)
        fpr, tpr, _ = roc_curve(truth, score, drop_intermediate=True)
        precision, recall, _ = precision_recall_curve(truth, score, drop_intermediate=True)
        area = roc_auc_score(truth, score) if 0 < truth.sum() < len(truth) else float("nan")
    return (fpr, tpr), (precision, recall), area


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n, decimals, share", [(1, None, 0.5), (2, 1, 0.5), (7, 1, 0.5), (500, 2, 0.3),
                                                (5000, None, 0.1), (20000, 3, 0.6), (3000, 0, 0.5)])
def test_curves_and_auc_equal_scikit_learn(seed, n, decimals, share):
    truth, score = _data(seed, n, decimals, share)
    ranked = ScoreOrder.of(truth, score)
    roc, pr, area = _sklearn(truth, score)
    _same(sorted_roc_curve(ranked), roc)
    _same(sorted_precision_recall_curve(ranked), pr)
    ours = sorted_roc_auc(ranked)
    assert (np.isnan(ours) and np.isnan(area)) or ours == area


@pytest.mark.parametrize("seed", range(5))
def test_a_resample_equals_scikit_learn_on_the_resampled_rows(seed):
    truth, score = _data(seed, 4000, 2 if seed % 2 else None, 0.4)
    ranked = ScoreOrder.of(truth, score)
    rows = np.sort(np.random.default_rng(seed + 100).choice(len(truth), size=3200, replace=False))
    sub = ranked.subset(rows)
    roc, pr, area = _sklearn(truth[rows], score[rows])
    _same(sorted_roc_curve(sub), roc)
    _same(sorted_precision_recall_curve(sub), pr)
    assert sorted_roc_auc(sub) == area


def test_one_class_gives_nan_auc_and_nan_rates():
    ranked = ScoreOrder.of(np.zeros(5, bool), np.linspace(0, 1, 5))
    assert np.isnan(sorted_roc_auc(ranked))
    fpr, tpr = sorted_roc_curve(ranked)
    assert np.isnan(tpr).all() and not np.isnan(fpr).any()
    precision, recall = sorted_precision_recall_curve(ranked)
    assert recall[:-1].tolist() == [1.0] * (len(recall) - 1)


@pytest.mark.parametrize("name", ["sagewatch.quality.ranking", "sagewatch.quality.classification",
                                  "sagewatch.quality.merge"])
def test_docstring_examples(name):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and (result.attempted > 0 or name.endswith("merge"))
