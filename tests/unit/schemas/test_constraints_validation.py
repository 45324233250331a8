"""constraints.json and constraint_violations.json are checked against their declared schemas (issue 11 §4, §5)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sagewatch.errors import SchemaError
from sagewatch.schemas.constraints import Constraints, load_constraints, load_violations

GOLDEN = json.loads((Path(__file__).parents[2] / "data" / "golden" / "constraints.json").read_text(encoding="utf-8"))
DIST = "monitoring_config.distribution_constraints"


def _set(path: str, value):
    doc = copy.deepcopy(GOLDEN)
    parts = path.replace("[", ".").replace("]", "").split(".")
    target = doc
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    last = parts[-1]
    target[int(last) if last.isdigit() else last] = value
    return doc


@pytest.mark.parametrize(("field", "value", "found"), [
    ("monitoring_config", "x", "the string 'x'"),
    ("features[0].num_constraints", 5, "the number 5"),
    ("features[0].num_constraints.is_non_negative", "yes", "the string 'yes'"),
    ("features[3].string_constraints.domains", "xyz", "the string 'xyz'"),
    ("features[3].string_constraints.domains", [1, 2], "the number 1"),
    ("features[0].name", None, "null"),
    ("features[0].name", "", "the string ''"),
    ("features[0].completeness", True, "true"),
    ("features[0].completeness", 1.5, "the number 1.5"),
    ("features[0].completeness", -0.1, "the number -0.1"),
    ("features[0].inferred_type", "Text", "the string 'Text'"),
    ("features[0].monitoringConfigOverrides.evaluate_constraints", "Maybe", "the string 'Maybe'"),
    ("monitoring_config.evaluate_constraints", 1, "the number 1"),
    ("monitoring_config.datatype_check_threshold", -0.1, "the number -0.1"),
    ("monitoring_config.domain_content_threshold", 2.0, "the number 2.0"),
    (f"{DIST}", [], "a list of 0 items"),
    (f"{DIST}.comparison_threshold", "NaN", "the string 'NaN'"),
    (f"{DIST}.comparison_threshold", float("inf"), "the number inf"),
    (f"{DIST}.comparison_threshold", None, "null"),
    (f"{DIST}.comparison_method", "Fancy", "the string 'Fancy'"),
    (f"{DIST}.comparison_method", 3, "the number 3"),
    (f"{DIST}.categorical_drift_method", "KL", "the string 'KL'"),
    (f"{DIST}.categorical_comparison_threshold", [0.1], "a list of 1 item"),
    ("version", "0", "the string '0'"),
    ("features", None, "null"),
])
def test_wrong_types_and_impossible_values_name_the_field(tmp_path, field, value, found):
    path = tmp_path / "constraints.json"
    path.write_text(json.dumps(_set(field, value)), encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_constraints(path)
    assert info.value.field in (field, f"{field}[0]")
    assert str(path) in str(info.value) and "expected" in str(info.value) and f"found {found}" in str(info.value)


def test_domains_of_one_string_are_not_split_into_characters():
    with pytest.raises(SchemaError, match="expected a list of strings"):
        Constraints.from_dict(_set("features[3].string_constraints.domains", "xyz"))


def test_duplicate_feature_names_are_rejected():
    with pytest.raises(SchemaError) as info:
        Constraints.from_dict(_set("features[1].name", "label"))
    assert info.value.field == "features[1].name"


def test_documented_variations_are_accepted():
    doc = _set(f"{DIST}.comparison_method", "linf_simple")
    doc["version"] = 0
    doc["monitoring_config"]["evaluate_constraints"] = "disabled"
    doc["monitoring_config"]["distribution_constraints"]["comparison_threshold"] = "2e-1"
    doc["monitoring_config"]["distribution_constraints"]["enable_comparisons"] = True  # legacy, ignored
    doc["features"][0]["completeness"] = 1  # an int is a number
    doc["features"][3]["string_constraints"]["monitoring_config_overrides"] = {"emit_metrics": "Disabled"}
    c = Constraints.from_dict(doc)
    cfg = c.monitoring_config
    assert (cfg.comparison_method, cfg.evaluate_constraints, cfg.comparison_threshold) == ("Simple", False, 0.2)
    assert c.features[3].emit_metrics is False and c.features[3].domains == ("Oslo", "Lima")


def test_null_monitoring_config_takes_the_container_defaults():
    c = Constraints.from_dict({"features": [], "monitoring_config": None})
    assert c.monitoring_config.datatype_check_threshold == 1.0


def test_violations_file_is_validated(tmp_path):
    path = tmp_path / "constraint_violations.json"
    path.write_text(json.dumps({"violations": [{"feature_name": "a", "constraint_check_type": None}]}))
    with pytest.raises(SchemaError) as info:
        load_violations(path)
    assert info.value.field == "violations[0].constraint_check_type"
    path.write_text(json.dumps({"violations": "none"}))
    with pytest.raises(SchemaError, match="expected a list"):
        load_violations(path)


def test_violations_file_round_trips_entries(tmp_path):
    path = tmp_path / "constraint_violations.json"
    entries = [{"feature_name": "a", "constraint_check_type": "data_type_check", "description": "x"},
               {"metric_name": "f1", "constraint_check_type": "LessThanThreshold", "description": "y"}]
    path.write_text(json.dumps({"violations": entries}))
    assert load_violations(path) == entries
