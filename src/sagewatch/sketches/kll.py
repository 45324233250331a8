"""KLL quantile sketches in the shape SageMaker's ``statistics.json`` stores them.

Live sketches are Apache DataSketches ``kll_doubles_sketch`` objects (mergeable, compact).
:class:`KllDistribution` is the read-only view used everywhere else: the retained items with
their weights, which is both what a sketch holds and what ``sketch.data`` in a SageMaker file
records (level *i* holds items of weight 2**i, contract §3.1 and §13).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from datasketches import kll_doubles_sketch

from sagewatch.defaults import KLL_C, KLL_K

__all__ = ["KllDistribution", "new_sketch", "copy_sketch", "merge_sketches", "KLL_K", "KLL_C"]


def new_sketch(k: int = KLL_K) -> kll_doubles_sketch:
    """An empty DataSketches KLL sketch with SageMaker's ``k``."""
    return kll_doubles_sketch(k)


def copy_sketch(sketch: kll_doubles_sketch) -> kll_doubles_sketch:
    """A deep copy (DataSketches sketches are mutable; profile views must not share them)."""
    return kll_doubles_sketch.deserialize(sketch.serialize())


def merge_sketches(left: kll_doubles_sketch, right: kll_doubles_sketch) -> kll_doubles_sketch:
    """A new sketch summarising both inputs; neither input changes."""
    merged = copy_sketch(left)
    merged.merge(right)
    return merged


@dataclass(frozen=True, eq=False)
class KllDistribution:
    """Weighted retained items of a KLL sketch, sorted by item.

    Examples
    --------
    >>> import numpy as np
    >>> sketch = new_sketch()
    >>> sketch.update(np.arange(10, dtype=float))  # writeable float64 arrays only
    >>> dist = KllDistribution.from_sketch(sketch)
    >>> dist.n, dist.levels()[0][:3]
    (10, [0.0, 1.0, 2.0])
    >>> float(dist.get_cdf([4.5])[0])
    0.5
    """

    items: np.ndarray  # sorted float64
    weights: np.ndarray  # int64, same length
    level_items: tuple[tuple[float, ...], ...]  # as stored in sketch.data, level 0 first
    k: int = KLL_K

    @classmethod
    def from_sketch(cls, sketch: kll_doubles_sketch) -> KllDistribution:
        pairs = list(sketch)  # (item, weight) pairs; the sketch holds at most a few thousand
        if not pairs:
            return cls(np.empty(0), np.empty(0, dtype=np.int64), (), sketch.k)
        items = np.fromiter((p[0] for p in pairs), dtype=np.float64, count=len(pairs))
        weights = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        levels_idx = np.log2(weights).round().astype(np.int64)
        # each level ascending: the sketch's internal order depends on arrival order, ours should not
        levels = tuple(tuple(np.sort(items[levels_idx == lvl]).tolist()) for lvl in range(int(levels_idx.max()) + 1))
        order = np.argsort(items, kind="stable")
        return cls(items[order], weights[order], levels, sketch.k)

    @classmethod
    def from_levels(cls, levels: Sequence[Sequence[float]], k: int = KLL_K) -> KllDistribution:
        """Rebuild from ``sketch.data`` of a SageMaker ``statistics.json``."""
        chunks = [np.asarray(level, dtype=np.float64) for level in levels]
        items = np.concatenate(chunks) if chunks else np.empty(0)
        weights = np.concatenate([np.full(len(c), 2**i, dtype=np.int64) for i, c in enumerate(chunks)]) \
            if chunks else np.empty(0, dtype=np.int64)
        order = np.argsort(items, kind="stable")
        return cls(items[order], weights[order], tuple(tuple(map(float, c)) for c in chunks), int(k))

    @property
    def n(self) -> int:
        return int(self.weights.sum())

    @property
    def num_retained(self) -> int:
        return int(self.items.size)

    def is_empty(self) -> bool:
        return self.items.size == 0

    def __iter__(self) -> Iterator[tuple[float, int]]:
        return zip(self.items.tolist(), self.weights.tolist())

    def levels(self) -> list[list[float]]:
        return [list(level) for level in self.level_items]

    def get_cdf(self, split_points: Sequence[float] | np.ndarray, inclusive: bool = False) -> np.ndarray:
        """Share of the weight below (or at, when ``inclusive``) each split point."""
        points = np.asarray(split_points, dtype=np.float64)
        if self.is_empty():
            return np.full(points.shape, np.nan)
        cumulative = np.concatenate([[0], np.cumsum(self.weights)])
        side = "right" if inclusive else "left"
        return cumulative[np.searchsorted(self.items, points, side=side)] / cumulative[-1]

    def get_quantiles(self, ranks: Sequence[float] | np.ndarray) -> np.ndarray:
        """Items at the given normalized ranks (inclusive definition, as DataSketches)."""
        ranks = np.asarray(ranks, dtype=np.float64)
        if self.is_empty():
            return np.full(ranks.shape, np.nan)
        cumulative = np.cumsum(self.weights) / self.weights.sum()
        idx = np.searchsorted(cumulative, ranks, side="left")
        return self.items[np.clip(idx, 0, self.items.size - 1)]

    def normalized_rank_error(self, pmf: bool = False) -> float:
        return float(kll_doubles_sketch.get_normalized_rank_error(self.k, pmf))

    def to_sketch(self) -> kll_doubles_sketch:
        """A live DataSketches sketch with the same distribution (items repeated by weight)."""
        sketch = new_sketch(self.k)
        if not self.is_empty():
            sketch.update(np.repeat(self.items, self.weights))
        return sketch
