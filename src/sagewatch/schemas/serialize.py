"""Writers that reproduce the bytes of SageMaker's own files.

Model Monitor's analyzer is Scala and writes with Jackson's ``DefaultPrettyPrinter``
(contract §3.5); Clarify writes ``json.dump(..., indent=4)``. Python's ``json`` module
cannot produce Jackson's layout, so the Jackson writer is our own (contract demands it).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

import numpy as np
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["java_double", "dumps_jackson", "dumps_clarify", "dumps_compact"]


def java_double(value: float) -> str:
    """Format a float the way Java's ``Double.toString`` does (shortest round-trip digits).

    Non-finite values follow Jackson's default ``WRITE_NAN_AS_STRINGS``: they are written
    as the JSON strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.

    Examples
    --------
    >>> java_double(0.0), java_double(2048.0), java_double(1e7), java_double(0.0001)
    ('0.0', '2048.0', '1.0E7', '1.0E-4')
    >>> java_double(float("nan"))
    '"NaN"'
    """
    if math.isnan(value):
        return '"NaN"'
    if math.isinf(value):
        return '"Infinity"' if value > 0 else '"-Infinity"'
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    # repr gives the shortest round-trip digits, as Java 19+ Double.toString does
    sign, digits, exponent = Decimal(repr(float(value))).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + exponent  # position of the decimal point within the digits
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{text}"
        if point >= len(text):
            return f"{prefix}{text}{'0' * (point - len(text))}.0"
        return f"{prefix}{text[:point]}.{text[point:]}"
    return f"{prefix}{text[0]}.{text[1:] or '0'}E{point - 1}"


def _float_list(values: Sequence[float]) -> str:
    """Many doubles at once: inside Java's plain-notation range, Python's repr is Java's text."""
    magnitudes = np.abs(np.asarray(values, dtype=np.float64))
    plain = ((magnitudes >= 1e-3) & (magnitudes < 1e7)) | (magnitudes == 0.0)
    if plain.all():
        return ", ".join(map(repr, values))
    return ", ".join(repr(v) if ok else java_double(v) for v, ok in zip(values, plain.tolist()))


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "item"):  # numpy scalars
        return _scalar(value.item())
    raise TypeError(f"cannot serialize {type(value).__name__} as JSON")


def _jackson(value: Any, nesting: int, out: list[str]) -> None:
    # Jackson DefaultPrettyPrinter: objects indent with "\n" + 2*nesting spaces, arrays are inline
    # (FixedSpaceIndenter: "[ a, b ]"), fields are written as "key" : value, empty containers "{ }" / "[ ]".
    if getattr(value, "ndim", 0) > 0:  # numpy arrays
        value = value.tolist()
    if isinstance(value, Mapping):
        if not value:
            out.append("{ }")
            return
        out.append("{")
        inner = "\n" + "  " * (nesting + 1)
        first = True
        for key, item in value.items():
            out.append(inner if first else "," + inner)
            first = False
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(" : ")
            _jackson(item, nesting + 1, out)
        out.append("\n" + "  " * nesting + "}")
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if not value:
            out.append("[ ]")
            return
        if all(type(item) is float for item in value):
            out.append("[ " + _float_list(value) + " ]")
            return
        out.append("[ ")
        for i, item in enumerate(value):
            if i:
                out.append(", ")
            _jackson(item, nesting, out)
        out.append(" ]")
    else:
        out.append(_scalar(value))


def dumps_jackson(document: Mapping[str, Any]) -> str:
    """Serialize a document exactly as Model Monitor's analyzer writes it (no trailing newline).

    Examples
    --------
    >>> print(dumps_jackson({"violations": [{"feature_name": "a", "constraint_check_type": "x"}]}))
    {
      "violations" : [ {
        "feature_name" : "a",
        "constraint_check_type" : "x"
      } ]
    }
    >>> dumps_jackson({"data": [[0.0, 1.5], []], "k": 2048.0, "n": 3})
    '{\\n  "data" : [ [ 0.0, 1.5 ], [ ] ],\\n  "k" : 2048.0,\\n  "n" : 3\\n}'
    """
    out: list[str] = []
    _jackson(document, 0, out)
    return "".join(out)


def _clean_for_python_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _clean_for_python_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_for_python_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def dumps_clarify(document: Mapping[str, Any]) -> str:
    """Serialize like Clarify's ``json.dump(document, f, indent=4)``."""
    return json.dumps(_clean_for_python_json(document), indent=4)


def dumps_compact(document: Mapping[str, Any]) -> str:
    """One JSON line without spaces, as in capture records and CloudWatch metric files."""
    return json.dumps(_clean_for_python_json(document), separators=(",", ":"), ensure_ascii=False)
