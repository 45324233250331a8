"""The Flip Test (FT), the one bias metric that needs the features (smclarify ``posttraining.FT``).

A k-nearest-neighbour classifier is fitted on group a's features and the model's predicted labels, then
predicts group d; FT = (#(model 1, k-NN 0) − #(model 0, k-NN 1)) / n_d. k is 5 when group a has more than
9 rows, else 1; uniform weights, Minkowski p = 2. scikit-learn's ``KNeighborsClassifier`` (built on
``NearestNeighbors``) is used with smclarify's exact settings so that ties between equally distant
neighbours resolve the same way.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from sagewatch.clarify.bias.arithmetic import UndefinedBiasMetric, divide

__all__ = ["flip_test", "FT_DEFAULT_NEIGHBORS", "FT_MIN_NEIGHBORS", "FT_SAMPLES_COUNT_THRESHOLD"]

FT_DEFAULT_NEIGHBORS = 5
FT_MIN_NEIGHBORS = 1
FT_SAMPLES_COUNT_THRESHOLD = 9


def flip_test(features: np.ndarray | None, sensitive: np.ndarray, predicted: np.ndarray) -> float:
    """FT for one facet: ``features`` is the (rows × columns) numeric matrix without the facet, label and
    predicted-label columns, or None when a column is not numeric.

    >>> x = np.array([[0.0], [1.0], [0.1], [0.9]])
    >>> flip_test(x, np.array([False, False, True, True]), np.array([False, True, True, True]))
    0.5
    """
    n_d = int(sensitive.sum())
    if n_d == 0:
        raise UndefinedBiasMetric("Facet set is empty")
    if n_d == len(sensitive):
        raise UndefinedBiasMetric("Negated Facet set is empty")
    if features is None:
        raise UndefinedBiasMetric("FlipTest does not support non-numeric columns")
    if features.shape[1] == 0:  # sagewatch wording; smclarify fails inside scikit-learn here
        raise UndefinedBiasMetric("FlipTest needs at least one feature besides the facet, label and predicted "
                                  "label columns")
    rest = ~sensitive
    n_neighbors = FT_DEFAULT_NEIGHBORS if int(rest.sum()) > FT_SAMPLES_COUNT_THRESHOLD else FT_MIN_NEIGHBORS
    knn = KNeighborsClassifier(n_neighbors=n_neighbors, weights="uniform", algorithm="auto", leaf_size=30, p=2,
                               metric="minkowski")
    knn.fit(features[rest], predicted[rest])
    if_a = np.asarray(knn.predict(features[sensitive]), dtype=bool)
    model = predicted[sensitive]
    flipped_positive = int(np.count_nonzero(model & ~if_a))
    flipped_negative = int(np.count_nonzero(~model & if_a))
    return divide(flipped_positive - flipped_negative, n_d)
