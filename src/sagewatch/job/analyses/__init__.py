"""The analyses a processing job can run: one module per monitor type, registered in one table.

``run_job`` is a dispatcher: it parses nothing itself and knows no monitor. It looks up the job's
``analysis_type`` here and calls the same verbs on every analysis (contract §4):

===========  ==========================================================================
verb         what it does
===========  ==========================================================================
baseline     load the baseline files named by the job (monitoring jobs only)
analyse      read the dataset and summarise it (the statistics of the current data)
suggest      baselining: the files to write (statistics, suggested constraints, ...)
check        monitoring: the files to write and the number of violations
metrics      monitoring: the CloudWatch metric lines (contract §4.5, §5)
===========  ==========================================================================

An analysis that asks a model (Clarify's post-training bias and feature attribution) sets ``accepts_model``;
``run_job(spec, model=...)`` then hands its ``analyse`` the injected model, a
:class:`~sagewatch.clarify.predictions.Predictor` (the Clarify container's shadow endpoint, or a local model),
and refuses a model for any other analysis.

Adding a monitor = one module here that defines an :class:`Analysis` subclass and registers an
instance at its bottom with :func:`register_analysis`, plus its name in ``_BUILTIN_MODULES`` (the way
:mod:`sagewatch.drift.registry` registers drift measures). The module is named after the analysis in lower
case, so that a job imports only its own analysis.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sagewatch.errors import JobError
from sagewatch.job.spec import JobSpec

__all__ = ["Analysis", "Analysed", "Checked", "register_analysis", "get_analysis", "available_analyses",
           "DEFAULT_ANALYSIS"]

DEFAULT_ANALYSIS = "DATA_QUALITY"  # the analyzer's behaviour when analysis_type is unset (contract §4.2)
_BUILTIN_MODULES = ("data_quality", "model_quality", "model_bias", "model_explainability")


@dataclass(frozen=True)
class Analysed:
    """What :meth:`Analysis.analyse` found: the summary of the current data and the records it skipped."""

    summary: Any
    skips: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Checked:
    """What :meth:`Analysis.check` found: the files to write, the violation count, the check itself and the
    current data's summary as checked (e.g. headerless columns named after the baseline)."""

    files: Mapping[str, str]
    violations: int
    result: Any = None
    summary: Any = None


class Analysis(ABC):
    """One monitor type's job: the verbs :func:`sagewatch.job.run.run_job` calls, in this order."""

    #: the ``analysis_type`` value that selects it (upper case)
    name: str = ""
    #: whether ``analyse`` takes ``model=`` (a :class:`~sagewatch.clarify.predictions.Predictor`)
    accepts_model: bool = False

    @abstractmethod
    def baseline(self, spec: JobSpec) -> Any:
        """Load the baseline files of a monitoring job; raise :class:`JobError` naming the file."""

    @abstractmethod
    def analyse(self, spec: JobSpec, *, progress: Callable[[int], None] | None = None) -> Analysed:
        """Read ``spec.dataset_source`` and summarise it (analyses with ``accepts_model`` also take ``model=``)."""

    @abstractmethod
    def suggest(self, analysed: Analysed, spec: JobSpec) -> Mapping[str, str]:
        """Baselining: file name → text of every result file."""

    @abstractmethod
    def check(self, analysed: Analysed, baseline: Any, spec: JobSpec) -> Checked:
        """Monitoring: compare the current data with the baseline."""

    @abstractmethod
    def metrics(self, analysed: Analysed, checked: Checked, baseline: Any, spec: JobSpec, *,
                timestamp: datetime) -> list[dict[str, Any]]:
        """Monitoring: the metric lines of ``cloudwatch_metrics.jsonl``."""


_REGISTRY: dict[str, Analysis] = {}
_loaded = False


def register_analysis(analysis: Analysis) -> Analysis:
    """Add ``analysis`` to the table under its ``name`` and return it.

    >>> get_analysis(None).name
    'DATA_QUALITY'
    """
    if not isinstance(analysis, Analysis):
        raise TypeError(f"expected an Analysis, got {type(analysis).__name__}")
    key = analysis.name.strip().upper()
    if not key or key != analysis.name:
        raise ValueError(f"analysis names are non-empty upper case, got {analysis.name!r}")
    if key in _REGISTRY:
        raise ValueError(f"analysis {key!r} is already registered")
    _REGISTRY[key] = analysis
    return analysis


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"{__package__}.{module}")
        _loaded = True


def available_analyses() -> tuple[str, ...]:
    """The registered ``analysis_type`` values.

    >>> available_analyses()
    ('DATA_QUALITY', 'MODEL_BIAS', 'MODEL_EXPLAINABILITY', 'MODEL_QUALITY')
    """
    _load_builtins()
    return tuple(sorted(_REGISTRY))


def get_analysis(analysis_type: str | None) -> Analysis:
    """The analysis for a job's ``analysis_type`` (unset: data quality); :class:`JobError` if unknown.

    >>> get_analysis("data_quality").name
    'DATA_QUALITY'
    >>> get_analysis("MODEL_FAIRNESS")
    Traceback (most recent call last):
    ...
    sagewatch.errors.JobError: analysis_type 'MODEL_FAIRNESS' is not supported by this analyzer yet; supported: DATA_QUALITY, MODEL_BIAS, MODEL_EXPLAINABILITY, MODEL_QUALITY (also when analysis_type is unset)
    """
    key = (analysis_type or DEFAULT_ANALYSIS).strip().upper()
    if key not in _REGISTRY and key.lower() in _BUILTIN_MODULES:
        # only the module asked for: a data-quality job need not import scikit-learn and scipy (about 1 s)
        importlib.import_module(f"{__package__}.{key.lower()}")
    if key not in _REGISTRY:
        _load_builtins()
    try:
        return _REGISTRY[key]
    except KeyError:
        raise JobError(f"analysis_type {analysis_type!r} is not supported by this analyzer yet; supported: "
                       f"{', '.join(available_analyses())} (also when analysis_type is unset)") from None
