"""A Clarify ``analysis_config.json`` resolved against a dataset's columns (contract §7.2).

:func:`bias_spec` turns the declared :class:`~sagewatch.schemas.clarify_config.AnalysisConfig` into a
:class:`BiasSpec` whose columns are names of the dataset: a ``name_or_index`` that is a whole number is a
zero-based column position. Every problem is a :class:`~sagewatch.errors.SchemaError` naming the file and
the field (``label``, ``facet[1].name_or_index``, ``methods``, ...).

Column names come from ``headers`` when given (they must be as many as the dataset's columns), else
from the data (a CSV header line, JSON keys, Parquet columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sagewatch.errors import SchemaError
from sagewatch.schemas.clarify_config import ANALYSIS_CONFIG_FILE, AnalysisConfig

__all__ = ["FacetSpec", "BiasSpec", "bias_spec", "resolve_column", "bias_methods"]

MethodsSetting = str | tuple[str, ...]


@dataclass(frozen=True)
class FacetSpec:
    """One facet: its column and the sensitive values or threshold (None: each value against the rest)."""

    column: str
    values: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class BiasSpec:
    """What a bias analysis computes, with every column named as in the dataset."""

    label: str
    label_values: tuple[Any, ...]
    facets: tuple[FacetSpec, ...]
    pre_training: MethodsSetting | None = None
    post_training: MethodsSetting | None = None
    predicted_label: str | None = None
    probability_threshold: float | None = None
    group_variable: str | None = None
    excluded_columns: tuple[str, ...] = ()

    @property
    def used_columns(self) -> tuple[str, ...]:
        """Label, predicted label, facets and group variable: the columns whose nulls drop a row."""
        names = [self.label] + ([self.predicted_label] if self.predicted_label else []) + \
            [f.column for f in self.facets] + ([self.group_variable] if self.group_variable else [])
        return tuple(dict.fromkeys(names))


def resolve_column(value: str | int, columns: Sequence[str], *, field: str,
                   source: str = ANALYSIS_CONFIG_FILE) -> str:
    """The dataset column a ``name_or_index`` setting names.

    >>> resolve_column(1, ["a", "b"], field="label")
    'b'
    >>> resolve_column("c", ["a", "b"], field="facet[0].name_or_index")
    Traceback (most recent call last):
    ...
    sagewatch.errors.SchemaError: analysis_config.json, field 'facet[0].name_or_index': 'c' names no column of the dataset; its columns are: a, b
    """
    if isinstance(value, str) and value in columns:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < len(columns):
            return columns[value]
        raise SchemaError(f"column index {value} is out of range: the dataset has {len(columns)} columns",
                          source=source, field=field)
    shown = ", ".join(columns[:30]) + (" ..." if len(columns) > 30 else "")
    raise SchemaError(f"{value!r} names no column of the dataset; its columns are: {shown}", source=source,
                      field=field)


def bias_methods(config: AnalysisConfig) -> tuple[MethodsSetting | None, MethodsSetting | None]:
    """The ``methods`` of the pre- and post-training stages (None: the stage is not asked for).

    A config with no ``methods`` section at all asks for every metric of both stages: it is the file of a
    model-bias monitor (the SageMaker SDK's ``BiasAnalysisConfig``: the bias settings, ``headers`` and
    ``label``; the predicted labels come from the monitoring input), whose executions compute both.
    """
    methods = config.methods
    if methods is None:
        return "all", "all"
    pre = methods.pre_training_bias.methods if methods and methods.pre_training_bias else None
    post = methods.post_training_bias.methods if methods and methods.post_training_bias else None
    return pre, post


def bias_spec(config: AnalysisConfig, columns: Sequence[str], *, source: str = ANALYSIS_CONFIG_FILE,
              model_predictions: bool = False) -> BiasSpec:
    """Resolve the bias settings of ``config`` against the dataset's ``columns``.

    ``model_predictions`` says that a model will give the predicted labels (a ``predictor``): post-training
    metrics then need no ``predicted_label`` column.

    >>> from sagewatch.schemas.clarify_config import parse_analysis_config
    >>> config = parse_analysis_config({"label": 2, "label_values_or_threshold": [1],
    ...     "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
    ...     "methods": {"pre_training_bias": {"methods": "all"}}})
    >>> spec = bias_spec(config, ["age", "sex", "y"])
    >>> spec.label, spec.facets[0].column, spec.pre_training
    ('y', 'sex', 'all')
    """
    def fail(message: str, field: str) -> SchemaError:
        return SchemaError(message, source=source, field=field)

    pre, post = bias_methods(config)
    if pre is None and post is None:
        raise fail("no bias analysis is asked for: give methods.pre_training_bias and/or "
                   "methods.post_training_bias", "methods")
    if config.label is None:
        raise fail("a bias analysis needs the label column (a name or a zero-based index)", "label")
    if not config.label_values_or_threshold:
        raise fail("a bias analysis needs the positive label values or one threshold", "label_values_or_threshold")
    if not config.facet:
        raise fail("a bias analysis needs at least one facet", "facet")
    label = resolve_column(config.label, columns, field="label", source=source)
    predicted = None
    if config.predicted_label is not None:
        predicted = resolve_column(config.predicted_label, columns, field="predicted_label", source=source)
    if post is not None and predicted is None and not model_predictions:
        raise fail("post-training bias metrics need predicted labels: name their column in predicted_label, or "
                   "give the model in predictor (model_name or endpoint_name)", "predicted_label")
    facets = []
    for i, facet in enumerate(config.facet):
        column = resolve_column(facet.name_or_index, columns, field=f"facet[{i}].name_or_index", source=source)
        if column in (label, predicted):
            raise fail(f"facet column {column!r} is the label or predicted-label column",
                       f"facet[{i}].name_or_index")
        facets.append(FacetSpec(column, facet.value_or_threshold))
    group = None
    if config.group_variable is not None:
        group = resolve_column(config.group_variable, columns, field="group_variable", source=source)
    excluded = tuple(resolve_column(c, columns, field=f"excluded_columns[{i}]", source=source)
                     for i, c in enumerate(config.excluded_columns or ()))
    return BiasSpec(label=label, label_values=tuple(config.label_values_or_threshold), facets=tuple(facets),
                    pre_training=pre, post_training=post, predicted_label=predicted,
                    probability_threshold=config.probability_threshold, group_variable=group,
                    excluded_columns=excluded)
