"""The bias report: a table and a :class:`~sagewatch.clarify.config.BiasSpec` → Clarify's ``analysis.json``
layout (contract §7.3).

Rows with a null label, predicted label, facet or group value are dropped and counted (``missing_value``).
The label (and predicted label) and each facet are collapsed to binary (:mod:`.facets`), counted once
(:mod:`.counts`) and every asked metric is computed from the counts; a metric that cannot be computed for a
facet is ``"value": null`` plus ``"error"`` (smclarify's text). What cannot give a report at all fails the
whole analysis with :class:`~sagewatch.errors.InvalidParameterError` naming the setting: a label threshold
or value list that leaves one class empty, predictions that never match the positive label values, a facet
value absent from the data or a facet threshold that leaves the facet empty, a continuous facet without a
threshold (sagewatch choices where smclarify would report "Facet set is empty" for every metric).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.clarify.bias.arithmetic import UndefinedBiasMetric
from sagewatch.clarify.bias.counts import FacetCounts, facet_counts, facet_counts_by_code, group_codes
from sagewatch.clarify.bias.facets import (Collapsed, category_codes, collapse, collapse_categorical,
                                           collapse_continuous, column_values, is_continuous)
from sagewatch.clarify.bias.flip_test import flip_test
from sagewatch.clarify.bias.registry import FLIP_TEST, POST_STAGE, PRE_STAGE, BiasMetric, select_metrics
from sagewatch.clarify.config import BiasSpec, FacetSpec
from sagewatch.errors import InvalidParameterError

__all__ = ["BiasReport", "bias_report", "metric_entry", "STAGE_KEYS", "MISSING_VALUE"]

STAGE_KEYS = {PRE_STAGE: "pre_training_bias_metrics", POST_STAGE: "post_training_bias_metrics"}
MISSING_VALUE = "missing_value"
ANALYSIS_VERSION = "1.0"


@dataclass(frozen=True)
class BiasReport:
    """``document``: the ``analysis.json`` layout (±infinity still floats; the writer turns them into text);
    ``rows``: rows measured; ``skips``: rows dropped, by reason."""

    document: dict[str, Any]
    rows: int
    skips: Mapping[str, int] = field(default_factory=dict)


def metric_entry(metric: BiasMetric, compute: Any) -> dict[str, Any]:
    """One ``metrics`` item: name, description and value, or ``value: null`` plus the error text."""
    entry: dict[str, Any] = {"name": metric.code, "description": metric.description}
    try:
        value = compute()
    except UndefinedBiasMetric as e:
        entry["value"] = None
        entry["error"] = str(e)
        return entry
    if isinstance(value, float) and math.isnan(value):
        entry["value"] = None
        entry["error"] = "the metric is not a number for this facet"  # sagewatch wording; smclarify writes NaN
        return entry
    entry["value"] = value if isinstance(value, int) and not isinstance(value, bool) else float(value)
    return entry


class _Data:
    """The typed columns of the report, read once."""

    def __init__(self, table: pa.Table, spec: BiasSpec) -> None:
        self.table, self.spec = table, spec
        self._typed: dict[str, np.ndarray] = {}

    def values(self, column: str) -> np.ndarray:
        if column not in self._typed:
            self._typed[column] = column_values(self.table.column(column))
        return self._typed[column]

    def features(self, facet: str) -> np.ndarray | UndefinedBiasMetric:
        """The numeric feature matrix of the Flip Test (all columns but the facet, label, predicted label and
        excluded ones), or the error that makes FT undefined."""
        skip = {self.spec.label, self.spec.predicted_label, facet, *self.spec.excluded_columns}
        arrays = []
        for column in (c for c in self.table.column_names if c not in skip):
            if self.table.column(column).null_count:  # sagewatch wording; scikit-learn refuses NaN
                return UndefinedBiasMetric(f"FlipTest does not support missing values (column {column!r})")
            values = self.values(column)
            if values.dtype.kind not in "iufb":
                return UndefinedBiasMetric("FlipTest does not support non-numeric columns")
            arrays.append(values.astype(np.float64))
        return np.column_stack(arrays) if arrays else np.empty((self.table.num_rows, 0))


def _flip_test(features: np.ndarray | UndefinedBiasMetric, sensitive: np.ndarray, predicted: np.ndarray) -> float:
    if isinstance(features, UndefinedBiasMetric):
        # the empty-group checks come first, as in smclarify
        flip_test(None, sensitive, predicted)
        raise features
    return flip_test(features, sensitive, predicted)


def _drop_missing(table: pa.Table, spec: BiasSpec) -> tuple[pa.Table, dict[str, int]]:
    keep = None
    for column in spec.used_columns:
        valid = pc.is_valid(table.column(column))
        keep = valid if keep is None else pc.and_(keep, valid)
    if keep is None:
        return table, {}
    kept = table.filter(keep)
    dropped = table.num_rows - kept.num_rows
    return kept, ({MISSING_VALUE: dropped} if dropped else {})


def _label_mask(data: _Data, spec: BiasSpec) -> Collapsed:
    label = collapse(data.values(spec.label), spec.label_values, what="label")
    positives = int(label.mask.sum())
    shown = list(spec.label_values)
    if positives == 0 or positives == len(label.mask):
        empty = "positive" if positives == 0 else "negative"
        raise InvalidParameterError(
            f"label_values_or_threshold {shown} leaves the {empty} class of label column {spec.label!r} empty: "
            f"{'no' if positives == 0 else 'every'} row is positive"
            + (f" (positive means a value in {label.text or 'an empty interval'})" if label.continuous else ""))
    return label


def _predicted_mask(data: _Data, spec: BiasSpec, label: Collapsed) -> np.ndarray:
    column = spec.predicted_label
    assert column is not None
    values = data.values(column)
    if spec.probability_threshold is not None:
        if values.dtype.kind not in "iuf":
            raise InvalidParameterError(f"probability_threshold is set, so predicted_label column {column!r} "
                                        "must hold probabilities (numbers)")
        return values > spec.probability_threshold  # a probability above the threshold means label 1 (§7.2)
    if is_continuous(values, spec.label_values) != label.continuous:
        raise InvalidParameterError(
            f"predicted_label column {column!r} is {'continuous' if not label.continuous else 'categorical'} "
            f"but label column {spec.label!r} is {'continuous' if label.continuous else 'categorical'}: "
            "Clarify needs both of the same kind")
    if label.continuous:
        labels = data.values(spec.label)
        predicted = values.astype(labels.dtype) if labels.dtype.kind in "iuf" and values.dtype.kind in "iuf" \
            else values
        top = max(labels.max(), predicted.max())
        mask = collapse_continuous(predicted, spec.label_values[0], what="predicted_label", maximum=top).mask
    else:
        mask = collapse_categorical(values, spec.label_values, what="predicted_label").mask
    if not mask.any():
        raise InvalidParameterError(f"no predicted label in column {column!r} is a positive label value "
                                    f"({list(spec.label_values)}): every prediction is negative")
    return mask


def _facet_groups(data: _Data, facet: FacetSpec) -> list[tuple[str, np.ndarray | None, np.ndarray, int]]:
    """``(value_or_threshold, sensitive mask or None, codes, code)`` per facet group; one-vs-all facets share
    their codes (mask None) so that they are counted in one pass."""
    values = data.values(facet.column)
    where = f"facet {facet.column!r}"
    if facet.values is None:
        if is_continuous(values, None):
            raise InvalidParameterError(f"{where} is continuous: give one threshold in value_or_threshold "
                                        "(each value against the rest is only for categorical facets)")
        codes, uniques = category_codes(values)
        return [(str(value), None, codes, i) for i, value in enumerate(uniques)]
    collapsed = collapse(values, facet.values, what=where)
    if not collapsed.mask.any():
        if collapsed.continuous:
            raise InvalidParameterError(f"{where}: threshold {facet.values[0]!r} leaves the facet empty (no value "
                                        f"is above it; the largest is {values.max()!r})")
        raise InvalidParameterError(f"{where}: value_or_threshold {list(facet.values)} is absent from the data")
    return [(collapsed.text, collapsed.mask, collapsed.mask.astype(np.int64), 1)]


def bias_report(table: pa.Table, spec: BiasSpec) -> BiasReport:
    """Compute the asked pre- and post-training metrics for every facet of ``spec``.

    >>> t = pa.table({"sex": [0, 0, 1, 1, 1, 0] * 10, "y": [1, 0, 1, 1, 0, 1] * 10})
    >>> spec = BiasSpec(label="y", label_values=(1,), facets=(FacetSpec("sex", (0,)),), pre_training=("CI",))
    >>> bias_report(t, spec).document["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    [{'name': 'CI', 'description': 'Class Imbalance (CI)', 'value': 0.0}]
    """
    table, skips = _drop_missing(table, spec)
    if table.num_rows == 0:
        raise InvalidParameterError("no rows to measure: every row misses the label, predicted label, a facet or "
                                    "the group variable")
    data = _Data(table, spec)
    label = _label_mask(data, spec)
    y = label.mask
    stages = [(stage, select_metrics(stage, methods)) for stage, methods in
              ((POST_STAGE, spec.post_training), (PRE_STAGE, spec.pre_training)) if methods is not None]
    predicted = _predicted_mask(data, spec, label) if spec.post_training is not None else None
    groups = group_codes(data.values(spec.group_variable)) if spec.group_variable else None
    facets_out: dict[str, dict[str, list[dict[str, Any]]]] = {stage: {} for stage, _ in stages}
    for facet in spec.facets:
        entries: dict[str, list[dict[str, Any]]] = {stage: [] for stage, _ in stages}
        groups_of_facet = _facet_groups(data, facet)
        shared: list[FacetCounts] | None = None
        features: Any = None
        for text, mask, codes, code in groups_of_facet:
            if mask is None:
                if shared is None:
                    shared = facet_counts_by_code(codes, len(groups_of_facet), y, predicted, groups)
                counts, sensitive = shared[code], codes == code
            else:
                counts, sensitive = facet_counts(mask, y, predicted, groups), mask
            for stage, metrics in stages:
                out = []
                for metric in metrics:
                    if metric.code == FLIP_TEST:
                        if features is None:
                            features = (data.features(facet.column),)
                        out.append(metric_entry(metric, lambda s=sensitive: _flip_test(features[0], s, predicted)))
                    else:
                        out.append(metric_entry(metric, lambda m=metric, c=counts: m.function(c)))
                entries[stage].append({"value_or_threshold": text, "metrics": out})
        for stage in entries:
            facets_out[stage][facet.column] = entries[stage]
    document: dict[str, Any] = {"version": ANALYSIS_VERSION}
    for stage, _ in stages:
        document[STAGE_KEYS[stage]] = {"label": spec.label, "facets": facets_out[stage],
                                       "label_value_or_threshold": label.text}
    return BiasReport(document, table.num_rows, skips)
