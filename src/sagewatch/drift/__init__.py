"""Drift measures behind one registry (see :mod:`sagewatch.drift.registry`).

Importing this package registers the built-in measures; ``get_measure(key)`` also loads them lazily.
"""

from sagewatch.drift.chi2 import chi2_test
from sagewatch.drift.compare import compare_columns, default_measures
from sagewatch.drift.hellinger import hellinger_distance
from sagewatch.drift.js import js_distance
from sagewatch.drift.ks import ks_test
from sagewatch.drift.linf import ks_critical_value, linf_categorical_distance, linf_distance
from sagewatch.drift.mmd import mmd_test
from sagewatch.drift.psi import psi_distance
from sagewatch.drift.registry import DriftMeasure, DriftResult, available_measures, get_measure
from sagewatch.drift.sketch_cdf import SketchDistribution
from sagewatch.drift.wasserstein import wasserstein_distance

__all__ = [
    "DriftMeasure",
    "DriftResult",
    "SketchDistribution",
    "available_measures",
    "chi2_test",
    "compare_columns",
    "default_measures",
    "get_measure",
    "hellinger_distance",
    "js_distance",
    "ks_critical_value",
    "ks_test",
    "linf_categorical_distance",
    "linf_distance",
    "mmd_test",
    "psi_distance",
    "wasserstein_distance",
]
