import json

import pytest

from sagewatch.errors import SchemaError
from sagewatch.schemas.constraints import Constraints, load_constraints


def test_reads_all_comparison_method_literals():
    for literal, expected in [("Simple", "Simple"), ("linf_robust", "Robust"), ("ROBUST", "Robust"),
                              ("linf_simple", "Simple")]:
        c = Constraints.from_dict({"features": [], "monitoring_config": {
            "distribution_constraints": {"comparison_method": literal}}})
        assert c.monitoring_config.comparison_method == expected


def test_absent_thresholds_use_container_defaults():
    c = Constraints.from_dict({"features": []})
    assert c.monitoring_config.datatype_check_threshold == 1.0
    assert c.monitoring_config.domain_content_threshold == 1.0
    assert c.monitoring_config.comparison_method == "Robust"


def test_categorical_threshold_defaults_to_comparison_threshold():
    c = Constraints.from_dict({"features": [], "monitoring_config": {
        "distribution_constraints": {"comparison_threshold": 0.3}}})
    assert c.monitoring_config.categorical_comparison_threshold == 0.3


def test_legacy_keys_ignored_unknown_keys_kept():
    doc = {"version": 0.0, "features": [{"name": "a", "inferred_type": "String", "my_note": "keep",
                                         "string_constraints": {"domains": ["x"]}}],
           "monitoring_config": {"distribution_constraints": {"enable_comparisons": True, "min_domain_mass": 1.0,
                                                              "comparison_threshold": "1e-1"}}}
    c = Constraints.from_dict(doc)
    assert c.monitoring_config.comparison_threshold == 0.1
    out = c.to_dict()
    assert out["features"][0]["my_note"] == "keep"
    assert "enable_comparisons" not in json.dumps(out)


def test_feature_level_override_wins():
    c = Constraints.from_dict({"features": [{"name": "a", "inferred_type": "String",
                                             "monitoringConfigOverrides": {"evaluate_constraints": "Enabled"},
                                             "string_constraints": {"monitoring_config_overrides": {
                                                 "evaluate_constraints": "Disabled"}}}]})
    assert c.features[0].evaluate_constraints is True


@pytest.mark.parametrize("doc, field", [
    ({"features": "x"}, "features"),
    ({"features": [{"inferred_type": "String"}]}, "features"),
    ({"features": [{"name": "a", "inferred_type": "Text"}]}, "features[0].inferred_type"),
    ({"features": [], "monitoring_config": {"distribution_constraints": {"comparison_method": "Fancy"}}},
     "comparison_method"),
    ({"features": [], "monitoring_config": {"evaluate_constraints": "Maybe"}}, "evaluate_constraints"),
])
def test_bad_constraints_name_the_field(doc, field):
    with pytest.raises(SchemaError) as info:
        Constraints.from_dict(doc, source="constraints.json")
    assert field in str(info.value) and "constraints.json" in str(info.value)


def test_unreadable_files_give_specific_errors(tmp_path):
    with pytest.raises(SchemaError, match="not found"):
        load_constraints(tmp_path / "nope.json")
    bad = tmp_path / "constraints.json"
    bad.write_text("{ not json")
    with pytest.raises(SchemaError, match="line 1"):
        load_constraints(bad)
