"""constraints.json read and written back: what is kept, what is copied, and the texts of every field error."""

from __future__ import annotations

import copy
import json

import pytest

from sagewatch.errors import SchemaError
from sagewatch.schemas.constraints import Constraints, FeatureConstraint, MonitoringConfig

DOC = {
    "version": 0.0,
    "features": [{"name": "a", "inferred_type": "Integral", "completeness": 0.5, "note": {"keep": [1]},
                  "num_constraints": {"is_non_negative": True, "extra": 1}},
                 {"name": "s", "inferred_type": "String",
                  "string_constraints": {"domains": ["x", "y"], "hint": "h"},
                  "monitoringConfigOverrides": {"emit_metrics": "Disabled"}}],
    "monitoring_config": {"evaluate_constraints": "Enabled", "user_key": {"deep": 1},
                          "distribution_constraints": {"comparison_threshold": 0.2, "enable_comparisons": True,
                                                       "min_domain_mass": 1.0, "user_dist": "u",
                                                       "comparison_method": "linf_simple"}},
}


def test_reading_takes_every_field():
    c = Constraints.from_dict(copy.deepcopy(DOC))
    a, s = c.features
    assert (a.name, a.inferred_type, a.completeness, a.is_non_negative, a.domains) == ("a", "Integral", 0.5, True, None)
    assert (s.is_non_negative, s.domains, s.emit_metrics, s.evaluate_constraints) == (None, ("x", "y"), False, None)
    assert c.monitoring_config.comparison_method == "Simple" and c.monitoring_config.comparison_threshold == 0.2


def test_written_document_keeps_user_keys_in_order_and_drops_legacy_ones():
    out = Constraints.from_dict(copy.deepcopy(DOC)).to_dict()
    assert out["features"][0] == {"name": "a", "inferred_type": "Integral", "completeness": 0.5,
                                  "num_constraints": {"is_non_negative": True, "extra": 1}, "note": {"keep": [1]}}
    assert list(out["features"][0]) == ["name", "inferred_type", "completeness", "num_constraints", "note"]
    assert list(out["features"][1]) == ["name", "inferred_type", "string_constraints", "monitoringConfigOverrides"]
    assert out["features"][1]["string_constraints"] == {"domains": ["x", "y"], "hint": "h"}
    config = out["monitoring_config"]
    assert config["user_key"] == {"deep": 1}
    assert config["distribution_constraints"] == {
        "perform_comparison": "Enabled", "comparison_threshold": 0.2, "comparison_method": "Simple",
        "categorical_comparison_threshold": 0.2, "categorical_drift_method": "LInfinity", "user_dist": "u"}


def test_written_config_without_a_user_block_has_only_the_known_keys():
    out = Constraints.from_dict({"features": []}).to_dict()
    assert out == {"version": 0.0, "features": [], "monitoring_config": MonitoringConfig().to_dict()}


def test_monitoring_config_is_written_with_enabled_and_disabled():
    config = MonitoringConfig(evaluate_constraints=False, emit_metrics=True, perform_comparison=False)
    assert config.to_dict() == {
        "evaluate_constraints": "Disabled", "emit_metrics": "Enabled", "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0, "distribution_constraints": {
            "perform_comparison": "Disabled", "comparison_threshold": 0.1, "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1, "categorical_drift_method": "LInfinity"}}


def test_categorical_threshold_of_its_own_is_kept():
    c = Constraints.from_dict({"features": [], "monitoring_config": {"distribution_constraints": {
        "comparison_threshold": 0.3, "categorical_comparison_threshold": 0.05}}})
    assert (c.monitoring_config.comparison_threshold, c.monitoring_config.categorical_comparison_threshold) == \
        (0.3, 0.05)


def test_constraints_do_not_change_with_the_document_they_were_read_from():
    document = copy.deepcopy(DOC)
    c = Constraints.from_dict(document)
    before = json.dumps(c.to_dict())
    document["features"][0]["note"]["keep"].append(2)
    document["features"][0]["num_constraints"]["extra"] = 99
    document["monitoring_config"]["user_key"]["deep"] = 2
    assert json.dumps(c.to_dict()) == before


def test_written_documents_do_not_share_parts_with_the_constraints():
    c = Constraints.from_dict(copy.deepcopy(DOC))
    first = c.to_dict()
    first["features"][0]["note"]["keep"].append(3)
    first["features"][1]["string_constraints"]["hint"] = "changed"
    assert c.to_dict()["features"][0]["note"] == {"keep": [1]}
    assert c.to_dict()["features"][1]["string_constraints"]["hint"] == "h"


def test_feature_written_without_optional_parts():
    assert FeatureConstraint("a", "Unknown").to_dict() == {"name": "a", "inferred_type": "Unknown"}
    entry = FeatureConstraint("a", "Integral", completeness=1, is_non_negative=False, domains=("b",)).to_dict()
    assert entry == {"name": "a", "inferred_type": "Integral", "completeness": 1.0,
                     "num_constraints": {"is_non_negative": False}, "string_constraints": {"domains": ["b"]}}
    assert type(entry["completeness"]) is float


# ------------------------------------------------------------------------------ field errors
def _error(monitoring_config) -> str:
    with pytest.raises(SchemaError) as info:
        Constraints.from_dict({"features": [], "monitoring_config": monitoring_config}, source="c.json")
    return str(info.value)


@pytest.mark.parametrize("value", ["maybe", 1, None])
def test_flag_error_text(value):
    assert _error({"emit_metrics": value}).startswith(
        "c.json, field 'monitoring_config.emit_metrics': expected 'Enabled' or 'Disabled', found ")


@pytest.mark.parametrize("value", ["abc", "", "nan", 1.5, -0.01, True])
def test_threshold_error_text(value):
    assert _error({"datatype_check_threshold": value}).startswith(
        "c.json, field 'monitoring_config.datatype_check_threshold': expected a number from 0 to 1, found ")


@pytest.mark.parametrize(("value", "number"), [(0, 0.0), (0.0, 0.0), (1, 1.0), ("0", 0.0), (" 1e-1 ", 0.1)])
def test_thresholds_from_0_to_1_are_accepted(value, number):
    c = Constraints.from_dict({"features": [], "monitoring_config": {"datatype_check_threshold": value}})
    assert c.monitoring_config.datatype_check_threshold == number


def test_overrides_are_written_before_unknown_keys():
    entry = {"name": "a", "inferred_type": "String", "zz_note": 1, "monitoringConfigOverrides": {"emit_metrics": True}}
    (feature,) = Constraints.from_dict({"features": [entry]}).to_dict()["features"]
    assert list(feature) == ["name", "inferred_type", "monitoringConfigOverrides", "zz_note"]
