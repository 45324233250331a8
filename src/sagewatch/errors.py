"""One flat error hierarchy for sagewatch (style guide §2.3)."""

from __future__ import annotations


class SagewatchError(Exception):
    """Root of every error sagewatch raises on purpose."""


class InvalidParameterError(SagewatchError, ValueError, TypeError):
    """A parameter failed the checks made where it enters a public function."""


class SchemaError(SagewatchError, ValueError):
    """A file or record does not follow its SageMaker format.

    The message names the file (or source), the line when known, and the field.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = []
        if source is not None:
            where.append(str(source))
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")
        self.source = source
        self.line = line
        self.field = field


class DatasetError(SagewatchError):
    """A dataset cannot be read at all (unknown format, missing folder, empty window)."""


class DatasetFormatError(SchemaError, DatasetError):
    """A ``dataset_format`` setting breaks its declared schema (a :class:`SchemaError` of source
    ``dataset_format``; also a :class:`DatasetError`, which such errors used to be)."""


class JobError(SagewatchError):
    """A processing job cannot run: bad environment, missing baseline, failing script."""


class UndefinedMetricWarning(UserWarning):
    """A statistic is undefined for the data given; the declared fallback value was used."""


class ModelResponseError(SagewatchError):
    """A model answered with something that is not a prediction for the records sent (wrong shape, not numbers)."""
