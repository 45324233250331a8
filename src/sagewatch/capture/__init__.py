"""Data capture in bulk: S3 keys, batch manifests, flattening capture files into tables, skip counts.

The record formats themselves live in :mod:`sagewatch.schemas.capture` (capture records) and
:mod:`sagewatch.schemas.ground_truth` (ground-truth records); their main entry points are re-exported
here with this package's own (``keys``, ``manifest``, ``flatten``, ``tabular``, ``skips``).
"""

from sagewatch.capture.flatten import (
    CaptureLayout,
    FlattenResult,
    flatten_capture_lines,
    flatten_capture_records,
)
from sagewatch.schemas.ground_truth import (
    GroundTruthRecord,
    make_ground_truth_record,
    parse_ground_truth_record,
    serialize_ground_truth_record,
)
from sagewatch.capture.keys import capture_object_key, ground_truth_object_key, parse_capture_key
from sagewatch.capture.manifest import BatchManifest, parse_manifest, serialize_manifest, split_generated_ids
from sagewatch.schemas.capture import (
    CapturedPayload,
    CaptureRecord,
    make_capture_record,
    parse_capture_record,
    select_encoding,
    serialize_capture_record,
)
from sagewatch.capture.skips import SkipCounts

__all__ = [
    "CapturedPayload",
    "CaptureRecord",
    "make_capture_record",
    "serialize_capture_record",
    "parse_capture_record",
    "select_encoding",
    "capture_object_key",
    "parse_capture_key",
    "ground_truth_object_key",
    "GroundTruthRecord",
    "make_ground_truth_record",
    "serialize_ground_truth_record",
    "parse_ground_truth_record",
    "BatchManifest",
    "parse_manifest",
    "serialize_manifest",
    "split_generated_ids",
    "CaptureLayout",
    "FlattenResult",
    "flatten_capture_lines",
    "flatten_capture_records",
    "SkipCounts",
]
