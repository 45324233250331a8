"""Small builders shared by the drift tests."""

from __future__ import annotations

import numpy as np
from datasketches import kll_doubles_sketch

K = 2048  # the k of SageMaker's statistics.json (contract §3.1)


def sketch(values) -> kll_doubles_sketch:
    """A k=2048 KLL sketch of ``values`` (one vectorised update)."""
    s = kll_doubles_sketch(K)
    s.update(np.asarray(values, dtype=np.float64))
    return s
