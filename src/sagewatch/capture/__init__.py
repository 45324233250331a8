"""Data capture: records, S3 keys, ground truth, batch manifests, and bulk flattening.

The main entry points are re-exported here; everything else lives in its module
(``records``, ``keys``, ``ground_truth``, ``manifest``, ``flatten``, ``tabular``, ``skips``).
"""

from sagewatch.capture.flatten import (
    CaptureLayout,
    FlattenResult,
    flatten_capture_lines,
    flatten_capture_records,
)
from sagewatch.capture.ground_truth import (
    GroundTruthRecord,
    make_ground_truth_record,
    parse_ground_truth_record,
    serialize_ground_truth_record,
)
from sagewatch.capture.keys import capture_object_key, ground_truth_object_key, parse_capture_key
from sagewatch.capture.manifest import BatchManifest, parse_manifest, serialize_manifest, split_generated_ids
from sagewatch.capture.records import (
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
