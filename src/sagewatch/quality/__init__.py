"""Model quality (contract §6): SageMaker's model-quality metrics, suggested constraints and violations, and the
ground-truth merge (§2).

Modules: :mod:`labels` (the label and score columns as arrays), :mod:`classification` and :mod:`regression`
(one metric set each, arithmetic by scikit-learn), :mod:`resample` (the five 80% resamples behind
``standard_deviation``), :mod:`metrics` (the statistics document of a problem type), :mod:`constraints` (suggest
and check), :mod:`merge` (captures joined to ground truth with pyarrow), :mod:`fit` (does the problem type fit
the labels). Beyond SageMaker, for ``sagewatch_report.json``: :mod:`estimation` (the label-free CBPE estimate and
the calibration error), :mod:`slices` (metrics per slice, low-confidence counts), :mod:`extras` (the report blocks).
"""

from sagewatch.quality.labels import PROBLEM_TYPES

__all__ = ["PROBLEM_TYPES"]
