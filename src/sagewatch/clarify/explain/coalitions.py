"""Kernel SHAP split in two: shap's coalition sampling for a record, then shap's solve on the model's answers.

``shap.KernelExplainer.shap_values`` explains one record at a time: it samples coalitions (masks over the
features), writes the synthetic rows of each coalition one by one in Python (``addsample``), calls the model,
and solves a weighted least-squares problem. :class:`CoalitionSampler` is that explainer with two changes:

- ``addsample`` keeps only the coalition's mask and weight, and the rows of all coalitions are built in one
  vectorised step (:meth:`SampledRecord.rows`): the same numbers, about a third of the time gone;
- the model is not called inside ``explain``: :meth:`CoalitionSampler.sample` returns a :class:`SampledRecord`
  holding what ``solve`` needs, and :meth:`CoalitionSampler.finish` puts it back and runs shap's own ``run``
  and ``solve`` on the model's answers, so the model calls can run elsewhere (a thread, another process)
  while the next record is sampled.

The sampling itself (``np.random.choice``, one ``np.random.permutation`` per coalition, duplicate masks
counted twice) is shap's code, unchanged, so the global NumPy generator is drawn exactly as shap draws it;
the model gets exactly the calls shap makes (one ``(1, features)`` call for the record, one call with all
its coalitions' rows), so the values equal ``KernelExplainer.shap_values`` bit for bit for any model that
answers the same rows the same way. Dense numeric data only (what :mod:`sagewatch.clarify.explain.kernel`
gives it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CoalitionSampler", "SampledRecord"]


@dataclass(frozen=True)
class SampledRecord:
    """One record's coalitions, sampled and not yet evaluated.

    ``record`` is the ``(1, features)`` row; ``masks`` is ``None`` for a record where at most one feature
    group differs from the background (no coalition to evaluate).
    """

    record: np.ndarray
    masks: np.ndarray | None = None  # (nsamples, M) 0/1, rows past ``added`` zero
    weights: np.ndarray | None = None  # (nsamples,) kernel weights
    added: int = 0  # coalitions sampled (at most nsamples)
    groups: Any = None  # shap's varyingFeatureGroups: the feature indexes of each varying group
    varying: np.ndarray | None = None  # shap's varyingInds
    nsamples: int = 0
    max_samples: int = 0
    l1_reg: Any = False

    def rows(self, background: np.ndarray) -> np.ndarray:
        """The synthetic rows of every sampled coalition, ``(added * background rows, features)``, in shap's
        order: coalition by coalition, each with every background row, the coalition's features taken from
        the record (``KernelExplainer.addsample`` writes the same values one coalition at a time)."""
        assert self.masks is not None
        n_features = background.shape[1]
        chosen = np.zeros((self.added, n_features), dtype=bool)
        masks = self.masks[:self.added] == 1.0
        if isinstance(self.groups, list):  # groups of different sizes
            for j, group in enumerate(self.groups):
                chosen[:, np.asarray(group, dtype=np.intp)] |= masks[:, j:j + 1]
        else:
            groups = np.asarray(self.groups)
            if groups.ndim == 1:
                chosen[:, groups] = masks
            else:  # groups of equal sizes
                for j in range(groups.shape[0]):
                    chosen[:, groups[j]] |= masks[:, j:j + 1]
        rows = np.where(chosen[:, None, :], self.record[0][None, None, :], background[None, :, :])
        return rows.reshape(-1, n_features)


class _Answers:
    """The model as shap sees it: the real model while the explainer is built (the background's answers),
    then whatever :class:`CoalitionSampler` puts in ``answer``."""

    def __init__(self, model: Callable[[np.ndarray], Any]) -> None:
        self.model: Callable[[np.ndarray], Any] | None = model
        self.answer: Any = None

    def __call__(self, data: np.ndarray) -> Any:
        if self.model is not None:
            return self.model(data)
        return self.answer


@functools.cache
def _sampler_class() -> type:
    import shap

    class _Sampler(shap.KernelExplainer):  # type: ignore[misc]
        def allocate(self) -> None:  # shap's allocate without the tiled synthetic rows (built at once later)
            self.maskMatrix = np.zeros((self.nsamples, self.M))
            self.kernelWeights = np.zeros(self.nsamples)
            self.y = np.zeros((self.nsamples * self.N, self.D))
            self.ey = np.zeros((self.nsamples, self.D))
            self.lastMask = np.zeros(self.nsamples)
            self.nsamplesAdded = 0
            self.nsamplesRun = 0

        def addsample(self, x: Any, m: np.ndarray, w: float) -> None:
            self.maskMatrix[self.nsamplesAdded, :] = m
            self.kernelWeights[self.nsamplesAdded] = w
            self.nsamplesAdded += 1

        def run(self) -> None:  # sampling ends here: keep the coalitions, call no model
            self.sampled = True

        def solve(self, fraction_evaluated: float, dim: int) -> tuple[np.ndarray, np.ndarray]:
            if getattr(self, "sampled", False):
                return np.zeros(self.M), np.ones(self.M)  # provisional: finish() overwrites them
            return super().solve(fraction_evaluated, dim)

    return _Sampler


class CoalitionSampler:
    """shap's ``KernelExplainer`` in two steps per record: :meth:`sample`, then :meth:`finish`.

    Parameters
    ----------
    model : callable
        ``model(X)``; called once here on the background rows (shap's expected value), as shap does.
    data : shap DenseData
        Background rows, feature groups and weights.
    link : {"identity", "logit"}
        shap's link.
    nsamples : int or "auto"
        Coalitions per record.

    Examples
    --------
    >>> from shap.utils._legacy import DenseData
    >>> linear = lambda X: 2.0 * X[:, 0] + X[:, 1]
    >>> sampler = CoalitionSampler(linear, DenseData(np.zeros((1, 2)), ["a", "b"]), "identity", "auto")
    >>> sampled = sampler.sample(np.array([[1.0, 1.0]]))
    >>> sampler.finish(sampled, linear(sampled.record), linear(sampled.rows(np.zeros((1, 2))))).round(9).tolist()
    [2.0, 1.0]
    """

    def __init__(self, model: Callable[[np.ndarray], Any], data: Any, link: str, nsamples: int | str) -> None:
        self._answers = _Answers(model)
        self._explainer = _sampler_class()(self._answers, data, link=link)
        self._answers.model = None
        self._nsamples = nsamples
        self.background = np.asarray(data.data)
        self.expected_value = self._explainer.expected_value

    def _explain(self, record: np.ndarray) -> np.ndarray:
        return self._explainer.explain(record, nsamples=self._nsamples, l1_reg=False)

    def sample(self, record: np.ndarray) -> SampledRecord:
        """Sample the coalitions of one ``(1, features)`` record (draws NumPy's global generator as shap does)."""
        explainer = self._explainer
        explainer.sampled = False
        # the record's own answer is only read by solve (later) or, with at most one varying group, for phi;
        # that case draws no random numbers, so finish() explains it again with the real answer
        self._answers.answer = np.zeros((1, explainer.D)) if explainer.vector_out else np.zeros(1)
        self._explain(record)  # values are provisional until finish()
        if not explainer.sampled:
            return SampledRecord(record)
        return SampledRecord(record, explainer.maskMatrix, explainer.kernelWeights, explainer.nsamplesAdded,
                             explainer.varyingFeatureGroups, explainer.varyingInds, explainer.nsamples,
                             explainer.max_samples, explainer.l1_reg)

    def finish(self, sampled: SampledRecord, record_answer: Any, rows_answer: Any) -> np.ndarray:
        """shap's values of the record from the model's answer to the record and to ``sampled.rows(...)``
        (``None`` when the record has no coalitions to evaluate)."""
        explainer = self._explainer
        explainer.sampled = False
        if sampled.masks is None:
            self._answers.answer = record_answer
            return self._explain(sampled.record)
        explainer.M = sampled.masks.shape[1]
        explainer.varyingInds, explainer.varyingFeatureGroups = sampled.varying, sampled.groups
        explainer.nsamples, explainer.max_samples, explainer.l1_reg = (sampled.nsamples, sampled.max_samples,
                                                                      sampled.l1_reg)
        explainer.maskMatrix, explainer.kernelWeights = sampled.masks, sampled.weights
        explainer.y = np.zeros((sampled.nsamples * explainer.N, explainer.D))
        explainer.ey = np.zeros((sampled.nsamples, explainer.D))
        explainer.nsamplesAdded, explainer.nsamplesRun = sampled.added, 0
        explainer.fx = record_answer[0] if explainer.vector_out else np.array([record_answer[0]])
        self._answers.answer = rows_answer
        explainer.synth_data = np.empty((sampled.added * explainer.N, 0))  # run() slices it for the model call
        import shap

        shap.KernelExplainer.run(explainer)  # shap's run: the answers into y, the expected value per mask
        phi = np.zeros((explainer.data.groups_size, explainer.D))
        for d in range(explainer.D):  # the tail of shap's explain
            vphi, _ = explainer.solve(sampled.nsamples / sampled.max_samples, d)
            phi[sampled.varying, d] = vphi
        return phi if explainer.vector_out else np.squeeze(phi, axis=1)
