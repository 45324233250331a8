"""statistics.json is checked against its declared schema before a profile is built (issue 11 §4, §5)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from sagewatch.errors import SchemaError
from sagewatch.schemas.statistics import load_statistics, profile_from_statistics

GOLDEN = json.loads((Path(__file__).parents[2] / "data" / "golden" / "statistics.json").read_text(encoding="utf-8"))
AGE = "features[1].numerical_statistics"
KLL = f"{AGE}.distribution.kll"


def _set(path: str, value):
    """A copy of the golden document with the value at ``path`` (dots and [i]) replaced."""
    doc = copy.deepcopy(GOLDEN)
    parts = path.replace("[", ".").replace("]", "").split(".")
    target = doc
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    target[int(last) if last.isdigit() else last] = value
    return doc


def _error(doc, tmp_path) -> SchemaError:
    path = tmp_path / "statistics.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_statistics(path)
    assert str(path) in str(info.value)
    return info.value


@pytest.mark.parametrize(("field", "value", "found"), [
    ("dataset.item_count", "abc", "the string 'abc'"),
    ("dataset.item_count", -1, "the number -1"),
    ("dataset.item_count", 2.5, "the number 2.5"),
    (f"{AGE}", [], "a list of 0 items"),
    (f"{AGE}.common.num_present", -3, "the number -3"),
    (f"{AGE}.common.num_missing", True, "true"),
    (f"{AGE}.std_dev", -0.5, "the number -0.5"),
    (f"{AGE}.mean", "34", "the string '34'"),
    (f"{KLL}.sketch.parameters.k", -3, "the number -3"),
    (f"{KLL}.sketch.parameters.k", 0, "the number 0"),
    (f"{KLL}.sketch.parameters.k", 2048.5, "the number 2048.5"),
    (f"{KLL}.sketch.parameters.c", 0, "the number 0"),
    (f"{KLL}.sketch.data", "27.0, 31.0", "the string '27.0, 31.0'"),
    (f"{KLL}.sketch.data", [27.0, 31.0], "the number 27.0"),
    (f"{KLL}.buckets[0].count", -1, "the number -1"),
    ("features[0].name", None, "null"),
    ("features[0].name", "", "the string ''"),
    ("features[0].name", 7, "the number 7"),
    ("features[0].inferred_type", "Text", "the string 'Text'"),
    ("features[3].string_statistics.distribution.categorical.buckets[0].value", 1, "the number 1"),
    ("features[3].string_statistics.distinct_count", -2.0, "the number -2.0"),
    ("version", "0.0", "the string '0.0'"),
    ("features", {}, "an object"),
])
def test_wrong_types_and_impossible_values_name_the_field(tmp_path, field, value, found):
    error = _error(_set(field, value), tmp_path)
    reported = error.field
    assert reported == field or reported.startswith(field + "[")  # data[0] for a level that is a number
    assert "expected" in str(error) and f"found {found}" in str(error)


def test_string_kll_data_inside_a_level_names_the_item(tmp_path):
    error = _error(_set(f"{KLL}.sketch.data", [[27.0, "31.0"]]), tmp_path)
    assert error.field == f"{KLL}.sketch.data[0][1]" and "expected a finite number" in str(error)


def test_non_finite_kll_items_are_rejected():
    with pytest.raises(SchemaError, match=r"sketch.data\[0\]\[0\]"):
        profile_from_statistics(_set(f"{KLL}.sketch.data", [[float("nan")]]))


def test_too_many_kll_levels_are_rejected():
    # level i weighs 2**i: 64 levels would overflow the weights rather than fail cleanly
    with pytest.raises(SchemaError, match="levels"):
        profile_from_statistics(_set(f"{KLL}.sketch.data", [[1.0]] * 64))


def test_min_above_max_is_rejected():
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(_set(f"{AGE}.min", 50.0))
    assert info.value.field == f"{AGE}.max" and "min 50.0" in str(info.value)


@pytest.mark.parametrize("mean", [26.0, 46.0])
def test_mean_outside_min_max_is_rejected(mean):
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(_set(f"{AGE}.mean", mean))
    assert info.value.field == f"{AGE}.mean"


def test_mean_an_ulp_outside_min_max_is_accepted():
    # sum / n of identical values can land one ulp above them
    doc = _set(f"{AGE}.mean", math.nextafter(45.0, math.inf))
    assert profile_from_statistics(doc).columns["age"].mean > 45.0


def test_bucket_with_lower_above_upper_is_rejected():
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(_set(f"{KLL}.buckets[0].lower_bound", 99.0))
    assert info.value.field == f"{KLL}.buckets[0].upper_bound"


def test_buckets_out_of_order_are_rejected():
    doc = copy.deepcopy(GOLDEN)
    buckets = doc["features"][1]["numerical_statistics"]["distribution"]["kll"]["buckets"]
    buckets[0], buckets[1] = buckets[1], buckets[0]
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(doc)
    assert info.value.field == f"{KLL}.buckets[1].lower_bound"


def test_duplicate_feature_names_are_rejected():
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(_set("features[2].name", "age"))
    assert info.value.field == "features[2].name" and "'age'" in str(info.value)


def test_duplicate_categorical_values_are_rejected():
    doc = copy.deepcopy(GOLDEN)
    buckets = doc["features"][3]["string_statistics"]["distribution"]["categorical"]["buckets"]
    buckets.append(dict(buckets[0]))
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(doc)
    assert info.value.field == f"features[3].string_statistics.distribution.categorical.buckets[{len(buckets) - 1}].value"


def test_statistics_block_must_fit_the_inferred_type():
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(_set("features[1].inferred_type", "String"))
    assert info.value.field == AGE


def test_several_problems_are_reported_together():
    doc = _set("dataset.item_count", -1)
    doc["features"][0]["name"] = None
    message = str(pytest.raises(SchemaError, profile_from_statistics, doc).value)
    assert "dataset.item_count" in message and "features[0].name" in message


def test_sagemaker_variations_are_accepted():
    doc = copy.deepcopy(GOLDEN)
    doc["version"] = 0  # int in the docs, float in real files
    doc["dataset"]["item_count"] = 4.0  # counts as integral doubles
    age = doc["features"][1]
    age["numerical_statistics"]["common"]["num_present"] = 3.0
    age["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"]["k"] = 2048  # int or float
    age["numerical_statistics"]["future_field"] = {"anything": [1, "x"]}  # unknown keys are ignored
    doc["features"][2]["numerical_statistics"]["std_dev"] = "NaN"  # Jackson's undefined double
    doc["features"][3]["string_statistics"]["distinct_count"] = 2.0
    doc["features"].append({"name": "empty", "inferred_type": "Unknown", "string_statistics": {
        "common": {"num_present": 0, "num_missing": 4}, "distinct_count": 0.0}})
    profile = profile_from_statistics(doc)
    assert profile.item_count == 4 and profile.columns["age"].n_numeric == 3
    assert math.isnan(profile.columns["score"].std_dev)
    assert profile.columns["empty"].n_missing == 4


def test_optional_blocks_may_be_absent_or_null():
    doc = {"features": [{"name": "a", "inferred_type": "Integral",
                         "numerical_statistics": {"common": {"num_present": 2, "num_missing": 0}, "mean": 1.0,
                                                  "distribution": None}},
                        {"name": "b"}]}
    profile = profile_from_statistics(doc)
    assert profile.columns["a"].distribution() is None and profile.item_count == 2
