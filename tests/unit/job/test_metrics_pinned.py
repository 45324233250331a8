"""CloudWatch metric lines of a data-quality job: names, values, dimensions and the emit rules, pinned."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa

from sagewatch.constraints.check import CheckResult
from sagewatch.job.metrics import data_quality_metrics, dumps_metric_lines, format_metric_time
from sagewatch.profile.dataset import profile_table
from sagewatch.schemas.constraints import Constraints, FeatureConstraint, MonitoringConfig

WHEN = datetime(2024, 5, 1, 10, 0, 7, tzinfo=timezone.utc)
PROFILE = profile_table(pa.table({"n": [1, 2, None, 5], "f": [0.5, None, None, 2.5], "s": ["a", "b", "a", None],
                                  "e": pa.array([None] * 4, type=pa.float64())}))


def _names(lines):
    return [line["MetricName"] for line in lines]


def test_metric_time_is_second_precision_utc_text():
    assert format_metric_time(WHEN) == "2024-05-01T10:00:07Z"


def test_every_feature_gets_its_lines_with_exact_values():
    check = CheckResult((), drift_distances={"n": 0.25, "s": 0.5})
    lines = data_quality_metrics(PROFILE, check, None, timestamp=WHEN, endpoint="ep", schedule="sch")
    dimensions = [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", "Value": "sch"}]
    assert lines == [
        {"MetricName": "feature_data_n", "Timestamp": "2024-05-01T10:00:07Z", "Dimensions": dimensions,
         "StatisticValues": {"SampleCount": 3.0, "Sum": 8.0, "Minimum": 1.0, "Maximum": 5.0}, "Unit": "None"},
        {"MetricName": "feature_non_null_n", "Timestamp": "2024-05-01T10:00:07Z", "Dimensions": dimensions,
         "Value": 0.75, "Unit": "None"},
        {"MetricName": "feature_baseline_drift_n", "Timestamp": "2024-05-01T10:00:07Z", "Dimensions": dimensions,
         "Value": 0.25, "Unit": "None"},
        {"MetricName": "feature_data_f", "Timestamp": "2024-05-01T10:00:07Z", "Dimensions": dimensions,
         "StatisticValues": {"SampleCount": 2.0, "Sum": 3.0, "Minimum": 0.5, "Maximum": 2.5}, "Unit": "None"},
        {"MetricName": "feature_non_null_f", "Timestamp": "2024-05-01T10:00:07Z", "Dimensions": dimensions,
         "Value": 0.5, "Unit": "None"},
        {"MetricName": "feature_non_null_s", "Timestamp": "2024-05-01T10:00:07Z", "Dimensions": dimensions,
         "Value": 0.75, "Unit": "None"},
        {"MetricName": "feature_baseline_drift_s", "Timestamp": "2024-05-01T10:00:07Z", "Dimensions": dimensions,
         "Value": 0.5, "Unit": "None"},
        {"MetricName": "feature_non_null_e", "Timestamp": "2024-05-01T10:00:07Z", "Dimensions": dimensions,
         "Value": 0.0, "Unit": "None"},
    ]


def test_without_a_check_no_drift_lines_are_written():
    lines = data_quality_metrics(PROFILE, None, None, timestamp=WHEN, endpoint=None, schedule=None)
    assert _names(lines) == ["feature_data_n", "feature_non_null_n", "feature_data_f", "feature_non_null_f",
                             "feature_non_null_s", "feature_non_null_e"]
    assert all(line["Dimensions"] == [] for line in lines)


def test_batch_jobs_have_the_schedule_dimension_only():
    lines = data_quality_metrics(PROFILE, None, None, timestamp=WHEN, endpoint="", schedule="sch")
    assert lines[0]["Dimensions"] == [{"Name": "MonitoringSchedule", "Value": "sch"}]
    lines = data_quality_metrics(PROFILE, None, None, timestamp=WHEN, endpoint="ep", schedule=None)
    assert lines[0]["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"}]


def test_emit_metrics_disabled_in_monitoring_config_silences_all_but_overrides():
    constraints = Constraints((FeatureConstraint("n", "Integral", emit_metrics=True),
                               FeatureConstraint("s", "String", emit_metrics=None)),
                              MonitoringConfig(emit_metrics=False))
    lines = data_quality_metrics(PROFILE, None, constraints, timestamp=WHEN, endpoint=None, schedule=None)
    assert _names(lines) == ["feature_data_n", "feature_non_null_n"]


def test_feature_override_can_silence_one_feature():
    constraints = Constraints((FeatureConstraint("f", "Fractional", emit_metrics=False),),
                              MonitoringConfig(emit_metrics=True))
    lines = data_quality_metrics(PROFILE, None, constraints, timestamp=WHEN, endpoint=None, schedule=None)
    assert _names(lines) == ["feature_data_n", "feature_non_null_n", "feature_non_null_s", "feature_non_null_e"]


def test_metric_lines_are_compact_json_one_per_line():
    lines = [{"MetricName": "a", "Value": 1.0}, {"MetricName": "b", "Value": 2.0}]
    assert dumps_metric_lines(lines) == '{"MetricName":"a","Value":1.0}\n{"MetricName":"b","Value":2.0}\n'
    assert dumps_metric_lines([]) == ""


def test_string_feature_with_some_numbers_gets_no_data_line():
    profile = profile_table(pa.table({"s": ["a", "1", "2", "b", "c"]}))
    assert profile.columns["s"].inferred_type == "String" and profile.columns["s"].n_numeric == 2
    lines = data_quality_metrics(profile, None, None, timestamp=WHEN, endpoint=None, schedule=None)
    assert _names(lines) == ["feature_non_null_s"]
