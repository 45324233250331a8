"""The counts every bias metric is computed from, taken in one vectorised pass (``numpy.bincount``).

For a facet with groups ``d`` (the sensitive rows) and ``a`` (the rest), :class:`FacetCounts` holds the
2×2 table ``[label][predicted]`` of each group, the per-group counts of ``group_variable`` that CDDL and
CDDPL need, and the whole dataset's table (GE). A categorical facet measured value by value ("one vs
all") is counted once for all its values (:func:`facet_counts_by_code`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GroupCounts", "FacetCounts", "facet_counts", "facet_counts_by_code", "group_codes"]

# above this many cells, the counts by (group, facet value) are taken one facet value at a time
_MAX_JOINT_CELLS = 1 << 24


@dataclass(frozen=True)
class GroupCounts:
    """Counts per subgroup of ``group_variable`` (subgroups in sorted order, as ``np.unique`` gives them)
    for one binary outcome (labels for CDDL, predicted labels for CDDPL)."""

    size: np.ndarray       # rows of each subgroup
    positive: np.ndarray   # positive outcomes in the subgroup
    positive_d: np.ndarray  # positive outcomes of facet d in the subgroup
    negative: np.ndarray
    negative_d: np.ndarray


@dataclass(frozen=True)
class FacetCounts:
    """``a`` and ``d``: int64 arrays of shape (2, 2) indexed ``[label][predicted]`` (predicted all 0
    when there are no predictions); ``labels`` / ``predictions``: the subgroup counts, None without a
    group variable; ``has_predictions``."""

    a: np.ndarray
    d: np.ndarray
    labels: GroupCounts | None = None
    predictions: GroupCounts | None = None
    has_predictions: bool = False

    @property
    def total(self) -> np.ndarray:
        return self.a + self.d


def group_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of ``group_variable`` in sorted order of its values (``np.unique``), and their count."""
    uniques, inverse = np.unique(values, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), len(uniques)


def _outcome_code(label: np.ndarray, predicted: np.ndarray | None) -> np.ndarray:
    code = label.astype(np.int64) * 2
    if predicted is not None:
        code += predicted
    return code


def _group_counts(cells: np.ndarray) -> GroupCounts:
    """``cells[group, d, outcome]`` -> the subgroup counts of one facet value."""
    size = cells.sum(axis=(1, 2))
    positive = cells[:, :, 1].sum(axis=1)
    negative = cells[:, :, 0].sum(axis=1)
    return GroupCounts(size, positive, cells[:, 1, 1], negative, cells[:, 1, 0])


def facet_counts_by_code(codes: np.ndarray, n_codes: int, label: np.ndarray, predicted: np.ndarray | None,
                         groups: tuple[np.ndarray, int] | None = None) -> list[FacetCounts]:
    """One :class:`FacetCounts` per facet code ``v`` (``d`` = rows whose code is ``v``, ``a`` = the rest).

    >>> fc = facet_counts_by_code(np.array([0, 0, 1]), 2, np.array([True, False, True]), None)
    >>> fc[1].d.tolist(), fc[1].a.tolist()
    ([[0, 0], [1, 0]], [[1, 0], [1, 0]])
    """
    outcome = _outcome_code(label, predicted)
    table = np.bincount(codes * 4 + outcome, minlength=n_codes * 4).reshape(n_codes, 2, 2)
    total = table.sum(axis=0)
    per_value_groups: list[tuple[GroupCounts | None, GroupCounts | None]] = [(None, None)] * n_codes
    if groups is not None:
        per_value_groups = _cdd_counts(codes, n_codes, label, predicted, groups)
    return [FacetCounts(total - table[v], table[v], *per_value_groups[v], has_predictions=predicted is not None)
            for v in range(n_codes)]


def _cdd_counts(codes: np.ndarray, n_codes: int, label: np.ndarray, predicted: np.ndarray | None,
                groups: tuple[np.ndarray, int]) -> list[tuple[GroupCounts, GroupCounts | None]]:
    group, n_groups = groups
    outcomes = [label] + ([predicted] if predicted is not None else [])
    out: list[list[GroupCounts]] = [[] for _ in range(n_codes)]
    for outcome in outcomes:
        y = outcome.astype(np.int64)
        if n_groups * n_codes * 2 <= _MAX_JOINT_CELLS:
            joint = np.bincount((group * n_codes + codes) * 2 + y, minlength=n_groups * n_codes * 2)
            joint = joint.reshape(n_groups, n_codes, 2)
            all_rows = joint.sum(axis=1)
            for v in range(n_codes):
                cells = np.stack([all_rows - joint[:, v, :], joint[:, v, :]], axis=1)
                out[v].append(_group_counts(cells))
        else:
            all_rows = np.bincount(group * 2 + y, minlength=n_groups * 2).reshape(n_groups, 2)
            for v in range(n_codes):
                selected = codes == v
                in_d = np.bincount(group[selected] * 2 + y[selected], minlength=n_groups * 2).reshape(n_groups, 2)
                out[v].append(_group_counts(np.stack([all_rows - in_d, in_d], axis=1)))
    return [(pair[0], pair[1] if len(pair) > 1 else None) for pair in out]


def facet_counts(sensitive: np.ndarray, label: np.ndarray, predicted: np.ndarray | None,
                 groups: tuple[np.ndarray, int] | None = None) -> FacetCounts:
    """The counts for one binary facet (``sensitive`` True for group d).

    >>> fc = facet_counts(np.array([True, False]), np.array([True, True]), np.array([False, True]))
    >>> fc.d.tolist(), fc.a.tolist()
    ([[0, 0], [1, 0]], [[0, 0], [0, 1]])
    """
    return facet_counts_by_code(sensitive.astype(np.int64), 2, label, predicted, groups)[1]
