"""Bias on merged captures (``sagemakerMergeJson``): the table a model-bias monitoring execution measures
(contract §2.3, §7.2, §7.6).

A merged record is a capture record with the ground truth added (:mod:`sagewatch.quality.merge`). As Clarify's
bias monitoring reads it:

* the **features** are the ``endpointInput`` (CSV fields, or JSON: the values at ``features_attribute``, or the
  keys named by ``headers``), named by the config's ``headers`` without the label (they must be as many);
* the **label** is the ``groundTruthData``, and its column is named by the config's ``label`` (a name, or an
  index into ``headers``);
* the **predicted label** comes from the ``endpointOutput``: the ``inference_attribute`` column (a predicted
  label), else the ``probability_attribute`` column, a probability turned into label 1 when it is above
  ``probability_threshold_attribute`` (default: the config's ``probability_threshold``, else 0.5), else the one
  output value (a probability when a threshold is given, a label otherwise). An attribute is a column name, a
  zero-based index among the output values, or a JSON path (``$.scores[0]``), as for model quality.

The records the reader skips are counted by reason (:mod:`sagewatch.capture.skips`), and the rows the report
drops for a missing value too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from sagewatch.capture.flatten import GROUND_TRUTH_PART
from sagewatch.clarify.bias.report import BiasReport, bias_report
from sagewatch.clarify.config import bias_methods, bias_spec, resolve_column
from sagewatch.datasets import MergeJsonFormat, iter_dataset
from sagewatch.errors import DatasetError, SchemaError
from sagewatch.schemas.clarify_config import ANALYSIS_CONFIG_FILE, AnalysisConfig

__all__ = ["MergedAttributes", "MERGED_PARTS", "PREDICTED_COLUMN", "merged_bias_table", "run_merged_bias_analysis"]

#: the captured parts a bias analysis reads from merged records, whatever ``captureIndexNames`` says
MERGED_PARTS = ("endpointInput", "endpointOutput")
#: the name of the predicted-label column built from the output (``_`` added while a header has it)
PREDICTED_COLUMN = "predicted_label"
DEFAULT_PROBABILITY_THRESHOLD = 0.5  # contract §7.2
_PATH_INDEX = re.compile(r"\[\s*['\"]?([^'\"\]]+?)['\"]?\s*\]")


@dataclass(frozen=True)
class MergedAttributes:
    """The ``EndpointInput`` attributes of the monitoring job (environment ``features_attribute``,
    ``inference_attribute``, ``probability_attribute``, ``probability_threshold_attribute``)."""

    features: str | None = None
    inference: str | None = None
    probability: str | None = None
    probability_threshold: float | None = None


def _path_name(attribute: str) -> str:
    """``$.a.b[0]`` / ``$['a']`` / ``a[0]`` -> the flattened column name ``a.b.0`` / ``a`` / ``a.0``."""
    text = attribute.strip()
    text = text[1:] if text.startswith("$") else text
    return _PATH_INDEX.sub(lambda m: "." + m.group(1), text).strip(".")


def _attribute_columns(attribute: str, names: Sequence[str], setting: str, part: str) -> list[str]:
    """The columns an attribute names among *names*: one column (a name, an index, a JSON path), or the
    numbered columns under a JSON path (``features`` -> ``features.0``, ``features.1``, ...).

    >>> _attribute_columns("1", ["_c0", "_c1"], "inference_attribute", "endpointOutput")
    ['_c1']
    >>> _attribute_columns("$.features", ["id", "features.0", "features.1"], "features_attribute", "endpointInput")
    ['features.0', 'features.1']
    """
    if attribute in names:
        return [attribute]
    if attribute.strip().isdigit() and int(attribute) < len(names):
        return [names[int(attribute)]]
    path = _path_name(attribute)
    if path in names:
        return [path]
    prefix = path + "."
    numbered = [n for n in names if n.startswith(prefix) and n[len(prefix):].isdigit()]
    if numbered:
        return sorted(numbered, key=lambda n: int(n[len(prefix):]))
    shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
    raise DatasetError(f"{setting} {attribute!r} names no value of the captured {part}; its values are: "
                       f"{shown or 'none'}")


def _feature_columns(inputs: Sequence[str], feature_names: Sequence[str] | None,
                     attributes: MergedAttributes) -> list[str]:
    if attributes.features:
        return _attribute_columns(attributes.features, inputs, "features_attribute", "endpointInput")
    if feature_names and all(name in inputs for name in feature_names):
        return list(feature_names)  # JSON objects keyed by the feature names
    return list(inputs)


def _predicted(outputs: Sequence[str], config: AnalysisConfig,
               attributes: MergedAttributes) -> tuple[str, float | None]:
    """The output column of the prediction and the threshold that makes it a label (None: it is a label)."""
    if attributes.inference:
        return _attribute_columns(attributes.inference, outputs, "inference_attribute", "endpointOutput")[0], None
    threshold = attributes.probability_threshold
    if threshold is None:
        threshold = config.probability_threshold
    if attributes.probability:
        column = _attribute_columns(attributes.probability, outputs, "probability_attribute", "endpointOutput")[0]
        return column, DEFAULT_PROBABILITY_THRESHOLD if threshold is None else threshold
    if len(outputs) != 1:
        raise DatasetError(f"the captured endpointOutput has {len(outputs)} values per record "
                           f"({', '.join(outputs[:20])}): name the predicted label with inference_attribute or the "
                           "probability with probability_attribute")
    return outputs[0], threshold


def _label_name(config: AnalysisConfig, headers: Sequence[str] | None) -> str:
    if config.label is None:
        raise SchemaError("a bias analysis needs the label column (a name or a zero-based index)",
                          source=ANALYSIS_CONFIG_FILE, field="label")
    if headers is not None:
        return resolve_column(config.label, headers, field="label")
    if not isinstance(config.label, str):
        raise SchemaError("with merged captures and no headers the label must be a name (it names the ground "
                          "truth)", source=ANALYSIS_CONFIG_FILE, field="label")
    return config.label


def merged_bias_table(source: str | Path, config: AnalysisConfig, attributes: MergedAttributes = MergedAttributes(),
                      *, start_time: datetime | None = None, end_time: datetime | None = None
                      ) -> tuple[pa.Table, AnalysisConfig, dict[str, int]]:
    """Read merged captures as a bias analysis measures them (see the module docstring).

    Returns the table (the ``headers`` columns in their order, then the predicted label when post-training
    metrics are asked for), the config to measure it with (``headers``, ``label``, ``predicted_label`` and
    ``probability_threshold`` set to match the table) and the records skipped, by reason.

    Raises
    ------
    DatasetError
        No record to measure, no ground truth in the records, an attribute that names no captured value, or an
        output of several values without an attribute.
    SchemaError
        ``headers`` that do not fit the captured features (named ``analysis_config.json, field 'headers'``), or
        no ``headers`` for features without names.
    """
    reader = iter_dataset(source, MergeJsonFormat(capture_index_names=MERGED_PARTS), start_time=start_time,
                          end_time=end_time)
    chunks = list(reader)
    skips = dict(reader.skips.to_dict())
    if not chunks or reader.layout is None:
        skipped = sum(skips.values())
        raise DatasetError(f"no merged records to analyse in {Path(source).name}"
                           + (f" ({skipped} records skipped: {skips})" if skipped else ""))
    table = pa.concat_tables(chunks, promote_options="permissive")
    layout = reader.layout
    inputs, outputs = list(layout.columns_of("endpointInput")), list(layout.columns_of("endpointOutput"))
    truths = list(layout.columns_of(GROUND_TRUTH_PART))
    if not truths:
        raise DatasetError("the merged records carry no groundTruthData: merge the ground truth into the captures "
                           "first (the model-bias execution's merge job does)")
    if not inputs:
        raise DatasetError("the merged records carry no endpointInput: the features of a bias analysis are the "
                           "captured requests (capture the Input of the endpoint)")
    headers = config.headers
    label = _label_name(config, headers)
    feature_names = [h for h in headers if h != label] if headers is not None else None
    features = _feature_columns(inputs, feature_names, attributes)
    if feature_names is None:
        if all(name.startswith("_c") and name[2:].isdigit() for name in features):
            raise SchemaError("bias on merged captures needs headers: the feature names and the label, in order "
                              "(the captured features are not named)", source=ANALYSIS_CONFIG_FILE, field="headers")
        feature_names = features
    if len(features) != len(feature_names):
        raise SchemaError(f"headers names {len(feature_names)} features (all but the label {label!r}) but the "
                          f"captured endpointInput has {len(features)} ({', '.join(features[:20])})",
                          source=ANALYSIS_CONFIG_FILE, field="headers")
    truth = label if label in truths else truths[0]
    if len(truths) > 1 and label not in truths:
        raise DatasetError(f"the ground truth has {len(truths)} values per record ({', '.join(truths[:20])}) and "
                           f"none is named {label!r}: the ground truth of a bias analysis is the label alone")
    by_name = dict(zip(feature_names, features))
    names = list(headers) if headers is not None else [*feature_names, label]
    arrays = [table.column(truth) if name == label else table.column(by_name[name]) for name in names]
    update: dict[str, object] = {"headers": tuple(names), "label": label, "predicted_label": None}
    _, post = bias_methods(config)
    if post is not None:
        column, threshold = _predicted(outputs, config, attributes)
        predicted = PREDICTED_COLUMN
        while predicted in names:
            predicted = "_" + predicted
        names.append(predicted)
        arrays.append(table.column(column))
        update.update(predicted_label=predicted, probability_threshold=threshold)
    return pa.Table.from_arrays(arrays, names=names), config.model_copy(update=update), skips


def run_merged_bias_analysis(config: AnalysisConfig, source: str | Path,
                             attributes: MergedAttributes = MergedAttributes(), *,
                             start_time: datetime | None = None, end_time: datetime | None = None) -> BiasReport:
    """Read merged captures (:func:`merged_bias_table`) and compute their bias report, the reader's skips
    included."""
    table, resolved, skips = merged_bias_table(source, config, attributes, start_time=start_time, end_time=end_time)
    report = bias_report(table, bias_spec(resolved, table.column_names))
    merged: Mapping[str, int] = {**skips, **{k: skips.get(k, 0) + v for k, v in report.skips.items()}}
    return BiasReport(report.document, report.rows, dict(merged))
