"""The baseline rows Kernel SHAP replaces "absent" features with (contract §7.2 ``baseline``, ``num_clusters``).

Three sources, as Clarify's ``shap`` method has them: rows given inline, a file of rows (headerless CSV, or
JSON Lines of ``[...]`` / ``{"features": [...]}``), or ``num_clusters`` k-means summaries of the explained data
computed by ``shap.kmeans`` (scikit-learn's KMeans with a fixed random state, so deterministic; each summary
weighted by the share of rows in its cluster). Every row holds one number per feature of the dataset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sagewatch.clarify.explain.settings import DEFAULT_NUM_CLUSTERS, ShapSettings
from sagewatch.errors import InvalidParameterError, SchemaError

__all__ = ["Background", "resolve_background", "read_baseline_file"]


@dataclass(frozen=True)
class Background:
    """Background rows ``(rows, features)`` with weights summing to 1, and where they came from."""

    data: np.ndarray
    weights: np.ndarray
    source: str  # "rows", "file" or "kmeans"


def _as_numbers(rows: Any, what: str, n_features: int) -> np.ndarray:
    try:
        data = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{what}: every value must be a number") from None
    if data.ndim != 2 or data.shape[0] == 0:
        raise InvalidParameterError(f"{what}: expected rows of feature values")
    if data.shape[1] != n_features:
        raise InvalidParameterError(f"{what}: rows have {data.shape[1]} values, the dataset has {n_features} "
                                    "features; each baseline row holds one value per feature")
    if not np.isfinite(data).all():
        raise InvalidParameterError(f"{what}: holds NaN or infinite values")
    return data


def read_baseline_file(path: Path) -> list[list[Any]]:
    """The rows of a baseline file: JSON Lines (``[...]`` or ``{"features": [...]}``) or headerless CSV.

    Raises
    ------
    SchemaError
        Naming the file and line of a row that cannot be read.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidParameterError(f"shap: baseline file {path.name} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SchemaError(f"cannot read the baseline file: {error}", source=path.name) from error
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise SchemaError("the baseline file holds no rows", source=path.name)
    rows = []
    if lines[0][1][0] in "[{":
        for number, line in lines:
            try:
                row = json.loads(line)
            except ValueError as error:
                raise SchemaError(f"not JSON: {error}", source=path.name, line=number) from None
            if isinstance(row, dict):
                row = row.get("features")
            if not isinstance(row, list):
                raise SchemaError("expected a JSON list of feature values or an object with a 'features' list",
                                  source=path.name, line=number)
            rows.append(row)
    else:
        import csv

        for (number, _), row in zip(lines, csv.reader(line for _, line in lines)):
            try:
                rows.append([float(value) for value in row])
            except ValueError:
                raise SchemaError(f"expected numbers separated by commas, got {row!r}", source=path.name,
                                  line=number) from None
    return rows


def resolve_background(settings: ShapSettings, records: np.ndarray, *, base_dir: Path | None = None) -> Background:
    """The background of one explanation run.

    Parameters
    ----------
    settings : ShapSettings
        ``baseline`` (rows or a file) or ``num_clusters``; neither: k-means with the default cluster count.
    records : ndarray
        The ``(n, features)`` records being explained (summarised by k-means when there is no baseline).
    base_dir : Path, optional
        Where a relative baseline file name is looked up.

    Examples
    --------
    >>> from sagewatch.clarify.explain.settings import ShapSettings
    >>> background = resolve_background(ShapSettings(baseline=((1, 2),)), np.zeros((5, 2)))
    >>> background.data.tolist(), background.weights.tolist(), background.source
    ([[1.0, 2.0]], [1.0], 'rows')
    """
    n_features = records.shape[1]
    if isinstance(settings.baseline, tuple):
        data = _as_numbers(settings.baseline, "shap: baseline", n_features)
        return Background(data, np.full(len(data), 1.0 / len(data)), "rows")
    if isinstance(settings.baseline, str):
        if "://" in settings.baseline:
            raise InvalidParameterError(f"shap: baseline {settings.baseline!r} is a remote location; the engine "
                                        "reads a local file (the job downloads it first)")
        path = Path(settings.baseline)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        data = _as_numbers(read_baseline_file(path), f"shap: baseline file {path.name}", n_features)
        return Background(data, np.full(len(data), 1.0 / len(data)), "file")
    import shap

    clusters = settings.num_clusters or DEFAULT_NUM_CLUSTERS
    unique, counts = np.unique(records, axis=0, return_counts=True)
    if len(unique) <= clusters:  # k-means cannot make more clusters than distinct rows: use them all
        counts = counts.astype(np.float64)
        return Background(unique.astype(np.float64), counts / counts.sum(), "kmeans")
    summary = shap.kmeans(records, clusters)
    return Background(np.asarray(summary.data, dtype=np.float64), np.asarray(summary.weights, dtype=np.float64),
                      "kmeans")
