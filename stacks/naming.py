"""Deterministic physical names, for the few resources whose name AWS requires or other resources must know.

Names come from a content hash of the values that define the resource, never from the clock
(style guide: ``generate_unique_id``), so two syntheses of the same context give the same names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from typing import Any

__all__ = ["generate_unique_id"]

_INVALID = re.compile(r"[^a-zA-Z0-9-]+")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def generate_unique_id(prefix: str, *parts: Any, max_length: int = 63, digest_length: int = 8) -> str:
    """``<prefix>-<hash of parts>``, valid as a SageMaker name (``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``).

    >>> generate_unique_id("sagewatch-dq", "local", {"a": 1})
    'sagewatch-dq-40e1d939'
    >>> generate_unique_id("sagewatch-dq", "local", {"a": 1}) == generate_unique_id("sagewatch-dq", "local", {"a": 1})
    True
    """
    text = json.dumps(_plain(list(parts)), sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:digest_length]
    head = _INVALID.sub("-", prefix).strip("-")[: max_length - digest_length - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest
