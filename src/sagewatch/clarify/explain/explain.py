"""One explainability run: local SHAP values, global values by ``agg_method``, and Clarify's output files.

:func:`explain_records` takes the records, the feature names, the ``shap`` settings and a model (a plain
``predict`` callable for Kernel SHAP, a tree model object for the exact tree explainer) and returns an
:class:`Explanation`, which lays out ``analysis.json`` (``explanations.<explainer>``, contract §7.5) and
``explanations_shap/out.csv``.

Global SHAP values (SDK ``SHAPConfig`` docstring): ``mean_abs`` the mean of absolute local values, ``median``
the median of the local values (signed), ``mean_sq`` the mean of squared local values.
Labels are ``label0``, ``label1``, ... per model output, or the ``label_headers`` (one per output; a model
with one output and two headers is explained for the second, positive, header).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sagewatch.clarify.explain.attributions import EXPLAINERS, KERNEL_SHAP, TREE_SHAP, LocalAttributions
from sagewatch.clarify.explain.background import resolve_background
from sagewatch.clarify.explain.kernel import kernel_shap_values
from sagewatch.clarify.explain.model import CheckedModel, predict_function
from sagewatch.clarify.explain.settings import ShapSettings
from sagewatch.clarify.explain.tree import tree_shap_values
from sagewatch.errors import InvalidParameterError
from sagewatch.schemas.explainability import (ANALYSIS_FILE, LOCAL_SHAP_FILE, dumps_explanations,
                                              explanations_document, local_shap_csv)

__all__ = ["Explanation", "explain_records", "global_shap_values", "label_names", "resolve_features"]

_AGGREGATES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean_abs": lambda v: np.mean(np.abs(v), axis=0),
    "median": lambda v: np.median(v, axis=0),
    "mean_sq": lambda v: np.mean(v * v, axis=0),
}


def global_shap_values(local: np.ndarray, agg_method: str = "mean_abs") -> np.ndarray:
    """Aggregate local values ``(records, ...)`` over the records.

    >>> global_shap_values(np.array([[1.0, -2.0], [-3.0, 2.0]]), "mean_abs").tolist()
    [2.0, 2.0]
    >>> global_shap_values(np.array([[1.0, -2.0], [-3.0, 2.0]]), "median").tolist()
    [-1.0, 0.0]
    >>> global_shap_values(np.array([[1.0, -2.0], [-3.0, 2.0]]), "mean_sq").tolist()
    [5.0, 4.0]
    """
    try:
        aggregate = _AGGREGATES[agg_method]
    except KeyError:
        raise InvalidParameterError(f"agg_method must be one of {', '.join(_AGGREGATES)}, got {agg_method!r}") \
            from None
    return aggregate(np.asarray(local, dtype=np.float64))


def resolve_features(features_to_explain: Sequence[str | int] | None, feature_names: Sequence[str]) -> list[int] | None:
    """Column indexes of ``features_to_explain`` (names or zero-based indexes), in the order given.

    >>> resolve_features(["b", 0], ["a", "b", "c"])
    [1, 0]
    >>> resolve_features(["z"], ["a", "b"])
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: shap: features_to_explain names 'z', which is not a feature; the features are: a, b
    """
    if features_to_explain is None:
        return None
    names = list(feature_names)
    chosen: list[int] = []
    for feature in features_to_explain:
        if isinstance(feature, int) and not isinstance(feature, bool):
            if not 0 <= feature < len(names):
                raise InvalidParameterError(f"shap: features_to_explain index {feature} is out of range; there are "
                                            f"{len(names)} features")
            index = feature
        elif feature in names:
            index = names.index(feature)
        else:
            shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
            raise InvalidParameterError(f"shap: features_to_explain names {feature!r}, which is not a feature; "
                                        f"the features are: {shown}")
        if index in chosen:
            raise InvalidParameterError(f"shap: features_to_explain names feature {names[index]!r} twice")
        chosen.append(index)
    return chosen


def label_names(outputs: int, label_headers: Sequence[str] | None = None) -> list[str]:
    """The label keys of ``analysis.json`` for a model with ``outputs`` outputs.

    >>> label_names(2), label_names(1, ["no", "yes"]), label_names(3, ["a", "b", "c"])
    (['label0', 'label1'], ['yes'], ['a', 'b', 'c'])
    """
    if not label_headers:
        return [f"label{j}" for j in range(outputs)]
    headers = [str(h) for h in label_headers]
    if len(headers) == outputs:
        return headers
    if outputs == 1 and len(headers) == 2:  # a probability of the positive class
        return headers[1:]
    raise InvalidParameterError(f"label_headers names {len(headers)} labels but the model answers {outputs} "
                                f"output{'s' if outputs != 1 else ''} per record; give one header per output")


@dataclass(frozen=True)
class Explanation:
    """The result of one run: local values, global values ``(labels, features)`` and the names of both."""

    local: LocalAttributions
    feature_names: tuple[str, ...]
    label_names: tuple[str, ...]
    global_values: np.ndarray
    agg_method: str

    @property
    def explainer(self) -> str:
        return self.local.explainer

    def analysis_document(self) -> dict[str, Any]:
        """``analysis.json`` as a dict (contract §7.5)."""
        return explanations_document(self.explainer, {
            label: (dict(zip(self.feature_names, self.global_values[j].tolist())),
                    float(self.local.expected_values[j]))
            for j, label in enumerate(self.label_names)})

    def local_csv(self) -> str:
        """``explanations_shap/out.csv``: ``<feature>_<label>`` columns, label by label."""
        columns = [f"{feature}_{label}" for label in self.label_names for feature in self.feature_names]
        return local_shap_csv(columns, self.local.values.reshape(len(self.local.values), -1))

    def files(self, *, save_local_shap_values: bool = True) -> dict[str, str]:
        """File name → text of the run's result files."""
        files = {ANALYSIS_FILE: dumps_explanations(self.analysis_document())}
        if save_local_shap_values:
            files[LOCAL_SHAP_FILE] = self.local_csv()
        return files


def _numbers(records: Any, n_features: int) -> np.ndarray:
    try:
        data = np.asarray(records, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError("the records to explain must be numbers (encode categorical features first)") \
            from None
    if data.ndim != 2 or len(data) == 0:
        raise InvalidParameterError("the records to explain must be a non-empty (records, features) table")
    if data.shape[1] != n_features:
        raise InvalidParameterError(f"the records have {data.shape[1]} columns but {n_features} feature names "
                                    "were given")
    if not np.isfinite(data).all():
        raise InvalidParameterError("the records to explain hold missing, NaN or infinite values")
    return data


def explain_records(records: Any, feature_names: Sequence[str], settings: ShapSettings, *,
                    predict: Callable[[np.ndarray], Any] | None = None, model: Any = None,
                    explainer: str = KERNEL_SHAP, label_headers: Sequence[str] | None = None,
                    batch_size: int | None = None, base_dir: Path | None = None,
                    concurrency: int = 1) -> Explanation:
    """Explain ``records`` with SHAP.

    Parameters
    ----------
    records : array-like
        ``(n, features)`` numbers, one column per name of ``feature_names``.
    feature_names : sequence of str
        The dataset's feature names (``headers`` without the label).
    settings : ShapSettings
        The ``shap`` method.
    predict : callable, optional
        ``predict(X) -> (n,) or (n, outputs)``; required for Kernel SHAP unless ``model`` is given.
    model : object, optional
        A local model; the exact tree explainer needs it, Kernel SHAP predicts with it when ``predict`` is unset.
    explainer : {"kernel_shap", "tree_shap"}
        Kernel SHAP (Clarify's) or sagewatch's exact tree explainer.
    label_headers : sequence of str, optional
        Names of the model outputs.
    batch_size : int, optional
        Records per ``predict`` call.
    base_dir : Path, optional
        Where a relative baseline file name is looked up.
    concurrency : int
        Kernel SHAP: ``predict`` calls in flight at once, on worker threads (see
        :func:`~sagewatch.clarify.explain.kernel.kernel_shap_values`); the values do not depend on it.

    Examples
    --------
    >>> from sagewatch.clarify.explain.settings import ShapSettings
    >>> run = explain_records([[1.0, 3.0], [3.0, 1.0]], ["a", "b"], ShapSettings(baseline=((0, 0),)),
    ...                       predict=lambda X: 2 * X[:, 0] + X[:, 1])
    >>> run.analysis_document()["explanations"]["kernel_shap"]["label0"]
    {'global_shap_values': {'a': 4.0, 'b': 2.0}, 'expected_value': 0.0}
    """
    if explainer not in EXPLAINERS:
        raise InvalidParameterError(f"explainer must be one of {', '.join(EXPLAINERS)}, got {explainer!r}")
    names = [str(name) for name in feature_names]
    if len(set(names)) != len(names):
        raise InvalidParameterError("feature names must be unique")
    data = _numbers(records, len(names))
    explain = resolve_features(settings.features_to_explain, names)
    background = resolve_background(settings, data, base_dir=base_dir)
    if explainer == TREE_SHAP:
        if model is None:
            raise InvalidParameterError("the exact tree explainer needs the model object (model=...), not a "
                                        "predict function")
        local = tree_shap_values(model, data, background, use_logit=settings.use_logit)
        if explain is not None:
            rest = [i for i in range(len(names)) if i not in set(explain)]
            local = LocalAttributions(local.explainer, np.ascontiguousarray(local.values[:, :, explain]),
                                      local.expected_values, local.predictions,
                                      local.values[:, :, rest].sum(axis=2))
    else:
        if predict is None and model is None:
            raise InvalidParameterError("Kernel SHAP needs a predict function (predict=...) or a model")
        checked = CheckedModel(predict if predict is not None else predict_function(model), batch_size=batch_size)
        local = kernel_shap_values(checked, data, background, num_samples=settings.num_samples, seed=settings.seed,
                                   use_logit=settings.use_logit, explain=explain, concurrency=concurrency)
    labels = label_names(local.values.shape[1], label_headers)
    explained = names if explain is None else [names[i] for i in explain]
    values = global_shap_values(local.values, settings.agg_method)  # (labels, features)
    return Explanation(local, tuple(explained), tuple(labels), values, settings.agg_method)
