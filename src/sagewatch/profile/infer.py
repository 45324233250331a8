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

from sagewatch.defaults import MAX_TRACKED_VALUES
from sagewatch.sketches.distinct import DistinctCount

__all__ = ["TypedChunk", "classify", "hex_text", "column_type", "INTEGRAL", "FRACTIONAL", "STRING", "UNKNOWN"]

INTEGRAL = "Integral"
FRACTIONAL = "Fractional"
STRING = "String"
UNKNOWN = "Unknown"

_INTEGRAL_RE = r"^[+-]? ?[0-9]+$"
_FRACTIONAL_RE = r"^[+-]? ?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$"


@dataclass(frozen=True)
class TypedChunk:
    """One column chunk split by value type.

    ``numbers`` holds every Integral and Fractional value as float64; ``value_counts`` the
    present values as text with their counts when the chunk contains non-numeric values
    (else ``None``), at most ``MAX_TRACKED_VALUES`` of the most frequent (``counts_truncated``
    says when some were dropped); ``distinct`` then sketches all of them.
    """

    n_missing: int
    n_integral: int
    n_fractional: int
    n_string: int
    numbers: np.ndarray
    value_counts: dict[str, int] | None = None
    counts_truncated: bool = False
    distinct: DistinctCount | None = None


def _as_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def _top_counts(values: list[str], counts: np.ndarray) -> dict[str, int]:
    if len(values) > MAX_TRACKED_VALUES:
        keep = np.argpartition(-counts, MAX_TRACKED_VALUES)[:MAX_TRACKED_VALUES]
        values, counts = [values[i] for i in keep], counts[keep]
    merged: dict[str, int] = {}
    for value, count in zip(values, counts.tolist()):  # over distinct values, not rows
        if count:
            merged[value] = merged.get(value, 0) + count
    return merged


def _classify_text(array: pa.Array) -> TypedChunk:
    # work on distinct values: hashing once is far cheaper than trimming and matching every row
    encoded = array if pa.types.is_dictionary(array.type) else pc.dictionary_encode(array)
    uniques = pc.utf8_trim_whitespace(pc.cast(encoded.dictionary, pa.string()))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    valid_codes = codes[codes >= 0]
    per_unique = np.bincount(valid_codes, minlength=len(uniques)) if valid_codes.size else \
        np.zeros(len(uniques), np.int64)
    present = pc.fill_null(pc.not_equal(uniques, ""), False).to_numpy(zero_copy_only=False)
    is_integral = pc.fill_null(pc.match_substring_regex(uniques, _INTEGRAL_RE), False).to_numpy(zero_copy_only=False)
    is_numeric = pc.fill_null(pc.match_substring_regex(uniques, _FRACTIONAL_RE), False).to_numpy(zero_copy_only=False)
    unique_numbers = None
    if is_numeric.any():
        unique_numbers = np.full(len(uniques), np.nan)
        numeric_text = pc.filter(uniques, pa.array(is_numeric))
        unique_numbers[is_numeric] = pc.cast(pc.replace_substring(numeric_text, " ", ""),
                                             pa.float64()).to_numpy(zero_copy_only=False)
        # a number beyond the range of a double ("1e400") counts as missing, like NaN and infinities
        # in float columns: it has no value statistics.json could record
        beyond = is_numeric & ~np.isfinite(unique_numbers)
        if beyond.any():
            present, is_numeric, is_integral = present & ~beyond, is_numeric & ~beyond, is_integral & ~beyond
    per_unique = np.where(present, per_unique, 0)
    n_present = int(per_unique.sum())
    n_integral = int(per_unique[is_integral].sum())
    n_numeric = int(per_unique[is_numeric].sum())
    numbers = np.empty(0)
    if n_numeric:
        row_codes = codes[codes >= 0]
        numbers = unique_numbers[row_codes[is_numeric[row_codes]]]
    n_string = n_present - n_numeric
    counts = None
    truncated = False
    distinct = None
    if n_string:
        keep = np.flatnonzero(per_unique)
        values = pc.take(uniques, pa.array(keep)).to_pylist()
        truncated = len(values) > MAX_TRACKED_VALUES
        distinct = DistinctCount.from_values(values)
        counts = _top_counts(values, per_unique[keep])
    return TypedChunk(len(array) - n_present, n_integral, n_numeric - n_integral, n_string, numbers, counts,
                      truncated, distinct)


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hex_text(array: pa.Array) -> pa.Array:
    """Binary values as ``0x``-prefixed lower-case hex strings (nulls stay null), vectorised.

    Bytes are profiled as what they are: the same bytes give the same text whatever they
    hold, so a column of hashes or images is never mistaken for text or numbers.

    Examples
    --------
    >>> import pyarrow as pa
    >>> hex_text(pa.array([b"\\xff\\x00", None, b"", b"A"], pa.binary())).to_pylist()
    ['0xff00', None, '0x', '0x41']
    """
    if not pa.types.is_binary(array.type):
        array = array.cast(pa.large_binary()) if pa.types.is_large_binary(array.type) else array.cast(pa.binary())
    if pa.types.is_large_binary(array.type):
        array = array.cast(pa.binary())  # fails only for > 2 GiB of bytes in one chunk
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset: array.offset + n + 1].astype(np.int64)
    data = array.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8)[offsets[0]: offsets[-1]] if data is not None else \
        np.empty(0, np.uint8)
    lengths = np.diff(offsets)
    new_offsets = np.concatenate([[0], np.cumsum(2 * lengths + 2)])
    out = np.empty(int(new_offsets[-1]), dtype=np.uint8)
    out[new_offsets[:-1]] = ord("0")
    out[new_offsets[:-1] + 1] = ord("x")
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    dest = 2 * np.arange(len(raw), dtype=np.int64) + 2 * (owner + 1)
    out[dest] = _HEX_DIGITS[raw >> 4]
    out[dest + 1] = _HEX_DIGITS[raw & 0x0F]
    validity = array.buffers()[0]
    if validity is not None and array.offset:
        validity = pa.array(array.is_valid().to_numpy(zero_copy_only=False)).buffers()[1]
    return pa.Array.from_buffers(pa.large_string(), n, [validity, pa.py_buffer(new_offsets.astype(np.int64)),
                                                       pa.py_buffer(out)], null_count=array.null_count)


def classify(column: pa.Array | pa.ChunkedArray) -> TypedChunk:
    """Split a column chunk into typed counts, numeric values and string value counts.

    Examples
    --------
    >>> import pyarrow as pa
    >>> chunk = classify(pa.array(["1", "2.5", "x", None, "", " 3"]))
    >>> chunk.n_missing, chunk.n_integral, chunk.n_fractional, chunk.n_string
    (2, 2, 1, 1)
    >>> chunk.numbers.tolist(), chunk.value_counts
    ([1.0, 2.5, 3.0], {'1': 1, '2.5': 1, 'x': 1, '3': 1})
    """
    array = _as_array(column)
    kind = array.type
    value_kind = kind.value_type if pa.types.is_dictionary(kind) else kind
    if pa.types.is_null(kind):
        return TypedChunk(len(array), 0, 0, 0, np.empty(0))
    if pa.types.is_dictionary(kind) and not (pa.types.is_string(value_kind) or pa.types.is_large_string(value_kind)):
        array = array.dictionary_decode()
        kind = value_kind
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
            return TypedChunk(n_missing, numbers.size, 0, 0, numbers)
        return TypedChunk(n_missing, 0, numbers.size, 0, numbers)
    if pa.types.is_boolean(kind):
        true = pc.sum(array).as_py() or 0
        present = len(array) - array.null_count
        counts = {k: v for k, v in (("true", true), ("false", present - true)) if v}
        return TypedChunk(array.null_count, 0, 0, present, np.empty(0), counts)
    if pa.types.is_string(value_kind) or pa.types.is_large_string(value_kind):
        return _classify_text(array)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return _classify_text(hex_text(array))
    if pa.types.is_nested(kind):  # lists/structs inside JSON: profiled as their JSON text
        import json
        text = [None if v is None else json.dumps(v, separators=(",", ":")) for v in array.to_pylist()]
        return _classify_text(pa.array(text, pa.string()))
    return _classify_text(pc.cast(array, pa.string()))


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
