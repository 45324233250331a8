"""Predicted labels for post-training bias from a local model (sagewatch's stand-in for Clarify's shadow endpoint).

Clarify sends the records, without the label and ``excluded_columns``, to the model and reads a predicted label
(or a probability) per record. :func:`add_model_predictions` does the same with a model object loaded by
:func:`sagewatch.clarify.explain.model.load_local_model` and appends the answers as a predicted-label column:

* without ``probability_threshold``: the model's ``predict`` (a classifier's classes, in the label's own values;
  a regressor's or an XGBoost booster's numbers);
* with ``probability_threshold``: a classifier's probability of the positive class (``predict_proba``, two
  classes), or the booster's score; a probability above the threshold is a positive prediction (§7.2).

Features are read as numbers; a record with a missing or non-numeric feature gets no prediction, so the bias
analysis drops it and counts it (``missing_value``), as for a record without a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.clarify.config import resolve_column
from sagewatch.errors import ModelResponseError, SchemaError
from sagewatch.schemas.clarify_config import ANALYSIS_CONFIG_FILE, AnalysisConfig

__all__ = ["PREDICTED_LABEL_COLUMN", "model_feature_columns", "add_model_predictions"]

#: the name of the appended column (prefixed so that it cannot be one of the dataset's own columns)
PREDICTED_LABEL_COLUMN = "_sagewatch_predicted_label"
_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


def _column_name(value: str | int, columns: Sequence[str], field: str) -> str:
    return resolve_column(value, columns, field=field)


def model_feature_columns(config: AnalysisConfig, columns: Sequence[str]) -> list[str]:
    """The columns sent to the model: every column but the label and ``excluded_columns``, in dataset order.

    >>> from sagewatch.schemas.clarify_config import parse_analysis_config
    >>> model_feature_columns(parse_analysis_config({"label": "y", "excluded_columns": [0]}), ["id", "x", "y"])
    ['x']
    """
    skip = {_column_name(config.label, columns, "label")} if config.label is not None else set()
    skip |= {_column_name(c, columns, f"excluded_columns[{i}]") for i, c in enumerate(config.excluded_columns or ())}
    features = [c for c in columns if c not in skip]
    if not features:
        raise SchemaError("no column is left to send to the model after label and excluded_columns",
                          source=ANALYSIS_CONFIG_FILE, field="excluded_columns")
    return features


def _numeric(table: pa.Table, column: str) -> np.ndarray:
    data = table.column(column)
    if pa.types.is_string(data.type) or pa.types.is_large_string(data.type):
        data = pc.utf8_trim_whitespace(data)
        data = pc.if_else(pc.match_substring_regex(data, _NUMBER), data, pa.scalar(None, data.type))
    elif not (pa.types.is_integer(data.type) or pa.types.is_floating(data.type) or pa.types.is_boolean(data.type)
              or pa.types.is_null(data.type)):
        raise ModelResponseError(f"feature column {column!r} holds {data.type} values; the model is sent numbers")
    return pc.cast(data, pa.float64()).to_numpy(zero_copy_only=False)


def _answer(model: Any, records: np.ndarray, *, probabilities: bool) -> np.ndarray:
    from sagewatch.clarify.explain.model import CheckedModel, predict_function

    if probabilities:
        if hasattr(model, "predict_proba") and len(getattr(model, "classes_", ())) not in (0, 2):
            raise ModelResponseError(f"probability_threshold needs a model of two classes; this classifier has "
                                     f"{len(model.classes_)}: leave probability_threshold out to use its predicted "
                                     "classes")
        answer = CheckedModel(predict_function(model))(records)
    else:
        predict = getattr(model, "predict", None)
        if type(model).__name__ == "Booster" or not callable(predict):
            predict = predict_function(model)
        try:
            answer = np.asarray(predict(records))
        except Exception as error:
            raise ModelResponseError(f"the model failed on {len(records)} records: {type(error).__name__}: "
                                     f"{error}") from error
    if answer.ndim == 2 and answer.shape[1] == 1:
        answer = answer[:, 0]
    if answer.ndim != 1 or len(answer) != len(records):
        raise ModelResponseError(f"the model answered {answer.shape} for {len(records)} records; a bias analysis "
                                 "needs one predicted label (or probability) per record")
    return answer


def add_model_predictions(table: pa.Table, config: AnalysisConfig, model: Any) -> tuple[pa.Table, AnalysisConfig]:
    """``table`` with the model's predicted labels appended, and ``config`` naming them as ``predicted_label``.

    Raises
    ------
    SchemaError
        ``predicted_label`` is already set (the model would not be used), or no feature column is left.
    ModelResponseError
        The model fails, or does not answer one label per record.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sagewatch.schemas.clarify_config import parse_analysis_config
    >>> table = pa.table({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]})
    >>> model = DecisionTreeClassifier(random_state=0).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> table, config = add_model_predictions(table, parse_analysis_config({"label": "y"}), model)
    >>> table.column(config.predicted_label).to_pylist()
    [0, 0, 1, 1]
    """
    if config.predicted_label is not None:
        raise SchemaError(f"predicted_label names the column {config.predicted_label!r}: the predictions are in the "
                          "dataset, so no model is needed; leave out the model or predicted_label",
                          source=ANALYSIS_CONFIG_FILE, field="predicted_label")
    columns = model_feature_columns(config, table.column_names)
    matrix = np.column_stack([_numeric(table, c) for c in columns])
    valid = np.isfinite(matrix).all(axis=1)
    predictions: pa.Array = pa.nulls(table.num_rows)
    if valid.any():
        answer = _answer(model, np.ascontiguousarray(matrix[valid]),
                         probabilities=config.probability_threshold is not None)
        if answer.dtype.kind == "U" or answer.dtype.kind == "O":
            answer = answer.astype(str)
        full = pa.array(answer)
        if valid.all():
            predictions = full
        else:  # records without a prediction are null: the analysis drops and counts them
            positions = np.cumsum(valid) - 1
            predictions = pc.if_else(pa.array(valid), pc.take(full, pa.array(np.where(valid, positions, 0))),
                                     pa.scalar(None, full.type))
    return table.append_column(PREDICTED_LABEL_COLUMN, predictions), \
        config.model_copy(update={"predicted_label": PREDICTED_LABEL_COLUMN})
