"""Tell input the model refuses (a client error, 400) from a model that fails (500), for the default ``predict_fn``.

An exception of the default ``predict_fn`` is the client's fault when

- it comes from scikit-learn's input validation (``sklearn.utils.validation``: a wrong feature count,
  NaN or infinity the estimator does not take, text where it takes numbers, an array of the wrong
  dimension), whichever step of a pipeline raises it;
- the rows do not have the feature count a native XGBoost Booster was trained with, or cannot be made
  into an ``xgboost.DMatrix``;
- the model raises ``ValueError`` or ``TypeError`` and the rows hold text or non-finite values (what a
  model of plain numbers cannot take).

Anything else the model raises on finite numbers, and every exception of a user's own ``predict_fn``,
stays the model's error (500): the server cannot know whether the script or the request is at fault.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import numpy as np

from sagewatch.serving.errors import BadRequestError

__all__ = ["InputRejectedError", "check_booster_input", "is_validation_error", "rejected_input"]

_VALIDATION_MODULES = frozenset({"sklearn.utils.validation", "sklearn.utils._array_api"})


class InputRejectedError(BadRequestError):
    """The rows of a request do not fit the model (400); the message is the model's own, ``<type>: <text>``."""


def _frames(traceback: TracebackType | None) -> list[str]:
    names: list[str] = []
    while traceback is not None:
        names.append(str(traceback.tb_frame.f_globals.get("__name__", "")))
        traceback = traceback.tb_next
    return names


def is_validation_error(error: BaseException) -> bool:
    """Whether *error* was raised by scikit-learn's input validation.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> model = LinearRegression().fit([[0.0, 1.0], [1.0, 0.0]], [0.0, 1.0])
    >>> try:
    ...     model.predict([[1.0, 2.0, 3.0]])
    ... except ValueError as error:
    ...     is_validation_error(error)
    True
    >>> is_validation_error(ValueError("raised elsewhere"))
    False
    """
    return any(name in _VALIDATION_MODULES for name in _frames(error.__traceback__))


def _unusable_values(data: Any) -> str | None:
    """What in *data* a model of plain numbers cannot take: text or non-finite values; ``None`` if nothing."""
    if not isinstance(data, np.ndarray):
        return None
    if data.dtype == object or data.dtype.kind in "USV":
        return "the rows have text values where the model takes numbers"
    if data.dtype.kind in "fc" and not np.isfinite(data).all():
        return "the rows have missing (NaN) or infinite values"
    return None


def rejected_input(error: Exception, data: Any) -> InputRejectedError | None:
    """The 400 for *error* raised by the default ``predict_fn`` on *data*, or ``None`` when it is the model's fault.

    Examples
    --------
    >>> rejected_input(TypeError("unsupported operand"), np.array([[1, "a"]], dtype=object))
    InputRejectedError('TypeError: unsupported operand (the rows have text values where the model takes numbers)')
    >>> rejected_input(ValueError("model bug"), np.array([[1.0, 2.0]])) is None
    True
    """
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, (ValueError, TypeError)) and is_validation_error(error):
        return InputRejectedError(text)
    if isinstance(error, (ValueError, TypeError)):
        reason = _unusable_values(data)
        if reason is not None:
            return InputRejectedError(f"{text} ({reason})")
    return None


def check_booster_input(data: Any, model: Any) -> None:
    """400 unless *data* has the feature count of the native XGBoost Booster *model*.

    Booster's own error for a mismatch is a C++ ``XGBoostError``; this says it as scikit-learn does.
    """
    shape = getattr(data, "shape", None)
    try:
        expected = int(model.num_features())
    except Exception:  # noqa: BLE001 - an old Booster without num_features: leave the check to xgboost
        return
    if shape is not None and len(shape) == 2 and expected > 0 and shape[1] != expected:
        raise InputRejectedError(f"ValueError: X has {shape[1]} features, but the XGBoost Booster is expecting "
                                 f"{expected} features as input.")
