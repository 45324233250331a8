"""Bias drift: violations raised and not raised, the DI rule, infinities, metric lines."""

from __future__ import annotations

import json
import math

import pytest

from sagewatch.clarify.bias.drift import bias_metric_lines, check_bias_drift
from sagewatch.errors import SchemaError
from sagewatch.schemas.clarify_analysis import (dumps_bias_violations, load_bias_analysis, parse_bias_analysis)


def _analysis(metrics: dict, stage="post_training_bias_metrics", facet_value="40"):
    return parse_bias_analysis({"version": "1.0", stage: {"label": "y", "label_value_or_threshold": "1", "facets": {
        "Age": [{"value_or_threshold": facet_value, "metrics": [
            {"name": k, "description": "", "value": v} for k, v in metrics.items()]}]}}})


@pytest.mark.parametrize(("code", "baseline", "current", "violates"), [
    ("DPPL", 0.2, 0.1, False),     # the DG example: closer to 0 passes
    ("DPPL", 0.2, -0.3, True),     # farther from 0 violates
    ("DPPL", 0.2, -0.2, False),    # as far: no violation
    ("CI", 0.0, 1e-12, True),
    ("DI", 0.8, 1.1, False),       # DI: distance from 1 (0.1 < 0.2)
    ("DI", 0.8, 1.3, True),
    ("DI", 1.2, 0.7, True),
    ("TE", 1.0, "Infinity", True),
    ("TE", "-Infinity", 5.0, False),
    ("DCR", 0, 0, False),
])
def test_violation_when_farther_from_the_ideal_than_the_baseline(code, baseline, current, violates):
    result = check_bias_drift(_analysis({code: current}), _analysis({code: baseline}))
    assert bool(result.violations) is violates
    if violates:
        shown = {"Infinity": "Infinity"}.get(current, repr(current) if isinstance(current, float) else str(current))
        assert result.violations == ({"facet": "Age", "facet_value": "40", "metric_name": code,
                                      "constraint_check_type": "bias_drift_check",
                                      "description": f"Value {shown} does not meet the constraint requirement"},)


def test_null_or_unmatched_metrics_are_not_evaluated():
    current = _analysis({"CI": None, "DPL": 0.5, "KL": 0.3}, stage="pre_training_bias_metrics")
    baseline = _analysis({"DPL": None, "KL": 0.1}, stage="pre_training_bias_metrics")
    result = check_bias_drift(current, baseline)
    assert [v["metric_name"] for v in result.violations] == ["KL"]
    assert result.not_evaluated == ("pre_training_bias_metrics/Age=40/CI", "pre_training_bias_metrics/Age=40/DPL")
    other_value = check_bias_drift(_analysis({"KL": 0.9}, facet_value="50"), _analysis({"KL": 0.1}))
    assert other_value.violations == () and other_value.not_evaluated == ("post_training_bias_metrics/Age=50/KL",)


def test_violations_file_layout():
    text = dumps_bias_violations(list(check_bias_drift(_analysis({"CI": 0.3}), _analysis({"CI": 0.1})).violations))
    assert text == ('{\n    "version": "1.0",\n    "violations": [\n        {\n            "facet": "Age",\n'
                    '            "facet_value": "40",\n            "metric_name": "CI",\n'
                    '            "constraint_check_type": "bias_drift_check",\n'
                    '            "description": "Value 0.3 does not meet the constraint requirement"\n'
                    '        }\n    ]\n}')


def test_metric_lines_publish_infinity_as_the_documented_number_and_skip_nulls():
    analysis = _analysis({"DI": "-Infinity", "AD": None, "DPPL": -0.25})
    lines = bias_metric_lines(analysis, timestamp="2024-01-01T10:00:00Z", schedule="s")
    assert [(line["MetricName"], line["Value"]) for line in lines] == [("bias_metric_DI", -2.348543e108),
                                                                     ("bias_metric_DPPL", -0.25)]
    assert lines[0]["Dimensions"][0] == {"Name": "MonitoringSchedule", "Value": "s"}
    assert all(math.isfinite(line["Value"]) for line in lines)


def test_baseline_reader_names_file_and_field(tmp_path):
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps({"version": "1.0", "pre_training_bias_metrics": {"facets": {"a": [
        {"value_or_threshold": "1", "metrics": [{"name": "CI", "value": "big"}]}]}}}))
    with pytest.raises(SchemaError) as info:
        load_bias_analysis(path)
    assert info.value.field == "pre_training_bias_metrics.facets.a[0].metrics[0].value"
    assert str(path) in str(info.value)


def test_a_continuous_facet_group_is_matched_by_its_threshold_not_by_the_datas_largest_value():
    # "(threshold, largest value]": the monitored data's largest value is not the baseline's
    baseline = _analysis({"DPPL": 0.07}, facet_value="(0.0, 2.5729]")
    result = check_bias_drift(_analysis({"DPPL": 1.0}, facet_value="(0.0, 2.1033]"), baseline)
    assert [(v["facet"], v["facet_value"], v["metric_name"]) for v in result.violations] == [
        ("Age", "(0.0, 2.1033]", "DPPL")]
    assert result.not_evaluated == ()
    other_threshold = check_bias_drift(_analysis({"DPPL": 1.0}, facet_value="(1.0, 2.1033]"), baseline)
    assert other_threshold.violations == () and other_threshold.not_evaluated == (
        "post_training_bias_metrics/Age=(1.0, 2.1033]/DPPL",)
