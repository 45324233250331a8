"""Checks made before a text dataset file (CSV, JSON) is parsed: compression, encoding, binary data.

:func:`sniff_text_file` reads the first block of a file (decompressed) and says how to decode
it, or raises an error that names the file:

- a ``.gz``/``.bz2``/... file that is not valid compressed data, or is cut short;
- a UTF-16 or UTF-32 file is recognised by its byte-order mark and decoded;
- binary data (a NUL byte in the first block, without a UTF-16/32 byte-order mark) is not a
  text dataset: an image, an archive or a UTF-16 file without a byte-order mark.

Skip reasons live in :mod:`sagewatch.capture.skips` (re-exported here for the dataset readers).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from sagewatch.datasets.files import open_stream
from sagewatch.capture.skips import NOT_A_RECORD, NOT_UTF8, TOO_DEEP  # re-exported: one home of skip reasons
from sagewatch.errors import DatasetError, SchemaError

__all__ = [
    "TextSniff",
    "sniff_text_file",
    "read_error",
    "invalid_utf8_positions",
    "NOT_UTF8",
    "NOT_A_RECORD",
    "TOO_DEEP",
    "SNIFF_BYTES",
]

SNIFF_BYTES = 1 << 16

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class TextSniff:
    """What the first block of a text file says.

    Attributes
    ----------
    encoding : str
        ``"utf-8"`` (with or without a byte-order mark), ``"utf-16"`` or ``"utf-32"``.
    head : bytes
        The first block (at most :data:`SNIFF_BYTES`), decoded and re-encoded as UTF-8
        (without a byte-order mark) for the UTF-16/32 files.
    complete : bool
        ``head`` is the whole file.
    """

    encoding: str
    head: bytes
    complete: bool

    @property
    def utf8(self) -> bool:
        return self.encoding == "utf-8"


def read_error(path: Path, exc: BaseException, *, records: int | None = None) -> DatasetError:
    """A :class:`DatasetError` naming ``path`` for an I/O or decompression failure."""
    after = f" after {records} records" if records else ""
    text = str(exc)
    lower = text.lower()
    if any(word in lower for word in ("truncated", "inflate", "incorrect header", "compress", "gzip", "bz2",
                                       "zstd", "lz4", "unexpected end of")):
        what = f"cannot decompress the file{after}: it is cut short or is not {path.suffix} data ({text})"
    else:
        what = f"cannot read the file{after}: {text}"
    return DatasetError(f"{path}: {what}")


def sniff_text_file(path: Path, *, what: str) -> TextSniff:
    """Read the start of ``path`` and decide how to decode it.

    Parameters
    ----------
    path : pathlib.Path
    what : str
        The format, for messages (``"CSV"``, ``"JSON"``).

    Raises
    ------
    DatasetError
        The file cannot be opened or decompressed.
    SchemaError
        The file holds binary data, not text.
    """
    try:
        with open_stream(path) as stream:
            head = stream.read(SNIFF_BYTES)
            complete = len(head) < SNIFF_BYTES or not stream.read(1)
    except (OSError, pa.ArrowInvalid) as exc:
        raise read_error(path, exc) from exc
    encoding = "utf-8"
    for bom, name in _BOMS:
        if head.startswith(bom):
            encoding = name
            break
    if encoding != "utf-8":
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            text = decoder.decode(head, final=complete)
        except UnicodeDecodeError as exc:
            raise SchemaError(f"not {encoding.upper()} text although it starts with a {encoding.upper()} "
                              f"byte-order mark ({exc.reason} at byte {exc.start})", source=str(path)) from exc
        return TextSniff(encoding, text.encode("utf-8"), complete)
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    nul = head.find(b"\x00")
    if nul >= 0:
        raise SchemaError(
            f"binary data, not {what} text (a NUL byte at offset {nul}); a UTF-16 or UTF-32 file needs a "
            "byte-order mark, any other file does not belong in the dataset", source=str(path))
    return TextSniff(encoding, head, complete)


def invalid_utf8_positions(data: bytes | memoryview) -> np.ndarray:
    """Byte offsets where ``data`` is not valid UTF-8 (one offset per invalid sequence).

    Decoding runs in C; Python is entered once per invalid sequence only.

    Examples
    --------
    >>> invalid_utf8_positions(b"ok caf\\xe9 and \\xff").tolist()
    [6, 14]
    >>> invalid_utf8_positions("caf\\u00e9".encode()).tolist()
    []
    """
    view = memoryview(data)
    found, pos, size = [], 0, len(view)
    while pos < size:
        try:
            codecs.utf_8_decode(view[pos:], "strict", True)
            break
        except UnicodeDecodeError as exc:  # once per bad sequence, not per value
            found.append(pos + exc.start)
            pos += max(exc.end, exc.start + 1)
    return np.asarray(found, dtype=np.int64)
