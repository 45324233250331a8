"""Suggested model-quality constraints, each violation raised and not raised, and the constraints file."""

import json

import numpy as np
import pytest

from sagewatch.errors import InvalidParameterError, SchemaError
from sagewatch.quality.constraints import check_quality, suggest_quality_constraints
from sagewatch.quality.labels import QualityColumns
from sagewatch.quality.metrics import problem_metrics
from sagewatch.schemas.model_quality import (ModelQualityConstraints, dumps_model_quality_constraints,
                                             dumps_model_quality_violations, load_model_quality_constraints)


def _regression(shift):
    rng = np.random.default_rng(3)
    y = rng.normal(0, 1, 50)
    return problem_metrics(QualityColumns(y, y + shift + rng.normal(0, 0.1, 50)), "Regression")


def _binary(pred):
    return problem_metrics(QualityColumns(np.array(["1", "0", "0", "0", "1", "1"]), np.array(pred)),
                           "BinaryClassification")


def test_suggestion_thresholds_and_operators():
    c = suggest_quality_constraints("Regression", _regression(0.0))
    assert [(k, op) for k, (_, op) in c.metrics.items()] == [
        ("mae", "GreaterThanThreshold"), ("mse", "GreaterThanThreshold"), ("rmse", "GreaterThanThreshold"),
        ("r2", "LessThanThreshold")]
    b = suggest_quality_constraints("BinaryClassification", _binary(["1", "0", "0", "1", "1", "1"]))
    assert b.metrics["f2"] == (_binary(["1", "0", "0", "1", "1", "1"])["f2"]["value"], "LessThanThreshold")
    assert b.metrics["false_positive_rate"][1] == "GreaterThanThreshold"
    assert not any(k.endswith("_best_constant_classifier") for k in b.metrics)


@pytest.mark.parametrize("metric", ["mae", "mse", "rmse", "r2"])
def test_each_regression_violation_raised_and_not_raised(metric):
    constraints = suggest_quality_constraints("Regression", _regression(0.0))
    only = ModelQualityConstraints("Regression", {metric: constraints.metrics[metric]})
    assert check_quality("Regression", _regression(0.0), only).violations == ()
    worse = check_quality("Regression", _regression(1.0), only).violations
    assert [v["metric_name"] for v in worse] == [metric]
    op = constraints.metrics[metric][1]
    assert worse[0]["constraint_check_type"] == op
    assert worse[0]["description"].startswith(f"Metric {metric} with ") and f"was {op} " in worse[0]["description"]


def test_each_binary_violation_raised_and_not_raised():
    good = _binary(["1", "0", "0", "0", "1", "1"])
    bad = _binary(["0", "1", "1", "0", "0", "1"])
    constraints = suggest_quality_constraints("BinaryClassification", good)
    assert check_quality("BinaryClassification", good, constraints).violations == ()
    raised = {v["metric_name"] for v in check_quality("BinaryClassification", bad, constraints).violations}
    assert raised == set(constraints.metrics) - {"auc"} | ({"auc"} if bad["auc"]["value"] < good["auc"]["value"]
                                                         else set())


def test_documented_violation_text():
    c = ModelQualityConstraints("BinaryClassification", {"f2": (0.625, "LessThanThreshold")})
    metrics = {"f2": {"value": 0.55, "standard_deviation": "NaN"}}
    result = check_quality("BinaryClassification", metrics, c)
    assert json.loads(dumps_model_quality_violations(list(result.violations))) == {"violations": [
        {"constraint_check_type": "LessThanThreshold", "description": "Metric f2 with 0.55 was LessThanThreshold 0.625",
         "metric_name": "f2"}]}
    assert check_quality("BinaryClassification", {"f2": {"value": 0.625, "standard_deviation": 0}}, c).violations == ()


def test_problem_type_mismatch_is_an_error():
    c = ModelQualityConstraints("Regression", {"mae": (1.0, "GreaterThanThreshold")})
    with pytest.raises(InvalidParameterError, match="does not fit the baseline constraints"):
        check_quality("BinaryClassification", _binary(["1"] * 6), c)


def test_constraints_file_round_trip_and_errors(tmp_path):
    c = suggest_quality_constraints("Regression", _regression(0.0))
    path = tmp_path / "constraints.json"
    path.write_text(dumps_model_quality_constraints(c))
    assert load_model_quality_constraints(path) == c
    path.write_text(json.dumps({"version": 0.0, "regression_constraints": {
        "mae": {"threshold": "1.5E-1", "comparison_operator": "GreaterThanThreshold"}}}))
    assert load_model_quality_constraints(path).metrics == {"mae": (0.15, "GreaterThanThreshold")}
    path.write_text(json.dumps({"version": 0.0, "regression_constraints": {
        "mae": {"threshold": 1, "comparison_operator": "Bigger"}}}))
    with pytest.raises(SchemaError, match="regression_constraints.mae.comparison_operator"):
        load_model_quality_constraints(path)
    path.write_text(json.dumps({"version": 0.0}))
    with pytest.raises(SchemaError, match="exactly one of"):
        load_model_quality_constraints(path)
