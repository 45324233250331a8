"""The registry of drift measures and the typed result every measure returns.

Each measure lives in a small module of its own (``linf.py``, ``ks.py``, ...) and registers itself at
the bottom of that module, as evidently's stattests do (style guide §1, evidently anchor). The registry
imports the built-in modules lazily on first lookup, so ``get_measure("psi")`` works whether or not
``sagewatch.drift.psi`` was imported before.

Keys and the kinds of summary each accepts:

===========  ========================  ==========  ================================================
key          kinds                     score type  drifted when
===========  ========================  ==========  ================================================
linf         numeric, categorical      distance    SageMaker ``baseline_drift_check`` (``linf.py``)
ks           numeric                   p_value     p-value < threshold (0.05)
psi          numeric, categorical      distance    PSI > threshold (0.06 numeric, 0.041 categorical)
js           numeric, categorical      distance    Jensen-Shannon distance > threshold (0.104 / 0.086)
hellinger    numeric, categorical      distance    Hellinger distance > threshold (0.087 / 0.072)
wasserstein  numeric                   distance    normalised Wasserstein distance > threshold (0.25)
chi2         numeric, categorical      p_value     p-value < threshold (0.05)
mmd          multivariate              p_value     permutation p-value < threshold (0.05)
===========  ========================  ==========  ================================================

What the thresholds mean (``DriftMeasure.threshold_meanings``; measured rates in
``docs/drift-calibration.md``): the p-value tests (ks, chi2, mmd) flag at p < 0.05, about 5% false alarms
on unchanged data at any sample size. The distances are effect sizes, all set to the size of change that
SageMaker's default threshold 0.1 stands for: for numeric columns their value at a mean shift of 0.25
standard deviations of a normal column (SageMaker's L-infinity 0.1 is the KS distance of that shift,
``2 * Phi(0.125) - 1 = 0.0995``), over baseline deciles; for categorical columns their value at a
10-point move between two categories at 50 % (50/50 -> 40/60, which SageMaker's categorical
L-infinity 0.1 reaches but does not exceed), rounded up so that the reference change itself is not
flagged.

One key serves both numeric and categorical summaries where the measure makes sense for both
(``linf`` is SageMaker's single ``baseline_drift_check`` for every column type); the registered function
dispatches on the summary: a mapping of value counts is categorical, a 2-D array is multivariate and
anything else is treated as a quantiles sketch.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, Protocol

from sagewatch.errors import InvalidParameterError

__all__ = [
    "KINDS",
    "DriftFunction",
    "DriftMeasure",
    "DriftResult",
    "Kind",
    "ScoreType",
    "available_measures",
    "get_measure",
    "infer_kind",
    "register_measure",
]

Kind = Literal["numeric", "categorical", "multivariate"]
ScoreType = Literal["distance", "p_value"]
KINDS: tuple[Kind, ...] = ("numeric", "categorical", "multivariate")

# Modules whose import registers the built-in measures (each registers itself at its bottom).
_BUILTIN_MODULES = ("linf", "ks", "psi", "js", "hellinger", "wasserstein", "chi2", "mmd")


@dataclass(frozen=True)
class DriftResult:
    """The outcome of one drift measure on one column (or one set of columns).

    Parameters
    ----------
    name : str
        Registry key of the measure, e.g. ``"linf"``.
    drift_score : float
        The number compared with ``threshold``: a distance (higher means more drift) or a p-value
        (lower means more drift), as ``score_type`` says.
    drifted : bool
        Whether the measure flags drift under its rule.
    threshold : float
        The threshold actually used.
    score_type : {"distance", "p_value"}
        What ``drift_score`` is.
    statistic : str
        Name of the statistic behind the score, e.g. ``"linf_distance"`` or ``"ks_p_value"``.
    details : Mapping[str, Any]
        Extra numbers (sample sizes, test statistic, method, ...). Stored read-only.
    threshold_meaning : str
        What the threshold stands for (a false-alarm rate or an effect size). Measures called through
        the registry (:func:`get_measure`, :func:`~sagewatch.drift.compare.compare_columns`) always
        fill it from :attr:`DriftMeasure.threshold_meanings`.

    Examples
    --------
    >>> r = DriftResult(name="psi", drift_score=0.25, drifted=True, threshold=0.1,
    ...                 score_type="distance", statistic="psi")
    >>> r.drifted, r.to_dict()["drift_score"]
    (True, 0.25)
    """

    name: str
    drift_score: float
    drifted: bool
    threshold: float
    score_type: ScoreType
    statistic: str
    details: Mapping[str, Any] = field(default_factory=dict, hash=False)
    threshold_meaning: str = ""

    def __post_init__(self) -> None:
        if self.score_type not in ("distance", "p_value"):
            raise InvalidParameterError(
                f"score_type must be 'distance' or 'p_value', got {self.score_type!r}")
        object.__setattr__(self, "drift_score", float(self.drift_score))
        object.__setattr__(self, "threshold", float(self.threshold))
        object.__setattr__(self, "drifted", bool(self.drifted))
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def to_dict(self) -> dict[str, Any]:
        """Return a plain ``dict`` copy (for reports and JSON).

        Examples
        --------
        >>> DriftResult("ks", 0.5, False, 0.05, "p_value", "ks_p_value", {"n": 3}).to_dict()["details"]
        {'n': 3}
        """
        return {
            "name": self.name,
            "drift_score": self.drift_score,
            "drifted": self.drifted,
            "threshold": self.threshold,
            "score_type": self.score_type,
            "statistic": self.statistic,
            "details": dict(self.details),
            "threshold_meaning": self.threshold_meaning,
        }


class DriftFunction(Protocol):
    """Signature of a registered function: the two summaries, then keyword-only options."""

    def __call__(self, baseline: Any, current: Any, /, *, threshold: float | None = None,
                 **options: Any) -> DriftResult: ...


@dataclass(frozen=True)
class DriftMeasure:
    """A registered drift measure.

    Parameters
    ----------
    key : str
        Registry key (lower case).
    kinds : frozenset of {"numeric", "categorical", "multivariate"}
        The summaries the measure accepts.
    default_threshold : float
        Threshold used when the caller gives none (for numeric columns when ``thresholds`` differs
        per kind).
    higher_is_drift : bool
        ``True`` for distances (drifted when score > threshold), ``False`` for p-values
        (drifted when score < threshold).
    score_type : {"distance", "p_value"}
        What the score is.
    func : DriftFunction
        ``func(baseline, current, *, threshold=None, **options) -> DriftResult``.
    description : str
        One line for reports and docs.
    thresholds : Mapping[kind, float]
        Default threshold per kind where it differs from ``default_threshold``.
    threshold_meanings : Mapping[kind, str]
        What the default threshold means for each kind (a false-alarm rate, or the effect size it
        corresponds to); see ``docs/drift-calibration.md`` for the measured rates.

    Examples
    --------
    >>> m = get_measure("psi")
    >>> m.key, m.default_threshold, m.threshold_for("categorical"), m.higher_is_drift, sorted(m.kinds)
    ('psi', 0.06, 0.041, True, ['categorical', 'numeric'])
    """

    key: str
    kinds: frozenset[Kind]
    default_threshold: float
    higher_is_drift: bool
    score_type: ScoreType
    func: Callable[..., DriftResult] = field(compare=False)
    description: str = ""
    thresholds: Mapping[Kind, float] = field(default_factory=dict, compare=False)
    threshold_meanings: Mapping[Kind, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "thresholds", MappingProxyType(dict(self.thresholds)))
        object.__setattr__(self, "threshold_meanings", MappingProxyType(dict(self.threshold_meanings)))

    def threshold_for(self, kind: Kind) -> float:
        """The default threshold for summaries of ``kind``."""
        return float(self.thresholds.get(kind, self.default_threshold))

    def meaning_for(self, kind: Kind) -> str:
        """What the default threshold means for summaries of ``kind`` ("" when not stated)."""
        return self.threshold_meanings.get(kind, "")

    def __call__(self, baseline: Any, current: Any, /, *, threshold: float | None = None,
                 **options: Any) -> DriftResult:
        """Run the measure after checking that it accepts the kind of summary given; the result
        carries the meaning of the threshold used."""
        kind = infer_kind(baseline)
        if kind not in self.kinds:
            raise InvalidParameterError(
                f"drift measure {self.key!r} does not accept {kind} summaries; "
                f"it accepts {', '.join(sorted(self.kinds))}")
        used = self.threshold_for(kind) if threshold is None else threshold
        result = self.func(baseline, current, threshold=used, **options)
        if result.threshold_meaning:
            return result
        meaning = self.meaning_for(kind)
        if threshold is not None and meaning:
            meaning = (f"threshold set by the caller; the default {self.threshold_for(kind)!r} "
                       f"stands for: {meaning}")
        return replace(result, threshold_meaning=meaning)


_REGISTRY: dict[str, DriftMeasure] = {}
_loaded = False


def register_measure(measure: DriftMeasure) -> DriftMeasure:
    """Add ``measure`` to the registry and return it.

    Raises
    ------
    InvalidParameterError
        If the key is already taken, is not lower case, or a field is invalid.

    Examples
    --------
    >>> get_measure("linf").key in available_measures()
    True
    """
    if not isinstance(measure, DriftMeasure):
        raise InvalidParameterError(f"expected a DriftMeasure, got {type(measure).__name__}")
    if measure.key != measure.key.lower() or not measure.key:
        raise InvalidParameterError(f"measure keys are non-empty lower case, got {measure.key!r}")
    if not measure.kinds or not set(measure.kinds) <= set(KINDS):
        raise InvalidParameterError(f"kinds must be a non-empty subset of {KINDS}, got {measure.kinds!r}")
    for value in (measure.default_threshold, *measure.thresholds.values()):
        if not math.isfinite(value) or value < 0:
            raise InvalidParameterError(f"default thresholds must be finite and >= 0, got {value!r}")
    if not set(measure.thresholds) <= set(measure.kinds) or not set(measure.threshold_meanings) <= set(measure.kinds):
        raise InvalidParameterError("thresholds and threshold_meanings may only name kinds the measure accepts")
    if (measure.score_type == "p_value") == measure.higher_is_drift:
        raise InvalidParameterError("p-value measures flag low scores and distances high ones")
    if measure.key in _REGISTRY:
        raise InvalidParameterError(f"drift measure {measure.key!r} is already registered")
    _REGISTRY[measure.key] = measure
    return measure


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"{__package__}.{module}")
        _loaded = True


def get_measure(key: str) -> DriftMeasure:
    """Return the measure registered under ``key`` (case-insensitive).

    Raises
    ------
    InvalidParameterError
        If no measure has that key; the message lists the known keys.

    Examples
    --------
    >>> get_measure("KS").score_type
    'p_value'
    >>> get_measure("nope")
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: unknown drift measure 'nope'; known measures: chi2, hellinger, js, ks, linf, mmd, psi, wasserstein
    """
    _load_builtins()
    if not isinstance(key, str):
        raise InvalidParameterError(f"a drift measure key is a string, got {type(key).__name__}")
    try:
        return _REGISTRY[key.strip().lower()]
    except KeyError:
        raise InvalidParameterError(
            f"unknown drift measure {key!r}; known measures: {', '.join(sorted(_REGISTRY))}") from None


def available_measures(kind: Kind | None = None) -> tuple[str, ...]:
    """Return the sorted registry keys, optionally only those accepting ``kind``.

    Examples
    --------
    >>> available_measures("multivariate")
    ('mmd',)
    >>> available_measures("categorical")
    ('chi2', 'hellinger', 'js', 'linf', 'psi')
    """
    _load_builtins()
    if kind is not None and kind not in KINDS:
        raise InvalidParameterError(f"kind must be one of {KINDS} or None, got {kind!r}")
    return tuple(sorted(k for k, m in _REGISTRY.items() if kind is None or kind in m.kinds))


def infer_kind(summary: Any) -> Kind:
    """Say which kind of summary ``summary`` is.

    A mapping (value -> count) is ``"categorical"``, an object with a ``ndim`` of 2 is
    ``"multivariate"``, anything else is ``"numeric"`` (a quantiles sketch, checked later).

    Examples
    --------
    >>> import numpy as np
    >>> infer_kind({"a": 3}), infer_kind(np.zeros((3, 2)))
    ('categorical', 'multivariate')
    """
    if isinstance(summary, Mapping):
        return "categorical"
    if getattr(summary, "ndim", None) == 2:
        return "multivariate"
    return "numeric"
