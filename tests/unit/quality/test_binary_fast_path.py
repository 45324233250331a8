"""The binary metrics from one sort and one count equal the scikit-learn calls they replace, exactly.

The reference below is the straightforward version (every metric, curve and resample through scikit-learn), as
the engine computed it before the one-sort path; the whole metrics document must come out identical.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (accuracy_score, confusion_matrix, precision_recall_curve, precision_score,
                             recall_score, roc_auc_score, roc_curve)

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.classification import BINARY_SCALARS, _thin, f_beta
from sagewatch.quality.labels import QualityColumns
from sagewatch.quality.metrics import problem_metrics
from sagewatch.quality.resample import resampled_std


def _scalars(t, p, score):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        tn, fp, _, _ = confusion_matrix(t, p, labels=[0, 1]).ravel()
        recall = float(recall_score(t, p, zero_division=0.0))
        fpr = float(fp / (fp + tn)) if fp + tn else 0.0
        ones = np.ones_like(t)
        out = {"recall": recall, "precision": float(precision_score(t, p, zero_division=0.0)),
               "accuracy": float(accuracy_score(t, p)),
               "recall_best_constant_classifier": float(recall_score(t, ones, zero_division=0.0)),
               "precision_best_constant_classifier": float(precision_score(t, ones, zero_division=0.0)),
               "accuracy_best_constant_classifier": float(accuracy_score(t, ones)),
               "true_positive_rate": recall, "true_negative_rate": 1.0 - fpr, "false_positive_rate": fpr,
               "false_negative_rate": 1.0 - recall,
               "auc": float(roc_auc_score(t, score)) if t.min() != t.max() else float("nan")}
    for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
        out[name] = f_beta(out["precision"], recall, beta)
        out[f"{name}_best_constant_classifier"] = f_beta(out["precision_best_constant_classifier"],
                                                         out["recall_best_constant_classifier"], beta)
    return out


def _reference(y_true, y_pred, score):
    t, p = (y_true == "1").astype(np.int8), (y_pred == "1").astype(np.int8)
    s = p.astype(np.float64) if score is None else score
    values = _scalars(t, p, s)
    deviations = resampled_std(lambda rows: _scalars(t[rows], p[rows], s[rows]), len(t), values, BINARY_SCALARS)
    fpr, tpr, _ = roc_curve(t, s, drop_intermediate=True)
    precision, recall, _ = precision_recall_curve(t, s, drop_intermediate=True)
    return values, deviations, _thin(fpr, tpr), _thin(precision[::-1], recall[::-1])


def _same(a, b):
    assert a == b or (np.isnan(a) and np.isnan(b)), (a, b)


@pytest.mark.parametrize("seed, n, decimals, with_score", [
    (0, 250, 2, True), (1, 600, None, True), (2, 3000, 3, True), (3, 400, 1, False), (4, 5000, None, True),
    (5, 220, 0, True), (6, 210, 2, False)])
def test_binary_document_equals_the_scikit_learn_computation(seed, n, decimals, with_score):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(y * rng.random() + rng.random(n) * 0.7, 0, 1)
    if decimals is not None:
        score = score.round(decimals)
    y_true = np.array(["0", "1"])[y]
    y_pred = np.array(["0", "1"])[(score >= 0.5).astype(int)]
    m = problem_metrics(QualityColumns(y_true, y_pred, score if with_score else None), "BinaryClassification")
    values, deviations, (fprs, tprs), (precisions, recalls) = _reference(y_true, y_pred,
                                                                          score if with_score else None)
    for key in BINARY_SCALARS:
        _same(m[key]["value"], values[key])
        _same(m[key]["standard_deviation"], deviations[key])
        assert isinstance(m[key]["standard_deviation"], float)
    assert m["receiver_operating_characteristic_curve"] == {"false_positive_rates": fprs, "true_positive_rates": tprs}
    assert m["precision_recall_curve"] == {"precisions": precisions, "recalls": recalls}
    tn, fp, fn, tp = confusion_matrix(y, (score >= 0.5).astype(int), labels=[0, 1]).ravel()
    assert m["confusion_matrix"] == {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}


def test_labels_other_than_zero_and_one_and_a_three_class_error():
    y_true = np.array(["yes", "no", "no", "no"])
    y_pred = np.array(["yes", "yes", "yes", "no"])
    m = problem_metrics(QualityColumns(y_true, y_pred), "BinaryClassification", positive_label="yes")
    assert m["confusion_matrix"] == {"no": {"no": 1, "yes": 2}, "yes": {"no": 0, "yes": 1}}
    assert m["f2"]["value"] == 0.7142857142857143
    with pytest.raises(InvalidParameterError, match="needs two classes, the labels and predictions hold 3: maybe, "
                                                    "no, yes"):
        problem_metrics(QualityColumns(y_true, np.array(["yes", "maybe", "yes", "no"])), "BinaryClassification",
                        positive_label="yes")
