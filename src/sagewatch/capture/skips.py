"""Counts of records that a reader skipped, by reason.

Nothing is dropped silently: every reader and flattener returns a :class:`SkipCounts`
whose reasons are the constants below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "SkipCounts",
    "BAD_JSON",
    "BAD_RECORD",
    "MISSING_CAPTURE_DATA",
    "BAD_ENCODING",
    "BAD_BASE64",
    "UNSUPPORTED_CONTENT_TYPE",
    "WRONG_WIDTH",
    "SHADOW_TRAFFIC",
    "OUTSIDE_WINDOW",
    "BAD_INFERENCE_TIME",
    "PREPROCESSOR_DROPPED",
    "TOO_DEEP",
    "TOO_WIDE",
    "NOT_UTF8",
    "NOT_A_RECORD",
    "SKIP_REASONS",
]

BAD_JSON = "bad_json"
"""A line (or a JSON payload inside a record) is not valid JSON."""
BAD_RECORD = "bad_record"
"""Valid JSON that does not have the shape of its record type (e.g. ``data`` is not a string)."""
MISSING_CAPTURE_DATA = "missing_capture_data"
"""No ``captureData`` object, or none of the requested capture indexes in it."""
BAD_ENCODING = "bad_encoding"
"""``encoding`` is neither ``CSV``, ``JSON`` nor ``BASE64``."""
BAD_BASE64 = "bad_base64"
"""``encoding`` is ``BASE64`` but ``data`` is not valid base64 (or not UTF-8 text once decoded)."""
UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
"""A ``BASE64`` payload whose ``observedContentType`` is neither CSV nor JSON."""
WRONG_WIDTH = "wrong_width"
"""The row's column layout differs from the majority layout of its batch."""
SHADOW_TRAFFIC = "shadow_traffic"
"""``eventMetadata.invocationSource == "ShadowExperiment"`` (skipped by the analyzer, contract §1.2)."""
OUTSIDE_WINDOW = "outside_window"
"""``inferenceTime`` is outside ``[start_time, end_time)``."""
BAD_INFERENCE_TIME = "bad_inference_time"
"""``inferenceTime`` is not a time (e.g. ``2024-02-30T10:00:00Z``), or is missing when a time window was requested."""
PREPROCESSOR_DROPPED = "preprocessor_dropped"
"""The user's ``preprocess_handler`` returned ``[]`` or ``None``."""
TOO_DEEP = "too_deep"
"""A JSON record or payload is nested deeper than ``defaults.MAX_JSON_DEPTH`` (32) levels."""
TOO_WIDE = "too_wide"
"""A record part has more than ``defaults.MAX_RECORD_FIELDS`` (10,000) CSV fields or JSON values."""
NOT_UTF8 = "not_utf8"
"""A CSV record or JSON line holds bytes that are not UTF-8 text (e.g. one latin-1 ``é``)."""
NOT_A_RECORD = "not_a_record"
"""A JSON Lines value (or JSON array item) that is not an object (``1``, ``null``, ``"x"``, ``[1, 2]``)."""

SKIP_REASONS = (
    BAD_JSON,
    BAD_RECORD,
    MISSING_CAPTURE_DATA,
    BAD_ENCODING,
    BAD_BASE64,
    UNSUPPORTED_CONTENT_TYPE,
    WRONG_WIDTH,
    SHADOW_TRAFFIC,
    OUTSIDE_WINDOW,
    BAD_INFERENCE_TIME,
    PREPROCESSOR_DROPPED,
    TOO_DEEP,
    TOO_WIDE,
    NOT_UTF8,
    NOT_A_RECORD,
)


@dataclass(frozen=True)
class SkipCounts:
    """Immutable count of skipped records per reason.

    ``SkipCounts`` is a monoid: :meth:`zero` is the identity and ``+`` merges two counts
    without changing either operand. Reasons with a zero count are not stored.

    Parameters
    ----------
    counts : Mapping[str, int]
        Reason -> number of skipped records.

    Examples
    --------
    >>> a = SkipCounts.of(bad_json=2)
    >>> b = SkipCounts.zero().add("wrong_width", 3)
    >>> (a + b).total(), dict((a + b).counts)
    (5, {'bad_json': 2, 'wrong_width': 3})
    >>> a["outside_window"]
    0
    """

    counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clean = {str(k): int(v) for k, v in dict(self.counts).items() if int(v) != 0}
        if any(v < 0 for v in clean.values()):
            raise ValueError("skip counts cannot be negative")
        object.__setattr__(self, "counts", MappingProxyType(dict(sorted(clean.items()))))

    @classmethod
    def zero(cls) -> SkipCounts:
        """Return the empty count (the identity of ``+``)."""
        return cls({})

    @classmethod
    def of(cls, **counts: int) -> SkipCounts:
        """Build a count from keyword arguments, e.g. ``SkipCounts.of(bad_json=1)``."""
        return cls(counts)

    def add(self, reason: str, n: int = 1) -> SkipCounts:
        """Return a new count with ``n`` more records skipped for ``reason``."""
        if n == 0:
            return self
        merged = dict(self.counts)
        merged[reason] = merged.get(reason, 0) + int(n)
        return SkipCounts(merged)

    def merge(self, other: SkipCounts) -> SkipCounts:
        """Return the sum of two counts; neither operand changes."""
        merged = dict(self.counts)
        for reason, n in other.counts.items():
            merged[reason] = merged.get(reason, 0) + n
        return SkipCounts(merged)

    __add__ = merge

    def total(self) -> int:
        """Return the number of skipped records over all reasons."""
        return sum(self.counts.values())

    def __getitem__(self, reason: str) -> int:
        return self.counts.get(reason, 0)

    def __repr__(self) -> str:
        return f"SkipCounts({dict(self.counts)!r})"

    def __hash__(self) -> int:
        return hash(tuple(self.counts.items()))

    def to_dict(self) -> dict[str, int]:
        """Return a plain ``dict`` copy (reason -> count), sorted by reason."""
        return dict(self.counts)
