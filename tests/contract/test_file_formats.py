"""Our files against the skeletons of the contract (§3.1–3.5, §4.5): layout, key order, number types."""

import json
from pathlib import Path

import pyarrow as pa

from sagewatch.constraints.check import check_constraints
from sagewatch.constraints.suggest import suggest_constraints
from sagewatch.job.metrics import data_quality_metrics, dumps_metric_lines
from sagewatch.profile.dataset import profile_table
from sagewatch.schemas.constraints import Violation, dumps_violations
from sagewatch.schemas.statistics import dumps_statistics

GOLDEN = Path(__file__).parent.parent / "data" / "golden"


def _small_profile():
    return profile_table(pa.table({"label": ["0", "1", "1", "0"], "age": ["31", "45", "", "27"],
                                   "score": [0.25, 0.5, 0.75, 1.0], "city": ["Oslo", "Lima", "Oslo", "Oslo"]}))


def test_violations_layout_is_jacksons_byte_for_byte():
    text = dumps_violations([Violation("a", "categorical_values_check", "x"),
                             Violation("b", "data_type_check", "y")])
    assert text == (
        '{\n'
        '  "violations" : [ {\n'
        '    "feature_name" : "a",\n'
        '    "constraint_check_type" : "categorical_values_check",\n'
        '    "description" : "x"\n'
        '  }, {\n'
        '    "feature_name" : "b",\n'
        '    "constraint_check_type" : "data_type_check",\n'
        '    "description" : "y"\n'
        '  } ]\n'
        '}')


def test_empty_violations_list():
    assert dumps_violations([]) == '{\n  "violations" : [ ]\n}'


def test_statistics_matches_golden_bytes():
    assert dumps_statistics(_small_profile()) == (GOLDEN / "statistics.json").read_text(encoding="utf-8")


def test_constraints_matches_golden_bytes():
    text = suggest_constraints(_small_profile()).dumps()
    assert text == (GOLDEN / "constraints.json").read_text(encoding="utf-8")


def test_statistics_skeleton_key_order_and_types():
    doc = json.loads(dumps_statistics(_small_profile()))
    assert list(doc) == ["version", "dataset", "features"]
    assert doc["version"] == 0.0 and isinstance(doc["version"], float)
    age = doc["features"][1]
    assert list(age) == ["name", "inferred_type", "numerical_statistics"]
    assert list(age["numerical_statistics"]) == ["common", "mean", "sum", "std_dev", "min", "max", "distribution"]
    kll = age["numerical_statistics"]["distribution"]["kll"]
    assert list(kll) == ["buckets", "sketch"] and list(kll["buckets"][0]) == ["lower_bound", "upper_bound", "count"]
    assert list(kll["sketch"]) == ["parameters", "data"]
    city = doc["features"][3]
    assert list(city["string_statistics"]) == ["common", "distinct_count", "distribution"]
    assert isinstance(city["string_statistics"]["distinct_count"], float)
    text = dumps_statistics(_small_profile())
    assert '"version" : 0.0,' in text and '"k" : 2048.0' in text and '"c" : 0.64' in text
    assert '"buckets" : [ {' in text and not text.endswith("\n")


def test_constraints_skeleton():
    doc = json.loads(suggest_constraints(_small_profile()).dumps())
    assert list(doc) == ["version", "features", "monitoring_config"]
    assert list(doc["monitoring_config"]) == ["evaluate_constraints", "emit_metrics", "datatype_check_threshold",
                                              "domain_content_threshold", "distribution_constraints"]
    assert list(doc["monitoring_config"]["distribution_constraints"]) == [
        "perform_comparison", "comparison_threshold", "comparison_method", "categorical_comparison_threshold",
        "categorical_drift_method"]


def test_cloudwatch_metric_lines_follow_the_byoc_format():
    from datetime import datetime, timezone
    profile = _small_profile()
    constraints = suggest_constraints(profile)
    check = check_constraints(profile, constraints, profile)
    lines = data_quality_metrics(profile, check, constraints, timestamp=datetime(2024, 5, 1, 10, tzinfo=timezone.utc),
                                 endpoint="ep", schedule="sch")
    text = dumps_metric_lines(lines)
    parsed = [json.loads(line) for line in text.splitlines()]
    names = [p["MetricName"] for p in parsed]
    assert "feature_data_age" in names and "feature_non_null_age" in names and "feature_baseline_drift_age" in names
    assert "feature_data_city" not in names
    for p in parsed:
        assert p["Timestamp"] == "2024-05-01T10:00:00Z"
        assert p["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", "Value": "sch"}]
        assert ("Value" in p) != ("StatisticValues" in p)
    data = next(p for p in parsed if p["MetricName"] == "feature_data_age")
    assert data["StatisticValues"] == {"SampleCount": 3.0, "Sum": 103.0, "Minimum": 27.0, "Maximum": 45.0}
    non_null = next(p for p in parsed if p["MetricName"] == "feature_non_null_age")
    assert non_null["Value"] == 0.75
