"""A model's answers and what Clarify makes of them (contract §7.2): the predicted labels of post-training bias
and the scores that SHAP explains.

The engine knows no endpoint: a caller gives a :class:`Predictor`, anything with ``answers(records)``, e.g. a
shadow endpoint of the Clarify container or a local model (:func:`local_predictor`). An answer is
:class:`ModelAnswers`: what the ``predictor.label`` setting selects (``labels``) and what ``predictor.probability``
selects (``scores``), each one value or one row of values per record.

The predicted label of a record (:func:`predicted_labels`):

=====================================  ==============================================================================
the answer holds                       predicted label
=====================================  ==============================================================================
one score per record                   positive when the score is above ``probability_threshold`` (default 0.5):
                                       ``label_headers[1]`` / ``label_headers[0]`` with two headers, else 1 / 0
a row of scores per record             the label of the highest score: from the row of ``labels`` when the answer
                                       has one, else from ``label_headers``, else its index
one label per record                   that label; numbers from 0 to 1 that are not all whole (probabilities
                                       selected by ``label``) are thresholded as scores are
=====================================  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from sagewatch.clarify.bias.facets import column_values
from sagewatch.errors import InvalidParameterError, ModelResponseError

__all__ = ["ModelAnswers", "Predictor", "DEFAULT_PROBABILITY_THRESHOLD", "predicted_labels", "scores_of",
           "shap_predict", "local_predictor"]

DEFAULT_PROBABILITY_THRESHOLD = 0.5  # SDK ModelPredictedLabelConfig: "Default is 0.5" (contract §7.2)


@dataclass(frozen=True)
class ModelAnswers:
    """The model's answers for ``n`` records: ``labels`` and/or ``scores``, each ``(n,)`` or ``(n, k)``."""

    labels: np.ndarray | None = None
    scores: np.ndarray | None = None

    def __len__(self) -> int:
        present = self.labels if self.labels is not None else self.scores
        return 0 if present is None else len(present)


class Predictor(Protocol):
    """A model the engine can ask: ``answers(records)`` for a ``(n, features)`` array of records."""

    def answers(self, records: np.ndarray) -> ModelAnswers: ...


def _checked(answers: ModelAnswers, records: int) -> ModelAnswers:
    if not isinstance(answers, ModelAnswers):
        raise ModelResponseError(f"the model's answers must be ModelAnswers, got {type(answers).__name__}")
    if answers.labels is None and answers.scores is None:
        raise ModelResponseError("the model answered neither a label nor a score per record")
    for name, values in (("labels", answers.labels), ("scores", answers.scores)):
        if values is None:
            continue
        if values.ndim not in (1, 2) or len(values) != records:
            count = len(values) if values.ndim else 1
            raise ModelResponseError(f"the model answered {count} {name} for {records} records; it must answer one "
                                     "per record")
        if values.ndim == 2 and values.shape[1] == 0:
            raise ModelResponseError(f"the model answered empty {name} (no value per record)")
    return answers


def _float_scores(values: np.ndarray, what: str) -> np.ndarray:
    try:
        scores = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ModelResponseError(f"the model answered {what} that are not numbers") from None
    if not np.isfinite(scores).all():
        raise ModelResponseError(f"the model answered NaN or infinite {what}")
    return scores


def _binary(scores: np.ndarray, threshold: float, label_headers: Sequence[Any] | None) -> np.ndarray:
    positive = scores > threshold  # a probability above the threshold means label 1 (contract §7.2)
    if label_headers is not None and len(label_headers) == 2:
        return np.where(positive, label_headers[1], label_headers[0]).astype(object)
    return positive.astype(np.int64)


def _looks_like_probabilities(values: np.ndarray) -> bool:
    if values.dtype.kind != "f":
        return False
    return bool(((values >= 0) & (values <= 1)).all() and (values != np.round(values)).any())


def predicted_labels(answers: ModelAnswers, *, records: int, probability_threshold: float | None = None,
                     label_headers: Sequence[Any] | None = None) -> np.ndarray:
    """One predicted label per record, by the rules of the module's table.

    Parameters
    ----------
    answers : ModelAnswers
        The model's answers.
    records : int
        How many records were sent (the answers must hold as many).
    probability_threshold : float, optional
        The top-level ``probability_threshold`` of ``analysis_config.json`` (default 0.5).
    label_headers : sequence, optional
        ``predictor.label_headers``: the label of each score.

    Raises
    ------
    ModelResponseError
        Answers of the wrong length or shape, scores that are not numbers, headers that do not fit the scores.

    Examples
    --------
    >>> predicted_labels(ModelAnswers(scores=np.array([0.2, 0.7])), records=2).tolist()
    [0, 1]
    >>> predicted_labels(ModelAnswers(scores=np.array([[0.2, 0.8], [0.9, 0.1]])), records=2,
    ...                  label_headers=["no", "yes"]).tolist()
    ['yes', 'no']
    >>> predicted_labels(ModelAnswers(labels=np.array(["a", "b"], dtype=object)), records=2).tolist()
    ['a', 'b']
    >>> predicted_labels(ModelAnswers(scores=np.array([0.2])), records=2)
    Traceback (most recent call last):
    ...
    sagewatch.errors.ModelResponseError: the model answered 1 scores for 2 records; it must answer one per record
    """
    threshold = DEFAULT_PROBABILITY_THRESHOLD if probability_threshold is None else float(probability_threshold)
    answers = _checked(answers, records)
    if answers.scores is not None:
        scores = _float_scores(answers.scores, "scores")
        if scores.ndim == 1 or scores.shape[1] == 1:
            return _binary(scores.reshape(-1), threshold, label_headers)
        best = np.argmax(scores, axis=1)  # the first of equal scores, as numpy's argmax
        labels = answers.labels
        if labels is not None and labels.ndim == 2:
            if labels.shape != scores.shape:
                raise ModelResponseError(f"the model answered {labels.shape[1]} labels but {scores.shape[1]} scores "
                                         "per record; the label of the highest score cannot be found")
            return labels[np.arange(len(best)), best]
        if label_headers is not None:
            if len(label_headers) != scores.shape[1]:
                raise ModelResponseError(f"predictor.label_headers names {len(label_headers)} labels but the model "
                                         f"answered {scores.shape[1]} scores per record")
            return np.asarray(list(label_headers), dtype=object)[best]
        return best.astype(np.int64)
    labels = answers.labels
    assert labels is not None
    if labels.ndim == 2:
        if labels.shape[1] != 1:
            raise ModelResponseError(f"the model answered {labels.shape[1]} labels per record and no scores; set "
                                     "predictor.probability to the scores (or predictor.label to one label)")
        labels = labels.reshape(-1)
    if labels.dtype.kind == "O":
        numeric = _as_numbers(labels)
        if numeric is not None:
            labels = numeric
    if _looks_like_probabilities(labels):
        return _binary(labels, threshold, label_headers)
    return labels


def _as_numbers(values: np.ndarray) -> np.ndarray | None:
    """Text answers (a CSV answer) typed as pandas' ``read_csv`` would type them; None if they are mixed."""
    try:
        return column_values(pa.array(values.tolist()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def scores_of(answers: ModelAnswers, *, records: int) -> np.ndarray:
    """What SHAP explains: the scores when the answer has them, else the labels as numbers; ``(n, outputs)``.

    >>> scores_of(ModelAnswers(labels=np.array(["1.5", "2"], dtype=object)), records=2).tolist()
    [[1.5], [2.0]]
    """
    answers = _checked(answers, records)
    values = answers.scores if answers.scores is not None else answers.labels
    assert values is not None
    scores = _float_scores(values, "predictions")
    return scores.reshape(len(scores), -1)


def shap_predict(predictor: Predictor) -> Callable[[np.ndarray], np.ndarray]:
    """The ``predict(X)`` callable of the explainers for ``predictor``.

    >>> f = shap_predict(local_predictor(lambda X: X.sum(axis=1)))
    >>> f(np.array([[1.0, 2.0]])).tolist()
    [[3.0]]
    """
    def predict(records: np.ndarray) -> np.ndarray:
        return scores_of(predictor.answers(records), records=len(records))
    return predict


class _LocalPredictor:
    def __init__(self, predict: Callable[[np.ndarray], Any]) -> None:
        self._predict = predict

    def answers(self, records: np.ndarray) -> ModelAnswers:
        answer = np.asarray(self._predict(records))
        if answer.dtype.kind in "iub" or answer.dtype.kind in "OUS":
            return ModelAnswers(labels=answer.astype(object) if answer.dtype.kind in "US" else answer)
        return ModelAnswers(scores=answer)


def local_predictor(predict: Callable[[np.ndarray], Any]) -> Predictor:
    """A :class:`Predictor` over a plain ``predict(X)``: whole numbers and text are labels, floats scores.

    >>> local_predictor(lambda X: np.array([0.25])).answers(np.zeros((1, 2))).scores.tolist()
    [0.25]
    """
    if not callable(predict):
        raise InvalidParameterError(f"predict must be callable, got {type(predict).__name__}")
    return _LocalPredictor(predict)
