"""The model being explained: a plain ``predict(X) -> ndarray`` callable, checked on every answer.

Clarify sends records to a (shadow) endpoint and reads the predictions back; sagewatch's engine takes any
callable, e.g. one that calls an endpoint in batches, or a local model loaded by :func:`load_local_model`
with the model server's loaders (``sagewatch.serving.loaders``). :class:`CheckedModel` turns every answer
into a ``(records, outputs)`` float array and raises :class:`~sagewatch.errors.ModelResponseError` naming the
problem when an answer has the wrong shape, is not numeric, or changes its number of outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sagewatch.errors import InvalidParameterError, ModelResponseError

__all__ = ["CheckedModel", "Predict", "load_local_model", "predict_function", "is_tree_model"]

Predict = Callable[[np.ndarray], Any]


class CheckedModel:
    """``predict`` wrapped: answers become ``(n, outputs)`` float64 arrays, checked for shape and numbers.

    Parameters
    ----------
    predict : callable
        ``predict(X)`` with ``X`` a ``(n, features)`` array; answers ``(n,)`` or ``(n, outputs)`` numbers.
    batch_size : int, optional
        Send at most this many records per call (an endpoint's payload limit); ``None``: all at once.

    Examples
    --------
    >>> model = CheckedModel(lambda X: X.sum(axis=1))
    >>> model(np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[3.0], [7.0]]
    >>> CheckedModel(lambda X: X[:1, 0])(np.zeros((3, 2)))
    Traceback (most recent call last):
    ...
    sagewatch.errors.ModelResponseError: the model answered 1 predictions for 3 records; it must answer one prediction (a number or a row of numbers) per record
    """

    def __init__(self, predict: Predict, *, batch_size: int | None = None) -> None:
        if not callable(predict):
            raise InvalidParameterError(f"the model must be a callable predict(X), got {type(predict).__name__}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size < 1):
            raise InvalidParameterError(f"batch_size must be a whole number of at least 1, got {batch_size!r}")
        self._predict = predict
        self._batch_size = batch_size
        self.outputs: int | None = None  # set by the first answer

    def _one(self, records: np.ndarray) -> np.ndarray:
        try:
            answer = np.asarray(self._predict(records))
        except ModelResponseError:
            raise
        except Exception as error:
            raise ModelResponseError(f"the model failed on {len(records)} records: "
                                     f"{type(error).__name__}: {error}") from error
        if answer.dtype.kind not in "biuf":
            try:
                answer = answer.astype(np.float64)
            except (TypeError, ValueError):
                raise ModelResponseError(f"the model answered {answer.dtype} values; SHAP explains numeric "
                                         "predictions (a score, a probability or a row of probabilities)") from None
        if answer.ndim == 1:
            answer = answer.reshape(-1, 1)
        if answer.ndim != 2 or answer.shape[0] != len(records):
            count = answer.shape[0] if answer.ndim else 1
            raise ModelResponseError(f"the model answered {count} predictions for {len(records)} records; it must "
                                     "answer one prediction (a number or a row of numbers) per record")
        if answer.shape[1] == 0:
            raise ModelResponseError("the model answered empty predictions (no output per record)")
        if self.outputs is None:
            self.outputs = answer.shape[1]
        elif answer.shape[1] != self.outputs:
            raise ModelResponseError(f"the model answered {answer.shape[1]} outputs per record after answering "
                                     f"{self.outputs}; the number of outputs must not change")
        answer = answer.astype(np.float64, copy=False)
        if not np.isfinite(answer).all():
            raise ModelResponseError("the model answered NaN or infinite predictions; SHAP needs finite numbers")
        return answer

    def __call__(self, records: np.ndarray) -> np.ndarray:
        records = np.asarray(records)
        if self._batch_size is None or len(records) <= self._batch_size:
            return self._one(records)
        return np.concatenate([self._one(records[start:start + self._batch_size])
                               for start in range(0, len(records), self._batch_size)])


def is_tree_model(model: Any) -> bool:
    """Whether the exact tree explainer can explain ``model`` (an XGBoost booster or model, a scikit-learn
    tree or tree ensemble).

    >>> is_tree_model(object())
    False
    """
    module = type(model).__module__.split(".", 1)[0]
    if module == "xgboost":
        return True
    if module == "sklearn":
        return hasattr(model, "tree_") or hasattr(model, "estimators_")
    return False


def predict_function(model: Any) -> Predict:
    """The function that answers for a local model as a served model would for explanation: probabilities of
    a classifier (of the positive class only when there are two classes), else its predictions.

    Raises
    ------
    InvalidParameterError
        When the object can predict nothing.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> f = predict_function(LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0]))
    >>> f(np.array([[0.5]])).round(6).tolist()
    [1.0]
    """
    if type(model).__name__ == "Booster" and type(model).__module__.split(".", 1)[0] == "xgboost":
        import xgboost

        return lambda X: model.predict(xgboost.DMatrix(np.asarray(X, dtype=np.float64)))
    if hasattr(model, "predict_proba"):
        def probabilities(X: np.ndarray) -> np.ndarray:
            answer = np.asarray(model.predict_proba(X))
            return answer[:, 1] if answer.ndim == 2 and answer.shape[1] == 2 else answer
        return probabilities
    if hasattr(model, "predict"):
        return lambda X: model.predict(X)
    if callable(model):
        return model
    raise InvalidParameterError(f"cannot predict with a {type(model).__name__}: it has no predict_proba or predict")


def load_local_model(path: Path) -> Any:
    """Load a model file (or the one model file of a folder) with the model server's loaders.

    Raises
    ------
    InvalidParameterError
        Naming the file: none found, several found, or it does not load.
    """
    from sagewatch.serving.errors import ModelLoadError
    from sagewatch.serving.loaders import MODEL_FORMATS, load_model_dir

    path = Path(path)
    try:
        if path.is_dir():
            return load_model_dir(path)
        if not path.is_file():
            raise InvalidParameterError(f"model file {path.name} does not exist")
        for model_format in MODEL_FORMATS:
            if any(path.match(pattern) for pattern in model_format.patterns):
                try:
                    return model_format.load(path)
                except ModelLoadError:
                    raise
                except Exception as error:
                    raise ModelLoadError(f"Cannot load {path.name} as a {model_format.name} model: "
                                         f"{type(error).__name__}: {error}") from error
        known = ", ".join(p for f in MODEL_FORMATS for p in f.patterns)
        raise InvalidParameterError(f"model file {path.name} has no known model file name (one of {known})")
    except ModelLoadError as error:
        raise InvalidParameterError(f"cannot load the model: {error}") from error

