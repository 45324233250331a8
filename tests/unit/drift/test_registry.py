import dataclasses

import numpy as np
import pytest

from sagewatch.drift import registry
from sagewatch.drift.registry import (
    DriftMeasure,
    DriftResult,
    available_measures,
    get_measure,
    infer_kind,
    register_measure,
)
from sagewatch.errors import InvalidParameterError

ALL_KEYS = ("chi2", "hellinger", "js", "ks", "linf", "mmd", "psi", "wasserstein")


def test_available_measures_lists_every_builtin_key():
    assert available_measures() == ALL_KEYS


@pytest.mark.parametrize(("kind", "keys"), [
    ("numeric", ("chi2", "hellinger", "js", "ks", "linf", "psi", "wasserstein")),
    ("categorical", ("chi2", "hellinger", "js", "linf", "psi")),
    ("multivariate", ("mmd",)),
])
def test_available_measures_filters_by_kind(kind, keys):
    assert available_measures(kind) == keys


def test_available_measures_rejects_unknown_kind():
    with pytest.raises(InvalidParameterError, match="kind"):
        available_measures("text")


@pytest.mark.parametrize(("key", "threshold", "categorical", "higher", "score_type"), [
    ("linf", 0.1, 0.1, True, "distance"),
    ("ks", 0.05, None, False, "p_value"),
    ("psi", 0.06, 0.041, True, "distance"),
    ("js", 0.104, 0.086, True, "distance"),
    ("hellinger", 0.087, 0.072, True, "distance"),
    ("wasserstein", 0.25, None, True, "distance"),
    ("chi2", 0.05, 0.05, False, "p_value"),
    ("mmd", 0.05, None, False, "p_value"),
])
def test_defaults_of_each_measure(key, threshold, categorical, higher, score_type):
    # the distances' defaults are effect sizes matched to SageMaker's 0.1 (issue 11: one fixed 0.1 meant
    # very different shifts for psi, js, hellinger and wasserstein)
    m = get_measure(key)
    assert (m.key, m.default_threshold, m.higher_is_drift, m.score_type) == (key, threshold, higher, score_type)
    if categorical is not None:
        assert m.threshold_for("categorical") == categorical
    assert m.description


def test_get_measure_is_case_insensitive():
    assert get_measure(" LInf ") is get_measure("linf")


def test_get_measure_unknown_key_lists_known_keys():
    with pytest.raises(InvalidParameterError) as info:
        get_measure("kl")
    assert str(info.value) == "unknown drift measure 'kl'; known measures: " + ", ".join(ALL_KEYS)
    assert isinstance(info.value, ValueError)


def test_get_measure_rejects_non_string():
    with pytest.raises(InvalidParameterError, match="string"):
        get_measure(3)


def test_register_measure_refuses_duplicates_and_bad_fields():
    psi = get_measure("psi")
    with pytest.raises(InvalidParameterError, match="already registered"):
        register_measure(psi)
    with pytest.raises(InvalidParameterError, match="lower case"):
        register_measure(dataclasses.replace(psi, key="PSI2"))
    with pytest.raises(InvalidParameterError, match="kinds"):
        register_measure(dataclasses.replace(psi, key="psi2", kinds=frozenset({"text"})))
    with pytest.raises(InvalidParameterError, match="p-value"):
        register_measure(dataclasses.replace(psi, key="psi2", score_type="p_value"))
    assert "psi2" not in registry._REGISTRY


def test_measure_call_rejects_a_kind_it_does_not_accept():
    with pytest.raises(InvalidParameterError, match="'mmd' does not accept categorical"):
        get_measure("mmd")({"a": 1}, {"a": 2})
    with pytest.raises(InvalidParameterError, match="'ks' does not accept multivariate"):
        get_measure("ks")(np.zeros((3, 2)), np.zeros((3, 2)))


def test_infer_kind():
    assert infer_kind({"a": 1}) == "categorical"
    assert infer_kind(np.zeros((2, 2))) == "multivariate"
    assert infer_kind(object()) == "numeric"


def test_drift_result_is_frozen_and_details_read_only():
    r = DriftResult(name="x", drift_score=np.float64(0.5), drifted=np.True_, threshold=1,
                    score_type="distance", statistic="x", details={"a": 1})
    assert type(r.drift_score) is float and type(r.drifted) is bool and type(r.threshold) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.drifted = False
    with pytest.raises(TypeError):
        r.details["a"] = 2
    assert r.to_dict() == {"name": "x", "drift_score": 0.5, "drifted": True, "threshold": 1.0,
                           "score_type": "distance", "statistic": "x", "details": {"a": 1},
                           "threshold_meaning": ""}


def test_drift_result_rejects_unknown_score_type():
    with pytest.raises(InvalidParameterError, match="score_type"):
        DriftResult(name="x", drift_score=0.5, drifted=True, threshold=1, score_type="prob", statistic="x")


def test_drift_measure_is_hashable_and_frozen():
    m = get_measure("js")
    assert isinstance(m, DriftMeasure)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.default_threshold = 0.2
