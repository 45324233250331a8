"""The table of bias metrics: code, stage, description and function (contract §7.3, §7.4).

The descriptions are the first lines of smclarify's docstrings, misspellings included ("Kullback-Liebler");
``methods: "all"`` expands to the pre-training set and to the 11 post-training metrics of Clarify's real
output (SD and GE run only when named, contract §12). Reports list metrics sorted by code (smclarify sorts
by function name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sagewatch.clarify.bias.posttraining import POST_TRAINING
from sagewatch.clarify.bias.pretraining import PRE_TRAINING
from sagewatch.errors import InvalidParameterError

__all__ = ["BiasMetric", "METRICS", "PRE_TRAINING_ALL", "POST_TRAINING_ALL", "select_metrics", "FLIP_TEST"]

PRE_STAGE, POST_STAGE = "pre_training", "post_training"
FLIP_TEST = "FT"


@dataclass(frozen=True)
class BiasMetric:
    code: str
    stage: str
    description: str
    function: Callable[..., Any] | None  # None for FT, computed from the features


_DESCRIPTIONS = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DI": "Disparate Impact (DI)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "TE": "Treatment Equality (TE)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
}

METRICS: dict[str, BiasMetric] = {
    **{code: BiasMetric(code, PRE_STAGE, _DESCRIPTIONS[code], fn) for code, fn in PRE_TRAINING.items()},
    **{code: BiasMetric(code, POST_STAGE, _DESCRIPTIONS[code], fn) for code, fn in POST_TRAINING.items()},
    FLIP_TEST: BiasMetric(FLIP_TEST, POST_STAGE, _DESCRIPTIONS[FLIP_TEST], None),
}
PRE_TRAINING_ALL = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
POST_TRAINING_ALL = ("AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "RD", "TE")


def select_metrics(stage: str, methods: str | tuple[str, ...]) -> tuple[BiasMetric, ...]:
    """The metrics of a ``methods`` setting (``"all"`` or codes), sorted by code.

    >>> [m.code for m in select_metrics("post_training", ("TE", "DI"))]
    ['DI', 'TE']
    >>> len(select_metrics("pre_training", "all"))
    8
    """
    codes = (PRE_TRAINING_ALL if stage == PRE_STAGE else POST_TRAINING_ALL) if methods == "all" else methods
    chosen = []
    for code in codes:
        metric = METRICS.get(code)
        if metric is None or metric.stage != stage:
            raise InvalidParameterError(f"{code!r} is not a {stage.replace('_', '-')} bias metric")
        chosen.append(metric)
    return tuple(sorted(set(chosen), key=lambda m: m.code))
