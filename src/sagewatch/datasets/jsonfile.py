"""Read JSON Lines and JSON array files as flattened records, defensively.

Every line of a JSON Lines file (every item of a JSON array file) is one record and must be
a JSON object; before any text reaches ``pyarrow.json`` (whose parser crashes the process on
some inputs, e.g. nesting 20,000 deep) it is checked, vectorised:

- bytes that are not UTF-8: the record is skipped (``not_utf8``);
- nesting deeper than :data:`MAX_JSON_DEPTH`: skipped (``too_deep``), so flattening stays bounded;
- a value that is not an object (``1``, ``null``, ``"x"``, ``[1, 2]``): skipped (``not_a_record``);
- text that is not JSON: skipped (``bad_json``).

A JSON array file is split into its items by the same scan (no recursive parser is used), so
a malformed item is a counted skip and a file that is not one JSON array is an error naming
the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import sagewatch.capture.skips as R
from sagewatch.capture.json_guard import json_shape
from sagewatch.capture.tabular import is_positional, parse_json_values, path_name
from sagewatch.datasets.files import iter_line_blocks, open_stream
from sagewatch.datasets.textfiles import (
    NOT_A_RECORD,
    NOT_UTF8,
    TOO_DEEP,
    TextSniff,
    invalid_utf8_positions,
    read_error,
    sniff_text_file,
)
from sagewatch.defaults import MAX_JSON_DEPTH
from sagewatch.errors import SchemaError

__all__ = ["read_json_lines_file", "read_json_array_file", "array_items", "json_depths", "MAX_JSON_DEPTH"]

_SCAN_BYTES = 1 << 22  # bytes scanned at once by the exact depth check (bounds its memory)
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def _scan(raw: np.ndarray, starts: np.ndarray, carry: tuple[int, bool, int] | None = None,
          ) -> tuple[np.ndarray, np.ndarray, tuple[int, bool, int]]:
    """Nesting depth after each byte and whether the byte is inside a string.

    ``raw`` holds segments (JSON texts) starting at ``starts``; quote parity and depth
    restart at every segment. With ``carry`` (depth, inside a string, trailing backslashes
    of the previous piece) ``raw`` is one piece of a longer text, continued. Written with
    numpy because no library exposes a JSON tokenizer that is vectorised and safe against
    deep nesting.
    """
    depth0, inside0, run0 = carry if carry is not None else (0, False, 0)
    n = len(raw)
    idx = np.arange(n, dtype=np.int64)
    seg_start = np.zeros(n, dtype=np.int64)
    seg_start[starts] = starts
    seg_start = np.maximum.accumulate(seg_start)
    backslash = raw == ord("\\")
    last_plain = np.maximum.accumulate(np.where(backslash, -1, idx))
    run_before = np.empty(n, dtype=np.int64)  # backslashes right before each byte
    run_before[0] = run0
    run_before[1:] = idx[:-1] - last_plain[:-1] + np.where(last_plain[:-1] < 0, run0, 0)
    if carry is None:
        run_before = np.minimum(run_before, idx - seg_start)
    quote = (raw == ord('"')) & (run_before % 2 == 0)
    quotes = np.cumsum(quote, dtype=np.int64)
    quotes -= (quotes - quote)[seg_start]
    inside = ((quotes + inside0) % 2 == 1) & ~quote
    step = np.where(inside, 0, _OPEN[raw]).astype(np.int64)
    depth = np.cumsum(step)
    depth -= (depth - step)[seg_start]
    depth += depth0
    run_end = (n - 1 - int(last_plain[-1])) + (run0 if last_plain[-1] < 0 else 0)
    return depth, inside, (int(depth[-1]), bool((quotes[-1] + inside0) % 2), run_end)


def json_depths(texts: pa.Array) -> np.ndarray:
    """Maximum nesting depth of each JSON text (0 for a scalar), vectorised.

    Texts with at most :data:`MAX_JSON_DEPTH` brackets are not scanned: their bracket count
    bounds their depth and is returned instead (see :func:`sagewatch.capture.json_guard.json_shape`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> json_depths(pa.array(['{"a": [1, {"b": "[[["}]}', '1', '[[[]]]'])).tolist()
    [3, 0, 3]
    """
    return json_shape(texts, max_depth=MAX_JSON_DEPTH, max_fields=np.iinfo(np.int64).max).depth


def _named_table(cols: list[tuple[tuple, pa.Array]]) -> pa.Table:
    names, arrays = [], []
    for position, (path, arr) in enumerate(cols):
        names.append(f"_c{position}" if is_positional(path) else path_name(path))
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=names)


def _records(texts: pa.Array, state) -> Iterator[pa.Table]:
    """Check, parse and flatten JSON texts that should each be one object (one record each)."""
    deep = json_depths(texts) > MAX_JSON_DEPTH
    if deep.any():
        state.skip(TOO_DEEP, int(deep.sum()))
        texts = texts.filter(pa.array(~deep))
    objects = pc.starts_with(texts, "{").to_numpy(zero_copy_only=False)
    others = texts.filter(pa.array(~objects))
    if len(others):  # tell values that are not objects from text that is not JSON
        parsed = parse_json_values(others)
        bad = int((parsed.status != 0).sum())
        state.skip(R.BAD_JSON, bad)
        state.skip(NOT_A_RECORD, len(others) - bad)
        texts = texts.filter(pa.array(objects))
    if len(texts) == 0:
        return
    parsed = parse_json_values(texts)
    state.skip(R.BAD_JSON, int((parsed.status != 0).sum()))
    if parsed.columns:
        yield _named_table(parsed.columns)


def _block_lines(block: bytes, state) -> pa.Array:
    """The non-blank lines of a block as strings; lines that are not UTF-8 are counted and dropped."""
    try:
        decoded = block.decode("utf-8")
    except UnicodeDecodeError:
        bad_at = invalid_utf8_positions(block)
        raw = np.frombuffer(block, dtype=np.uint8)
        newline = raw == ord("\n")
        line_of = np.cumsum(newline) - newline  # the line each byte (and its line break) belongs to
        bad_lines = np.unique(line_of[bad_at])
        state.skip(NOT_UTF8, len(bad_lines))
        decoded = raw[~np.isin(line_of, bad_lines)].tobytes().decode("utf-8")
    text = pa.array([decoded], pa.string())
    lines = pc.utf8_trim_whitespace(pc.split_pattern(text, "\n").flatten())
    return lines.filter(pc.not_equal(lines, ""))


def _require_utf8(sniff: TextSniff, path: Path) -> TextSniff:
    if not sniff.utf8:
        raise SchemaError(f"JSON text must be UTF-8 (RFC 8259), this file is {sniff.encoding.upper()}",
                          source=str(path))
    return sniff


def read_json_lines_file(path: Path, state) -> Iterator[pa.Table]:
    """Read JSON Lines in blocks; every line must be one JSON object, flattened (see ``capture.tabular``)."""
    _require_utf8(sniff_text_file(path, what="JSON"), path)
    records = 0
    try:
        for block in iter_line_blocks(path, state.block_bytes):
            lines = _block_lines(block, state)
            state.records += len(lines)
            records += len(lines)
            if len(lines):
                yield from _records(lines, state)
    except (OSError, pa.ArrowInvalid) as exc:
        raise read_error(path, exc, records=records) from exc


def array_items(data: bytes, path: Path) -> pa.Array:
    """Split the text of one JSON array into its items (as strings), without a recursive parser.

    The text is scanned in pieces of ``_SCAN_BYTES`` so that memory stays near the file's size.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    first = len(data) - len(data.lstrip())
    commas: list[np.ndarray] = []
    end = -1
    carry = (0, False, 0)
    for lo in range(first, len(raw), _SCAN_BYTES):
        piece = raw[lo: lo + _SCAN_BYTES]
        depth, inside, carry = _scan(piece, np.array([0], dtype=np.int64), carry)
        closed = np.flatnonzero(depth == 0)
        if len(closed):
            stop = int(closed[0])
            commas.append(lo + np.flatnonzero((piece[:stop] == ord(",")) & (depth[:stop] == 1) & ~inside[:stop]))
            end = lo + stop
            break
        commas.append(lo + np.flatnonzero((piece == ord(",")) & (depth == 1) & ~inside))
    if end < 0:
        raise SchemaError("not a JSON array: the array is never closed (brackets do not balance)", source=str(path))
    if data[end:end + 1] != b"]":
        raise SchemaError(f"not a JSON array: brackets do not match at byte {end}", source=str(path))
    if data[end + 1:].strip():
        raise SchemaError(f"not a JSON array: unexpected data after the array at byte {end + 1}", source=str(path))
    seps = np.concatenate(commas) if commas else np.empty(0, dtype=np.int64)
    bounds = np.concatenate([[first + 1], seps + 1, [end + 1]]).astype(np.int64)
    body = raw[bounds[0]: bounds[-1]].copy()
    body[seps - bounds[0]] = ord(" ")
    body[end - bounds[0]] = ord(" ")
    offsets = pa.array(bounds - bounds[0], pa.int32())
    items = pa.StringArray.from_buffers(len(bounds) - 1, offsets.buffers()[1], pa.py_buffer(body.tobytes()))
    items = pc.utf8_trim_whitespace(items)
    if len(items) == 1 and items[0].as_py() == "":
        return items.slice(0, 0)
    return items


def read_json_array_file(path: Path, state) -> Iterator[pa.Table]:
    """Read a file holding one JSON array of records (the whole file is in memory at once).

    A file that does not start with ``[`` is read as JSON Lines.
    """
    sniff = _require_utf8(sniff_text_file(path, what="JSON"), path)
    if not sniff.head.lstrip().startswith(b"["):
        yield from read_json_lines_file(path, state)
        return
    try:
        with open_stream(path) as stream:
            data = stream.read()
    except (OSError, pa.ArrowInvalid) as exc:
        raise read_error(path, exc) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    bad_at = invalid_utf8_positions(data)
    if len(bad_at):
        raise SchemaError(f"not UTF-8 text (byte {int(bad_at[0])})", source=str(path))
    items = array_items(data, path)
    state.records += len(items)
    if len(items):
        yield from _records(items, state)
