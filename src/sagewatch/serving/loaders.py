"""Find and load the model file of a model folder when ``inference.py`` has no ``model_fn``.

The formats are tried in the order of :data:`MODEL_FORMATS`, and within a format pattern by pattern; the
first pattern that matches exactly one file wins. A pattern matching several files is an error naming
them (write a ``model_fn`` to choose). Only the top level of the model folder is searched.

==========  ======================================================  ===========================
format      file names, in order                                    loaded with
==========  ======================================================  ===========================
joblib      ``model.joblib``, ``*.joblib``                          ``joblib.load``
pickle      ``model.pkl``, ``model.pickle``, ``*.pkl``, ``*.pickle``  ``joblib.load`` (reads pickles)
xgboost     ``xgboost-model``, ``*.ubj``, ``*.bst``, ``*.json``       ``xgboost.Booster.load_model``
==========  ======================================================  ===========================

``xgboost-model`` is the name SageMaker's XGBoost container writes; older versions of that container
pickled the booster, so a file that ``load_model`` rejects is read as a pickle. xgboost is imported only
when an xgboost file is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagewatch.serving.errors import ModelLoadError

__all__ = ["MODEL_FORMATS", "ModelFormat", "find_model_file", "is_xgboost_booster", "load_model_dir"]


@dataclass(frozen=True)
class ModelFormat:
    """A model file format: its name, the file names it claims (glob patterns, in order) and its loader."""

    name: str
    patterns: tuple[str, ...]
    load: Callable[[Path], Any]


def _load_joblib(path: Path) -> Any:
    import joblib

    return joblib.load(path)


def _import_xgboost(path: Path) -> Any:
    try:
        return importlib.import_module("xgboost")
    except ImportError as error:
        raise ModelLoadError(
            f"The model file {path.name} is an XGBoost model, but the xgboost package is not installed in "
            "this environment (pip install xgboost)."
        ) from error


def _load_xgboost(path: Path) -> Any:
    xgboost = _import_xgboost(path)
    booster = xgboost.Booster()
    try:
        booster.load_model(str(path))
    except xgboost.core.XGBoostError as error:
        if path.suffix in (".json", ".ubj"):
            raise ModelLoadError(f"{path.name} is not an XGBoost model: {error}") from error
        return _load_joblib(path)  # a pickled booster (SageMaker XGBoost container before 1.3)
    return booster


MODEL_FORMATS: tuple[ModelFormat, ...] = (
    ModelFormat("joblib", ("model.joblib", "*.joblib"), _load_joblib),
    ModelFormat("pickle", ("model.pkl", "model.pickle", "*.pkl", "*.pickle"), _load_joblib),
    ModelFormat("xgboost", ("xgboost-model", "*.ubj", "*.bst", "*.json"), _load_xgboost),
)
"""Model file formats in order of preference."""


def find_model_file(model_dir: Path) -> tuple[Path, ModelFormat]:
    """The model file of *model_dir* and its format.

    Parameters
    ----------
    model_dir : Path
        The extracted model artefacts.

    Returns
    -------
    (Path, ModelFormat)

    Raises
    ------
    ModelLoadError
        If no file matches, or the first matching pattern matches several files.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as name:
    ...     for file in ("model.joblib", "extra.joblib", "model.pkl"):
    ...         _ = (Path(name) / file).write_bytes(b"")
    ...     path, model_format = find_model_file(Path(name))
    >>> path.name, model_format.name
    ('model.joblib', 'joblib')
    """
    if not model_dir.is_dir():
        raise ModelLoadError(f"The model folder {model_dir} does not exist.")
    files = sorted(path for path in model_dir.iterdir() if path.is_file())
    for model_format in MODEL_FORMATS:
        for pattern in model_format.patterns:
            matches = [path for path in files if path.match(pattern)]
            if len(matches) == 1:
                return matches[0], model_format
            if len(matches) > 1:
                names = ", ".join(path.name for path in matches)
                raise ModelLoadError(
                    f"The model folder has several {model_format.name} model files ({names}); keep one, or "
                    "choose with model_fn(model_dir) in code/inference.py."
                )
    present = ", ".join(path.name for path in files) or "no files"
    expected = ", ".join(pattern for model_format in MODEL_FORMATS for pattern in model_format.patterns)
    raise ModelLoadError(
        f"No model file in the model folder (it has: {present}). Expected one of {expected}, or "
        "code/inference.py with model_fn(model_dir)."
    )


def load_model_dir(model_dir: Path) -> Any:
    """Load the model file of *model_dir* (the default ``model_fn``).

    Raises
    ------
    ModelLoadError
        If there is no single model file, xgboost is missing for an XGBoost file, or loading fails.
    """
    path, model_format = find_model_file(model_dir)
    try:
        return model_format.load(path)
    except ModelLoadError:
        raise
    except Exception as error:
        raise ModelLoadError(f"Cannot load {path.name} as a {model_format.name} model: "
                             f"{type(error).__name__}: {error}") from error


def is_xgboost_booster(model: Any) -> bool:
    """Whether *model* is a native ``xgboost.Booster`` (which predicts on a ``DMatrix``), without importing xgboost.

    Examples
    --------
    >>> is_xgboost_booster(object())
    False
    """
    kind = type(model)
    return kind.__name__ == "Booster" and kind.__module__.split(".", 1)[0] == "xgboost"
