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
psi          numeric, categorical      distance    PSI > threshold (0.1)
js           numeric, categorical      distance    Jensen-Shannon distance > threshold (0.1)
hellinger    numeric, categorical      distance    Hellinger distance > threshold (0.1)
wasserstein  numeric                   distance    normalised Wasserstein distance > threshold (0.1)
chi2         numeric, categorical      p_value     p-value < threshold (0.05)
mmd          multivariate              p_value     permutation p-value < threshold (0.05)
===========  ========================  ==========  ================================================

One key serves both numeric and categorical summaries where the measure makes sense for both
(``linf`` is SageMaker's single ``baseline_drift_check`` for every column type); the registered function
dispatches on the summary: a mapping of value counts is categorical, a 2-D array is multivariate and
anything else is treated as a quantiles sketch.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
        Threshold used when the caller gives none.
    higher_is_drift : bool
        ``True`` for distances (drifted when score > threshold), ``False`` for p-values
        (drifted when score < threshold).
    score_type : {"distance", "p_value"}
        What the score is.
    func : DriftFunction
        ``func(baseline, current, *, threshold=None, **options) -> DriftResult``.
    description : str
        One line for reports and docs.

    Examples
    --------
    >>> m = get_measure("psi")
    >>> m.key, m.default_threshold, m.higher_is_drift, sorted(m.kinds)
    ('psi', 0.1, True, ['categorical', 'numeric'])
    """

    key: str
    kinds: frozenset[Kind]
    default_threshold: float
    higher_is_drift: bool
    score_type: ScoreType
    func: Callable[..., DriftResult] = field(compare=False)
    description: str = ""

    def __call__(self, baseline: Any, current: Any, /, *, threshold: float | None = None,
                 **options: Any) -> DriftResult:
        """Run the measure after checking that it accepts the kind of summary given."""
        kind = infer_kind(baseline)
        if kind not in self.kinds:
            raise InvalidParameterError(
                f"drift measure {self.key!r} does not accept {kind} summaries; "
                f"it accepts {', '.join(sorted(self.kinds))}")
        return self.func(baseline, current, threshold=threshold, **options)


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
    if not math.isfinite(measure.default_threshold) or measure.default_threshold < 0:
        raise InvalidParameterError(f"default_threshold must be finite and >= 0, got {measure.default_threshold!r}")
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
