"""Bounds and guards for JSON text before it reaches ``pyarrow.json`` or the ``json`` module.

pyarrow 26's JSON reader crashes the process (SIGSEGV) on two kinds of input, found by probing:

- a parse block whose first value is ``null`` (``null``, ``null,`` …): blocks start at line
  breaks (``\\n`` or ``\\r``), so any line that does not start with ``{`` may start a block;
- type inference over values nested about 30,000 deep (recursion in the builder); with an
  explicit schema the same input is rejected or ignored cleanly.

The readers therefore hand pyarrow only buffers whose every line starts with ``{``
(:func:`lines_start_with_object`), and infer types only for values whose nesting is within
:data:`~sagewatch.defaults.MAX_JSON_DEPTH` (:func:`json_shape`). The ``json`` module raises
``RecursionError`` on deep input; :func:`loads_bounded` turns that into :class:`JsonTooDeep`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.capture._arrow import as_array, join_lines

__all__ = ["JsonTooDeep", "JsonShape", "LineScan", "scan_lines", "lines_start_with_object", "json_shape", "loads_bounded"]

_LF, _CR, _SPACE, _TAB, _BRACE = 10, 13, 32, 9, 123
_GROUP_BYTES = 1 << 24  # texts scanned together per numpy pass (bounds the scan's memory)


class JsonTooDeep(ValueError):
    """A JSON text is nested deeper than the parser (or the bound) allows."""


def loads_bounded(text: str | bytes) -> Any:
    """``json.loads`` that raises :class:`JsonTooDeep` instead of ``RecursionError``.

    >>> loads_bounded('[1]')
    [1]
    >>> try:
    ...     loads_bounded('[' * 100_000)
    ... except JsonTooDeep as e:
    ...     print(e)
    JSON nested too deep for the parser
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise JsonTooDeep("JSON nested too deep for the parser") from None


@dataclass(frozen=True)
class LineScan:
    """What one pass over a JSON Lines buffer found (see :func:`scan_lines`)."""

    objects_only: bool
    """Every non-blank line (split at ``\\n`` and ``\\r``) starts with ``{`` after blanks."""
    line_feeds: int
    """The number of ``\\n`` bytes."""


def scan_lines(data: bytes | memoryview) -> LineScan:
    """Look at every line start of a buffer once (numpy): is it safe for ``pyarrow.json``, how many lines.

    >>> scan_lines(b'{"a": 1}\\r\\n  {"a": 2}\\n\\n')
    LineScan(objects_only=True, line_feeds=3)
    >>> scan_lines(b'{"a": 1}\\n null')
    LineScan(objects_only=False, line_feeds=1)
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    if len(arr) == 0:
        return LineScan(True, 0)
    has_cr = b"\r" in (data if isinstance(data, bytes) else bytes(data))  # memchr: cheaper than a second compare
    if has_cr:
        ends = np.flatnonzero((arr == _LF) | (arr == _CR))
        line_feeds = int(np.count_nonzero(arr[ends] == _LF))
    else:
        ends = np.flatnonzero(arr == _LF)
        line_feeds = len(ends)
    starts = np.concatenate(([0], ends + 1))
    starts = starts[starts < len(arr)]
    first = arr[starts]
    padded = starts[(first == _SPACE) | (first == _TAB)]
    if len(padded):  # lines indented with blanks: look at their first other byte
        other = np.flatnonzero((arr != _SPACE) & (arr != _TAB))
        at = np.searchsorted(other, padded)
        first = np.concatenate([first[(first != _SPACE) & (first != _TAB)],
                                arr[other[at[at < len(other)]]]])
    return LineScan(bool(np.all((first == _BRACE) | (first == _LF) | (first == _CR))), line_feeds)


def lines_start_with_object(data: bytes | memoryview) -> bool:
    """True when every non-blank line (split at ``\\n`` and ``\\r``) starts with ``{`` after blanks.

    Only such buffers are safe for ``pyarrow.json`` (see the module notes).

    >>> lines_start_with_object(b'{"a": 1}\\r\\n  {"a": 2}\\n\\n')
    True
    >>> lines_start_with_object(b'{"a": 1}\\n null\\n')
    False
    """
    return scan_lines(data).objects_only


@dataclass(frozen=True)
class JsonShape:
    """Per text: ``depth`` (deepest ``[``/``{`` nesting outside strings) and ``fields``
    (commas outside strings plus one: an upper bound of its leaf values)."""

    depth: np.ndarray
    fields: np.ndarray


_STRING = r'"(?:[^"\\]|\\.)*"'  # a JSON string literal, escapes included


_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


def _levels(buf: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Deepest bracket nesting of each text laid out at ``starts`` in ``buf`` (strings removed)."""
    level = np.cumsum(_STEP[buf], dtype=np.int32)
    before = np.concatenate(([0], level))[starts]  # the running level where each text starts
    return np.maximum(np.maximum.reduceat(level, starts) - before, 0).astype(np.int64)


def json_shape(texts: pa.Array | pa.ChunkedArray, *, max_depth: int, max_fields: int) -> JsonShape:
    """Measure nesting depth and field count of JSON texts, exactly where they may exceed the bounds.

    Texts with at most ``max_depth`` brackets and ``max_fields - 1`` commas cannot exceed the
    bounds and get those counts as their (upper-bound) values; only the others are measured
    exactly: string literals are removed (RE2, escapes included), then the brackets are
    counted level by level in one numpy pass.

    >>> import pyarrow as pa
    >>> s = json_shape(pa.array(['[[1, 2]]', '["[[[", 1]', '[' * 5 + ']' * 5]), max_depth=2, max_fields=10)
    >>> s.depth.tolist(), s.fields.tolist()
    ([2, 1, 5], [2, 2, 1])
    """
    texts = pc.fill_null(as_array(texts).cast(pa.string()), "")
    depth = pc.add(pc.count_substring(texts, "["), pc.count_substring(texts, "{"))
    depth = depth.to_numpy(zero_copy_only=False).astype(np.int64)
    fields = pc.add(pc.count_substring(texts, ","), 1).to_numpy(zero_copy_only=False).astype(np.int64)
    todo = np.flatnonzero((depth > max_depth) | (fields > max_fields))
    if len(todo) == 0:
        return JsonShape(depth, fields)
    bare = pc.replace_substring_regex(texts.take(pa.array(todo, pa.int64())), _STRING, '""')
    fields[todo] = pc.add(pc.count_substring(bare, ","), 1).to_numpy(zero_copy_only=False)
    sizes = pc.binary_length(bare).to_numpy(zero_copy_only=False).astype(np.int64) + 1
    lo = 0
    while lo < len(todo):  # groups of texts, to bound the scan's memory
        hi = lo + max(1, int(np.searchsorted(np.cumsum(sizes[lo:]), _GROUP_BYTES)))
        buf = np.frombuffer(join_lines(bare.slice(lo, hi - lo)), dtype=np.uint8)
        starts = np.concatenate(([0], np.cumsum(sizes[lo:hi])[:-1]))
        depth[todo[lo:hi]] = _levels(buf, starts)
        lo = hi
    return JsonShape(depth, fields)
