"""The one error shape of validate_document: every phrase, description and path rule pinned."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field, ValidationError

from sagewatch.errors import SchemaError
from sagewatch.schemas.statistics_model import StatisticsFile
from sagewatch.schemas.validation import (Count, Described, Document, describe, expected, field_path,
                                          validate_document)


class _Bounded(Document):
    ge: Annotated[int, Field(ge=3)] = 3
    gt: Annotated[int, Field(gt=3)] = 4
    le: Annotated[int, Field(le=3)] = 3
    lt: Annotated[int, Field(lt=3)] = 2
    text: Annotated[str, Field(min_length=1)] = "x"
    items: Annotated[list[int], Field(min_length=2)] = [1, 2]
    kind: Literal["a", "b"] = "a"
    flag: bool = False
    number: float = 0.0
    whole: int = 0
    words: str = ""
    nothing: None = None
    pair: tuple[int, int] = (0, 0)


def _message(model, document, **kwargs) -> str:
    with pytest.raises(SchemaError) as info:
        validate_document(model, document, source="f.json", **kwargs)
    return str(info.value)


@pytest.mark.parametrize(("field", "value", "phrase"), [
    ("ge", 2, "expected a number >= 3, found the number 2"),
    ("gt", 3, "expected a number > 3, found the number 3"),
    ("le", 4, "expected a number <= 3, found the number 4"),
    ("lt", 3, "expected a number < 3, found the number 3"),
    ("text", "", "expected a non-empty string, found the string ''"),
    ("items", [1], "expected at least 2 items, found a list of 1 item"),
    ("kind", "c", "expected one of 'a' or 'b', found the string 'c'"),
    ("flag", "yes", "expected true or false, found the string 'yes'"),
    ("number", "1.5", "expected a number, found the string '1.5'"),
    ("whole", 1.5, "expected a whole number, found the number 1.5"),
    ("words", 5, "expected a string, found the number 5"),
    ("nothing", 0, "expected null, found the number 0"),
    ("pair", {}, "expected a list, found an object"),
])
def test_each_pydantic_error_kind_has_its_phrase(field, value, phrase):
    assert _message(_Bounded, {field: value}) == f"f.json, field {field!r}: {phrase}"


def test_unlisted_error_kinds_fall_back_to_pydantic_text():
    class Short(Document):
        items: Annotated[list[int], Field(max_length=2)] = []
    message = _message(Short, {"items": [1, 2, 3]})
    assert message == "f.json, field 'items': expected List should have at most 2 items after validation, not 3, " \
                      "found a list of 3 items"


def test_missing_field_says_it_is_absent():
    class Named(Document):
        name: str
    assert _message(Named, {}) == ("f.json, field 'name': expected a value (the field is required), "
                                   "found nothing (the field is absent)")


def test_object_expected_where_a_list_is_found():
    assert _message(StatisticsFile, []) == "f.json, field '(document)': expected an object, found a list of 0 items"


def test_path_prefix_starts_every_field():
    class Point(Document):
        x: Count
    message = _message(Point, {"x": "a"}, at=("csv", 2))
    assert message == "f.json, field 'csv[2].x': expected a non-negative whole number, found the string 'a'"


def test_more_than_three_problems_are_counted():
    class Many(Document):
        a: Count
        b: Count
        c: Count
        d: Count
        e: Count
    message = _message(Many, {k: -1 for k in "abcde"})
    assert message == ("f.json, field 'a': expected a non-negative whole number, found the number -1 (also "
                       "b: expected a non-negative whole number, found the number -1; c: expected a non-negative "
                       "whole number, found the number -1; and 2 more problems)")


def test_exactly_one_more_problem_is_counted_in_the_singular():
    class Four(Document):
        a: Count
        b: Count
        c: Count
        d: Count
    message = _message(Four, {k: -1 for k in "abcd"})
    assert message.endswith("found the number -1; and 1 more problem)")


def test_three_problems_are_all_shown_without_a_count():
    class Three(Document):
        a: Count
        b: Count
        c: Count
    message = _message(Three, {k: -1 for k in "abc"})
    assert message.endswith("c: expected a non-negative whole number, found the number -1)") and "more" not in message


def test_custom_error_class_is_raised():
    class Special(SchemaError):
        pass
    with pytest.raises(Special):
        validate_document(StatisticsFile, {}, source="f.json", error=Special)


def test_expected_is_a_pydantic_error_carrying_the_text():
    with pytest.raises(ValidationError) as info:
        StatisticsFile.model_validate({"features": [{"name": ""}]})
    (error,) = info.value.errors()
    assert error["type"] == "sagewatch" and error["msg"] == "a non-empty string"
    made = expected("x", at=("a",), found=None)
    assert made.type == "sagewatch" and made.message() == "x"
    assert made.context == {"expected": "x", "at": ("a",), "found": "null"}
    assert expected("y").context == {"expected": "y", "at": ()}


# ------------------------------------------------------------------------------ describe
@pytest.mark.parametrize(("value", "text"), [
    (False, "false"), (True, "true"), (0, "the number 0"), (1.5, "the number 1.5"),
    (10 ** 39, f"the number {10 ** 39}"),  # 40 characters: shown whole
    (10 ** 40, "the number " + str(10 ** 40)[:37] + "..."),  # 41 characters: cut to 37
    ("a" * 60, "the string '" + "a" * 60 + "'"),
    ("a" * 61, "the string '" + "a" * 60 + "...'"),
    ([], "a list of 0 items"), ([1], "a list of 1 item"), ((1, 2), "a list of 2 items"),
    ({"a": 1}, "an object"), (b"x", "a bytes"), (Described("string_statistics"), "string_statistics"),
])
def test_describe_is_short_and_bounded(value, text):
    assert describe(value) == text


@pytest.mark.parametrize(("parts", "path"), [
    ((), "(document)"), ((0,), "[0]"), (("a", 0, 1, "b"), "a[0][1].b"),
    (("function-plain[_count()]", "x"), "x"), (("a", "lax-or-strict", "b"), "a.b"),
])
def test_field_path_drops_pydantic_internal_steps(parts, path):
    assert field_path(parts) == path


# ------------------------------------------------------------------------------ the shared field types
from pydantic import model_validator  # noqa: E402

from sagewatch.schemas.validation import (FiniteNumber, JsonDouble, Name, NonNegativeDouble,  # noqa: E402
                                          NonNegativeNumber, Share)


class _Fields(Document):
    finite: FiniteNumber = 0.0
    double: JsonDouble = 0.0
    name: Name = "n"
    nonneg_double: NonNegativeDouble = 0.0
    nonneg_number: NonNegativeNumber = 0.0
    share: Share = 0.0


@pytest.mark.parametrize(("field", "value", "phrase"), [
    ("finite", float("inf"), "expected a finite number, found the number inf"),
    ("finite", "1", "expected a finite number, found the string '1'"),
    ("double", "nan", 'expected a number (or "NaN", "Infinity", "-Infinity" as Jackson writes them), found the '
                      "string 'nan'"),
    ("name", "", "expected a non-empty string, found the string ''"),
    ("name", 3, "expected a non-empty string, found the number 3"),
    ("nonneg_double", -1.0, "expected a number >= 0, found the number -1.0"),
    ("nonneg_double", "-Infinity", "expected a number >= 0, found the string '-Infinity'"),
    ("nonneg_number", float("nan"), "expected a finite number >= 0, found the number nan"),
    ("nonneg_number", -0.5, "expected a finite number >= 0, found the number -0.5"),
    ("share", 1.01, "expected a number from 0 to 1, found the number 1.01"),
    ("share", -0.01, "expected a number from 0 to 1, found the number -0.01"),
])
def test_each_field_type_has_its_phrase(field, value, phrase):
    assert _message(_Fields, {field: value}) == f"f.json, field {field!r}: {phrase}"


@pytest.mark.parametrize(("field", "value", "parsed"), [
    ("double", "Infinity", float("inf")), ("double", 2, 2.0), ("nonneg_double", "Infinity", float("inf")),
    ("nonneg_double", 0, 0.0), ("nonneg_number", 0, 0.0), ("share", 0, 0.0), ("share", 1, 1.0),
])
def test_field_types_accept_their_boundaries(field, value, parsed):
    assert getattr(validate_document(_Fields, {field: value}, source="f.json"), field) == parsed


class _TooDeep(Document):
    @model_validator(mode="before")
    @classmethod
    def _recurse(cls, value):
        raise RecursionError("maximum recursion depth exceeded")


def test_recursion_limit_reached_while_validating_names_the_path():
    with pytest.raises(SchemaError) as info:
        validate_document(_TooDeep, {}, source="f.json", at=("x", 1))
    assert str(info.value) == "f.json, field 'x[1]': the document is nested too deeply"
    assert info.value.__cause__ is None
    with pytest.raises(SchemaError) as info:
        validate_document(_TooDeep, {}, source="f.json")
    assert str(info.value) == "f.json: the document is nested too deeply" and info.value.field is None


def test_two_problems_are_both_shown():
    class Two(Document):
        a: Count
        b: Count
    assert _message(Two, {"a": -1, "b": "x"}) == (
        "f.json, field 'a': expected a non-negative whole number, found the number -1 (also b: expected a "
        "non-negative whole number, found the string 'x')")
