"""Type inference pinned: every Arrow type's branch of classify, Deequ's value rules on text (integral,
fractional, exponents, signs, blanks, numbers beyond a double), the kept value counts and their cap,
binary values as hex (sliced arrays too), and chunked input."""

import datetime
import decimal
import math

import numpy as np
import pyarrow as pa
import pytest

import sagewatch.profile.infer as infer
from sagewatch.profile.infer import classify, column_type, hex_text


def _fields(chunk):
    return (chunk.n_missing, chunk.n_integral, chunk.n_fractional, chunk.n_string, chunk.numbers.tolist(),
            chunk.value_counts, chunk.counts_truncated)


@pytest.mark.parametrize("array, expected", [
    (pa.array([None, None], pa.null()), (2, 0, 0, 0, [], None, False)),
    (pa.array([3, None, -1], pa.int16()), (1, 2, 0, 0, [3.0, -1.0], None, False)),
    (pa.array([2**64 - 1], pa.uint64()), (0, 1, 0, 0, [1.8446744073709552e19], None, False)),
    (pa.array([1.5, math.nan, None, math.inf, -math.inf, 2.0]), (4, 0, 2, 0, [1.5, 2.0], None, False)),
    (pa.array([0.5, 2.0], pa.float32()), (0, 0, 2, 0, [0.5, 2.0], None, False)),
    (pa.array([decimal.Decimal("1.5"), None], pa.decimal128(4, 1)), (1, 0, 1, 0, [1.5], None, False)),
    (pa.array([True, None, True, False]), (1, 0, 0, 3, [], {"true": 2, "false": 1}, False)),
    (pa.array([False, False]), (0, 0, 0, 2, [], {"false": 2}, False)),
    (pa.array([None], pa.bool_()), (1, 0, 0, 0, [], {}, False)),
])
def test_typed_columns(array, expected):
    assert _fields(classify(array)) == expected


def test_integral_floats_count_as_fractional_and_integers_as_integral():
    assert column_type(*_fields(classify(pa.array([1.0, 2.0])))[1:4]) == "Fractional"
    assert column_type(*_fields(classify(pa.array([1, 2])))[1:4]) == "Integral"


@pytest.mark.parametrize("text, kind", [
    ("12", "i"), ("+12", "i"), ("-12", "i"), ("- 12", "i"), ("  7  ", "i"), ("0012", "i"),
    ("1.", "f"), (".5", "f"), ("-1.5", "f"), ("1e3", "f"), ("1E-3", "f"), ("+ 2.5e+2", "f"), ("12e3", "f"),
    ("1 2", "s"), ("--1", "s"), ("1e", "s"), ("e3", "s"), (".", "s"), ("0x10", "s"), ("1,5", "s"),
    ("NaN", "s"), ("inf", "s"), ("+-1", "s"), ("1.2.3", "s"), ("١٢", "s"),
])
def test_deequ_value_rules_on_text(text, kind):
    chunk = classify(pa.array([text]))
    assert (chunk.n_integral, chunk.n_fractional, chunk.n_string) == {"i": (1, 0, 0), "f": (0, 1, 0),
                                                                      "s": (0, 0, 1)}[kind]
    assert chunk.n_missing == 0


def test_text_numbers_counts_and_missing_values():
    chunk = classify(pa.array(["2", " 2", "x", "", "   ", None, "1.5", "x", "- 4", "1e400", "-1e400"]))
    # blanks and None are missing, and so are numbers beyond the range of a double
    assert (chunk.n_missing, chunk.n_integral, chunk.n_fractional, chunk.n_string) == (5, 3, 1, 2)
    assert chunk.numbers.dtype == np.float64 and chunk.numbers.tolist() == [2.0, 2.0, 1.5, -4.0]  # row order
    assert chunk.value_counts == {"2": 2, "x": 2, "1.5": 1, "- 4": 1}
    assert chunk.distinct.estimate() == 4 and not chunk.counts_truncated


def test_text_without_strings_keeps_no_counts():
    chunk = classify(pa.array(["1", "2.5", None, ""]))
    assert _fields(chunk) == (2, 1, 1, 0, [1.0, 2.5], None, False) and chunk.distinct is None


def test_all_missing_text():
    assert _fields(classify(pa.array([None, " "], pa.string()))) == (2, 0, 0, 0, [], None, False)
    assert _fields(classify(pa.array([], pa.string()))) == (0, 0, 0, 0, [], None, False)


@pytest.mark.parametrize("array, expected", [
    (pa.array(["a", "1", None], pa.large_string()), (1, 1, 0, 1, [1.0], {"a": 1, "1": 1}, False)),
    (pa.array(["a", "1", None]).dictionary_encode(), (1, 1, 0, 1, [1.0], {"a": 1, "1": 1}, False)),
    # an unused dictionary entry is not a value; a repeated code is counted every time
    (pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 1], pa.int8()), pa.array(["a", " 1", "unused"])),
     (1, 2, 0, 1, [1.0, 1.0], {"a": 1, "1": 2}, False)),
])
def test_large_strings_and_dictionaries_of_strings(array, expected):
    assert _fields(classify(array)) == expected


def test_dictionaries_of_numbers_are_decoded():
    array = pa.DictionaryArray.from_arrays(pa.array([0, 1, 1, None], pa.int32()), pa.array([7, 8], pa.int64()))
    assert _fields(classify(array)) == (1, 3, 0, 0, [7.0, 8.0, 8.0], None, False)


def test_other_types_are_profiled_as_their_text():
    dates = classify(pa.array([datetime.date(2024, 2, 29), None]))
    assert _fields(dates) == (1, 0, 0, 1, [], {"2024-02-29": 1}, False)
    nested = classify(pa.array([[1, 2], None, [1, 2], []]))
    assert _fields(nested) == (1, 0, 0, 3, [], {"[1,2]": 2, "[]": 1}, False)
    structs = classify(pa.array([{"a": "x y"}]))
    assert structs.value_counts == {'{"a":"x y"}': 1}


def test_binary_values_are_profiled_as_hex_text():
    chunk = classify(pa.array([b"\x01\xff", b"12", None, b""], pa.binary()))
    assert _fields(chunk) == (1, 0, 0, 3, [], {"0x01ff": 1, "0x3132": 1, "0x": 1}, False)
    fixed = classify(pa.array([b"ab", b"ab"], pa.binary(2)))
    assert fixed.value_counts == {"0x6162": 2}
    large = classify(pa.array([b"\x00"], pa.large_binary()))
    assert large.value_counts == {"0x00": 1}


def test_hex_text_of_a_slice_keeps_the_right_values_and_nulls():
    array = pa.array([b"\x00", None, b"\xab\xcd", b"", None, b"\x10"], pa.binary())
    for offset in range(len(array)):
        part = array.slice(offset)
        got = hex_text(part)
        assert got.type == pa.large_string()
        assert got.to_pylist() == [None if v is None else "0x" + v.hex() for v in part.to_pylist()]
        assert got.null_count == part.null_count
    assert hex_text(pa.array([], pa.binary())).to_pylist() == []
    assert hex_text(pa.array([b"", b""], pa.binary())).to_pylist() == ["0x", "0x"]
    assert hex_text(pa.array([b"\x12"], pa.large_binary())).to_pylist() == ["0x12"]
    assert hex_text(pa.array([b"\x12\x34"], pa.binary(2))).to_pylist() == ["0x1234"]


@pytest.mark.parametrize("chunks", [[["a", "1"]], [["a"], ["1", None]], [["a"], [], ["1"], [None]]])
def test_chunked_columns_are_classified_as_one(chunks):
    column = pa.chunked_array(chunks, pa.string())
    flat = pa.array([v for c in chunks for v in c], pa.string())
    assert _fields(classify(column)) == _fields(classify(flat))
    assert classify(column).value_counts == {"a": 1, "1": 1}


def test_value_counts_keep_the_most_frequent_when_capped(monkeypatch):
    monkeypatch.setattr(infer, "MAX_TRACKED_VALUES", 2)
    chunk = classify(pa.array(["c", "a", "b", "a", "c", "c", "d"]))
    assert chunk.value_counts == {"c": 3, "a": 2} and chunk.counts_truncated
    assert chunk.distinct.estimate() == 4 and chunk.n_string == 7
    at_cap = classify(pa.array(["a", "b", "a"]))
    assert at_cap.value_counts == {"a": 2, "b": 1} and not at_cap.counts_truncated


def test_column_type_precedence():
    assert [column_type(*t) for t in [(0, 0, 1), (1, 1, 1), (0, 1, 0), (5, 1, 0), (1, 0, 0), (0, 0, 0)]] == \
        ["String", "String", "Fractional", "Fractional", "Integral", "Unknown"]


def test_hex_text_of_a_slice_in_the_middle_stops_at_its_last_value():
    array = pa.array([b"\x00", None, b"\xab\xcd", b"", None, b"\x10"], pa.binary())
    assert hex_text(array.slice(1, 3)).to_pylist() == [None, "0xabcd", "0x"]
    assert hex_text(array.slice(2, 1)).to_pylist() == ["0xabcd"]
    assert hex_text(array.slice(0, 0)).to_pylist() == []


def test_a_null_entry_in_a_dictionary_is_a_missing_value():
    array = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2, 1], pa.int8()), pa.array(["a", None, "3"]))
    assert array.to_pylist() == ["a", None, "3", None]
    assert _fields(classify(array)) == (2, 1, 0, 1, [3.0], {"a": 1, "3": 1}, False)


def test_dictionaries_of_floats_are_decoded_so_nan_is_missing():
    array = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0, 2], pa.int8()), pa.array([1.5, math.nan, 2.0]))
    assert _fields(classify(array)) == (1, 0, 3, 0, [1.5, 1.5, 2.0], None, False)


def test_a_nested_column_with_no_values_is_all_missing():
    assert _fields(classify(pa.array([None, None], pa.list_(pa.int64())))) == (2, 0, 0, 0, [], None, False)
