"""The JSONPath subset of batch transform's ``DataProcessing`` filters (DG "Associate prediction results with
input records", table "JSONPath operators supported").

Written here rather than on jsonpath-ng (which LocalStack installs) because jsonpath-ng accepts far more than
SageMaker does (``..``, filters), which must be refused, and returns a list of matches where SageMaker keeps the
container of a multi-selection (``$['id','SageMakerOutput']`` gives an object, ``$[0,-1]`` an array):

============================ ===========================================================
``$``                        the whole record
``.name``, ``['name']``      a child of an object
``['a','b']``                several children (an object holding them); last step only
``[2]``, ``[-1]``            an element of an array (negative counts from the end)
``[0,2,-1]``                 several elements (an array); last step only
``[1:]``, ``[:3]``, ``[1:3]`` a slice of an array; last step only
``.*``, ``[*]``              every element (the value itself)
============================ ===========================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["JsonPath", "JsonPathError", "parse_jsonpath"]


class JsonPathError(ValueError):
    """A filter outside the supported subset, or one that does not fit the record."""


_NAME = r"[A-Za-z_][A-Za-z0-9_\-]*"
_QUOTED = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_TOKEN = re.compile(
    rf"\.(?P<dot>{_NAME}|\*)"
    rf"|\[(?P<star>\*)\]"
    rf"|\[(?P<names>\s*(?:{_QUOTED})(?:\s*,\s*(?:{_QUOTED}))*\s*)\]"
    r"|\[(?P<slice>\s*-?\d*\s*:\s*-?\d*\s*)\]"
    r"|\[(?P<indexes>\s*-?\d+(?:\s*,\s*-?\d+)*\s*)\]"
)


@dataclass(frozen=True)
class _Step:
    kind: str  # "name", "names", "index", "indexes", "slice", "all"
    value: Any


@dataclass(frozen=True)
class JsonPath:
    """A parsed filter; :meth:`apply` selects from a record (a parsed JSON value or a CSV row as a list)."""

    text: str
    steps: tuple[_Step, ...]

    @property
    def identity(self) -> bool:
        return all(step.kind == "all" for step in self.steps)

    def apply(self, value: Any) -> Any:
        """Select from *value*.

        Raises
        ------
        JsonPathError
            A child that is not there, an index out of range, a step on the wrong kind of value.

        Examples
        --------
        >>> parse_jsonpath("$[1:]").apply(["label", "1", "2"])
        ['1', '2']
        >>> parse_jsonpath("$[0,-1]").apply(["id", "f", "0.9"])
        ['id', '0.9']
        >>> parse_jsonpath("$['id','SageMakerOutput']").apply({"id": 1, "x": 2, "SageMakerOutput": 0.9})
        {'id': 1, 'SageMakerOutput': 0.9}
        >>> parse_jsonpath("$.features[0]").apply({"features": [5, 6]})
        5
        """
        for step in self.steps:
            value = _select(value, step)
        return value


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def parse_jsonpath(text: str) -> JsonPath:
    """Parse a filter of the supported subset.

    Raises
    ------
    JsonPathError
        Naming where the filter leaves the subset.

    Examples
    --------
    >>> parse_jsonpath("$").identity, parse_jsonpath("$[*]").identity, parse_jsonpath("$[1:]").identity
    (True, True, False)
    >>> parse_jsonpath("$..price")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sagewatch.localstack.sagemaker.transform.jsonpath.JsonPathError: JSONPath '$..price': unsupported at '..price' ...
    """
    stripped = text.strip()
    if not stripped.startswith("$"):
        raise JsonPathError(f"JSONPath {text!r} must start with $")
    position, steps = 1, []
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None:
            raise JsonPathError(f"JSONPath {text!r}: unsupported at {stripped[position:]!r} (supported: $, .name, "
                                "['name', ...], [index, ...], [start:end], * )")
        if match.group("dot") is not None:
            name = match.group("dot")
            steps.append(_Step("all", None) if name == "*" else _Step("name", name))
        elif match.group("star") is not None:
            steps.append(_Step("all", None))
        elif match.group("names") is not None:
            names = [_unquote(token) for token in re.findall(_QUOTED, match.group("names"))]
            steps.append(_Step("name", names[0]) if len(names) == 1 else _Step("names", tuple(names)))
        elif match.group("slice") is not None:
            low, high = (part.strip() for part in match.group("slice").split(":"))
            steps.append(_Step("slice", (int(low) if low else None, int(high) if high else None)))
        else:
            indexes = tuple(int(part) for part in match.group("indexes").split(","))
            steps.append(_Step("index", indexes[0]) if len(indexes) == 1 else _Step("indexes", indexes))
        position = match.end()
    for step in steps[:-1]:
        if step.kind in ("names", "indexes", "slice"):
            raise JsonPathError(f"JSONPath {text!r}: a selection of several elements must be the last step")
    return JsonPath(text, tuple(steps))


def _element(value: Sequence[Any], index: int) -> Any:
    if not -len(value) <= index < len(value):
        raise JsonPathError(f"index {index} is outside the record's {len(value)} elements")
    return value[index]


def _select(value: Any, step: _Step) -> Any:
    if step.kind == "all":
        return value
    if step.kind in ("name", "names"):
        if not isinstance(value, dict):
            raise JsonPathError(f"a child name selects from an object, not from {type(value).__name__}")
        names = [step.value] if step.kind == "name" else list(step.value)
        missing = [name for name in names if name not in value]
        if missing:
            raise JsonPathError(f"the record has no {missing[0]!r}")
        return value[step.value] if step.kind == "name" else {name: value[name] for name in names}
    if not isinstance(value, list):
        raise JsonPathError(f"an index selects from an array, not from {type(value).__name__}")
    if step.kind == "index":
        return _element(value, step.value)
    if step.kind == "indexes":
        return [_element(value, index) for index in step.value]
    low, high = step.value
    return value[low:high]
