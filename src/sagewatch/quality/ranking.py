"""ROC and precision-recall curves and the ROC AUC of a binary classifier from one sort of its scores.

scikit-learn's ``roc_curve``, ``precision_recall_curve`` and ``roc_auc_score`` each validate and sort their input
again (eight sorts of a million scores for one model-quality statistics file with its five resamples). Here the
rows are sorted by score once (:class:`ScoreOrder`); a resample is the sorted rows it holds, picked in one pass,
and each curve is the arithmetic of scikit-learn 1.x's ``confusion_matrix_at_thresholds``, ``roc_curve`` and
``precision_recall_curve`` (``sklearn/metrics/_ranking.py``) on those arrays: the same points, bit for bit. The
area is scikit-learn's own ``auc`` (trapezoids) on those points. ``tests/unit/quality/test_ranking.py`` checks
every result against scikit-learn on random data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import auc

__all__ = ["ScoreOrder", "counts_at_thresholds", "sorted_roc_curve", "sorted_precision_recall_curve",
           "sorted_roc_auc"]


@dataclass(frozen=True)
class ScoreOrder:
    """Rows sorted by score, highest first: ``order`` (row indexes), ``score`` and ``truth`` in that order.

    >>> s = ScoreOrder.of(np.array([True, False, True]), np.array([0.2, 0.9, 0.4]))
    >>> s.score.tolist(), s.truth.tolist()
    ([0.9, 0.4, 0.2], [False, True, True])
    """

    order: np.ndarray
    score: np.ndarray
    truth: np.ndarray
    counts: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", self._counts())

    @classmethod
    def of(cls, truth: np.ndarray, score: np.ndarray) -> ScoreOrder:
        """Sort once; ties may come in any order (the curves only read the ends of runs of equal scores)."""
        score = np.asarray(score, dtype=np.float64)
        order = np.argsort(-score)
        return cls(order, score[order], np.asarray(truth, dtype=bool)[order])

    def subset(self, rows: np.ndarray) -> ScoreOrder:
        """The rows at indexes ``rows`` (of the unsorted data), still sorted, without sorting again."""
        chosen = np.zeros(len(self.order), dtype=bool)
        chosen[rows] = True
        keep = chosen[self.order]
        return ScoreOrder(self.order[keep], self.score[keep], self.truth[keep])

    def __len__(self) -> int:
        return len(self.order)

    def _counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`counts_at_thresholds`, derived once with the order for the ROC curve, its area and the PR curve."""
        n = len(self)
        threshold_idxs = np.empty(0, dtype=np.int64) if n == 0 else \
            np.concatenate([np.flatnonzero(np.diff(self.score)), [n - 1]])
        # integer counts are exact in float64 below 2**53: the same values as scikit-learn's float cumulative sum
        tps = np.cumsum(self.truth, dtype=np.int64)[threshold_idxs].astype(np.float64)
        fps = 1 + threshold_idxs.astype(np.float64) - tps
        out = (fps, tps, self.score[threshold_idxs])
        for array in out:  # shared by every caller
            array.flags.writeable = False
        return out


def counts_at_thresholds(ranked: ScoreOrder) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fps, tps, thresholds)``: false and true positives (floats) when every score ≥ threshold is positive,
    one entry per distinct score, highest first (scikit-learn's ``confusion_matrix_at_thresholds``).

    >>> fps, tps, thresholds = counts_at_thresholds(ScoreOrder.of(np.array([1, 0, 1]), np.array([0.8, 0.8, 0.3])))
    >>> fps.tolist(), tps.tolist(), thresholds.tolist()
    ([1.0, 1.0], [1.0, 2.0], [0.8, 0.3])
    """
    return ranked.counts


def sorted_roc_curve(ranked: ScoreOrder) -> tuple[np.ndarray, np.ndarray]:
    """``(fpr, tpr)`` of scikit-learn's ``roc_curve(..., drop_intermediate=True)``; NaN rates when a class is
    absent.

    >>> fpr, tpr = sorted_roc_curve(ScoreOrder.of(np.array([1, 0, 0, 0]), np.array([1.0, 1.0, 1.0, 0.0])))
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.6666666666666666, 1.0], [0.0, 1.0, 1.0])
    """
    fps, tps, _ = counts_at_thresholds(ranked)
    if len(fps) > 2:  # drop points on a straight line between their neighbours
        keep = np.flatnonzero(np.concatenate([[True], np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), [True]]))
        fps, tps = fps[keep], tps[keep]
    tps = np.concatenate([[0.0], tps])
    fps = np.concatenate([[0.0], fps])
    fpr = np.full(fps.shape, np.nan) if fps[-1] <= 0 else fps / fps[-1]
    tpr = np.full(tps.shape, np.nan) if tps[-1] <= 0 else tps / tps[-1]
    return fpr, tpr


def sorted_precision_recall_curve(ranked: ScoreOrder) -> tuple[np.ndarray, np.ndarray]:
    """``(precision, recall)`` of scikit-learn's ``precision_recall_curve(..., drop_intermediate=True)``: recall
    decreasing, ending at precision 1, recall 0.

    >>> p, r = sorted_precision_recall_curve(ScoreOrder.of(np.array([1, 0, 1]), np.array([0.9, 0.5, 0.1])))
    >>> p.tolist(), r.tolist()
    ([0.6666666666666666, 0.5, 1.0, 1.0], [1.0, 0.5, 0.5, 0.0])
    """
    fps, tps, _ = counts_at_thresholds(ranked)
    if len(fps) > 2:  # keep the first and last point of every run of equal true positives
        keep = np.flatnonzero(np.concatenate([[True], np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), [True]]))
        fps, tps = fps[keep], tps[keep]
    predicted = tps + fps
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted != 0, np.divide(tps, predicted), 0.0)
    recall = np.full(tps.shape, 1.0) if len(tps) and tps[-1] == 0 else tps / tps[-1] if len(tps) else tps
    return np.concatenate([precision[::-1], [1.0]]), np.concatenate([recall[::-1], [0.0]])


def sorted_roc_auc(ranked: ScoreOrder) -> float:
    """Area under the ROC curve (scikit-learn's ``roc_auc_score``); NaN when the labels hold one class.

    >>> sorted_roc_auc(ScoreOrder.of(np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.4, 0.6])))
    0.75
    """
    positives = int(np.count_nonzero(ranked.truth))
    if positives == 0 or positives == len(ranked):
        return float("nan")
    fpr, tpr = sorted_roc_curve(ranked)
    return float(auc(fpr, tpr))
