"""Jackson's layout and Java's double text, byte for byte, at every boundary of the writer."""

from __future__ import annotations

import numpy as np
import pytest

from sagewatch.schemas.serialize import dumps_jackson, java_double


@pytest.mark.parametrize(("value", "text"), [
    (float("inf"), '"Infinity"'), (float("-inf"), '"-Infinity"'), (float("nan"), '"NaN"'),
    (0.0, "0.0"), (-0.0, "-0.0"),
    (0.001, "0.001"), (-0.001, "-0.001"), (0.00123, "0.00123"), (0.0009999, "9.999E-4"),
    (1.0, "1.0"), (12.5, "12.5"), (9999999.0, "9999999.0"), (1e7, "1.0E7"), (-1.5e7, "-1.5E7"),
    (123456789.0, "1.23456789E8"), (1e-10, "1.0E-10"), (1.7976931348623157e308, "1.7976931348623157E308"),
])
def test_java_double_text(value, text):
    assert java_double(value) == text


@pytest.mark.parametrize(("values", "text"), [
    ([1e7], "[ 1.0E7 ]"), ([1.0, 1e7], "[ 1.0, 1.0E7 ]"), ([1e-4, 0.5], "[ 1.0E-4, 0.5 ]"),
    ([0.001, 0.0, -0.0, 9999999.0], "[ 0.001, 0.0, -0.0, 9999999.0 ]"),
    ([float("nan"), 1.0], '[ "NaN", 1.0 ]'),
])
def test_float_lists_use_java_text_outside_the_plain_range(values, text):
    assert dumps_jackson({"a": values}) == '{\n  "a" : ' + text + "\n}"


def test_numpy_arrays_and_scalars_are_written_as_json():
    document = {"v": np.array([1.0, 1e7]), "m": np.array([[1, 2], [3, 4]]), "i": np.int64(7), "f": np.float64(0.5),
                "b": np.bool_(True)}
    assert dumps_jackson(document) == ('{\n  "v" : [ 1.0, 1.0E7 ],\n  "m" : [ [ 1, 2 ], [ 3, 4 ] ],\n  "i" : 7,\n'
                                       '  "f" : 0.5,\n  "b" : true\n}')


def test_scalars_and_empty_containers():
    assert dumps_jackson({"n": None, "t": True, "f": False, "e": {}, "l": [], "s": "x"}) == \
        '{\n  "n" : null,\n  "t" : true,\n  "f" : false,\n  "e" : { },\n  "l" : [ ],\n  "s" : "x"\n}'
    assert dumps_jackson({}) == "{ }"


def test_keys_and_strings_keep_unicode_and_are_escaped():
    assert dumps_jackson({"städt": 'Zürich "✓"', 3: "k"}) == '{\n  "städt" : "Zürich \\"✓\\"",\n  "3" : "k"\n}'


def test_nested_objects_indent_by_two_and_lists_stay_inline():
    document = {"a": {"b": {"c": 1}}, "d": [{"e": 1}, {"f": [1, "x"]}], "g": [1.5, 2]}
    assert dumps_jackson(document) == (
        '{\n  "a" : {\n    "b" : {\n      "c" : 1\n    }\n  },\n'
        '  "d" : [ {\n    "e" : 1\n  }, {\n    "f" : [ 1, "x" ]\n  } ],\n'
        '  "g" : [ 1.5, 2 ]\n}')


def test_objects_that_are_not_json_are_refused_by_type():
    with pytest.raises(TypeError) as info:
        dumps_jackson({"x": object()})
    assert str(info.value) == "cannot serialize object as JSON"
    with pytest.raises(TypeError, match="^cannot serialize set as JSON$"):
        dumps_jackson({"x": {1}})
