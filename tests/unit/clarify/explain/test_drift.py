"""Attribution drift: violations raised and not raised, Clarify's layout and wording, metric lines."""

from __future__ import annotations

import json

import pytest

from sagewatch.clarify.explain.drift import check_attribution_drift, explainability_metric_lines
from sagewatch.errors import InvalidParameterError
from sagewatch.schemas.explainability import check_explanations, dumps_attribution_violations, explanations_document


def _file(labels, explainer="kernel_shap"):
    return check_explanations(explanations_document(explainer, labels))


BASE = _file({"label0": ({"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}, 0.5)})


def test_a_stable_ranking_raises_no_violation():
    drift = check_attribution_drift(BASE, _file({"label0": ({"a": 0.8, "b": 0.35, "c": 0.3, "d": 0.01}, 0.4)}))
    assert drift.violations == [] and drift.labels[0].ndcg == pytest.approx(1.0, abs=1e-15)
    assert not drift.labels[0].violated


def test_a_reordered_ranking_raises_the_dg_violation():
    drift = check_attribution_drift(BASE, _file({"label0": ({"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}, 0.5)}))
    score = drift.labels[0].ndcg
    assert score < 0.9
    assert drift.violations == [{"label": "label0", "metric_name": "shap",
                                 "constraint_check_type": "feature_attribution_drift_check",
                                 "description": f"Feature attribution drift {score!r} exceeds threshold 0.9"}]
    assert json.loads(dumps_attribution_violations(drift.violations)) == {"version": "1.0",
                                                                        "violations": drift.violations}
    assert dumps_attribution_violations(drift.violations).startswith('{\n    "version": "1.0",\n    "violations": [')


def test_the_threshold_is_exclusive_and_configurable():
    current = _file({"label0": ({"a": 0.3, "b": 0.4, "c": 0.2, "d": 0.1}, 0.5)})  # top two swapped: about 0.95
    score = check_attribution_drift(BASE, current).labels[0].ndcg
    assert check_attribution_drift(BASE, current, threshold=score).violations == []
    assert len(check_attribution_drift(BASE, current, threshold=0.99).violations) == 1
    assert check_attribution_drift(BASE, current).violations == []


def test_each_label_is_checked_on_its_own():
    base = _file({"no": ({"a": 2.0, "b": 1.0}, 0.1), "yes": ({"a": 2.0, "b": 1.0}, 0.9)})
    current = _file({"no": ({"a": 2.0, "b": 1.0}, 0.1), "yes": ({"a": 0.1, "b": 1.0}, 0.9)})
    drift = check_attribution_drift(base, current)
    assert [(d.label, d.violated) for d in drift.labels] == [("no", False), ("yes", True)]
    assert [v["label"] for v in drift.violations] == ["yes"]


def test_a_tree_shap_baseline_is_compared_too():
    base = _file({"label0": ({"a": 2.0, "b": 1.0}, 0.1)}, explainer="tree_shap")
    assert check_attribution_drift(base, _file({"label0": ({"a": 1.0, "b": 2.0}, 0.1)})).labels[0].violated


@pytest.mark.parametrize("threshold", [-0.1, 1.5, float("nan"), True, "0.9"])
def test_bad_thresholds_are_refused(threshold):
    with pytest.raises(InvalidParameterError, match="threshold must be a number from 0 to 1"):
        check_attribution_drift(BASE, BASE, threshold=threshold)


def test_a_label_the_current_run_lacks_is_named():
    with pytest.raises(InvalidParameterError, match="the baseline explains label 'label0', the current run does not "
                                                    r"\(it explains yes\)"):
        check_attribution_drift(BASE, _file({"yes": ({"a": 1.0}, 0.0)}))


def test_the_report_block_carries_the_shift():
    drift = check_attribution_drift(BASE, _file({"label0": ({"a": 0.1, "b": 0.3, "c": 0.2, "d": 0.1}, 0.5)}))
    block = drift.report_block()
    label = block["labels"]["label0"]
    assert block["threshold"] == 0.9 and label["ndcg"] == drift.labels[0].ndcg
    assert label["violated"] is (label["ndcg"] < 0.9) is True
    first = label["shift"]["features"][0]
    assert (first["name"], first["baseline_rank"], first["current_rank"]) == ("a", 1, 3)
    assert first["change"] == pytest.approx(-0.3)


def test_metric_lines_follow_the_explainability_namespace_layout():
    current = _file({"yes": ({"a": 0.25, "b": 0.5}, 0.75)})
    lines = explainability_metric_lines(current, timestamp="2024-05-01T10:00:00Z",
                                        dimensions=[{"Name": "Endpoint", "Value": "ep"},
                                                    {"Name": "MonitoringSchedule", "Value": "s"}])
    assert [line["MetricName"] for line in lines] == ["feature_a", "feature_b", "ExpectedValue"]
    assert lines[0] == {"MetricName": "feature_a", "Timestamp": "2024-05-01T10:00:00Z", "Dimensions": [
        {"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", "Value": "s"},
        {"Name": "ExplainabilityMethod", "Value": "KernelShap"}, {"Name": "Label", "Value": "yes"},
        {"Name": "ValueType", "Value": "GlobalShapValues"}], "Value": 0.25, "Unit": "None"}
    assert lines[2]["Dimensions"][-1] == {"Name": "ValueType", "Value": "ExpectedValue"} and lines[2]["Value"] == 0.75
    tree = explainability_metric_lines(_file({"label0": ({"a": 1.0}, 0.0)}, "tree_shap"), timestamp="t", dimensions=[])
    assert tree[0]["Dimensions"][0] == {"Name": "ExplainabilityMethod", "Value": "TreeShap"}
