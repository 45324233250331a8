"""Reading statistics.json, constraints.json, violations and the report sample back: every field of the rebuilt
profile and every error text pinned."""

from __future__ import annotations

import json
import math

import pytest

from sagewatch.errors import SchemaError
from sagewatch.schemas.constraints import Constraints, load_constraints, load_violations
from sagewatch.schemas.report_model import ReportFile
from sagewatch.schemas.statistics import load_statistics, profile_from_statistics
from sagewatch.schemas.validation import validate_document

KLL_DATA = [[4.0, 1.0], [2.0, 3.0], [9.0]]  # weights 1, 2, 4: n = 1*2 + 2*2 + 4*1 = 10


def _numeric(kind="Integral", **stats):
    block = {"common": {"num_present": 10, "num_missing": 2}, **stats}
    return {"features": [{"name": "x", "inferred_type": kind, "numerical_statistics": block}]}


def test_numeric_feature_is_rebuilt_field_by_field():
    document = _numeric(mean=3.5, sum=35.0, std_dev=1.25, min=1.0, max=9.0, distribution={"kll": {
        "sketch": {"parameters": {"c": 0.64, "k": 200.0}, "data": KLL_DATA}}})
    column = profile_from_statistics(document).columns["x"]
    assert column.name == "x" and column.inferred_type == "Integral"
    assert (column.n_missing, column.n_integral, column.n_fractional, column.n_string, column.n_numeric) == \
        (2, 10, 0, 0, 10)
    assert (column.total, column.mean, column.std_dev, column.minimum, column.maximum) == (35.0, 3.5, 1.25, 1.0, 9.0)
    sketch = column.distribution()
    assert sketch.k == 200 and sketch.n == 10
    assert sketch.levels() == [[1.0, 4.0], [2.0, 3.0], [9.0]]


def test_fractional_feature_counts_its_values_as_fractional():
    column = profile_from_statistics(_numeric("Fractional", mean=1.0)).columns["x"]
    assert (column.n_integral, column.n_fractional, column.n_numeric) == (0, 10, 10)
    assert column.inferred_type == "Fractional"


def test_sketch_without_parameters_takes_the_default_k():
    column = profile_from_statistics(_numeric(mean=3.5, distribution={"kll": {"sketch": {"data": KLL_DATA}}})).columns["x"]
    assert column.distribution().k == 2048 and column.distribution().n == 10


@pytest.mark.parametrize("distribution", [None, {}, {"kll": None}, {"kll": {}}, {"kll": {"sketch": None}},
                                          {"kll": {"sketch": {"data": []}}}])
def test_numeric_feature_without_sketch_data_has_no_distribution(distribution):
    column = profile_from_statistics(_numeric(mean=3.5, distribution=distribution)).columns["x"]
    assert column.distribution() is None


def test_absent_numbers_take_neutral_values():
    column = profile_from_statistics(_numeric()).columns["x"]
    assert (column.mean, column.std_dev, column.total) == (0.0, 0.0, 0.0)
    assert column.minimum == math.inf and column.maximum == -math.inf


def test_sum_is_taken_from_the_file_not_recomputed():
    # the recorded sum is kept; mean * count would not give it back
    column = profile_from_statistics(_numeric(mean=34.333333333333336, sum=103.0, min=27.0, max=45.0)).columns["x"]
    assert column.total == 103.0


def test_unknown_feature_with_values_stays_unknown():
    document = {"features": [{"name": "u", "inferred_type": "Unknown",
                              "string_statistics": {"common": {"num_present": 2, "num_missing": 1}}}]}
    column = profile_from_statistics(document).columns["u"]
    assert column.inferred_type == "Unknown" and column.n_string == 0 and column.n_missing == 1


def test_absent_sum_is_mean_times_count():
    column = profile_from_statistics(_numeric(mean=2.5)).columns["x"]
    assert column.total == 25.0


def test_string_feature_keeps_its_counts():
    document = {"features": [{"name": "s", "inferred_type": "String", "string_statistics": {
        "common": {"num_present": 5, "num_missing": 1}, "distinct_count": 2.0,
        "distribution": {"categorical": {"buckets": [{"value": "a", "count": 3}, {"value": "b", "count": 2}]}}}}]}
    column = profile_from_statistics(document).columns["s"]
    assert column.name == "s" and column.inferred_type == "String"
    assert (column.n_string, column.n_missing, column.n_numeric) == (5, 1, 0)
    assert column.category_counts() == {"a": 3, "b": 2}


@pytest.mark.parametrize("block", [None, {"common": {"num_present": 0, "num_missing": 4}},
                                   {"common": {"num_present": 0, "num_missing": 4}, "distribution": None},
                                   {"common": {"num_present": 0, "num_missing": 4}, "distribution": {}}])
def test_unknown_feature_has_no_values(block):
    feature = {"name": "u", "inferred_type": "Unknown"}
    if block is not None:
        feature["string_statistics"] = block
    column = profile_from_statistics({"features": [feature]}).columns["u"]
    assert column.name == "u" and column.inferred_type == "Unknown"
    assert (column.n_string, column.n_numeric) == (0, 0) and column.category_counts() == {}


def test_item_count_defaults_to_the_longest_column():
    document = _numeric(mean=1.0)
    document["features"].append({"name": "y", "inferred_type": "Unknown",
                                 "string_statistics": {"common": {"num_missing": 30}}})
    assert profile_from_statistics(document).item_count == 30
    assert profile_from_statistics({"features": []}).item_count == 0


# ------------------------------------------------------------------------------ the files' own errors
@pytest.mark.parametrize(("loader", "what"), [(load_statistics, "baseline statistics"),
                                              (load_constraints, "baseline constraints"),
                                              (load_violations, "constraint violations")])
def test_missing_files_are_named_with_what_they_are(tmp_path, loader, what):
    path = tmp_path / "nowhere.json"
    with pytest.raises(SchemaError) as info:
        loader(path)
    assert str(info.value) == f"{path}: {what} file not found"


def test_violations_errors_name_the_file(tmp_path):
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"violations": [{"constraint_check_type": ""}]}))
    with pytest.raises(SchemaError) as info:
        load_violations(path)
    assert info.value.source == str(path)
    assert str(info.value) == f"{path}, field 'violations[0].constraint_check_type': expected a non-empty string, " \
                              "found the string ''"


@pytest.mark.parametrize("k", [8, 8.0, 65535, 2048])
def test_kll_k_within_the_datasketches_range_is_accepted(k):
    document = _numeric(mean=3.5, distribution={"kll": {"sketch": {"parameters": {"k": k}, "data": KLL_DATA}}})
    assert profile_from_statistics(document).columns["x"].distribution().k == int(k)


@pytest.mark.parametrize("k", [7, 65536, True, "2048"])
def test_kll_k_outside_the_datasketches_range_is_rejected(k):
    document = _numeric(mean=3.5, distribution={"kll": {"sketch": {"parameters": {"k": k}, "data": KLL_DATA}}})
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(document)
    assert "expected a whole number from 8 to 65535 (the KLL sketch sizes DataSketches accepts)" in str(info.value)


@pytest.mark.parametrize("c", [1, 1.0, 0.5, 1e-9])
def test_kll_c_up_to_one_is_accepted(c):
    document = _numeric(mean=3.5, distribution={"kll": {"sketch": {"parameters": {"c": c}, "data": KLL_DATA}}})
    assert profile_from_statistics(document).columns["x"].n_numeric == 10


@pytest.mark.parametrize("c", [1.0000001, 1.5, 0, -0.5, False])
def test_kll_c_above_one_or_not_positive_is_rejected(c):
    document = _numeric(mean=3.5, distribution={"kll": {"sketch": {"parameters": {"c": c}, "data": KLL_DATA}}})
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(document)
    assert str(info.value).endswith(
        "field 'features[0].numerical_statistics.distribution.kll.sketch.parameters.c': expected a number above 0 "
        f"and at most 1, found {'false' if c is False else f'the number {c!r}'}")


@pytest.mark.parametrize(("key", "value", "phrase"), [
    ("comparison_method", "Fancy", "one of Simple, Robust, linf_simple, linf_robust (any case)"),
    ("categorical_drift_method", "KL", "LInfinity or ChiSquared (any case)"),
])
def test_method_names_have_their_phrase(key, value, phrase):
    document = {"features": [], "monitoring_config": {"distribution_constraints": {key: value}}}
    with pytest.raises(SchemaError) as info:
        Constraints.from_dict(document, source="c.json")
    assert str(info.value) == f"c.json, field 'monitoring_config.distribution_constraints.{key}': expected " \
                              f"{phrase}, found the string {value!r}"


# ------------------------------------------------------------------------------ the report's row sample
def _sample_error(data) -> str:
    with pytest.raises(SchemaError) as info:
        validate_document(ReportFile, {"sample": {"columns": ["a", "b"], "data": data}}, source="r.json")
    return str(info.value)


def test_sample_rows_are_read_with_nulls_as_nan():
    parsed = validate_document(ReportFile, {"sample": {"columns": ["a", "b"], "data": [[1, None], [2.5, 3]]}},
                               source="r.json")
    (a, b), (c, d) = parsed.sample.data
    assert (a, c, d) == (1.0, 2.5, 3.0) and math.isnan(b)


@pytest.mark.parametrize(("data", "text"), [
    ("x", "r.json, field 'sample.data': expected a list of rows, each a list of numbers or nulls, found the "
          "string 'x'"),
    ([[1, 2], 3], "r.json, field 'sample.data[1]': expected a list of numbers or nulls, found the number 3"),
    ([[1, "2"]], "r.json, field 'sample.data[0][1]': expected a finite number or null, found the string '2'"),
    ([[1, True]], "r.json, field 'sample.data[0][1]': expected a finite number or null, found true"),
])
def test_sample_errors_name_the_row_and_item(data, text):
    assert _sample_error(data) == text


# ------------------------------------------------------------------------------ writing
def _writer():
    from sagewatch.schemas import statistics
    return statistics


def test_sum_beyond_a_double_is_an_error_naming_the_column():
    import pyarrow as pa

    from sagewatch.errors import DatasetError
    from sagewatch.profile.dataset import profile_table
    profile = profile_table(pa.table({"big": [1.7e308, 1.7e308]}))
    with pytest.raises(DatasetError) as info:
        _writer().statistics_document(profile)
    assert str(info.value) == (
        "column 'big': the sum of its values is beyond the range of a double (±1.8e308), so statistics.json cannot "
        "record it (its mean and std_dev would be finite); check the column for sentinel or corrupt values")


def test_numeric_feature_read_without_a_sketch_is_written_without_a_distribution():
    profile = profile_from_statistics(_numeric(mean=3.5, sum=35.0, min=1.0, max=9.0))
    (feature,) = _writer().statistics_document(profile)["features"]
    assert "distribution" not in feature["numerical_statistics"]
    assert feature["numerical_statistics"]["sum"] == 35.0


def test_categorical_buckets_are_ordered_by_count_then_value():
    document = {"features": [{"name": "s", "inferred_type": "String", "string_statistics": {
        "common": {"num_present": 6}, "distribution": {"categorical": {"buckets": [
            {"value": "b", "count": 1}, {"value": "c", "count": 4}, {"value": "a", "count": 1}]}}}}]}
    (feature,) = _writer().statistics_document(profile_from_statistics(document))["features"]
    assert feature["string_statistics"]["distribution"]["categorical"]["buckets"] == [
        {"value": "c", "count": 4}, {"value": "a", "count": 1}, {"value": "b", "count": 1}]


def test_buckets_refuse_a_sketch_of_another_column():
    from sagewatch.sketches.kll import KllDistribution, SketchInvariantError
    with pytest.raises(SketchInvariantError) as info:
        _writer().equal_width_buckets(KllDistribution.from_levels(KLL_DATA), 1.0, 9.0, 11)
    assert str(info.value) == "the KLL sketch summarises 10 values but the column has 11"


def test_buckets_over_the_whole_double_range_stay_finite():
    from sagewatch.sketches.kll import KllDistribution
    biggest = 1.7976931348623157e308
    dist = KllDistribution.from_levels([[-biggest, 0.0, biggest]])
    buckets = _writer().equal_width_buckets(dist, -biggest, biggest, 3)
    bounds = [b["lower_bound"] for b in buckets] + [buckets[-1]["upper_bound"]]
    assert len(bounds) == 11 and all(map(math.isfinite, bounds))
    assert bounds[0] == -biggest and bounds[-1] == biggest and bounds[5] == 0.0
    assert bounds[1] == -0.8 * biggest and bounds[9] == 0.8 * biggest
    assert [b["count"] for b in buckets] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]


def test_bucket_edges_count_values_on_an_edge_in_the_upper_bucket():
    from sagewatch.sketches.kll import KllDistribution
    dist = KllDistribution.from_levels([[0.0, 1.0, 2.0, 3.0, 10.0]])
    buckets = _writer().equal_width_buckets(dist, 0.0, 10.0, 5)
    assert [b["count"] for b in buckets] == [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    assert all(type(b["count"]) is int for b in buckets)


def test_single_value_puts_every_count_in_the_first_bucket():
    from sagewatch.sketches.kll import KllDistribution
    buckets = _writer().equal_width_buckets(KllDistribution.from_levels([[2.0, 2.0]]), 2.0, 2.0, 2)
    assert [b["count"] for b in buckets] == [2] + [0] * 9
    assert all(type(b["count"]) is int for b in buckets)


def test_item_count_of_the_file_wins_over_the_columns():
    document = _numeric(mean=1.0)
    document["dataset"] = {"item_count": 50}
    assert profile_from_statistics(document).item_count == 50


# ------------------------------------------------------------------------------ sketch.data
def _kll_error(data) -> str:
    with pytest.raises(SchemaError) as info:
        profile_from_statistics(_numeric(mean=3.5, distribution={"kll": {"sketch": {"data": data}}}))
    return str(info.value)


DATA = "field 'features[0].numerical_statistics.distribution.kll.sketch.data"


@pytest.mark.parametrize(("data", "text"), [
    ({"a": 1}, f"{DATA}': expected a list of levels, each a list of finite numbers, found an object"),
    ([[1.0], 2.0], f"{DATA}[1]': expected a list of finite numbers, found the number 2.0"),
    ([[1.0, None]], f"{DATA}[0][1]': expected a finite number, found null"),
    ([[1.0, True]], f"{DATA}[0][1]': expected a finite number, found true"),
    ([[]] * 62, f"{DATA}': expected at most 61 levels, found a list of 62 items"),
])
def test_sketch_data_errors_name_the_level_and_item(data, text):
    assert _kll_error(data).endswith(text)


def test_sixty_one_levels_are_accepted():
    from sagewatch.schemas.statistics_model import KllSketch
    parsed = validate_document(KllSketch, {"data": [[]] * 60 + [[1.0]]}, source="s.json")
    assert len(parsed.data) == 61 and parsed.data[60] == (1.0,)
