"""The model-quality report settings: slice_attribute, slice_buckets, low_confidence_threshold."""

import json

import pytest

from sagewatch.errors import JobError
from sagewatch.job.spec import parse_job_spec

CSV = '{"csv": {"header": true}}'


def _env(tmp_path, **settings):
    return {"SAGEWATCH_OPT_ML": str(tmp_path), "dataset_format": CSV, "dataset_source": "/opt/ml/in",
            "output_path": "/opt/ml/out", **settings}


def test_defaults(tmp_path):
    spec = parse_job_spec(_env(tmp_path))
    assert (spec.slice_attribute, spec.slice_buckets, spec.low_confidence_threshold) == (None, 5, None)


def test_settings_are_read_and_not_passed_on_as_user_environment(tmp_path):
    spec = parse_job_spec(_env(tmp_path, slice_attribute=" $.region ", slice_buckets="8",
                               low_confidence_threshold="0.65"))
    assert (spec.slice_attribute, spec.slice_buckets, spec.low_confidence_threshold) == ("$.region", 8, 0.65)
    config = tmp_path / "config" / "processingjobconfig.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"Environment": {"slice_attribute": "age", "slice_buckets": "3", "mine": "x"}}))
    spec = parse_job_spec(_env(tmp_path))
    assert (spec.slice_attribute, spec.slice_buckets) == ("age", 3)
    assert spec.extra_environment == {"mine": "x"}


@pytest.mark.parametrize("key, value, message", [
    ("slice_buckets", "1", "slice_buckets must be a whole number from 2 to 100, got '1'"),
    ("slice_buckets", "five", "slice_buckets must be a whole number from 2 to 100, got 'five'"),
    ("low_confidence_threshold", "1.5", "low_confidence_threshold must be a number from 0 to 1, got '1.5'"),
    ("low_confidence_threshold", "high", "low_confidence_threshold must be a number from 0 to 1, got 'high'"),
])
def test_bad_values_name_the_setting(tmp_path, key, value, message):
    with pytest.raises(JobError, match=message):
        parse_job_spec(_env(tmp_path, **{key: value}))
