"""Labels and facets collapsed to binary, the way smclarify does it (contract §7.3, §7.4).

A column is *continuous* or *categorical* by smclarify's rule (``common.series_datatype``): two or more
given values mean categorical; floats are continuous; integers (or text that casts to integers) are
continuous when at least 5 % of the values are distinct (``UNIQUENESS_THRESHOLD``); anything else is
categorical.

* Categorical: a row is positive when its value is one of the given values. A value of another type
  than the column's is converted to the column's type when nothing matches as given (``"1"`` finds the
  integer 1, ``1`` finds the text ``"1"``). The text naming the group is ``",".join(map(str, values))``.
* Continuous: the one given threshold ``t`` makes the interval ``(t, max]`` (``max`` the column's
  largest value); the text naming it is pandas' ``str(pd.Interval)``, e.g. ``"(0.5, 0.99]"``.

Everything is vectorised over numpy arrays (no pandas at run time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.errors import InvalidParameterError

__all__ = ["UNIQUENESS_THRESHOLD", "column_values", "is_continuous", "Collapsed", "collapse_categorical",
           "collapse_continuous", "collapse", "interval_text", "category_codes"]

UNIQUENESS_THRESHOLD = 0.05  # smclarify constants.UNIQUENESS_THRESHOLD
_TRUE_TEXT = {"true": True, "false": False}


def _as_numpy(array: pa.Array) -> np.ndarray:
    return array.to_numpy(zero_copy_only=False).astype(object)


def column_values(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A column (without nulls) as numpy with the type pandas' ``read_csv`` would give it.

    Text that is all whole numbers becomes ``int64``, all numbers ``float64``, all ``true``/``false``
    ``bool``; other text stays text (an ``object`` array of ``str``); typed columns (Parquet, JSON) keep
    their type.

    >>> column_values(pa.array(["1", "2"])).dtype, column_values(pa.array(["1", "2.5"])).dtype
    (dtype('int64'), dtype('float64'))
    >>> column_values(pa.array(["a", "1"])).tolist()
    ['a', '1']
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        stripped = pc.utf8_trim_whitespace(array)
        for target in (pa.int64(), pa.float64()):
            try:
                return pc.cast(stripped, target).to_numpy(zero_copy_only=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
        lowered = pc.utf8_lower(stripped)
        if len(array) and pc.all(pc.is_in(lowered, value_set=pa.array(["true", "false"]))).as_py():
            return pc.equal(lowered, "true").to_numpy(zero_copy_only=False)
        return _as_numpy(array)
    if pa.types.is_boolean(array.type):
        return array.to_numpy(zero_copy_only=False).astype(bool)
    if pa.types.is_integer(array.type):
        return array.cast(pa.int64()).to_numpy(zero_copy_only=False)
    if pa.types.is_floating(array.type) or pa.types.is_decimal(array.type):
        return array.cast(pa.float64()).to_numpy(zero_copy_only=False)
    # anything else (nested values, times): compared as text
    return np.asarray([str(v) for v in array.to_pylist()], dtype=object)


def _uniqueness(values: np.ndarray) -> float:
    return len(np.unique(values)) / len(values) if len(values) else 0.0


def _text_as_int(values: np.ndarray) -> np.ndarray | None:
    try:
        return pc.cast(pa.array(values, type=pa.string()), pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


def is_continuous(values: np.ndarray, given: Sequence[Any] | None) -> bool:
    """smclarify's rule (``series_datatype``) for whether a facet or label column is continuous.

    >>> is_continuous(np.array([0.5, 1.5]), [1.0]), is_continuous(np.array([0.5, 1.5]), [0.5, 1.5])
    (True, False)
    >>> is_continuous(np.zeros(100, dtype=np.int64), [0]), is_continuous(np.arange(100), [50])
    (False, True)
    """
    if given is not None and len(given) > 1:
        return False
    kind = values.dtype.kind
    if kind == "f":
        return True
    if kind in "iu":
        return _uniqueness(values) >= UNIQUENESS_THRESHOLD
    if kind == "O":
        as_int = _text_as_int(values)
        return as_int is not None and _uniqueness(as_int) >= UNIQUENESS_THRESHOLD
    return False


@dataclass(frozen=True)
class Collapsed:
    """A column collapsed to binary: ``mask`` is True for the positive (or sensitive) rows; ``text`` names
    the values or interval as Clarify writes them; ``continuous`` says which rule was used."""

    mask: np.ndarray
    text: str
    continuous: bool


def _convert(value: Any, kind: str) -> Any:
    """A given value in the column's element type (smclarify ``convert_positive_label_values``)."""
    if kind in "iu":
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                return float(value)  # int('1.0') fails; smclarify then converts to float
        return value
    if kind == "f":
        return float(value)
    if kind == "b":
        if isinstance(value, str) and value.strip().lower() in _TRUE_TEXT:
            return _TRUE_TEXT[value.strip().lower()]
        return bool(value)
    return str(value)


def _matches(values: np.ndarray, wanted: Sequence[Any]) -> np.ndarray:
    kind = values.dtype.kind
    if kind == "O":
        keys = [v for v in wanted if isinstance(v, str)]
    else:
        keys = [v for v in wanted if not isinstance(v, str)]
    if not keys:
        return np.zeros(len(values), dtype=bool)
    # numbers are compared as numbers (never cast to the column's type: 1.5 must not find the integer 1)
    return np.isin(values, np.asarray(keys, dtype=object if kind == "O" else None))


def collapse_categorical(values: np.ndarray, wanted: Sequence[Any], *, what: str) -> Collapsed:
    """Rows whose value is one of ``wanted`` (converted to the column's type if nothing matches as given).

    >>> c = collapse_categorical(np.array([0, 1, 1, 2]), ["1"], what="facet sex")
    >>> c.mask.tolist(), c.text
    ([False, True, True, False], '1')
    """
    mask = _matches(values, wanted)
    if not mask.any():
        try:
            converted = [_convert(v, values.dtype.kind) for v in wanted]
        except (TypeError, ValueError, OverflowError):
            converted = []
        if converted:
            mask = _matches(values, converted)
    return Collapsed(mask, ",".join(map(str, wanted)), False)


def _scalar_text(number: Any, as_float: bool) -> str:
    return str(float(number)) if as_float else str(int(number))


def interval_text(low: Any, high: Any, *, as_float: bool) -> str:
    """pandas' text of the interval ``(low, high]`` (``str(pd.Interval(low, high))``).

    >>> interval_text(40, 65, as_float=False), interval_text(0.5, 1, as_float=True)
    ('(40, 65]', '(0.5, 1.0]')
    """
    return f"({_scalar_text(low, as_float)}, {_scalar_text(high, as_float)}]"


def _threshold(value: Any, what: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"{what}: a continuous column needs one numeric threshold, got "
                                        f"{value!r}") from None
    return value


def collapse_continuous(values: np.ndarray, threshold: Any, *, what: str,
                        maximum: Any = None) -> Collapsed:
    """Rows in ``(threshold, max]`` (smclarify ``_interval_index``: the column's maximum closes the
    interval; ``maximum`` overrides it, as for predicted labels, whose interval uses the maximum of labels
    and predictions together).

    >>> c = collapse_continuous(np.array([1, 5, 9, 3]), 3, what="facet age")
    >>> c.mask.tolist(), c.text
    ([False, True, True, False], '(3, 9]')
    """
    t = _threshold(threshold, what)
    if values.dtype.kind == "O":
        as_int = _text_as_int(values)
        values = as_int if as_int is not None else values.astype(float)
    values = values.astype(np.int64) if values.dtype.kind == "b" else values
    top = values.max() if maximum is None else maximum
    as_float = isinstance(t, float) or values.dtype.kind == "f" or isinstance(top, (float, np.floating))
    if abs(top) == t:  # smclarify appends the maximum only when abs(max) is not already a threshold
        return Collapsed(np.zeros(len(values), dtype=bool), "", True)
    low, high = (t, top) if top > t else (top, t)
    mask = (values > low) & (values <= high)
    return Collapsed(mask, interval_text(low, high, as_float=as_float), True)


def collapse(values: np.ndarray, given: Sequence[Any], *, what: str) -> Collapsed:
    """Collapse a label or facet column with the user's values or threshold (contract §7.4)."""
    if is_continuous(values, given):
        return collapse_continuous(values, given[0], what=what)
    return collapse_categorical(values, given, what=what)


def category_codes(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Codes 0..k-1 of a column's distinct values in order of first appearance (pandas ``unique()``).

    >>> codes, uniques = category_codes(np.array(["b", "a", "b"], dtype=object))
    >>> codes.tolist(), uniques
    ([0, 1, 0], ['b', 'a'])
    """
    uniques, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse.reshape(-1)], [uniques[i].item() if hasattr(uniques[i], "item") else uniques[i]
                                       for i in order]

