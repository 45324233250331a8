"""``standard_deviation`` of every scalar metric (contract §6.2): the metric on five random 80% samples.

Only with at least :data:`MIN_ROWS` rows; else the string ``"NaN"``. The samples are drawn without replacement
by a generator seeded from the metrics of the whole data (same input, same samples, same bytes). The standard
deviation is the sample one (``ddof=1``, as Spark's ``stddev`` that the analyzer is built on).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = ["MIN_ROWS", "ROUNDS", "FRACTION", "NAN", "data_seed", "resampled_std"]

MIN_ROWS = 200
ROUNDS = 5
FRACTION = 0.8
NAN = "NaN"


def data_seed(values: Mapping[str, float], n: int) -> int:
    """A seed from the whole data's metrics and row count.

    >>> data_seed({"mae": 1.5}, 300) == data_seed({"mae": 1.5}, 300) != data_seed({"mae": 1.5}, 301)
    True
    """
    text = repr((n, sorted((k, float(v).hex()) for k, v in values.items())))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def resampled_std(compute: Callable[[np.ndarray], Mapping[str, float]], n: int, values: Mapping[str, float],
                  keys: Sequence[str]) -> dict[str, float | str]:
    """``{metric: standard deviation}`` where ``compute(rows)`` gives the metrics of the rows at those indexes.

    >>> resampled_std(lambda rows: {"m": 1.0}, 10, {"m": 1.0}, ["m"])
    {'m': 'NaN'}
    """
    if n < MIN_ROWS:
        return {key: NAN for key in keys}
    rng = np.random.default_rng(data_seed(values, n))
    size = int(n * FRACTION)
    rounds = []
    for _ in range(ROUNDS):  # five metric evaluations, not a loop over rows
        rows = np.sort(rng.choice(n, size=size, replace=False))
        result = compute(rows)
        rounds.append([float(result[key]) for key in keys])
    table = np.asarray(rounds, dtype=np.float64)
    deviations = table.std(axis=0, ddof=1)
    return {key: (NAN if np.isnan(d) else float(d)) for key, d in zip(keys, deviations)}
