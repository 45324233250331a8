"""Small vectorised helpers over pyarrow arrays shared by the capture and dataset readers."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch.schemas.capture import parse_inference_time

__all__ = ["parse_time_array", "join_lines", "as_array"]

_UTC_SECONDS = pa.timestamp("s", tz="UTC")


def as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Return a single contiguous array from an array or a chunked array."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def parse_time_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Parse ISO-8601 strings into ``timestamp[s, UTC]``; unparseable values become null.

    The service's ``YYYY-MM-DDTHH:MM:SSZ`` is parsed in bulk; only the values that do not
    match it (fractions of a second, offsets) go through :func:`parse_inference_time`.
    Fractions of a second are truncated. Times that match the format but are not dates
    (``2024-02-30``, ``T25:00``, second 60, year 0000, an offset of ``+25:00``) become null:
    Arrow's ``strptime`` rolls some of them over (February 30 becomes March 1), so its
    result is checked against the digits written (as formatting it back would).

    >>> parse_time_array(pa.array(["2024-02-30T10:00:00Z", "0000-01-01T00:00:00Z",
    ...                            "2024-02-29T10:00:00Z"])).to_pylist()[0:2]
    [None, None]
    """
    values = as_array(values)
    if pa.types.is_timestamp(values.type):
        return pc.cast(values, _UTC_SECONDS, safe=False)
    values = values.cast(pa.string())
    fast = pc.strptime(values, format="%Y-%m-%dT%H:%M:%SZ", unit="s", error_is_null=True)
    fast = pc.if_else(_written_as_parsed(values, fast), fast, pa.scalar(None, fast.type))
    retry = np.flatnonzero(
        pc.and_(pc.is_null(fast), pc.is_valid(values)).to_numpy(zero_copy_only=False)
    )
    if len(retry) == 0:
        return pc.cast(fast, _UTC_SECONDS)
    seconds = pc.cast(fast, pa.int64()).to_numpy(zero_copy_only=False).astype("float64")
    for i in retry:  # only the values not in the service's format
        try:
            when: datetime = parse_inference_time(values[int(i)].as_py())
            seconds[i] = int(when.timestamp())
        except (ValueError, TypeError, OverflowError):
            pass
    mask = np.isnan(seconds)
    ints = np.where(mask, 0, seconds).astype("int64")
    return pa.array(ints, type=pa.int64(), mask=mask).cast(_UTC_SECONDS)


_SERVICE_FORMAT = np.frombuffer(b"0000-00-00T00:00:00Z", dtype=np.uint8)
_DIGITS = _SERVICE_FORMAT == ord("0")


def _written_as_parsed(values: pa.Array, parsed: pa.Array) -> pa.Array:
    """True where ``values[i]`` is exactly ``YYYY-MM-DDTHH:MM:SSZ`` of ``parsed[i]``, a year 0001 or later.

    The same test as formatting ``parsed`` back and comparing it with ``values`` (which catches the
    dates ``strptime`` rolls over), done on the bytes with numpy because Arrow's ``strftime`` costs
    about a second per million values.
    """
    n = len(values)
    exact = np.zeros(n, dtype=bool)
    data = values.buffers()[2]
    if n == 0 or data is None:
        return pa.array(exact)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + n + 1]
    rows = np.flatnonzero(parsed.is_valid().to_numpy(zero_copy_only=False) & (np.diff(offsets) == 20))
    if len(rows) == 0:
        return pa.array(exact)
    buf = np.frombuffer(data, dtype=np.uint8)
    if len(rows) == n:  # every value is 20 bytes, back to back: a view, no copy
        text = buf[offsets[0]:offsets[-1]].reshape(n, 20)
    else:
        text = buf[offsets[rows, None] + np.arange(20, dtype=np.int32)]
    digit = text[:, _DIGITS] - np.uint8(ord("0"))  # 14 digits; anything else wraps above 9
    same = (text[:, ~_DIGITS] == _SERVICE_FORMAT[~_DIGITS]).all(axis=1) & (digit <= 9).all(axis=1)

    def number(first: int, width: int) -> np.ndarray:
        value = np.zeros(len(rows), dtype=np.int64)
        for column in range(first, first + width):  # loops over digit positions, not rows
            value = value * 10 + digit[:, column]
        return value

    seconds = pc.fill_null(pc.cast(parsed, pa.int64()), 0).to_numpy(zero_copy_only=False)[rows]
    days = (seconds // 86400).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = number(0, 4)
    same &= year >= 1
    same &= year == months.astype("datetime64[Y]").astype(np.int64) + 1970
    same &= number(4, 2) == months.astype(np.int64) % 12 + 1
    same &= number(6, 2) == (days - months).astype(np.int64) + 1
    same &= number(8, 2) == seconds % 86400 // 3600
    same &= number(10, 2) == seconds % 3600 // 60
    same &= number(12, 2) == seconds % 60
    exact[rows[same]] = True
    return pa.array(exact)


def join_lines(values: pa.Array | pa.ChunkedArray, sep: str = "\n") -> pa.Buffer:
    """Concatenate a string array into one buffer, with ``sep`` after every value.

    Nulls count as empty strings.
    """
    values = pc.fill_null(as_array(values).cast(pa.string()), "")
    if len(values) == 0:
        return pa.py_buffer(b"")
    # a final empty element makes the text end with ``sep``, so a last empty value stays a row
    values = pa.concat_arrays([values, pa.array([""], pa.string())])
    offsets = pa.array([0, len(values)], pa.int32())
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, values), sep)[0]
    return joined.as_buffer()
