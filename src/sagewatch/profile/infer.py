"""Per-value type inference, vectorised with pyarrow.

SageMaker's analyzer is built on Deequ, which classifies every value as Integral, Fractional,
Boolean or String by regular expression and then names the column's type by precedence
(any String or Boolean -> String, else any Fractional -> Fractional, else Integral; no
values -> Unknown). We follow the same rules so that ``inferred_type`` and the
``data_type_check`` ratios match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TypedChunk", "classify", "column_type", "INTEGRAL", "FRACTIONAL", "STRING", "UNKNOWN"]

INTEGRAL = "Integral"
FRACTIONAL = "Fractional"
STRING = "String"
UNKNOWN = "Unknown"

_INTEGRAL_RE = r"^[+-]? ?[0-9]+$"
_FRACTIONAL_RE = r"^[+-]? ?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$"


@dataclass(frozen=True)
class TypedChunk:
    """One column chunk split by value type.

    ``numbers`` holds every Integral and Fractional value as float64; ``strings`` the
    non-null values as text when the chunk contains non-numeric values (else ``None``).
    """

    n_missing: int
    n_integral: int
    n_fractional: int
    n_string: int
    numbers: np.ndarray
    strings: pa.Array | None


def _as_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def classify(column: pa.Array | pa.ChunkedArray) -> TypedChunk:
    """Split a column chunk into typed counts, numeric values and string values.

    Examples
    --------
    >>> import pyarrow as pa
    >>> chunk = classify(pa.array(["1", "2.5", "x", None, "", " 3"]))
    >>> chunk.n_missing, chunk.n_integral, chunk.n_fractional, chunk.n_string
    (2, 2, 1, 1)
    >>> chunk.numbers.tolist()
    [1.0, 2.5, 3.0]
    """
    array = _as_array(column)
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_null(kind):
        return TypedChunk(len(array), 0, 0, 0, np.empty(0), None)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        valid = array.drop_null()
        numbers = valid.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        n_nan = 0
        if pa.types.is_floating(kind):
            finite = np.isfinite(numbers)
            n_nan = int((~finite).sum())
            if n_nan:
                numbers = numbers[finite]
        n_missing = array.null_count + n_nan  # NaN counts as missing, as Spark's null handling after cast
        if pa.types.is_integer(kind):
            return TypedChunk(n_missing, numbers.size, 0, 0, numbers, None)
        return TypedChunk(n_missing, 0, numbers.size, 0, numbers, None)
    if pa.types.is_boolean(kind):
        strings = pc.cast(array.drop_null(), pa.string())
        return TypedChunk(array.null_count, 0, 0, len(strings), np.empty(0), strings)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        array = pc.cast(array, pa.string()) if not pa.types.is_nested(kind) else \
            pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())
    text = pc.utf8_trim_whitespace(array)
    present = pc.fill_null(pc.and_(pc.is_valid(text), pc.not_equal(text, "")), False)
    values = pc.filter(text, present)
    n_missing = len(array) - len(values)
    # classify each distinct value once: hashing is far cheaper than two regex passes per row
    encoded = pc.dictionary_encode(values)
    uniques = encoded.dictionary
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    per_unique = np.bincount(codes, minlength=len(uniques)) if len(codes) else np.zeros(len(uniques), np.int64)
    is_integral = pc.match_substring_regex(uniques, _INTEGRAL_RE).to_numpy(zero_copy_only=False)
    is_numeric = pc.match_substring_regex(uniques, _FRACTIONAL_RE).to_numpy(zero_copy_only=False)
    n_integral = int(per_unique[is_integral].sum())
    n_numeric = int(per_unique[is_numeric].sum())
    numbers = np.empty(0)
    if n_numeric:
        unique_numbers = np.full(len(uniques), np.nan)
        numeric_text = pc.filter(uniques, pa.array(is_numeric))
        unique_numbers[is_numeric] = pc.cast(pc.replace_substring(numeric_text, " ", ""),
                                             pa.float64()).to_numpy(zero_copy_only=False)
        numbers = unique_numbers[codes[is_numeric[codes]]]
    n_string = len(values) - n_numeric
    return TypedChunk(n_missing, n_integral, n_numeric - n_integral, n_string, numbers,
                      values if n_string else None)


def column_type(n_integral: int, n_fractional: int, n_string: int) -> str:
    """Deequ's precedence rule for a column's inferred type.

    >>> column_type(10, 0, 0), column_type(10, 1, 0), column_type(10, 1, 1), column_type(0, 0, 0)
    ('Integral', 'Fractional', 'String', 'Unknown')
    """
    if n_string:
        return STRING
    if n_fractional:
        return FRACTIONAL
    if n_integral:
        return INTEGRAL
    return UNKNOWN
