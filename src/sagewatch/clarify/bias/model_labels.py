"""Post-training bias from the model: the records go to the model, its answers become the predicted-label column
(contract §7.2; rules in :mod:`sagewatch.clarify.predictions`).

The records are the features only: the dataset's columns (``headers``) without the label and the
``excluded_columns``, in order, as Clarify sends them to its shadow endpoint. Rows with a missing feature cannot be
sent; they are dropped and counted (``missing_feature_value``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.clarify.bias.facets import column_values
from sagewatch.clarify.config import BiasSpec, bias_spec
from sagewatch.clarify.predictions import Predictor, predicted_labels
from sagewatch.errors import InvalidParameterError, ModelResponseError
from sagewatch.schemas.clarify_config import ANALYSIS_CONFIG_FILE, AnalysisConfig

__all__ = ["PREDICTED_LABEL_COLUMN", "MISSING_FEATURE", "feature_columns", "feature_records",
           "with_model_labels"]

PREDICTED_LABEL_COLUMN = "predicted_label"
MISSING_FEATURE = "missing_feature_value"


def feature_columns(columns: list[str], spec: BiasSpec) -> list[str]:
    """The columns sent to the model: all but the label and the excluded ones, in order.

    >>> from sagewatch.clarify.config import FacetSpec
    >>> feature_columns(["a", "id", "y", "b"], BiasSpec("y", (1,), (FacetSpec("a"),), excluded_columns=("id",)))
    ['a', 'b']
    """
    skip = {spec.label, *spec.excluded_columns}
    return [c for c in columns if c not in skip]


def feature_records(table: pa.Table, columns: list[str]) -> np.ndarray:
    """The records as a ``(rows, features)`` array: float64 when every feature is numeric, else objects
    (text stays text, whole numbers stay whole)."""
    arrays = [column_values(table.column(c)) for c in columns]
    if all(a.dtype.kind in "iufb" for a in arrays):
        return np.column_stack([a.astype(np.float64) for a in arrays]) if arrays else np.empty((table.num_rows, 0))
    return np.column_stack([a.astype(object) for a in arrays])


def _unique_name(columns: list[str]) -> str:
    name, i = PREDICTED_LABEL_COLUMN, 1
    while name in columns:
        name, i = f"{PREDICTED_LABEL_COLUMN}_{i}", i + 1
    return name


def with_model_labels(table: pa.Table, config: AnalysisConfig, predictor: Predictor, *,
                      source: str = ANALYSIS_CONFIG_FILE) -> tuple[pa.Table, BiasSpec, dict[str, int]]:
    """Ask ``predictor`` for every record of ``table`` and add its predicted labels as a column.

    Returns the table with the new column, the :class:`BiasSpec` naming it, and the rows dropped by reason.

    Raises
    ------
    ModelResponseError
        When the model answers the wrong number or shape of predictions (the message says what it answered).
    """
    spec = bias_spec(config, table.column_names, source=source, model_predictions=True)
    columns = feature_columns(list(table.column_names), spec)
    if not columns:
        raise InvalidParameterError("no feature column is left to send to the model after the label and "
                                    "excluded_columns")
    keep = None
    for column in columns:
        valid = pc.is_valid(table.column(column))
        keep = valid if keep is None else pc.and_(keep, valid)
    kept = table.filter(keep)
    skips = {MISSING_FEATURE: table.num_rows - kept.num_rows} if kept.num_rows < table.num_rows else {}
    if kept.num_rows == 0:
        raise InvalidParameterError("no record can be sent to the model: every row misses a feature value")
    records = feature_records(kept, columns)
    answers = predictor.answers(records)
    headers = config.predictor.label_headers if config.predictor is not None else None
    labels = predicted_labels(answers, records=len(records), probability_threshold=config.probability_threshold,
                              label_headers=headers)
    try:
        array = pa.array(labels.tolist())
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise ModelResponseError(f"the model's predicted labels mix types ({error})") from error
    name = _unique_name(list(kept.column_names))
    # the labels are final (any probability threshold is applied), so the report compares them as labels
    return kept.append_column(name, array), replace(spec, predicted_label=name, probability_threshold=None), skips
