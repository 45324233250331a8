"""The ``shap`` method of ``analysis_config.json`` (contract §7.2), read into :class:`ShapSettings`.

:func:`read_shap_method` is a small reader of that one dict, kept here until the Clarify config model
(``clarify/config.py``) parses the whole file; it checks what the SDK's ``SHAPConfig`` checks and what
sagewatch cannot do (text and image features), each with an error naming the key.

sagewatch choices (documented in ``docs/clarify.md``):

- ``seed`` absent means seed 0, not "random": the same input gives the same bytes;
- neither ``baseline`` nor ``num_clusters``: k-means with :data:`DEFAULT_NUM_CLUSTERS` clusters;
- ``num_samples`` absent: the ``shap`` library's ``"auto"`` (``2 * features + 2048``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sagewatch.errors import InvalidParameterError

__all__ = ["AGG_METHODS", "DEFAULT_NUM_CLUSTERS", "DEFAULT_SEED", "ShapSettings", "read_shap_method"]

AGG_METHODS = ("mean_abs", "median", "mean_sq")
DEFAULT_NUM_CLUSTERS = 10  # sagewatch choice: the SDK only says "Clarify job uses a default value"
DEFAULT_SEED = 0  # sagewatch choice: same input, same bytes
_UNSUPPORTED = ("text_config", "image_config")


@dataclass(frozen=True)
class ShapSettings:
    """What to explain and how: the ``shap`` method of ``analysis_config.json``.

    ``baseline`` is the inline rows (a tuple of rows, each a tuple of feature values), the path of a
    file of rows (``str``), or ``None`` for k-means summaries of the explained data (``num_clusters``).
    """

    baseline: tuple[tuple[Any, ...], ...] | str | None = None
    num_clusters: int | None = None
    num_samples: int | None = None
    agg_method: str = "mean_abs"
    use_logit: bool = False
    save_local_shap_values: bool = True
    seed: int = DEFAULT_SEED
    features_to_explain: tuple[str | int, ...] | None = None

    def __post_init__(self) -> None:
        if self.agg_method not in AGG_METHODS:
            raise InvalidParameterError(f"shap: agg_method must be one of {', '.join(AGG_METHODS)}, "
                                        f"got {self.agg_method!r}")
        if self.baseline is not None and self.num_clusters is not None:
            raise InvalidParameterError("shap: baseline and num_clusters cannot be given together; give one")
        for key in ("num_clusters", "num_samples"):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise InvalidParameterError(f"shap: {key} must be a whole number of at least 1, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2 ** 32:
            raise InvalidParameterError(f"shap: seed must be a whole number from 0 to 2**32 - 1, got {self.seed!r}")
        if self.features_to_explain is not None and not self.features_to_explain:
            raise InvalidParameterError("shap: features_to_explain must name at least one feature when given")


def _flag(method: Mapping[str, Any], key: str, default: bool) -> bool:
    value = method.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidParameterError(f"shap: {key} must be true or false, got {value!r}")


def _whole(method: Mapping[str, Any], key: str) -> int | None:
    value = method.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(f"shap: {key} must be a whole number, got {value!r}")
    return value


def _row(row: Any, index: int) -> tuple[Any, ...]:
    if isinstance(row, Mapping):  # the JSON Lines form: {"features": [...]}
        if "features" not in row:
            raise InvalidParameterError(f"shap: baseline row {index} is an object without a 'features' list")
        row = row["features"]
    if not isinstance(row, Sequence) or isinstance(row, (str, bytes)) or not row:
        raise InvalidParameterError(f"shap: baseline row {index} must be a non-empty list of feature values, "
                                    f"got {row!r}")
    for value in row:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise InvalidParameterError(f"shap: baseline row {index} holds {value!r}; feature values are finite "
                                        "numbers (or numeric text)")
    return tuple(row)


def _baseline(value: Any) -> tuple[tuple[Any, ...], ...] | str | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            raise InvalidParameterError("shap: baseline is an empty string; give rows, a file, or num_clusters")
        return value.strip()
    if not isinstance(value, Sequence) or not value:
        raise InvalidParameterError(f"shap: baseline must be a list of rows or the location of a file, "
                                    f"got {value!r}")
    rows = tuple(_row(row, i) for i, row in enumerate(value))
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise InvalidParameterError(f"shap: baseline rows have different lengths ({sorted(widths)}); each row "
                                    "holds one value per feature")
    return rows


def read_shap_method(method: Any) -> ShapSettings:
    """Read the ``methods.shap`` object of ``analysis_config.json`` (contract §7.2).

    Parameters
    ----------
    method : dict
        The parsed ``shap`` object.

    Returns
    -------
    ShapSettings

    Raises
    ------
    InvalidParameterError
        Naming the key: a wrong type or value, ``baseline`` with ``num_clusters``, text or image features.

    Examples
    --------
    >>> read_shap_method({"baseline": [[0.4, 0.5]], "num_samples": 100, "agg_method": "mean_abs"}).num_samples
    100
    >>> read_shap_method({"agg_method": "max"})
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: shap: agg_method must be one of mean_abs, median, mean_sq, got 'max'
    """
    if not isinstance(method, Mapping):
        raise InvalidParameterError(f"methods.shap must be an object, got {type(method).__name__}")
    for key in _UNSUPPORTED:
        if method.get(key) is not None:
            raise InvalidParameterError(f"shap: {key} (text or image features) is not supported by sagewatch; "
                                        "only tabular features are explained")
    features = method.get("features_to_explain")
    if features is not None:
        if not isinstance(features, Sequence) or isinstance(features, (str, bytes)) or any(
                isinstance(f, bool) or not isinstance(f, (str, int)) for f in features):
            raise InvalidParameterError(f"shap: features_to_explain must be a list of feature names or indexes, "
                                        f"got {features!r}")
        features = tuple(features)
    seed = _whole(method, "seed")
    agg = method.get("agg_method")
    return ShapSettings(
        baseline=_baseline(method.get("baseline")),
        num_clusters=_whole(method, "num_clusters"),
        num_samples=_whole(method, "num_samples"),
        agg_method="mean_abs" if agg is None else agg,
        use_logit=_flag(method, "use_logit", False),
        save_local_shap_values=_flag(method, "save_local_shap_values", True),
        seed=DEFAULT_SEED if seed is None else seed,
        features_to_explain=features,
    )
