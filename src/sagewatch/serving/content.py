"""Default request decoding and response encoding of the model server (CSV, JSON, NPY).

Decoding always gives a two-dimensional numpy array, one row per record:

- ``text/csv``: one record per line, no header, comma-separated (quoted fields allowed). Cells become
  ``float64``; empty cells become NaN. When a cell is not a number the array is ``object``, numbers as
  ``float`` and the other cells as ``str``. A first line of text cells above lines of numbers is a header
  and refused (400), as SageMaker's ``text/csv`` has none. (SageMaker's scikit-learn container casts to
  ``float32``; this server keeps ``float64`` so predictions do not depend on the rounding.)
- ``application/json``: a list of rows, a single row, ``{"instances": [...]}`` or ``{"inputs": [...]}``;
  a row is a flat list of numbers, strings, booleans or nulls (null becomes NaN), or
  ``{"features": [...]}`` as SageMaker's built-in algorithms accept. JSON nested deeper than Python's
  parser allows (about 1,000 levels) and numbers beyond ``float64`` are refused (400).
- ``application/x-npy``: a ``numpy.save`` file without pickled objects whose header matches its size;
  one-dimensional arrays become one row.

A Content-Type header that is present but not a ``type/subtype`` media type is refused with 415 naming it.

Encoding: ``text/csv`` writes one line per prediction, the values of multi-output rows joined by commas,
lines separated by ``\\n`` without a trailing newline; ``application/json`` writes
``{"predictions": [...]}``; ``application/x-npy`` writes ``numpy.save`` bytes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from sagewatch.serving.errors import BadRequestError, ModelServerError, UnsupportedMediaTypeError

__all__ = [
    "CSV",
    "DECODERS",
    "ENCODERS",
    "JSON",
    "NPY",
    "TEXT_TYPES",
    "as_text",
    "content_media_type",
    "decode",
    "decode_csv",
    "decode_json",
    "decode_npy",
    "encode",
    "encode_csv",
    "encode_json",
    "encode_npy",
    "json_default",
    "media_type",
    "negotiate_accept",
    "parse_accept",
    "shown",
]

CSV = "text/csv"
JSON = "application/json"
NPY = "application/x-npy"
TEXT_TYPES = frozenset({CSV, JSON})
"""Media types whose bodies reach ``input_fn`` / ``transform_fn`` as ``str`` (UTF-8); others stay ``bytes``."""


def media_type(header: str | None) -> str | None:
    """The media type of a Content-Type header, lower-cased and without parameters.

    Parameters
    ----------
    header : str or None
        A Content-Type value such as ``"text/csv; charset=utf-8"``.

    Returns
    -------
    str or None
        ``None`` when the header is missing or blank.

    Examples
    --------
    >>> media_type("Text/CSV; charset=utf-8")
    'text/csv'
    >>> media_type("") is None
    True
    """
    if not header:
        return None
    value = header.split(";", 1)[0].strip().lower()
    return value or None


_MEDIA_TYPE = re.compile(r"^[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+$")
"""``type/subtype`` in RFC 9110's token characters (lower case: matched after lower-casing)."""


def shown(value: str, limit: int = 100) -> str:
    """*value* quoted for an error message, cut to *limit* characters.

    Examples
    --------
    >>> shown(";;;")
    "';;;'"
    >>> shown("x" * 200, 5)
    "'xxxxx...' (200 characters)"
    """
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}"[:-1] + f"...' ({len(value)} characters)"


def content_media_type(header: str | None) -> str | None:
    """The media type of a request's Content-Type header, checked: ``None`` only when it is missing or blank.

    Raises
    ------
    UnsupportedMediaTypeError
        If the header is present but its media type is not ``type/subtype`` (415, naming the value).

    Examples
    --------
    >>> content_media_type("Text/CSV; charset=utf-8")
    'text/csv'
    >>> content_media_type(None) is None
    True
    >>> content_media_type(";;;")
    Traceback (most recent call last):
    ...
    sagewatch.serving.errors.UnsupportedMediaTypeError: Content type ';;;' is not a media type (type/subtype, \
such as text/csv).
    """
    if header is None or not header.strip():
        return None
    kind = media_type(header)
    if kind is None or not _MEDIA_TYPE.match(kind):
        raise UnsupportedMediaTypeError(
            f"Content type {shown(header)} is not a media type (type/subtype, such as text/csv).")
    return kind


def parse_accept(header: str | None) -> list[str]:
    """The media types of an Accept header, most preferred first (by ``q``, then by position).

    Types with ``q=0`` are dropped.

    Examples
    --------
    >>> parse_accept("application/json;q=0.5, text/csv")
    ['text/csv', 'application/json']
    >>> parse_accept(None)
    []
    """
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = [piece.strip() for piece in part.split(";")]
        kind = pieces[0].lower()
        if not kind:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, kind))
    return [kind for _, _, kind in sorted(ranked)]


def negotiate_accept(header: str | None, default: str, supported: Iterable[str] | None = None) -> str:
    """Choose the response media type for an Accept header.

    Parameters
    ----------
    header : str or None
        The request's Accept header.
    default : str
        Used when the header is missing or prefers ``*/*`` (``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``).
    supported : iterable of str, optional
        The types the encoder can write; ``None`` (a user's ``output_fn``) accepts any concrete type.

    Returns
    -------
    str

    Raises
    ------
    UnsupportedMediaTypeError
        If no type of the header is supported (415).

    Examples
    --------
    >>> negotiate_accept("text/csv", "application/json", ENCODERS)
    'text/csv'
    >>> negotiate_accept("*/*", "application/json", ENCODERS)
    'application/json'
    >>> negotiate_accept("text/*", "application/json", ENCODERS)
    'text/csv'
    >>> negotiate_accept("application/jsonlines", "application/json")
    'application/jsonlines'
    """
    kinds = parse_accept(header)
    if not kinds:
        return default
    allowed = None if supported is None else list(supported)
    for kind in kinds:
        if kind == "*/*":
            return default
        if kind.endswith("/*"):
            prefix = kind[:-1]
            if default.startswith(prefix):
                return default
            for candidate in allowed or ():
                if candidate.startswith(prefix):
                    return candidate
            continue
        if allowed is None or kind in allowed:
            return kind
    raise UnsupportedMediaTypeError(
        f"Accept type {_clip(header)} is not supported: this server answers {', '.join(allowed or ())}."
    )


# --- decoding -----------------------------------------------------------------------------------------------


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _cell(text: str) -> float | str:
    stripped = text.strip()
    if not stripped:
        return math.nan
    try:
        return float(stripped)
    except ValueError:
        return text


def _as_float64(rows: list[list[Any]], what: str) -> np.ndarray:
    try:
        return np.array(rows, dtype=np.float64)
    except OverflowError as error:  # a JSON integer beyond float64
        raise BadRequestError(f"The {what} payload has a number too large for a 64-bit float.") from error


def _table(rows: list[list[Any]], what: str) -> np.ndarray:
    """Rows of equal length -> float64 array, or object array when some cell is not a number."""
    if not rows:
        raise BadRequestError(f"The {what} payload has no rows.")
    width = len(rows[0])
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise BadRequestError(f"{what} row {number} has {len(row)} values but row 1 has {width}.")
    if width == 0:
        raise BadRequestError(f"The {what} rows have no values.")
    try:
        return _as_float64(rows, what)
    except (ValueError, TypeError):
        pass
    cells = [[_cell(value) if isinstance(value, str) else value for value in row] for row in rows]
    cells = [[math.nan if value is None else value for value in row] for row in cells]
    if all(isinstance(value, (float, int)) for row in cells for value in row):
        return _as_float64(cells, what)
    table = np.empty((len(cells), width), dtype=object)
    for number, row in enumerate(cells):
        table[number, :] = row
    return table


def _refuse_header(table: np.ndarray) -> None:
    """400 when row 1 is all text above rows of numbers only: a header line, which ``text/csv`` has not."""
    if table.dtype != object or len(table) < 2:
        return
    is_text = np.frompyfunc(lambda value: isinstance(value, str), 1, 1)(table).astype(bool)
    if is_text[0].all() and not is_text[1:].any():
        names = ", ".join(str(value) for value in table[0, :5]) + (", ..." if table.shape[1] > 5 else "")
        raise BadRequestError(f"CSV row 1 ({shown(names)}) is a header: send the rows without a header line "
                              "(SageMaker's text/csv has none).")


def decode_csv(text: str) -> np.ndarray:
    """Decode a headerless CSV payload into a 2-D array, one row per non-blank line.

    Examples
    --------
    >>> decode_csv("1,2.5\\n3,4\\n")
    array([[1. , 2.5],
           [3. , 4. ]])
    >>> decode_csv("1,\\n").tolist()
    [[1.0, nan]]
    >>> decode_csv("0.5,red").tolist()
    [[0.5, 'red']]
    >>> decode_csv("x,y\\n1,2")
    Traceback (most recent call last):
    ...
    sagewatch.serving.errors.BadRequestError: CSV row 1 ('x, y') is a header: send the rows without a header \
line (SageMaker's text/csv has none).
    """
    if '"' in text:
        try:
            rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
        except csv.Error as error:  # a quoted field over the csv module's size limit
            raise BadRequestError(f"The CSV payload cannot be read: {error}.") from error
    else:
        rows = [line.split(",") for line in text.splitlines() if line.strip()]
    if not rows:
        raise BadRequestError("The CSV payload is empty.")
    table = _table(rows, "CSV")
    _refuse_header(table)
    return table


_SCALARS = (int, float, str, bool, type(None))


def decode_json(text: str) -> np.ndarray:
    """Decode a JSON payload into a 2-D array.

    Examples
    --------
    >>> decode_json("[[1, 2], [3, 4]]").tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    >>> decode_json("[1, 2, 3]").shape
    (1, 3)
    >>> decode_json('{"instances": [{"features": [1, null]}]}').tolist()
    [[1.0, nan]]
    >>> decode_json('{"inputs": [[1, "a"]]}').tolist()
    [[1, 'a']]
    """
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise BadRequestError(f"The JSON payload is not valid JSON: {error}") from error
    except RecursionError as error:
        raise BadRequestError("The JSON payload is nested too deeply to decode (its arrays and objects go "
                              f"more than {sys.getrecursionlimit()} levels deep).") from error
    if isinstance(payload, Mapping):
        for key in ("instances", "inputs"):
            if key in payload:
                payload = payload[key]
                break
        else:
            keys = ", ".join(sorted(map(str, payload))) or "none"
            raise BadRequestError(
                f'A JSON object payload needs an "instances" or "inputs" member (it has: {_clip(keys)}).'
            )
    if not isinstance(payload, list):
        raise BadRequestError(f"A JSON payload must be a list of rows or a single row, not {type(payload).__name__}.")
    if not payload:
        raise BadRequestError("The JSON payload has no rows.")
    if all(isinstance(value, _SCALARS) for value in payload):
        payload = [payload]
    rows: list[list[Any]] = []
    for number, row in enumerate(payload, start=1):
        if isinstance(row, Mapping):
            if "features" not in row:
                raise BadRequestError(f'JSON row {number} is an object without a "features" member.')
            row = row["features"]
        if not isinstance(row, list) or not all(isinstance(value, _SCALARS) for value in row):
            raise BadRequestError(
                f"JSON row {number} must be a flat list of numbers or strings (or an object with \"features\")."
            )
        rows.append(row)
    return _table(rows, "JSON")


def _check_npy_size(body: bytes) -> None:
    """400 unless an ``.npy`` header declares at most as much data as the body holds.

    ``numpy.load`` allocates the declared shape before reading, so a 100-byte body declaring a terabyte
    would fail with ``MemoryError`` (or take the memory); the header is read first.
    """
    if not body.startswith(b"\x93NUMPY"):
        return  # not .npy (np.load says so, or reads an .npz archive)
    stream = io.BytesIO(body)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(stream)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as error:
        raise BadRequestError(f"The payload is not a numpy .npy file without objects: {error}") from error
    declared = math.prod(shape) * dtype.itemsize
    available = len(body) - stream.tell()
    if declared > available:
        raise BadRequestError(f"The .npy header declares {declared} bytes of data ({shape}, {dtype}) but the "
                              f"payload holds {available}.")


def decode_npy(body: bytes) -> np.ndarray:
    """Decode ``numpy.save`` bytes (no pickled objects); a 1-D array becomes one row.

    Examples
    --------
    >>> buffer = io.BytesIO(); np.save(buffer, np.array([1.0, 2.0]))
    >>> decode_npy(buffer.getvalue()).tolist()
    [[1.0, 2.0]]
    """
    _check_npy_size(body)
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise BadRequestError(f"The payload is not a numpy .npy file without objects: {error}") from error
    if not isinstance(array, np.ndarray):
        raise BadRequestError("The payload is an .npz archive, not a single .npy array.")
    if array.ndim == 0:
        raise BadRequestError("The .npy payload is a scalar, not rows of features.")
    if array.size == 0:
        raise BadRequestError("The .npy payload has no rows.")
    return array.reshape(1, -1) if array.ndim == 1 else array


def as_text(body: bytes | str) -> str:
    """A request body as UTF-8 text; :class:`BadRequestError` (400) when it is not UTF-8.

    Examples
    --------
    >>> as_text(b"1,2")
    '1,2'
    """
    if isinstance(body, str):
        return body
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequestError(f"The payload is not UTF-8 text: {error}") from error


DECODERS: Mapping[str, Callable[[bytes | str], np.ndarray]] = {
    CSV: lambda body: decode_csv(as_text(body)),
    JSON: lambda body: decode_json(as_text(body)),
    NPY: lambda body: decode_npy(body.encode("utf-8") if isinstance(body, str) else bytes(body)),
}
"""The default ``input_fn``'s decoders by media type."""


def decode(body: bytes | str, content_type: str | None) -> np.ndarray:
    """Decode a request body by its Content-Type (the default ``input_fn``).

    Raises
    ------
    UnsupportedMediaTypeError
        For a missing or unknown Content-Type (415).
    BadRequestError
        For a body that does not parse (400).

    Examples
    --------
    >>> decode(b"1,2", "text/csv; charset=utf-8").tolist()
    [[1.0, 2.0]]
    """
    kind = content_media_type(content_type)
    decoder = DECODERS.get(kind) if kind else None
    if decoder is None:
        named = _clip(content_type.strip()) if content_type and content_type.strip() else "(no Content-Type header)"
        raise UnsupportedMediaTypeError(
            f"Content type {named} is not supported: this server reads {', '.join(DECODERS)}."
        )
    return decoder(body)


# --- encoding -----------------------------------------------------------------------------------------------


def _csv_field(value: Any) -> str:
    text = str(value)
    if any(character in text for character in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def encode_csv(prediction: Any) -> bytes:
    """One line per prediction; a multi-output row's values joined by commas; no trailing newline.

    Examples
    --------
    >>> encode_csv(np.array([1, 0, 1]))
    b'1\\n0\\n1'
    >>> encode_csv(np.array([[0.25, 0.75]]))
    b'0.25,0.75'
    >>> encode_csv(np.float32(0.1))
    b'0.1'
    """
    array = np.asarray(prediction)
    if array.ndim == 0:
        lines = [_csv_field(array[()])]
    elif array.ndim == 1:
        lines = [_csv_field(value) for value in array]
    elif array.ndim == 2:
        lines = [",".join(_csv_field(value) for value in row) for row in array]
    else:
        raise ModelServerError(f"A {array.ndim}-dimensional prediction cannot be written as CSV; ask for "
                               f"{JSON} or {NPY}.")
    return "\n".join(lines).encode("utf-8")


def json_default(value: Any) -> Any:
    """The ``default=`` of :func:`json.dumps` for numpy scalars and arrays.

    Examples
    --------
    >>> json.dumps([np.float32(0.5), np.arange(2)], default=json_default)
    '[0.5, [0, 1]]'
    """
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_json(prediction: Any) -> bytes:
    """``{"predictions": [...]}``.

    Examples
    --------
    >>> encode_json(np.array([1, 0]))
    b'{"predictions": [1, 0]}'
    """
    value = prediction.tolist() if isinstance(prediction, np.ndarray) else prediction
    try:
        return json.dumps({"predictions": value}, default=json_default).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise ModelServerError(f"The prediction cannot be written as JSON: {error}") from error


def encode_npy(prediction: Any) -> bytes:
    """``numpy.save`` bytes of the prediction (no pickled objects).

    Examples
    --------
    >>> np.load(io.BytesIO(encode_npy([1.5]))).tolist()
    [1.5]
    """
    buffer = io.BytesIO()
    try:
        np.save(buffer, np.asarray(prediction), allow_pickle=False)
    except ValueError as error:
        raise ModelServerError(f"The prediction cannot be written as {NPY}: {error}") from error
    return buffer.getvalue()


ENCODERS: Mapping[str, Callable[[Any], bytes]] = {CSV: encode_csv, JSON: encode_json, NPY: encode_npy}
"""The default ``output_fn``'s encoders by media type."""


def encode(prediction: Any, accept: str) -> tuple[bytes, str]:
    """Encode a prediction for an Accept media type (the default ``output_fn``).

    Examples
    --------
    >>> encode([0.5, 1.5], "text/csv")
    (b'0.5\\n1.5', 'text/csv')
    """
    kind = media_type(accept) or JSON
    encoder = ENCODERS.get(kind)
    if encoder is None:
        raise UnsupportedMediaTypeError(
            f"Accept type {_clip(accept)} is not supported: this server answers {', '.join(ENCODERS)}."
        )
    return encoder(prediction), kind
