"""Validation of input documents against their declared pydantic models, with one error shape.

Every file sagewatch reads (``statistics.json``, ``constraints.json``, ``constraint_violations.json``,
the baseline's ``sagewatch_report.json``, the ``dataset_format`` of a job) is declared as a pydantic v2
model in ``schemas/``; :func:`validate_document` checks a parsed document against one and turns every
problem into a :class:`~sagewatch.errors.SchemaError` that names the file, the field path (e.g.
``features[3].numerical_statistics.distribution.kll.sketch.parameters.k``), what was expected and
what was found.

The field types shared by the models live here: they accept what SageMaker itself writes (integral
doubles for counts, Jackson's ``"NaN"`` strings for undefined doubles) and reject what is impossible.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

from sagewatch.errors import SchemaError

__all__ = ["Document", "validate_document", "expected", "describe", "Described", "field_path", "Count", "JsonDouble", "NonNegativeDouble",
           "NonNegativeNumber", "FiniteNumber", "Share", "Name", "VersionNumber"]

M = TypeVar("M", bound=BaseModel)

MAX_REPORTED_PROBLEMS = 3
_INTERNAL_LOC = re.compile(r"^(function-|lax-|strict-|json-or-python|tagged-union|nullable)")
_UNSET: Any = object()
_JACKSON_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class Document(BaseModel):
    """Base of every declared file part: strict JSON types, unknown keys ignored (read liberally)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


def expected(what: str, *, at: tuple[str | int, ...] = (), found: Any = _UNSET) -> PydanticCustomError:
    """The error a validator raises: ``what`` is the expected value, ``at`` a sub-path below the field
    being validated and ``found`` the offending value (default: the value being validated)."""
    ctx: dict[str, Any] = {"expected": what, "at": at}
    if found is not _UNSET:
        ctx["found"] = describe(found)
    return PydanticCustomError("sagewatch", "{expected}", ctx)


# ------------------------------------------------------------------------------ error shape
_EXPECTED_BY_TYPE = {
    "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
    "list_type": "a list", "tuple_type": "a list", "string_type": "a string", "bool_type": "true or false",
    "float_type": "a number", "int_type": "a whole number", "finite_number": "a finite number",
    "missing": "a value (the field is required)", "none_required": "null",
}


def _expected_phrase(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "sagewatch":
        return str(ctx["expected"])
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    if kind in ("string_too_short", "too_short"):
        return "a non-empty string" if kind == "string_too_short" else f"at least {ctx.get('min_length')} items"
    for bound, sign in (("greater_than_equal", ">="), ("greater_than", ">"), ("less_than_equal", "<="),
                        ("less_than", "<")):
        if kind == bound:
            return f"a number {sign} {next(iter(ctx.values()))}"
    return _EXPECTED_BY_TYPE.get(kind, str(error.get("msg", kind)))


class Described(str):
    """Text that already describes a found value (e.g. the name of a block that should not be there)."""


def describe(value: Any) -> str:
    """A short, bounded description of a JSON value for error messages.

    >>> describe("abc"), describe(-3), describe(True), describe(None), describe([1, 2]), describe({})
    ("the string 'abc'", 'the number -3', 'true', 'null', 'a list of 2 items', 'an object')
    """
    if isinstance(value, Described):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return f"the number {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, str):
        return f"the string {value[:60] + '...' if len(value) > 60 else value!r}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def field_path(parts: tuple[str | int, ...]) -> str:
    """``('features', 3, 'name')`` as ``features[3].name``.

    >>> field_path(("features", 3, "numerical_statistics", "common", "num_present"))
    'features[3].numerical_statistics.common.num_present'
    """
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _INTERNAL_LOC.match(part):
            out += f".{part}" if out else part
    return out or "(document)"


def _problem(error: dict[str, Any]) -> tuple[str, str]:
    ctx = error.get("ctx") or {}
    path = field_path(tuple(error["loc"]) + tuple(ctx.get("at", ())))
    if "found" in ctx:
        found = ctx["found"]
    elif error["type"] == "missing":
        found = "nothing (the field is absent)"
    else:
        found = describe(error.get("input"))
    return path, f"expected {_expected_phrase(error)}, found {found}"


def validate_document(model: type[M], document: Any, *, source: str, at: tuple[str | int, ...] = (),
                      error: type[SchemaError] = SchemaError) -> M:
    """Check ``document`` against ``model``; any problem raises :class:`SchemaError` naming the field.

    The message gives the first problem (and the next ones, up to three in all). ``at`` is the path of
    ``document`` inside a larger one (field paths start with it); ``error`` a subclass of
    :class:`SchemaError` to raise instead.

    >>> class Point(Document):
    ...     x: Count
    >>> validate_document(Point, {"x": 2.0}, source="p.json").x
    2
    >>> validate_document(Point, {"x": -1}, source="p.json")
    Traceback (most recent call last):
    ...
    sagewatch.errors.SchemaError: p.json, field 'x': expected a non-negative whole number, found the number -1
    """
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        problems = [_problem({**e, "loc": at + tuple(e["loc"])}) for e in exc.errors(include_url=False)]
    except RecursionError:  # a document built in memory deeper than the interpreter allows
        raise error("the document is nested too deeply", source=source, field=field_path(at) if at else None) \
            from None
    (path, message), rest = problems[0], problems[1:]
    if rest:
        shown = "; ".join(f"{p}: {m}" for p, m in rest[:MAX_REPORTED_PROBLEMS - 1])
        more = len(rest) - (MAX_REPORTED_PROBLEMS - 1)
        message += f" (also {shown}" + (f"; and {more} more problem{'s' * (more > 1)}" if more > 0 else "") + ")"
    raise error(message, source=source, field=path)


# ------------------------------------------------------------------------------ field types
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: Any) -> int:
    # SageMaker writes some counts as doubles (distinct_count 1.0): integral doubles are whole numbers
    if _is_number(value) and value >= 0 and (isinstance(value, int) or value.is_integer()):
        return int(value)
    raise expected("a non-negative whole number")


def _json_double(value: Any) -> float:
    if _is_number(value):
        return float(value)
    if isinstance(value, str) and value in _JACKSON_NON_FINITE:  # Jackson's WRITE_NAN_AS_STRINGS
        return _JACKSON_NON_FINITE[value]
    raise expected('a number (or "NaN", "Infinity", "-Infinity" as Jackson writes them)')


def _non_negative_double(value: Any) -> float:
    number = _json_double(value)
    if number < 0:
        raise expected("a number >= 0")
    return number


def _non_negative_number(value: Any) -> float:
    if _is_number(value) and math.isfinite(value) and value >= 0:
        return float(value)
    raise expected("a finite number >= 0")


def _finite_number(value: Any) -> float:
    if _is_number(value) and math.isfinite(value):
        return float(value)
    raise expected("a finite number")


def _share(value: Any) -> float:
    if _is_number(value) and 0 <= value <= 1:
        return float(value)
    raise expected("a number from 0 to 1")


def _name(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    raise expected("a non-empty string")


Count = Annotated[int, PlainValidator(_count)]
"""A count: a non-negative whole number, written as an integer or an integral double."""
JsonDouble = Annotated[float, PlainValidator(_json_double)]
"""A double as Jackson writes it: a number, or ``"NaN"`` / ``"Infinity"`` / ``"-Infinity"``."""
NonNegativeDouble = Annotated[float, PlainValidator(_non_negative_double)]
NonNegativeNumber = Annotated[float, PlainValidator(_non_negative_number)]
FiniteNumber = Annotated[float, PlainValidator(_finite_number)]
Share = Annotated[float, PlainValidator(_share)]
"""A ratio such as ``completeness``: a number from 0 to 1."""
Name = Annotated[str, PlainValidator(_name)]
VersionNumber = FiniteNumber


def unique_feature_names(features: Any) -> None:
    """Raise the declared error at ``features[i].name`` for the first feature whose name was used before."""
    seen: set[str] = set()
    for i, feature in enumerate(features):
        if feature.name in seen:
            raise expected("a feature name used once (a second feature of that name)",
                           at=("features", i, "name"), found=feature.name)
        seen.add(feature.name)
