"""Hostile values and a seeded JSON mutator shared by the fuzz families.

Everything here is a pure function of a ``random.Random``: the same seed gives the same input.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any


class FuzzFailure(AssertionError):
    """An oracle saw a wrong result: the case ended without an error but its output is not right."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise FuzzFailure(message)


# Times that match the contract's pattern but are not times (issue 11 §4), and a few that do not match it.
BAD_TIMES = [
    "2024-02-30T10:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T25:00:00Z", "2024-01-01T10:61:00Z",
    "2024-01-01T10:00:00+25:00", "0000-01-01T00:00:00Z", "2024-01-01", "yesterday", "", "2024-01-01T10:00:00.Z",
    "9999-12-31T23:59:59-23:59", "2024-02-29T24:00:00Z", "１２３４-01-01T00:00:00Z",
]
GOOD_TIMES = ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123456Z", "2024-05-01T12:00:00+02:00",
              "2024-02-29T23:59:59Z", "2024-05-01T10:30:00.5Z"]


def deep_json_text(depth: int, leaf: str = "1", opener: str = "[", closer: str = "]") -> str:
    """``[[[...1...]]]`` nested ``depth`` deep, built as text (no recursion)."""
    return opener * depth + leaf + closer * depth


def deep_object_text(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def deep_value(depth: int) -> Any:
    """A Python value nested ``depth`` deep (lists), built iteratively."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def hostile_scalar(rng: random.Random) -> Any:
    """A JSON value of a surprising type or size."""
    return rng.choice([
        None, True, False, 0, -1, -3, 2 ** 64 - 1, -(2 ** 63), 1e308, -1.7e308, 5e-324, 0.5, "", "x", "abc",
        "NaN", "Infinity", "-1", "１", "\u0000", "é" * 3, "x" * rng.choice([1000, 70_000]), [], {}, [1, "a"],
        {"a": None}, deep_value(rng.choice([50, 400])),
    ])


def json_paths(document: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indexes) of a JSON document, the root first."""
    paths = [prefix]
    stack = [(document, prefix)]
    while stack:
        value, at = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            paths.append(at + (key,))
            stack.append((child, at + (key,)))
    return paths


def _parent(document: Any, path: tuple) -> tuple[Any, Any]:
    node = document
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


def mutate_json(document: Any, rng: random.Random, rounds: int = 1) -> Any:
    """Change, delete, duplicate or deepen ``rounds`` random places of a JSON document (a copy)."""
    document = copy.deepcopy(document)
    for _ in range(rounds):
        paths = [p for p in json_paths(document) if p]
        if not paths:
            return hostile_scalar(rng)
        path = rng.choice(paths)
        parent, key = _parent(document, path)
        action = rng.random()
        if action < 0.55:
            parent[key] = hostile_scalar(rng)
        elif action < 0.7:
            del parent[key]
        elif action < 0.8:
            parent[key] = deep_value(rng.choice([3, 200, 450]))
        elif action < 0.9 and isinstance(parent, dict):
            parent[str(key) + rng.choice(["", "_x", " "])] = copy.deepcopy(parent[key])
        else:
            value = parent[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[key] = rng.choice([-value, -abs(value) - 1, value * 1e308, float("nan"), float("inf")])
            else:
                parent[key] = hostile_scalar(rng)
    return document


def hostile_text(document: Any, rng: random.Random) -> bytes:
    """The document as JSON text, sometimes broken at the byte level (truncation, bad bytes, encodings)."""
    text = json.dumps(document, indent=rng.choice([None, 4]))
    data = text.encode("utf-8")
    roll = rng.random()
    if roll < 0.25:
        return data[: rng.randrange(0, max(1, len(data)))]
    if roll < 0.35:
        at = rng.randrange(0, max(1, len(data)))
        return data[:at] + rng.choice([b"\xff", b"\xe9", b"\x00", b"\xc3"]) + data[at:]
    if roll < 0.4:
        return text.encode("utf-16")
    if roll < 0.45:
        return deep_json_text(rng.choice([2_000, 100_000])).encode()
    if roll < 0.5:
        return rng.choice([b"", b"null", b"[]", b"5", b'"x"', b"{}", b"\xef\xbb\xbf{}", b"{" * 50])
    return data


EDGE_NUMBERS = [0, -0.0, 1, -1, 0.5, 1e-300, 5e-324, 1e308, -1e308, 1.7976931348623157e308, 2 ** 53 + 1, 2 ** 63,
                10 ** 30, 0.1, 0.9999999999999999, 1.0000000000000002, 3]


def mutate_number(document: Any, rng: random.Random) -> Any:
    """Set one number of a JSON document to an edge value (a copy); the document stays well-typed."""
    document = copy.deepcopy(document)
    paths = [p for p in json_paths(document) if p and _is_number(_get(document, p))]
    if not paths:
        return document
    path = rng.choice(paths)
    parent, key = _parent(document, path)
    value = parent[key]
    parent[key] = rng.choice(EDGE_NUMBERS + [value * -1, value * 2, value + 1e-9])
    return document


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _get(document: Any, path: tuple) -> Any:
    for key in path:
        document = document[key]
    return document
