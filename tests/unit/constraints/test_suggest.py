import pyarrow as pa

from sagewatch.constraints.suggest import suggest_constraints
from sagewatch.profile.dataset import profile_table


def test_suggestion_has_completeness_non_negative_and_domains():
    table = pa.table({"a": ["1", "2", None, "4"], "b": ["-1.5", "2", "3", "4"], "c": ["x", "y", "x", None],
                      "id": [f"id{i}" for i in range(4)]})
    c = suggest_constraints(profile_table(table)).to_dict()
    features = {f["name"]: f for f in c["features"]}
    assert features["a"] == {"name": "a", "inferred_type": "Integral", "completeness": 0.75,
                             "num_constraints": {"is_non_negative": True}}
    assert features["b"]["num_constraints"] == {"is_non_negative": False}
    assert features["c"]["string_constraints"] == {"domains": ["x", "y"]}
    assert c["monitoring_config"] == {
        "evaluate_constraints": "Enabled", "emit_metrics": "Enabled", "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1,
                                     "comparison_method": "Robust", "categorical_comparison_threshold": 0.1,
                                     "categorical_drift_method": "LInfinity"}}
    assert "monitoringConfigOverrides" not in str(c)


def test_high_cardinality_strings_get_no_domain():
    table = pa.table({"id": [f"user-{i}" for i in range(5000)]})
    feature = suggest_constraints(profile_table(table)).to_dict()["features"][0]
    assert "string_constraints" not in feature


def test_categorical_drift_method_override():
    c = suggest_constraints(profile_table(pa.table({"a": [1, 2]})), categorical_drift_method="chisquared")
    assert c.to_dict()["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] == "ChiSquared"
