"""Turn payload text into columns, in bulk: JSON values and CSV lines.

Shared by the capture flattener (:mod:`sagewatch.capture.flatten`) and the dataset readers.

JSON values are flattened the same way everywhere:

- an object gives its keys in order; nested objects give dotted keys (``a.b``);
- a list gives one column per position (``instances.0``, ``instances.1``; shorter lists
  give nulls);
- a bare list of scalars or a bare scalar is *positional*: its columns have no key and
  are named ``_c<N>`` by the caller.

Columns come back as ``(path, array)`` pairs, ``path`` a tuple of keys and positions; the
empty path or ``(i,)`` means positional. Parsing is done by ``pyarrow.json`` on all
values at once; only values that make it fail are looked at one by one. Texts that could
crash ``pyarrow.json`` never reach it (:mod:`sagewatch.capture.json_guard`): values nested
deeper than ``MAX_JSON_DEPTH`` or with more than ``MAX_RECORD_FIELDS`` fields get a status
of their own instead of a row.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pj

from sagewatch.capture._arrow import as_array, join_lines
from sagewatch.capture.json_guard import JsonTooDeep, json_shape, loads_bounded
from sagewatch.defaults import MAX_JSON_DEPTH, MAX_RECORD_FIELDS

__all__ = [
    "ColumnPath",
    "JsonParse",
    "JsonValues",
    "TypeConflict",
    "STATUS_OK",
    "STATUS_BAD_JSON",
    "STATUS_BAD_RECORD",
    "STATUS_TOO_DEEP",
    "STATUS_TOO_WIDE",
    "read_json_texts",
    "parse_json_values",
    "flatten_columns",
    "path_name",
    "is_positional",
    "csv_widths",
    "parse_csv_lines",
    "mask_quoted_newlines",
    "NEWLINE_PLACEHOLDER",
]

ColumnPath = tuple[Any, ...]
STATUS_OK, STATUS_BAD_JSON, STATUS_BAD_RECORD, STATUS_TOO_DEEP, STATUS_TOO_WIDE = 0, 1, 2, 3, 4
NEWLINE_PLACEHOLDER = "\x1e"  # stands for a newline inside a quoted CSV field while lines are split
_SEGMENT = 4096  # texts per segment once the bulk parse has failed
_ROW_RE = re.compile(r"in row (\d+)")
_MIN_BLOCK = 1 << 20


class TypeConflict(Exception):
    """Values parse one by one but have no common Arrow type (e.g. a key is a number and a string)."""


@dataclass(frozen=True)
class JsonParse:
    """Result of :func:`read_json_texts`.

    Attributes
    ----------
    table : pyarrow.Table
        One row per text whose status is ``STATUS_OK``, in input order.
    status : numpy.ndarray
        int8 per input text: ``STATUS_OK``, ``STATUS_BAD_JSON`` (not JSON),
        ``STATUS_BAD_RECORD`` (JSON that does not fit ``schema``) or ``STATUS_TOO_DEEP``.
    """

    table: pa.Table
    status: np.ndarray


def _read(buf: pa.Buffer, schema: pa.Schema | None, block: int) -> pa.Table:
    parse = (
        pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        if schema is not None
        else pj.ParseOptions(newlines_in_values=False)
    )
    return pj.read_json(pa.BufferReader(buf), read_options=pj.ReadOptions(block_size=block),
                        parse_options=parse)


def _classify(text: str | None) -> int:
    try:
        loads_bounded(text or "")
    except JsonTooDeep:
        return STATUS_TOO_DEEP
    except ValueError:
        return STATUS_BAD_JSON
    return STATUS_BAD_RECORD


def _row_of(error: str) -> int | None:
    match = _ROW_RE.search(error)
    return int(match.group(1)) if match else None


def _conflict(error: str) -> bool:
    # "Column(/a) changed from number to string": two rows disagree on a nested column's type
    return "changed from" in error and "Column()" not in error


def read_json_texts(
    texts: pa.Array | pa.ChunkedArray, *, schema: pa.Schema | None = None, try_bulk: bool = True,
    max_depth: int = MAX_JSON_DEPTH,
) -> JsonParse:
    """Parse JSON objects, one per string, in bulk with ``pyarrow.json``.

    Every text should be one JSON document, non-blank; raw line breaks are read as blanks.
    Texts that do not start with ``{`` and, without a schema, texts nested deeper than
    ``MAX_JSON_DEPTH`` are classified here and never reach ``pyarrow.json`` (which can crash
    on them, see :mod:`sagewatch.capture.json_guard`). The others are parsed at once; if that fails they are parsed in segments, each in one
    block so that the parser's error names the failing row, which is then set aside and
    the rest of the segment parsed again. Only failing texts are looked at one by one.

    Parameters
    ----------
    texts : pyarrow string array
    schema : pyarrow.Schema, optional
        Explicit schema; fields not in it are ignored, and a value of the wrong type
        marks its text ``STATUS_BAD_RECORD``.
    try_bulk : bool
        Try one parse of all texts first (skip it when the caller knows it fails).
    max_depth : int
        Nesting bound for type inference (callers that wrap checked texts add their one level).

    Raises
    ------
    TypeConflict
        Without a schema, when the texts parse but disagree on a column's type.
    """
    texts = pc.fill_null(as_array(texts).cast(pa.string()), "")
    if len(texts) and pc.any(pc.match_substring_regex(texts, r"[\r\n]")).as_py():
        texts = pc.replace_substring_regex(texts, r"[\r\n]", " ")
    status = np.zeros(len(texts), dtype=np.int8)
    unsafe = ~pc.match_substring_regex(texts, r"^[ \t]*\{").to_numpy(zero_copy_only=False).astype(bool)
    if schema is None and len(texts):
        unsafe |= json_shape(texts, max_depth=max_depth, max_fields=np.iinfo(np.int64).max).depth > max_depth
    if unsafe.any():
        for i in np.flatnonzero(unsafe):  # only the texts pyarrow must not see
            status[i] = _classify(texts[int(i)].as_py())
        safe = np.flatnonzero(~unsafe)
        inner = _read_json_safe(texts.take(pa.array(safe, pa.int64())), schema, try_bulk)
        status[safe] = inner.status
        return JsonParse(inner.table, status)
    return _read_json_safe(texts, schema, try_bulk)


def _read_json_safe(texts: pa.Array, schema: pa.Schema | None, try_bulk: bool) -> JsonParse:
    """:func:`read_json_texts` on texts known to be safe for ``pyarrow.json``."""
    n = len(texts)
    status = np.zeros(n, dtype=np.int8)
    if n == 0:
        empty = schema.empty_table() if schema is not None else pa.table({})
        return JsonParse(empty, status)
    longest = int(pc.max(pc.binary_length(texts)).as_py() or 0)
    try:
        if try_bulk:
            table = _read(join_lines(texts), schema, max(_MIN_BLOCK, longest + 2))
            if table.num_rows == n:
                return JsonParse(table, status)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        if schema is None and _conflict(str(exc)):
            raise TypeConflict(str(exc)) from exc
    pieces: list[pa.Table] = []
    for lo in range(0, n, _SEGMENT):
        _parse_segment(texts, lo, min(n, lo + _SEGMENT), schema, status, pieces)
    if not pieces:
        table = schema.empty_table() if schema is not None else pa.table({})
    elif len(pieces) == 1:
        table = pieces[0]
    else:
        try:
            table = pa.concat_tables(pieces, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise TypeConflict(str(exc)) from exc
    return JsonParse(table, status)


def _parse_segment(
    texts: pa.Array, lo: int, hi: int, schema: pa.Schema | None, status: np.ndarray,
    pieces: list[pa.Table],
) -> None:
    """Parse ``texts[lo:hi]``, setting aside the rows the parser reports as failing."""
    pos = lo
    while pos < hi:
        buf = join_lines(texts.slice(pos, hi - pos))
        try:
            table = _read(buf, schema, buf.size + 1)  # one block: "in row N" is our row
            if table.num_rows == hi - pos:
                pieces.append(table)
                return
            error = ""
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            error = str(exc)
        if schema is None and _conflict(error):
            raise TypeConflict(error)
        row = _row_of(error)
        if row is None or not 0 <= row < hi - pos:
            for i in range(pos, hi):  # no usable hint (e.g. two objects on one line)
                _parse_one(texts, i, schema, status, pieces)
            return
        if row > 0:
            _parse_segment(texts, pos, pos + row, schema, status, pieces)
        status[pos + row] = _classify(texts[pos + row].as_py())
        pos += row + 1


def _parse_one(
    texts: pa.Array, i: int, schema: pa.Schema | None, status: np.ndarray, pieces: list[pa.Table]
) -> None:
    buf = join_lines(texts.slice(i, 1))
    try:
        table = _read(buf, schema, buf.size + 1)
        if table.num_rows == 1:
            pieces.append(table)
            return
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    status[i] = _classify(texts[i].as_py())


def _expand_list(arr: pa.Array) -> list[pa.Array]:
    """One array per list position; rows with a shorter (or null) list give null."""
    lengths = pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False)
    width = int(lengths.max()) if len(lengths) else 0
    if width == 0:
        return []
    starts = arr.offsets.to_numpy(zero_copy_only=False)[:-1].astype(np.int64)
    values = arr.values
    out = []
    for i in range(width):  # loops over positions (columns), not rows
        valid = lengths > i
        idx = pa.array(np.where(valid, starts + i, 0), type=pa.int64(), mask=~valid)
        out.append(values.take(idx))
    return out


def flatten_columns(arr: pa.Array | pa.ChunkedArray, path: ColumnPath = ()) -> list[tuple[ColumnPath, pa.Array]]:
    """Flatten a (possibly nested) Arrow array into leaf columns ``(path, array)``.

    Structs give dotted children, lists one column per position, null-typed leaves become
    string columns of nulls.

    Examples
    --------
    >>> import pyarrow as pa
    >>> cols = flatten_columns(pa.array([{"a": 1, "b": {"c": [1.5, 2.5]}}]))
    >>> [(p, c.to_pylist()) for p, c in cols]
    [(('a',), [1]), (('b', 'c', 0), [1.5]), (('b', 'c', 1), [2.5])]
    """
    arr = as_array(arr)
    kind = arr.type
    if pa.types.is_struct(kind):
        out: list[tuple[ColumnPath, pa.Array]] = []
        for field, child in zip(kind, arr.flatten()):
            out.extend(flatten_columns(child, (*path, field.name)))
        return out
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        out = []
        for i, child in enumerate(_expand_list(arr)):
            out.extend(flatten_columns(child, (*path, i)))
        return out
    if pa.types.is_null(kind):
        return [(path, arr.cast(pa.string()))]
    if pa.types.is_dictionary(kind):
        arr = arr.dictionary_decode()
    return [(path, arr)]


def _py_flatten(value: Any, path: ColumnPath, out: dict[ColumnPath, Any]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _py_flatten(child, (*path, key), out)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _py_flatten(child, (*path, i), out)
    else:
        out[path] = value


def _py_array(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        # no common type: keep every value as its JSON text (strings stay as they are)
        return pa.array([v if v is None or isinstance(v, str) else json.dumps(v) for v in values],
                        pa.string())


def _python_columns(texts: pa.Array, status: np.ndarray) -> tuple[list[tuple[ColumnPath, pa.Array]], np.ndarray]:
    """Fallback: parse value by value and flatten in Python (only after a type conflict)."""
    rows: list[dict[ColumnPath, Any]] = []
    widths: list[int] = []
    order: dict[ColumnPath, None] = {}
    for i, text in enumerate(texts.to_pylist()):
        if status[i] != STATUS_OK:
            continue
        try:
            value = loads_bounded(text)
        except JsonTooDeep:
            status[i] = STATUS_TOO_DEEP
            continue
        except ValueError:
            status[i] = STATUS_BAD_JSON
            continue
        flat: dict[ColumnPath, Any] = {}
        _py_flatten(value, (), flat)
        rows.append(flat)
        widths.append(len(value) if isinstance(value, list) else -1 if isinstance(value, dict) else 1)
        order.update(dict.fromkeys(flat))
    out = []
    for path in order:
        out.append((path, _py_array([row.get(path) for row in rows])))
    return out, np.asarray(widths, dtype=np.int64)


@dataclass(frozen=True)
class JsonValues:
    """Result of :func:`parse_json_values`.

    Attributes
    ----------
    columns : list of (path, pyarrow.Array)
        Leaf columns, one row per text whose status is ``STATUS_OK``.
    status : numpy.ndarray
        int8 per text: ``STATUS_OK``, ``STATUS_BAD_JSON`` (not JSON, or blank),
        ``STATUS_TOO_DEEP`` (nested deeper than ``MAX_JSON_DEPTH``) or ``STATUS_TOO_WIDE``
        (more than ``MAX_RECORD_FIELDS`` fields).
    widths : numpy.ndarray
        Per ``STATUS_OK`` text: the length of a top-level list, 1 for a scalar, -1 for an object.
    """

    columns: list[tuple[ColumnPath, pa.Array]]
    status: np.ndarray
    widths: np.ndarray


def _top_widths(v: pa.Array | pa.ChunkedArray) -> np.ndarray:
    v = as_array(v)
    if pa.types.is_list(v.type) or pa.types.is_large_list(v.type):
        return pc.fill_null(pc.list_value_length(v), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.full(len(v), -1 if pa.types.is_struct(v.type) else 1, dtype=np.int64)


def parse_json_values(texts: pa.Array | pa.ChunkedArray) -> JsonValues:
    """Parse JSON payload texts (any JSON value each) and flatten them into leaf columns.

    Raw newlines in the texts are JSON whitespace and are replaced by spaces. Values nested
    deeper than ``MAX_JSON_DEPTH`` or with more than ``MAX_RECORD_FIELDS`` fields are not
    parsed (their status says why).

    Returns
    -------
    JsonValues

    Examples
    --------
    >>> import pyarrow as pa
    >>> res = parse_json_values(pa.array(['{"x": 1, "y": [2, 3]}', 'nope', '{"x": 4}']))
    >>> [(p, c.to_pylist()) for p, c in res.columns], res.status.tolist(), res.widths.tolist()
    ([(('x',), [1, 4]), (('y', 0), [2, None]), (('y', 1), [3, None])], [0, 1, 0], [-1, -1])
    >>> parse_json_values(pa.array(["[1, null]", "[3]"])).widths.tolist()
    [2, 1]
    """
    texts = pc.fill_null(as_array(texts).cast(pa.string()), "")
    if pc.any(pc.match_substring_regex(texts, r"[\r\n]")).as_py():
        texts = pc.replace_substring_regex(texts, r"[\r\n]", " ")
    blank = pc.or_(pc.equal(texts, ""), pc.utf8_is_space(texts)).to_numpy(zero_copy_only=False)
    shape = json_shape(texts, max_depth=MAX_JSON_DEPTH, max_fields=MAX_RECORD_FIELDS)
    early = np.where(blank, STATUS_BAD_JSON, np.where(shape.depth > MAX_JSON_DEPTH, STATUS_TOO_DEEP,
                     np.where(shape.fields > MAX_RECORD_FIELDS, STATUS_TOO_WIDE, STATUS_OK))).astype(np.int8)
    skip = early != STATUS_OK
    wrapped = pc.binary_join_element_wise('{"v":', texts, "}", "")
    try:
        # the wrapper adds one level to texts already checked against MAX_JSON_DEPTH
        parsed = read_json_texts(wrapped.filter(pa.array(~skip)) if skip.any() else wrapped,
                                 max_depth=MAX_JSON_DEPTH + 1)
    except TypeConflict:
        columns, widths = _python_columns(texts, early)
        return JsonValues(columns, early, widths)
    inner = np.asarray(parsed.status)
    status = early.copy()
    status[~skip] = np.where(inner == STATUS_OK, STATUS_OK, np.where(inner == STATUS_TOO_DEEP, STATUS_TOO_DEEP,
                                                                       STATUS_BAD_JSON))
    if parsed.table.num_columns == 0:
        return JsonValues([], status, np.zeros(0, dtype=np.int64))
    v = parsed.table.column("v")
    return JsonValues(flatten_columns(v), status, _top_widths(v))


def path_name(path: ColumnPath) -> str:
    """Dotted name of a keyed path, e.g. ``('b', 'c', 0) -> 'b.c.0'``."""
    return ".".join(str(p) for p in path)


def is_positional(path: ColumnPath) -> bool:
    """True for the columns of a bare scalar (``()``) or a bare list of scalars (``(i,)``)."""
    return len(path) == 0 or (len(path) == 1 and isinstance(path[0], int))


def mask_quoted_newlines(text: str) -> str:
    """Replace newlines inside double-quoted CSV fields by :data:`NEWLINE_PLACEHOLDER`.

    Examples
    --------
    >>> mask_quoted_newlines('a,"x\\ny"\\nb,c') == 'a,"x\\x1ey"\\nb,c'
    True
    """
    out, quoted = [], False
    for ch in text:  # only called for the rare payloads with quotes and newlines
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" and quoted:
            ch = NEWLINE_PLACEHOLDER
        out.append(ch)
    return "".join(out)


def csv_widths(lines: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Number of CSV fields of each single-line text (``csv`` module semantics for quotes).

    Examples
    --------
    >>> import pyarrow as pa
    >>> csv_widths(pa.array(["1,2,3", '"a,b",c', ""])).tolist()
    [3, 2, 1]
    """
    lines = pc.fill_null(as_array(lines).cast(pa.string()), "")
    widths = pc.add(pc.count_substring(lines, ","), 1).to_numpy(zero_copy_only=False).astype(np.int64)
    quoted = np.flatnonzero(pc.match_substring(lines, '"').to_numpy(zero_copy_only=False))
    for i in quoted:  # quoted lines only: commas may sit inside quotes
        text = lines[int(i)].as_py().replace(NEWLINE_PLACEHOLDER, "\n")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        widths[i] = sum(len(r) for r in rows) if rows else 1
    return widths


def parse_csv_lines(lines: pa.Array | pa.ChunkedArray, width: int) -> list[pa.Array]:
    """Parse single-line CSV texts that all have ``width`` fields into ``width`` string columns.

    Empty fields become null; :data:`NEWLINE_PLACEHOLDER` turns back into a newline.

    Examples
    --------
    >>> import pyarrow as pa
    >>> [c.to_pylist() for c in parse_csv_lines(pa.array(["1,,x", '2,"a,b",y']), 3)]
    [['1', '2'], [None, 'a,b'], ['x', 'y']]
    """
    lines = as_array(lines)
    names = [f"f{i}" for i in range(width)]
    if len(lines) == 0:
        return [pa.array([], pa.string()) for _ in names]
    table = pcsv.read_csv(
        pa.BufferReader(join_lines(lines)),
        read_options=pcsv.ReadOptions(column_names=names, block_size=max(_MIN_BLOCK, 1 << 24)),
        parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    if table.num_rows != len(lines):
        raise ValueError(f"CSV parse gave {table.num_rows} rows for {len(lines)} lines")
    cols = [as_array(c) for c in table.columns]
    if pc.any(pc.match_substring(lines, NEWLINE_PLACEHOLDER)).as_py():
        cols = [pc.replace_substring(c, NEWLINE_PLACEHOLDER, "\n") for c in cols]
    return cols
