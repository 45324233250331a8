"""What an endpoint config's ``DataCaptureConfig`` asks for, as one frozen object (contract §1.1).

The request dict is validated by :mod:`sagewatch.localstack.sagemaker.endpoints.validation` before it gets here;
this module only reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagewatch.schemas.s3_uri import split_s3_uri

__all__ = ["CaptureConfig"]

_INPUT_MODES = frozenset({"Input", "InputAndOutput"})
_OUTPUT_MODES = frozenset({"Output", "InputAndOutput"})


@dataclass(frozen=True)
class CaptureConfig:
    """The capture settings of one endpoint config.

    Attributes
    ----------
    enabled : bool
        ``EnableCapture`` (true when absent, as on AWS).
    sampling_percentage : int
        ``InitialSamplingPercentage``, 0..100.
    destination_s3_uri : str
        ``DestinationS3Uri`` verbatim (``s3://bucket/prefix``).
    kms_key_id : str or None
        ``KmsKeyId``: capture files are uploaded with SSE-KMS under this key when set.
    capture_input, capture_output : bool
        From ``CaptureOptions`` (``Input``, ``Output``, ``InputAndOutput``).
    csv_content_types, json_content_types : tuple of str
        ``CaptureContentTypeHeader``; a content type in neither list is captured as ``BASE64``. Absent lists are
        empty: without the header SageMaker base64-encodes everything (DOCS "CaptureContentTypeHeader").

    Examples
    --------
    >>> config = CaptureConfig.from_request({
    ...     "InitialSamplingPercentage": 50, "DestinationS3Uri": "s3://bucket/capture",
    ...     "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    ...     "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
    >>> config.enabled, config.sampling_percentage, config.bucket, config.prefix
    (True, 50, 'bucket', 'capture')
    >>> config.csv_content_types, config.json_content_types
    (('text/csv',), ())
    >>> config.summary()["CaptureStatus"]
    'Started'
    """

    enabled: bool
    sampling_percentage: int
    destination_s3_uri: str
    kms_key_id: str | None = None
    capture_input: bool = True
    capture_output: bool = True
    csv_content_types: tuple[str, ...] = ()
    json_content_types: tuple[str, ...] = ()

    @classmethod
    def from_request(cls, config: Mapping[str, Any] | None) -> CaptureConfig | None:
        """Read a (validated) ``DataCaptureConfig``; ``None`` when the endpoint config has none."""
        if not config:
            return None
        modes = {str(option.get("CaptureMode")) for option in config.get("CaptureOptions") or []}
        header = config.get("CaptureContentTypeHeader") or {}
        return cls(
            enabled=bool(config.get("EnableCapture", True)),
            sampling_percentage=int(config.get("InitialSamplingPercentage", 0)),
            destination_s3_uri=str(config["DestinationS3Uri"]),
            kms_key_id=config.get("KmsKeyId") or None,
            capture_input=bool(modes & _INPUT_MODES),
            capture_output=bool(modes & _OUTPUT_MODES),
            csv_content_types=tuple(header.get("CsvContentTypes") or ()),
            json_content_types=tuple(header.get("JsonContentTypes") or ()),
        )

    @property
    def bucket(self) -> str:
        """The destination bucket."""
        return split_s3_uri(self._s3_uri)[0]

    @property
    def prefix(self) -> str:
        """The destination key prefix, without a trailing slash (may be empty)."""
        return split_s3_uri(self._s3_uri)[1].strip("/")

    @property
    def _s3_uri(self) -> str:
        # the API pattern also admits https:// URIs: read https://bucket.s3.../prefix as s3://bucket/prefix
        uri = self.destination_s3_uri
        if uri.startswith("https://"):
            host, _, path = uri[len("https://"):].partition("/")
            return f"s3://{host.split('.', 1)[0]}/{path}"
        return uri

    @property
    def active(self) -> bool:
        """Whether any record can be written (enabled, sampling above 0, some capture mode)."""
        return self.enabled and self.sampling_percentage > 0 and (self.capture_input or self.capture_output)

    def summary(self) -> dict[str, Any]:
        """``DescribeEndpoint.DataCaptureConfig`` (DOCS "DataCaptureConfigSummary")."""
        summary: dict[str, Any] = {
            "EnableCapture": self.enabled,
            "CaptureStatus": "Started" if self.enabled else "Stopped",
            "CurrentSamplingPercentage": self.sampling_percentage,
            "DestinationS3Uri": self.destination_s3_uri,
        }
        if self.kms_key_id:
            summary["KmsKeyId"] = self.kms_key_id
        return summary
