"""Kernel SHAP with the ``shap`` library's ``KernelExplainer`` (what Clarify's ``shap`` method runs).

Determinism: ``KernelExplainer`` draws its coalition samples from NumPy's global random generator and takes
no seed, so :func:`kernel_shap_values` seeds that generator for the duration of the call and puts the
caller's state back afterwards (not thread-safe: do not run two explanations at once in one process).
``l1_reg=False``: every feature gets its value; shap's default feature selection would zero all but ten,
which would make a global ranking of more than ten features meaningless.

Speed: shap's own loop samples a record, calls the model, solves, then goes on to the next record, building
each coalition's rows one at a time in Python. Here the records are sampled by
:class:`~sagewatch.clarify.explain.coalitions.CoalitionSampler` (shap's sampling, rows built at once) on the
calling thread while the model answers the records already sampled on ``concurrency`` worker threads (a
served model: requests in flight while the next record is sampled). The model gets exactly shap's calls
(each record alone, then all its coalitions' rows), and the sampling draws the generator in shap's order, so
the values equal ``KernelExplainer.shap_values`` bit for bit. Records are not merged into one model call:
the answers of many models (scikit-learn's linear models, through BLAS) change in the last bits with the
number of rows per call, and one record's coalitions (``nsamples`` x background rows) already fill an
endpoint request.
"""

from __future__ import annotations

import io
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, redirect_stdout
from typing import Any

import numpy as np

from sagewatch.clarify.explain.attributions import KERNEL_SHAP, LocalAttributions
from sagewatch.clarify.explain.background import Background
from sagewatch.clarify.explain.coalitions import CoalitionSampler, SampledRecord
from sagewatch.errors import InvalidParameterError, ModelResponseError

__all__ = ["kernel_shap_values", "seeded_global_numpy"]


@contextmanager
def seeded_global_numpy(seed: int) -> Iterator[None]:
    """Seed NumPy's global generator inside the block only; the caller's state is restored on exit.

    >>> np.random.seed(1); before = np.random.random()
    >>> np.random.seed(1)
    >>> with seeded_global_numpy(7):
    ...     inside = np.random.random()
    >>> np.random.random() == before
    True
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _logit_checked(model: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    def answer(records: np.ndarray) -> np.ndarray:
        predictions = model(records)
        outside = (predictions <= 0.0) | (predictions >= 1.0)
        if outside.any():
            raise ModelResponseError(f"use_logit needs probabilities strictly between 0 and 1, but the model "
                                     f"answered {float(predictions[outside][0])!r}; set use_logit to false")
        return predictions
    return answer


def _groups(n_features: int, explain: Sequence[int] | None) -> tuple[list[np.ndarray], bool]:
    if explain is None:
        return [np.array([i]) for i in range(n_features)], False
    chosen = list(explain)
    rest = [i for i in range(n_features) if i not in set(chosen)]
    groups = [np.array([i]) for i in chosen]
    if rest:
        groups.append(np.array(rest))  # the features not explained act together as one player
    return groups, bool(rest)


def _answers(model: Callable[[np.ndarray], Any], sampled: SampledRecord,
             background: np.ndarray) -> tuple[Any, Any]:
    """The model's answers to one record and to its coalitions' rows: the calls shap makes, in its order."""
    record_answer = model(sampled.record)
    return record_answer, (None if sampled.masks is None else model(sampled.rows(background)))


def _explain_each(sampler: CoalitionSampler, model: Callable[[np.ndarray], Any], records: np.ndarray, *,
                  concurrency: int) -> list[np.ndarray]:
    """shap's values of every record: sampled here in order, answered by the model on worker threads."""
    values: list[np.ndarray] = []
    pending: deque[tuple[SampledRecord, Future[tuple[Any, Any]]]] = deque()

    def finish_oldest() -> None:
        sampled, answered = pending.popleft()
        values.append(sampler.finish(sampled, *answered.result()))

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sagewatch-kernel-shap")
    try:
        for i in range(len(records)):
            sampled = sampler.sample(records[i:i + 1])
            pending.append((sampled, pool.submit(_answers, model, sampled, sampler.background)))
            while len(pending) > 2 * concurrency:  # a few records ahead of the model, not all in memory
                finish_oldest()
        while pending:
            finish_oldest()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return values


def kernel_shap_values(model: Callable[[np.ndarray], np.ndarray], records: np.ndarray, background: Background, *,
                       num_samples: int | None = None, seed: int = 0, use_logit: bool = False,
                       explain: Sequence[int] | None = None, concurrency: int = 1) -> LocalAttributions:
    """Local Kernel SHAP values of ``records``.

    Parameters
    ----------
    model : callable
        ``model(X) -> (n, labels)`` float array (a :class:`~sagewatch.clarify.explain.model.CheckedModel`).
    records : ndarray
        ``(n, features)`` numbers to explain.
    background : Background
        Rows that stand in for absent features, with weights.
    num_samples : int, optional
        Coalitions sampled per record; ``None``: the library's ``"auto"`` (``2 * features + 2048``).
    seed : int
        Seed of the coalition sampling: the same inputs give the same values, bit for bit.
    use_logit : bool
        Explain log-odds (the logit link) instead of the model's answers (which must be probabilities).
    explain : sequence of int, optional
        Column indexes of the features to explain; the others are one coalition (``rest``).
    concurrency : int
        Model calls in flight at once, on worker threads, while the next records are sampled (``model`` must
        then be safe to call from several threads; an endpoint is). The values do not depend on it.

    Examples
    --------
    >>> from sagewatch.clarify.explain.background import Background
    >>> linear = lambda X: (2.0 * X[:, :1] + X[:, 1:2])
    >>> local = kernel_shap_values(linear, np.array([[1.0, 1.0]]), Background(np.zeros((1, 2)), np.ones(1), "rows"))
    >>> local.values.round(9).tolist(), local.expected_values.tolist()
    ([[[2.0, 1.0]]], [0.0])
    """
    from shap.utils._legacy import DenseData  # shap's data holder with feature groups (0.42 and later)

    records = np.asarray(records, dtype=np.float64)
    if records.ndim != 2 or len(records) == 0:
        raise InvalidParameterError("kernel SHAP needs a non-empty (records, features) array")
    if num_samples is not None and num_samples < 2:
        raise InvalidParameterError(f"num_samples must be at least 2 for Kernel SHAP, got {num_samples}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidParameterError(f"concurrency must be a whole number of at least 1, got {concurrency!r}")
    groups, has_rest = _groups(records.shape[1], explain)
    names = [str(i) for i in range(len(groups))]
    data = DenseData(background.data, names, groups, background.weights.copy())
    answer = _logit_checked(model) if use_logit else model
    predictions = answer(records)  # the model's answers are checked on the records first
    link = "logit" if use_logit else "identity"
    with seeded_global_numpy(seed), warnings.catch_warnings(), redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore", UserWarning)  # shap's advice about background sizes
        sampler = CoalitionSampler(answer, data, link, num_samples or "auto")
        values = np.asarray(np.stack(_explain_each(sampler, answer, records, concurrency=concurrency)),
                            dtype=np.float64)
    if values.ndim == 2:  # a single output given as (n,) would come back (n, groups)
        values = values[:, :, None]
    values = values.transpose(0, 2, 1)  # (n, labels, groups)
    expected = np.atleast_1d(np.asarray(sampler.expected_value, dtype=np.float64))
    if use_logit:
        predictions = np.log(predictions / (1.0 - predictions))
    explained = values[:, :, :-1] if has_rest else values
    rest = values[:, :, -1] if has_rest else np.zeros(values.shape[:2])
    return LocalAttributions(KERNEL_SHAP, np.ascontiguousarray(explained), expected, predictions, rest)
