"""The drift registry pinned: what register_measure accepts and refuses (with its messages), lazy loading
of the built-in measures exactly once, read-only threshold tables, and the threshold and its meaning
that a call through the registry hands to the measure and returns."""

import importlib
import math
import sys
from types import MappingProxyType

import numpy as np
import pytest

import sagewatch.drift
import sagewatch.drift.registry as registry
from sagewatch.drift.registry import KINDS, DriftMeasure, DriftResult, get_measure, register_measure
from sagewatch.errors import InvalidParameterError

BUILTINS = ("chi2", "hellinger", "js", "ks", "linf", "mmd", "psi", "wasserstein")


@pytest.fixture
def scratch_registry(monkeypatch):
    """A copy of the registry that the test may add to; the real one is restored afterwards."""
    registry.available_measures()  # load the built-ins into the real registry first
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    return registry._REGISTRY


def _forget_module(monkeypatch, name):
    """Drop ``sagewatch.drift.<name>`` so the next import runs it again; module and package attribute come back."""
    monkeypatch.delitem(sys.modules, f"sagewatch.drift.{name}", raising=False)
    if hasattr(sagewatch.drift, name):
        monkeypatch.setattr(sagewatch.drift, name, getattr(sagewatch.drift, name))


def _recorder(calls):
    def func(baseline, current, *, threshold=None, **options):
        calls.append(threshold)
        return DriftResult("rec", 0.5, False, threshold, "distance", "rec_distance")
    return func


def _measure(key="rec", *, kinds=("numeric",), default=0.2, higher=True, score="distance", calls=None, **kw):
    return DriftMeasure(key=key, kinds=frozenset(kinds), default_threshold=default, higher_is_drift=higher,
                        score_type=score, func=_recorder([] if calls is None else calls), **kw)


def test_builtins_load_lazily_once_into_an_empty_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", {})
    monkeypatch.setattr(registry, "_loaded", False)
    for name in BUILTINS:  # so that importing them registers them again
        _forget_module(monkeypatch, name)
    assert registry.available_measures() == BUILTINS
    assert registry._loaded is True
    for name in BUILTINS:  # a second lookup must not import (and register) them again
        _forget_module(monkeypatch, name)
    assert get_measure("psi").key == "psi" and registry.available_measures() == BUILTINS
    assert not any(f"sagewatch.drift.{name}" in sys.modules for name in BUILTINS)


def test_a_key_that_is_not_a_string_is_named_by_its_type():
    with pytest.raises(InvalidParameterError, match=r"^a drift measure key is a string, got int$"):
        get_measure(3)


def test_a_registered_measure_is_returned_itself(scratch_registry):
    measure = _measure("rec_all", kinds=KINDS)  # all three kinds: a subset, not a strict one
    assert register_measure(measure) is measure
    assert get_measure(" REC_ALL ") is measure and scratch_registry["rec_all"] is measure
    assert "rec_all" in registry.available_measures("multivariate")
    with pytest.raises(InvalidParameterError, match=r"^drift measure 'rec_all' is already registered$"):
        register_measure(_measure("rec_all"))


def test_zero_is_a_valid_default_threshold(scratch_registry):
    register_measure(_measure("rec_zero", default=0.0, kinds=("numeric", "categorical"),
                              thresholds={"numeric": 0.0, "categorical": 0.0}))
    assert get_measure("rec_zero").threshold_for("categorical") == 0.0


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -0.5])
def test_thresholds_must_be_finite_and_not_negative(scratch_registry, value):
    message = rf"^default thresholds must be finite and >= 0, got {value!r}$"
    with pytest.raises(InvalidParameterError, match=message):
        register_measure(_measure("rec_bad", default=value))
    with pytest.raises(InvalidParameterError, match=message):
        register_measure(_measure("rec_bad", thresholds={"numeric": value}))
    assert "rec_bad" not in scratch_registry


def test_what_is_not_a_measure_is_named_by_its_type(scratch_registry):
    with pytest.raises(InvalidParameterError, match=r"^expected a DriftMeasure, got str$"):
        register_measure("psi")


@pytest.mark.parametrize("kinds", [(), ("numeric", "tabular"), ("tabular",)])
def test_kinds_must_be_a_non_empty_subset(scratch_registry, kinds):
    with pytest.raises(InvalidParameterError, match=r"^kinds must be a non-empty subset of"):
        register_measure(_measure("rec_kinds", kinds=kinds))


@pytest.mark.parametrize("extra", [{"thresholds": {"categorical": 0.1}},
                                   {"threshold_meanings": {"categorical": "x"}},
                                   {"thresholds": {"categorical": 0.1}, "threshold_meanings": {"numeric": "x"}}])
def test_thresholds_and_meanings_name_only_accepted_kinds(scratch_registry, extra):
    with pytest.raises(InvalidParameterError,
                       match=r"^thresholds and threshold_meanings may only name kinds the measure accepts$"):
        register_measure(_measure("rec_extra", **extra))


def test_thresholds_for_every_accepted_kind_are_fine(scratch_registry):
    both = ("numeric", "categorical")
    measure = register_measure(_measure("rec_both", kinds=both, thresholds={"numeric": 0.3, "categorical": 0.4},
                                        threshold_meanings={"numeric": "n", "categorical": "c"}))
    assert (measure.threshold_for("numeric"), measure.threshold_for("categorical")) == (0.3, 0.4)


@pytest.mark.parametrize("score, higher", [("p_value", True), ("distance", False)])
def test_the_direction_must_match_the_score_type(scratch_registry, score, higher):
    with pytest.raises(InvalidParameterError, match=r"^p-value measures flag low scores and distances high ones$"):
        register_measure(_measure("rec_dir", score=score, higher=higher))


def test_threshold_tables_are_read_only_copies():
    thresholds, meanings = {"numeric": 0.3}, {"numeric": "a 0.3 shift"}
    measure = _measure(thresholds=thresholds, threshold_meanings=meanings)
    thresholds["numeric"], meanings["numeric"] = 9.0, "changed"
    assert isinstance(measure.thresholds, MappingProxyType) and isinstance(measure.threshold_meanings,
                                                                           MappingProxyType)
    assert dict(measure.thresholds) == {"numeric": 0.3} and dict(measure.threshold_meanings) == {"numeric": "a 0.3 shift"}


def test_a_kind_without_a_meaning_means_the_empty_string():
    measure = _measure(kinds=("numeric", "categorical"), threshold_meanings={"numeric": "n"})
    assert measure.meaning_for("categorical") == "" and measure.meaning_for("numeric") == "n"
    result = measure({"a": 1}, {"a": 1})
    assert result.threshold_meaning == ""


def test_the_default_threshold_of_the_kind_reaches_the_measure():
    calls = []
    measure = _measure(kinds=("numeric", "categorical"), default=0.2, thresholds={"categorical": 0.3},
                       threshold_meanings={"categorical": "ten points"}, calls=calls)
    default = measure({"a": 1}, {"a": 1})
    given = measure({"a": 1}, {"a": 1}, threshold=0.25)
    numeric = measure(np.array([1.0]), np.array([1.0]))
    assert calls == [0.3, 0.25, 0.2]
    assert default.threshold == 0.3 and default.threshold_meaning == "ten points"
    assert given.threshold == 0.25
    assert given.threshold_meaning == "threshold set by the caller; the default 0.3 stands for: ten points"
    assert numeric.threshold_meaning == ""


def test_the_caller_threshold_meaning_names_the_default_of_the_kind():
    psi = get_measure("psi")
    result = psi({"a": 60, "b": 40}, {"a": 50, "b": 50}, threshold=0.2)
    assert result.threshold_meaning.startswith("threshold set by the caller; the default 0.041 stands for: ")
    assert result.threshold_meaning.endswith(psi.meaning_for("categorical"))


def test_a_refused_kind_lists_the_accepted_ones():
    with pytest.raises(InvalidParameterError, match=r"^drift measure 'psi' does not accept multivariate summaries; "
                                                    r"it accepts categorical, numeric$"):
        get_measure("psi")(np.zeros((3, 2)), np.zeros((3, 2)))


def test_reimporting_a_builtin_module_refuses_a_second_registration(scratch_registry, monkeypatch):
    _forget_module(monkeypatch, "js")
    with pytest.raises(InvalidParameterError, match=r"^drift measure 'js' is already registered$"):
        importlib.import_module("sagewatch.drift.js")
