"""The one reader of SageMaker JSON files: errors name the file and, when known, the line.

Every way a file can fail to be JSON ends in a :class:`~sagewatch.errors.SchemaError`: missing or
unreadable, not UTF-8, not JSON, a number too long for Python, or nested deeper than the
interpreter's recursion limit (Python's ``json`` raises ``RecursionError`` on such input).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagewatch.errors import SchemaError

__all__ = ["read_json_file", "parse_json_text"]


def parse_json_text(text: str, *, source: str, error: type[SchemaError] = SchemaError) -> Any:
    """Parse JSON text; malformed or too deeply nested text raises :class:`SchemaError` (or ``error``, a
    subclass) naming ``source``.

    >>> parse_json_text('{"a": [1, 2]}', source="x.json")
    {'a': [1, 2]}
    >>> parse_json_text("[" * 100_000, source="x.json")
    Traceback (most recent call last):
    ...
    sagewatch.errors.SchemaError: x.json: invalid JSON: nested too deeply
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise error(f"invalid JSON: {e.msg} (column {e.colno})", source=source, line=e.lineno) from e
    except RecursionError:  # json's C scanner recurses once per nesting level
        # no chaining: the cause is thousands of identical frames
        raise error("invalid JSON: nested too deeply", source=source) from None
    except ValueError as e:  # e.g. an integer literal beyond Python's digit limit
        raise error(f"invalid JSON: {e}", source=source) from e


def read_json_file(path: str | Path, what: str) -> Any:
    """Parse a JSON file; a missing, unreadable, non-UTF-8 or malformed file raises :class:`SchemaError`.

    A UTF-8 byte-order mark (written by some editors) is accepted.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise SchemaError(f"{what} file not found", source=str(path)) from e
    except OSError as e:
        raise SchemaError(f"cannot read {what}: {e.strerror or e}", source=str(path)) from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SchemaError(f"{what} is not UTF-8 text: byte 0x{data[e.start]:02x} at offset {e.start} "
                          f"cannot be decoded", source=str(path), line=line) from e
    return parse_json_text(text, source=str(path))
